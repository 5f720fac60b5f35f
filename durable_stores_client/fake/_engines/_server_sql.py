"""What the postgres and mysql engines share: one store's calls on a real SQL server.

:class:`ServerSqlEngine` holds the store's connection (opened on first use,
after its host made the store's database), runs ``query`` in a read-only
transaction and ``execute`` in a read-write one (rolled back when the
statement returns rows), streams the rows from the server (a query's stop
with the answer limit's 400 as soon as they would exceed it; ``execute``
stops at the first), maps the driver's errors to the 400 that names the
step, and on ``close`` interrupts a running statement, closes the
connection and gives the database back. Each engine supplies the
driver-specific steps.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from . import EngineError, StoreClosed
from ._values import SqlResult, query_payload
from .sqlite import STATEMENT_TIME_LIMIT, fetch_bounded

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from ._hosts import DatabaseHost


class ServerSqlEngine:
    """One store on a PostgreSQL or MySQL server (subclasses speak the driver).

    Args:
        host: Where the store's database is made (on first use) and dropped.
        target: Instead of ``host``: the store's own server and database, never
            created nor dropped (the opt-in ``connect_configs`` mode).
        time_limit: Seconds one statement may run before it is stopped with a 400.
    """

    #: ``"postgres"`` or ``"mysql"``: the store kind, and the start of every step's name.
    kind = "sql"

    def __init__(
        self, host: DatabaseHost | None, target: Any, time_limit: float = STATEMENT_TIME_LIMIT
    ) -> None:
        if (host is None) == (target is None):
            raise ValueError("give exactly one of a host and a server of the store's own")
        self._host = host
        self._target = target
        self._time_limit = time_limit
        self._database: str | None = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self._closing = False

    # -- what a subclass provides -----------------------------------------------

    def _driver_error(self) -> type[Exception]:
        """The driver's base exception class."""
        raise NotImplementedError

    def _alive(self, conn: Any) -> bool:
        raise NotImplementedError

    def _database_target(self, database: str) -> Any:
        """How to connect to one of the host's databases."""
        raise NotImplementedError

    def _connect(self, target: Any) -> Any:
        raise NotImplementedError

    def _interrupt(self, conn: Any) -> None:
        """Stop the statement running on ``conn`` (from another thread)."""
        raise NotImplementedError

    def _start(self, conn: Any, *, read_only: bool) -> None:
        """Begin the call's transaction, its time limit set."""
        raise NotImplementedError

    def _stream(
        self, conn: Any, sql: str, params: Sequence[Any], step: str
    ) -> tuple[Any, Generator[Sequence[Any], None, None]]:
        """Run the client's statement, its rows fetched from the server as they are read.

        The cursor (its ``description`` read once the rows are), and a generator of
        the rows that, closed before its end, stops the rest of the result and leaves
        the connection ready for ``_end``.
        """
        raise NotImplementedError

    def _end(self, conn: Any, *, commit: bool) -> None:
        raise NotImplementedError

    def _columns(self, conn: Any, description: Any) -> tuple[list[str], list[str]]:
        """The result's column names and engine type names."""
        raise NotImplementedError

    def _execute_payload(self, cursor: Any) -> dict[str, Any]:
        """The ``execute`` payload from the statement's cursor."""
        raise NotImplementedError

    def _known_error(self, step: str, exc: Exception) -> EngineError | None:
        """An engine error with a message of its own (read-only, time limit, ...), or None."""
        raise NotImplementedError

    def _detail(self, exc: Exception) -> str:
        """The engine's own message for ``exc``."""
        raise NotImplementedError

    # -- the shared calls ---------------------------------------------------------

    def _open(self) -> Any:
        if self._closing:
            raise StoreClosed
        if self._conn is not None and self._alive(self._conn):
            return self._conn
        error = self._driver_error()
        if self._host is not None:
            try:
                if self._database is None:
                    self._database = self._host.create_database()
            except error as exc:
                raise EngineError(
                    f"failed creating the store's database: {self._detail(exc)}"
                ) from None
            target = self._database_target(self._database)
        else:
            target = self._target
        try:
            self._conn = self._connect(target)
        except error as exc:
            raise EngineError(f"failed to connect to {self.kind}: {self._detail(exc)}") from None
        return self._conn

    def query_result(self, sql: str, params: Sequence[Any]) -> SqlResult:
        """Run a read-only statement; the raw result (driver values, column types)."""
        step = f"{self.kind} query failed"
        with self._lock:
            conn = self._open()
            try:
                self._start(conn, read_only=True)
                cursor, stream = self._stream(conn, sql, params, step)
                with contextlib.closing(stream):
                    rows = fetch_bounded(stream, step)
                description = cursor.description
            except self._driver_error() as exc:
                raise self._error(step, exc) from None
            finally:
                self._finish(conn, commit=False)
        if description is None:
            return SqlResult(self.kind, [], [], [])
        names, types = self._columns(conn, description)
        return SqlResult(self.kind, names, types, rows)

    def query(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run a read-only statement and return the contract face's ``query`` payload."""
        return query_payload(self.query_result(sql, params))

    def execute(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run a statement that returns no rows and return the ``execute`` payload."""
        step = f"{self.kind} execute failed"
        with self._lock:
            conn = self._open()
            commit = False
            try:
                self._start(conn, read_only=False)
                cursor, stream = self._stream(conn, sql, params, step)
                with contextlib.closing(stream):  # a first row is enough: the rest is stopped
                    returns_rows = next(stream, None) is not None
                if returns_rows or cursor.description is not None:
                    raise EngineError(
                        f"{step}: execute does not accept statements that return rows; "
                        "use the query endpoint"
                    )
                payload = self._execute_payload(cursor)
                commit = True
            except self._driver_error() as exc:
                raise self._error(step, exc) from None
            finally:
                self._finish(conn, commit=commit)
        return payload

    def close(self) -> None:
        """Close the connection and give the store's database back; later calls: StoreClosed.

        A statement running meanwhile is interrupted, so closing never waits on it for long.
        """
        self._closing = True
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                self._interrupt(conn)
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
            if self._host is not None and self._database is not None:
                self._host.drop_database(self._database)

    # -- helpers ------------------------------------------------------------------

    def _finish(self, conn: Any, *, commit: bool) -> None:
        if not self._alive(conn):
            self._conn = None
            return
        try:
            self._end(conn, commit=commit)
        except Exception:  # a broken connection: start afresh next call
            with contextlib.suppress(Exception):
                conn.close()
            self._conn = None
            if commit:
                raise

    def _error(self, step: str, exc: Exception) -> EngineError | StoreClosed:
        if self._closing:
            return StoreClosed()
        known = self._known_error(step, exc)
        return known if known is not None else EngineError(f"{step}: {self._detail(exc)}")

    def _time_limit_error(self, step: str) -> EngineError:
        return EngineError(
            f"{step}: the statement ran longer than the fake's limit of "
            f"{self._time_limit:g} s and was stopped"
        )
