"""The reliability figures the hardening tests record, and where they are written.

Set ``DURABLE_STORES_RELIABILITY_REPORT=path.json`` and the figures every hardening test
recorded are written there as JSON at the end of the session;
``python tests/hardening/reliability_table.py path.json`` turns them into the table in
``docs/reliability.md``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

REPORT_ENV = "DURABLE_STORES_RELIABILITY_REPORT"


class ReliabilityFigures:
    """Counters grouped by section (one section per kind of run), safe to use from threads."""

    def __init__(self) -> None:
        self.sections: dict[str, dict[str, int | float | str]] = {}
        self._lock = threading.Lock()

    def add(self, section: str, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name`` in ``section``."""
        with self._lock:
            figures = self.sections.setdefault(section, {})
            current = figures.get(name, 0)
            assert isinstance(current, int)
            figures[name] = current + amount

    def set(self, section: str, **figures: int | float | str) -> None:
        """Set figures in ``section`` (replacing earlier values of the same names)."""
        with self._lock:
            self.sections.setdefault(section, {}).update(figures)

    def get(self, section: str, name: str) -> int | float | str:
        """A figure recorded so far (0 when none)."""
        with self._lock:
            return self.sections.get(section, {}).get(name, 0)

    def write(self, path: Path) -> None:
        """Merge these sections into the JSON file at ``path`` (other sections are kept)."""
        existing: dict[str, dict[str, int | float | str]] = {}
        if path.exists():
            try:
                existing = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                existing = {}
        with self._lock:
            existing.update({name: dict(values) for name, values in self.sections.items()})
        path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n", encoding="utf-8")
