"""Fixtures for the hardening tests: the reliability figures every hardening test records.

With ``DURABLE_STORES_RELIABILITY_REPORT=path.json`` set, the figures are written there at the
end of the session (see ``hardening_report.py`` and ``docs/reliability.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hardening_report import REPORT_ENV, ReliabilityFigures


@pytest.fixture(scope="session")
def reliability_figures() -> Iterator[ReliabilityFigures]:
    """The session's figures; written to ``$DURABLE_STORES_RELIABILITY_REPORT`` at the end."""
    figures = ReliabilityFigures()
    yield figures
    target = os.environ.get(REPORT_ENV)
    if target:
        figures.write(Path(target))
