"""Database servers on which a fake makes its stores' databases, and gives them back.

A :class:`DatabaseHost` belongs to one fake (one ``FakeServer``): it names
every database it creates with a prefix unique to that fake (``dsf_<8 hex>_``),
so parallel fakes and CI jobs on the same server never collide, and it drops
only its own: on a store's delete, on ``reset()``, and at interpreter exit for
any left behind (a fake never reset). The SQL dialect lives in the subclass.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import weakref
from typing import Any


class DatabaseHost:
    """One fake's databases on one server (subclasses speak the server's dialect)."""

    #: The engine name for messages (``"postgres"``, ``"mysql"``).
    engine = "sql"

    def __init__(self, *, drop_at_exit: bool = True) -> None:
        self.prefix = f"dsf_{secrets.token_hex(4)}_"
        self._lock = threading.Lock()
        self._count = 0
        self._owned: set[str] = set()
        if drop_at_exit:
            weakref.finalize(self, type(self)._drop_leftovers, self._admin_target(), self._owned)

    # -- what a subclass provides -------------------------------------------

    def _admin_target(self) -> Any:
        """Where the admin connection goes (passed to the exit-time clean-up)."""
        raise NotImplementedError

    def _admin(self, statement: str) -> None:
        """Run one administrative statement (CREATE/DROP DATABASE) on the server."""
        raise NotImplementedError

    @classmethod
    def _drop_leftovers(cls, target: Any, names: set[str]) -> None:
        raise NotImplementedError

    def _create_statement(self, name: str) -> str:
        raise NotImplementedError

    def _drop_statement(self, name: str) -> str:
        raise NotImplementedError

    # -- databases ------------------------------------------------------------

    def create_database(self) -> str:
        """Create a fresh database for one store and return its name."""
        with self._lock:
            self._count += 1
            name = f"{self.prefix}{self._count}"
            self._owned.add(name)
        try:
            self._admin(self._create_statement(name))
        except BaseException:
            with self._lock:
                self._owned.discard(name)
            raise
        return name

    def drop_database(self, name: str) -> None:
        """Drop one of this fake's databases (never anyone else's)."""
        with self._lock:
            if name not in self._owned:
                return
        # Best effort: a server gone away must not turn a delete into an error.
        with contextlib.suppress(Exception):
            self._admin(self._drop_statement(name))
            with self._lock:
                self._owned.discard(name)

    @property
    def owned(self) -> frozenset[str]:
        """The names of the databases this fake has now."""
        with self._lock:
            return frozenset(self._owned)
