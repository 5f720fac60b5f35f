"""The create payload examples, one per store kind, for ``stores create --example KIND``.

One source: the repository's ``examples/durable-stores/*.json``. A wheel carries them as
``durable_stores_client/_cli/payloads/`` (``force-include`` in pyproject.toml copies them at
build time); a clone or an editable install reads them where they are.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Traversable


def _directory() -> Traversable:
    shipped = resources.files(__package__) / "payloads"
    if shipped.is_dir():  # an installed wheel
        return shipped
    return Path(__file__).resolve().parents[2] / "examples" / "durable-stores"


def example_payloads() -> dict[str, dict[str, Any]]:
    """Each example create payload, by its store kind (read afresh: callers may change them)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(_directory().iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".json"):
            payload = json.loads(entry.read_text(encoding="utf-8"))
            found[payload["kind"]] = payload
    return found
