"""Database servers on which a fake makes its stores' databases, and gives them back.

A :class:`DatabaseHost` belongs to one fake (one ``FakeServer``): it names
every database it creates with a prefix unique to that fake (``dsf_<8 hex>_``),
so parallel fakes and CI jobs on the same server never collide, and it drops
only its own: on a store's delete, on ``reset()``, and at interpreter exit for
any left behind (a fake never reset). The SQL dialect lives in the subclass.

:class:`Spares` serves a server private to this process (the embedded
PostgreSQL): a background thread keeps a few databases ready and drops the
ones given back, so a store's first call takes a ready database instead of
waiting for ``CREATE DATABASE``, and a delete does not wait for ``DROP
DATABASE``. The server runs in other processes, so on a machine with two cores
that work overlaps with the caller's. A server given by URL gets no spares:
what a test sees there has happened when the call returns.
"""

from __future__ import annotations

import collections
import contextlib
import secrets
import threading
import weakref
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

#: How many databases :class:`Spares` keeps ready.
SPARE_COUNT = 2


@attrs.define(eq=False, repr=False)
class Spares:
    """Ready databases and background drops on one private server, shared by its hosts.

    Made with ``admin`` (runs a statement), ``create`` and ``drop`` (a database's
    statements) and the ``prefix`` of the databases it names.
    """

    _admin: Callable[[str], None]
    _create: Callable[[str], str]
    _drop: Callable[[str], str]
    _prefix: str
    _count: int = attrs.field(init=False, default=0)
    _changed: threading.Condition = attrs.field(init=False, factory=threading.Condition)
    _ready: collections.deque[str] = attrs.field(init=False, factory=collections.deque)
    _drops: collections.deque[str] = attrs.field(init=False, factory=collections.deque)
    _busy: bool = attrs.field(init=False, default=False)
    _failed: bool = attrs.field(init=False, default=False)

    def make(self) -> str:
        """Create a database now; its name."""
        with self._changed:
            self._count += 1
            name = f"{self._prefix}{self._count}"
        self._admin(self._create(name))
        return name

    def take(self) -> str:
        """A ready database (made now when none is), and start making the next."""
        with self._changed:
            name = self._ready.popleft() if self._ready else None
        if name is None:
            name = self.make()
            self._failed = False
        self._kick()
        return name

    def give_back(self, name: str) -> None:
        """Drop ``name`` in the background."""
        with self._changed:
            self._drops.append(name)
        self._kick()

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until the background work is done; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._busy, timeout=timeout)

    def _kick(self) -> None:
        with self._changed:
            if self._busy or (
                not self._drops and (self._failed or len(self._ready) >= SPARE_COUNT)
            ):
                return
            self._busy = True
        threading.Thread(target=self._work, name="durable-stores-fake spares", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._changed:
                drop = self._drops.popleft() if self._drops else None
                if drop is None and (self._failed or len(self._ready) >= SPARE_COUNT):
                    self._busy = False
                    self._changed.notify_all()
                    return
            if drop is not None:
                with contextlib.suppress(Exception):  # best effort, as every drop
                    self._admin(self._drop(drop))
                continue
            try:
                spare = self.make()
            except Exception:  # a store's own create reports the problem
                self._failed = True
                continue
            with self._changed:
                self._ready.append(spare)


class DatabaseHost:
    """One fake's databases on one server (subclasses speak the server's dialect)."""

    #: The engine name for messages (``"postgres"``, ``"mysql"``).
    engine = "sql"

    def __init__(self, *, spares: Spares | None = None) -> None:
        self.prefix = f"dsf_{secrets.token_hex(4)}_"
        self._lock = threading.Lock()
        self._count = 0
        self._owned: set[str] = set()
        self._spares = spares
        self._admin_conn: Any = None
        self._admin_lock = threading.Lock()
        if spares is None:
            weakref.finalize(self, type(self)._drop_leftovers, self._admin_target(), self._owned)

    # -- what a subclass provides (class methods: the exit-time clean-up has no host) --

    def _admin_target(self) -> Any:
        """Where the admin connection goes (passed to the exit-time clean-up)."""
        raise NotImplementedError

    @classmethod
    def _open_admin(cls, target: Any) -> Any:
        """An autocommit connection to the server for CREATE/DROP DATABASE."""
        raise NotImplementedError

    @classmethod
    def _run_admin(cls, conn: Any, statement: str) -> None:
        raise NotImplementedError

    @classmethod
    def _broken(cls) -> type[Exception]:
        """The driver's error for a connection that broke (the server restarted)."""
        raise NotImplementedError

    def _create_statement(self, name: str) -> str:
        raise NotImplementedError

    @classmethod
    def _drop_statement(cls, name: str) -> str:
        raise NotImplementedError

    # -- the admin connection -----------------------------------------------------

    def _admin(self, statement: str) -> None:
        """Run one administrative statement, reconnecting once if the connection broke."""
        with self._admin_lock:
            for attempt in (1, 2):
                if self._admin_conn is None:
                    self._admin_conn = self._open_admin(self._admin_target())
                try:
                    self._run_admin(self._admin_conn, statement)
                    return
                except self._broken():
                    with contextlib.suppress(Exception):
                        self._admin_conn.close()
                    self._admin_conn = None
                    if attempt == 2:
                        raise

    @classmethod
    def _drop_leftovers(cls, target: Any, names: set[str]) -> None:
        if not names:
            return
        with contextlib.suppress(Exception):
            conn = cls._open_admin(target)
            try:
                for name in list(names):
                    cls._run_admin(conn, cls._drop_statement(name))
            finally:
                conn.close()

    # -- databases ------------------------------------------------------------

    def create_database(self) -> str:
        """Create a fresh database for one store and return its name."""
        if self._spares is not None:
            name = self._spares.take()
            with self._lock:
                self._owned.add(name)
            return name
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
            if self._spares is not None:
                self._owned.discard(name)
        if self._spares is not None:
            self._spares.give_back(name)
            return
        # Best effort: a server gone away must not turn a delete into an error.
        with contextlib.suppress(Exception):
            self._admin(self._drop_statement(name))
            with self._lock:
                self._owned.discard(name)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until background drops and spares are done (at once without spares)."""
        return self._spares.settle(timeout) if self._spares is not None else True

    @property
    def owned(self) -> frozenset[str]:
        """The names of the databases this fake's stores have now."""
        with self._lock:
            return frozenset(self._owned)
