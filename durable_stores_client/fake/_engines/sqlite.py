"""SQLite stores (and the postgres/mysql emulation) on the standard library's sqlite3.

How ``query`` is kept read-only: every statement is prepared under an SQLite
*authorizer* (``Connection.set_authorizer``). SQLite calls it at prepare time
for every action the statement would take (reading a column, inserting into a
table, creating an index, starting a transaction, ...), before anything runs.
In ``query`` mode the authorizer allows only reads (``SELECT``, column reads,
functions, recursive CTEs and the informational pragmas) and denies anything
else, so a write is refused before it executes, whatever its spelling (CTEs,
``REPLACE``, ``CREATE TEMP``, ``INSERT ... RETURNING``, ...). Every call is
prepared, and so checked, afresh: the statement cache is disabled
(``cached_statements=0``), and on Python 3.10, whose sqlite3 reuses statements
anyway, each statement carries a unique trailing comment.

In ``execute`` mode the authorizer refuses transaction control and attaching
other database files (``ATTACH``, ``VACUUM INTO``), and notes whether the
statement inserts (and updates), so ``last_insert_rowid`` is 0 when nothing was
inserted: SQLite's own value keeps the previous insert's rowid after an UPDATE,
an upsert that only updated, or an insert done by a trigger.
Statements that return rows are refused; a statement that might write and
return rows (``RETURNING``) runs inside a savepoint that is rolled back when
it is refused, so a refused call changes nothing.

More than one statement per call is detected by sqlite3 itself after
preparing the first statement (it checks that only whitespace and comments
follow), which is tokenizer-exact: a ``;`` inside a string literal is text.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import sqlite3
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from .._answers import ANSWER_TOO_LARGE, MAX_ANSWER_BYTES
from . import EngineError, StoreClosed
from ._placeholders import translate_placeholders

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1

_OK = sqlite3.SQLITE_OK
_DENY = sqlite3.SQLITE_DENY

_READ_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        getattr(sqlite3, "SQLITE_RECURSIVE", 33),
    }
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema"})
# Pragmas that take an argument and still only read.
_READING_PRAGMAS_WITH_ARGUMENT = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)
# Pragmas that change something even without an argument.
_WRITING_PRAGMAS_WITHOUT_ARGUMENT = frozenset(
    {"optimize", "shrink_memory", "wal_checkpoint", "incremental_vacuum"}
)

READ_ONLY_MESSAGE = "query endpoint is read-only; use execute"

#: How long one statement may run (seconds) before the fake stops it: a runaway
#: recursive CTE would otherwise hold its store, and the caller, forever.
STATEMENT_TIME_LIMIT = 10.0
# SQLite calls the progress handler every this many virtual machine steps:
# short statements never reach it, a runaway one meets it many times a second.
_PROGRESS_STEPS = 10_000

# Python 3.10's sqlite3 reuses prepared statements even with cached_statements=0,
# and a reused statement never meets the authorizer again. There, every statement
# gets a unique trailing comment so it is always prepared (and checked) afresh.
_UNIQUE_SQL = sys.version_info < (3, 11)

# Authorizer modes.
_INTERNAL = "internal"
_QUERY = "query"
_EXECUTE = "execute"
_TRANSACTION_MESSAGE = (
    "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is not available: "
    "every call runs in its own transaction"
)
_ATTACH_MESSAGE = (
    "ATTACH and VACUUM INTO are not available: a store cannot reach other database files"
)


# Statements that leave SQLite's last_insert_rowid at 0 and change nothing else.
_RESET_ROWID = (
    "SAVEPOINT durable_stores_fake_rowid",
    "CREATE TEMP TABLE durable_stores_fake_rowid (x)",
    "INSERT INTO durable_stores_fake_rowid (rowid) VALUES (0)",
    "ROLLBACK TO durable_stores_fake_rowid",
    "RELEASE durable_stores_fake_rowid",
)


def _pragma_reads(name: str | None, argument: str | None) -> bool:
    lowered = (name or "").lower()
    if argument is None:
        return lowered not in _WRITING_PRAGMAS_WITHOUT_ARGUMENT
    return lowered in _READING_PRAGMAS_WITH_ARGUMENT


class SqliteEngine:
    """One store's SQLite database, serialized by a per-store lock.

    Args:
        database: A file path, or ``None`` for a private in-memory database.
        translate: Translate ``$1`` and ``%s`` placeholders (the postgres and
            mysql emulation).
        report_last_insert_rowid: Include ``last_insert_rowid`` in execute
            results (always for sqlite; the postgres emulation omits it).
        time_limit: Seconds one statement may run before it is stopped with
            an :class:`EngineError`.
    """

    def __init__(
        self,
        database: str | None,
        *,
        translate: bool = False,
        report_last_insert_rowid: bool = True,
        time_limit: float = STATEMENT_TIME_LIMIT,
    ) -> None:
        self._lock = threading.Lock()
        self._time_limit = time_limit
        self._time_limit_message = (
            f"the statement ran longer than the fake's limit of {time_limit:g} s and was stopped"
        )
        # Until when the running client statement may run; set while one runs.
        self._deadline = math.inf
        # Set by close() without the lock, so a running statement is interrupted.
        self._closing = False
        self._translate = translate
        self._report_rowid = report_last_insert_rowid
        self._denial: str | None = None
        self._inserted = False
        self._updated = False
        # sqlite3_last_insert_rowid after the previous execute: only execute can
        # insert, so this is the value a statement that inserts nothing leaves.
        self._last_rowid = 0
        self._vacuum = False
        self._statements = 0
        conn = sqlite3.connect(
            ":memory:" if database is None else database,
            timeout=5.0,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=0,
        )
        try:
            if database is not None:
                conn.execute("PRAGMA journal_mode=WAL").close()
                conn.execute("PRAGMA synchronous=NORMAL").close()
                conn.execute("PRAGMA busy_timeout=5000").close()
            conn.execute("PRAGMA foreign_keys=ON").close()
        except BaseException:
            conn.close()
            raise
        # One authorizer for the connection's lifetime, switched by mode (Python
        # 3.10 cannot remove an authorizer once set).
        self._mode = _INTERNAL
        conn.set_authorizer(self._authorize)
        conn.set_progress_handler(self._progress, _PROGRESS_STEPS)
        self._conn: sqlite3.Connection | None = conn

    def _progress(self) -> int:
        """SQLite's progress handler: non-zero interrupts the running statement."""
        if self._closing:
            return 1
        if time.monotonic() > self._deadline:
            self._denial = self._time_limit_message
            return 1
        return 0

    # -- authorizers ------------------------------------------------------

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
    ) -> int:
        mode = self._mode
        if mode is _QUERY:
            return self._authorize_query(action, arg1, arg2, db, trigger)
        if mode is _EXECUTE:
            return self._authorize_execute(action, arg1, arg2, db, trigger)
        return _OK  # the fake's own statements (pragmas, savepoints)

    def _authorize_query(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
    ) -> int:
        if action in _READ_ACTIONS:
            return _OK
        if action == sqlite3.SQLITE_PRAGMA and _pragma_reads(arg1, arg2):
            return _OK
        # Table-valued pragmas report schema-table "updates" while loading the schema;
        # real writes to the schema tables are refused by SQLite itself.
        if action == sqlite3.SQLITE_UPDATE and arg1 in _SCHEMA_TABLES:
            return _OK
        self._denial = READ_ONLY_MESSAGE
        return _DENY

    def _authorize_execute(
        self,
        action: int,
        arg1: str | None,
        _arg2: str | None,
        _db: str | None,
        _trigger: str | None,
    ) -> int:
        if action == sqlite3.SQLITE_INSERT:
            if arg1 not in _SCHEMA_TABLES:
                self._inserted = True
            return _OK
        if action == sqlite3.SQLITE_UPDATE:
            if arg1 not in _SCHEMA_TABLES:
                self._updated = True
            return _OK
        if action == sqlite3.SQLITE_ATTACH:
            if arg1 == "":  # VACUUM attaches a temporary database first
                self._vacuum = True
                return _OK
            self._denial = _ATTACH_MESSAGE
            return _DENY
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT) and not self._vacuum:
            self._denial = _TRANSACTION_MESSAGE
            return _DENY
        return _OK

    # -- operations -------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run a read-only statement and return the ``query`` payload."""
        prefix = "failed executing store query"
        bound = _bind(params, prefix)
        if self._translate:
            sql = translate_placeholders(sql)
        with self._lock:
            conn = self._open()
            sql, suffix = self._fresh(sql)
            self._denial = None
            self._mode = _QUERY
            self._deadline = time.monotonic() + self._time_limit
            try:
                cursor = conn.execute(sql, bound)
                try:
                    description = cursor.description
                    raw = fetch_bounded(cursor, prefix)
                finally:
                    cursor.close()
            except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError) as exc:
                raise self._engine_error(prefix, exc, suffix) from None
            finally:
                self._mode = _INTERNAL
                self._deadline = math.inf
                self._rollback_stray_transaction(conn)
        if description is None:
            return {"columns": [], "rows": [], "row_count": 0}
        # Python 3.10: SQLite names an unaliased last column after its text, up to the end
        # of the statement, so the unique comment would end its name.
        columns = [d[0].removesuffix(suffix) if suffix else d[0] for d in description]
        rows = [dict(zip(columns, _to_json_row(row), strict=False)) for row in raw]
        return {"columns": columns, "rows": rows, "row_count": len(rows)}

    def execute(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run a statement that returns no rows and return the ``execute`` payload."""
        prefix = "failed executing store statement"
        bound = _bind(params, prefix)
        if self._translate:
            sql = translate_placeholders(sql)
        lowered = sql.lower()
        # Only a statement that might both write and return rows needs the savepoint.
        guarded = "returning" in lowered
        # An upsert that inserts may reuse the previous insert's rowid (after that row
        # was deleted, or rolled back): start from 0 so an insert always shows.
        upsert = "conflict" in lowered
        with self._lock:
            conn = self._open()
            sql, suffix = self._fresh(sql)
            self._denial = None
            self._inserted = False
            self._updated = False
            self._vacuum = False
            if upsert and self._last_rowid:
                self._reset_last_rowid(conn)
            if guarded:
                conn.execute("SAVEPOINT durable_stores_fake").close()
            changes_before = conn.total_changes
            self._mode = _EXECUTE
            self._deadline = time.monotonic() + self._time_limit
            try:
                try:
                    cursor = conn.execute(sql, bound)
                finally:
                    self._mode = _INTERNAL
                    self._deadline = math.inf
                try:
                    returns_rows = cursor.description is not None
                    rows_affected = cursor.rowcount
                    last_rowid = cursor.lastrowid
                finally:
                    cursor.close()
                if rows_affected < 0 and conn.total_changes != changes_before:
                    # sqlite3 reports -1 for DML it does not recognise (WITH ... INSERT):
                    # changes() holds the statement's own count, triggers excluded.
                    rows_affected = conn.execute("SELECT changes()").fetchone()[0]
                if returns_rows:
                    raise EngineError(
                        f"{prefix}: execute does not accept statements that return rows; "
                        "use the query endpoint"
                    )
            except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError) as exc:
                if guarded:
                    self._undo(conn)
                self._reset_last_rowid(conn)
                raise self._engine_error(prefix, exc, suffix) from None
            except EngineError:
                if guarded:
                    self._undo(conn)
                self._reset_last_rowid(conn)
                raise
            if guarded:
                conn.execute("RELEASE durable_stores_fake").close()
            self._rollback_stray_transaction(conn)
            before, self._last_rowid = self._last_rowid, last_rowid or 0
            inserted = self._inserted and rows_affected > 0 and bool(last_rowid)
            if inserted and self._updated and last_rowid == before:
                # An upsert that only updated, or an UPDATE whose trigger inserted:
                # SQLite leaves the previous insert's rowid, but nothing was inserted.
                inserted = False
        result: dict[str, Any] = {"rows_affected": max(rows_affected, 0)}
        if self._report_rowid:
            result["last_insert_rowid"] = last_rowid if inserted else 0
        return result

    def close(self) -> None:
        """Close the database; later calls raise :class:`StoreClosed`.

        A statement running meanwhile is interrupted (its caller gets
        :class:`StoreClosed`), so closing never waits on it for long.
        """
        self._closing = True
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- helpers ----------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._conn is None or self._closing:
            raise StoreClosed
        return self._conn

    def _fresh(self, sql: str) -> tuple[str, str]:
        if not _UNIQUE_SQL:
            return sql, ""
        self._statements += 1
        suffix = f"\n/* durable-stores-fake {self._statements} */"
        return sql + suffix, suffix

    def _engine_error(
        self, prefix: str, exc: BaseException, suffix: str
    ) -> EngineError | StoreClosed:
        if self._closing:  # interrupted by close(): the store is gone
            return StoreClosed()
        if self._denial is not None:
            if self._denial is READ_ONLY_MESSAGE:
                return EngineError(READ_ONLY_MESSAGE)
            return EngineError(f"{prefix}: {self._denial}")
        text = str(exc).replace(suffix, "") if suffix else str(exc)
        if "one statement at a time" in text:
            return EngineError(f"{prefix}: only one SQL statement is allowed per call")
        return EngineError(f"{prefix}: {text}")

    def _reset_last_rowid(self, conn: sqlite3.Connection) -> None:
        """Set SQLite's ``last_insert_rowid`` to 0 (Python cannot call the C API for it).

        An insert sets it and a rollback keeps it, so a throwaway insert of rowid 0
        into a temporary table, rolled back with the table, leaves exactly 0.
        """
        try:
            for statement in _RESET_ROWID:
                conn.execute(statement).close()
        except sqlite3.Error:
            # Best effort (it touches only the temp schema): never turn the caller's
            # answer into a failure; leave no transaction open.
            with contextlib.suppress(sqlite3.Error):
                self._rollback_stray_transaction(conn)
            return
        self._last_rowid = 0

    @staticmethod
    def _undo(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK TO durable_stores_fake").close()
            conn.execute("RELEASE durable_stores_fake").close()

    @staticmethod
    def _rollback_stray_transaction(conn: sqlite3.Connection) -> None:
        # Transaction control is refused, so this only guards against surprises:
        # never leave a transaction open across calls.
        if conn.in_transaction:
            conn.execute("ROLLBACK").close()


def _bind(params: Sequence[Any], prefix: str) -> list[Any]:
    bound: list[Any] = []
    append = bound.append
    for index, value in enumerate(params, 1):
        kind = type(value)
        if kind is bool:
            append(int(value))
        elif kind is int:
            if value < _INT_MIN or value > _INT_MAX:
                raise EngineError(
                    f"{prefix}: parameter {index} is an integer outside SQLite's 64-bit range "
                    f"[{_INT_MIN}, {_INT_MAX}]; send it as a string"
                )
            append(value)
        elif kind is list or kind is dict:
            append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        else:
            append(value)
    return bound


def fetch_bounded(rows: Iterable[Sequence[Any]], prefix: str) -> list[Any]:
    """Every row, refused with the answer limit's 400 as soon as they would exceed it.

    Counted as the rows arrive (a text or blob by its length, base64 included; an
    array or object by its members; any other value as 8 bytes), so an oversized
    result never sits whole in memory. The real SQL engines count their streamed
    rows here too.
    """
    kept: list[Any] = []
    size = 0
    for row in rows:
        size += sum(_value_size(value) for value in row)
        if size > MAX_ANSWER_BYTES:
            raise EngineError(f"{prefix}: {ANSWER_TOO_LARGE}")
        kept.append(row)
    return kept


def _value_size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return 8 + len(value)
    if kind is bytes:
        return 8 + len(value) * 4 // 3
    if kind is list:
        return 8 + sum(_value_size(item) for item in value)
    if kind is dict:
        return 8 + sum(_value_size(key) + _value_size(item) for key, item in value.items())
    return 8


def _to_json_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    for value in row:
        kind = type(value)
        if kind is bytes or (kind is float and not math.isfinite(value)):
            return tuple(_to_json_value(item) for item in row)
    return row


def _to_json_value(value: Any) -> Any:
    if type(value) is bytes:
        return base64.b64encode(value).decode("ascii")
    if type(value) is float and not math.isfinite(value):
        return None
    return value
