"""Clean-up: the stores a run made, and what each check must undo when it ends."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from ._wire import store_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._wire import Wire

__all__ = ["CheckCleanup", "StoreLedger"]


class StoreLedger:
    """Every store a run created, so that all of them are deleted afterwards."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def add(self, store_id: str) -> None:
        """Remember a store the run created."""
        if store_id not in self.ids:
            self.ids.append(store_id)

    def discard(self, store_id: str) -> None:
        """Forget a store that is gone."""
        if store_id in self.ids:
            self.ids.remove(store_id)


class CheckCleanup:
    """What one check must undo: deferred clean-ups, then the stores it created."""

    def __init__(self, ledger: StoreLedger) -> None:
        self._ledger = ledger
        self.created: list[str] = []
        self._deferred: list[Callable[[], object]] = []

    def track(self, store_id: str) -> bool:
        """Delete this store when the check ends; False if it was tracked already."""
        if store_id in self.created:
            return False
        self.created.append(store_id)
        self._ledger.add(store_id)
        return True

    def defer(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` when the check ends, before its stores are deleted."""
        self._deferred.append(cleanup)

    def close(self, wire: Wire) -> None:
        """Run the deferred clean-ups (last first), then delete every tracked store.

        Best effort: a store left behind here is caught by the run's final sweep.
        """
        with contextlib.suppress(Exception):
            for cleanup in reversed(self._deferred):
                with contextlib.suppress(Exception):
                    cleanup()
            self._deferred.clear()
            for store_id in list(self.created):
                with contextlib.suppress(Exception):
                    response = wire.request("DELETE", store_path(store_id))
                    if response.is_success or response.status_code == 404:
                        self._ledger.discard(store_id)
            self.created.clear()
