"""Assertion helpers shared by the tests (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import re


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that matches ``message`` whole, nothing else."""
    return f"^{re.escape(message)}$"
