"""MySQL stores on a real MySQL or MariaDB server given by URL (PyMySQL).

- :class:`MysqlHost`: one fake's databases on the server: one database per
  store, created on the store's first call, dropped on delete and ``reset()``.
- :class:`MysqlEngine`: one store. MySQL's ``?`` placeholders are bound by
  PyMySQL (str, int, float, bool as 1/0, NULL; arrays and objects as their
  JSON text). The connection counts found rows (``CLIENT_FOUND_ROWS``: an
  UPDATE that matches a row counts it, a REPLACE over a row counts 2) and
  refuses several statements in one call. ``query`` runs in a READ ONLY
  session (a READ ONLY transaction alone lets DDL through: it commits
  implicitly), so the server itself refuses writes, and reads its rows
  unbuffered (``SSCursor``), so an answer over the fake's limit is stopped
  after about that many bytes (KILL QUERY, and the rows already sent are read
  and dropped); ``execute`` rolls back and refuses a statement that returns rows.
  A statement running longer than 10 s is stopped with ``KILL QUERY`` from a second connection.

PyMySQL is imported on first use only. Without a server (no ``mysql_url``)
mysql stores are emulated on SQLite instead (see ``emulation.py``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from . import EngineError
from ._hosts import DatabaseHost
from ._placeholders import count_qmarks, qmark_to_format
from ._server_sql import ServerSqlEngine
from .sqlite import READ_ONLY_MESSAGE, STATEMENT_TIME_LIMIT

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Mapping, Sequence

INSTALL_MYSQL = 'pip install "durable-stores-client[mysql]"'

_READ_ONLY_ERROR = 1792  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
_INTERRUPTED = 1317  # ER_QUERY_INTERRUPTED


def _pymysql() -> Any:
    try:
        return importlib.import_module("pymysql")
    except ImportError:
        raise EngineError(f"mysql stores on a real server need PyMySQL: {INSTALL_MYSQL}") from None


def connect_options(url: str) -> dict[str, Any]:
    """PyMySQL connection options from a ``mysql://user:password@host:port/db`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise ValueError("mysql_url must start with mysql:// (mysql://user:password@host:port/db)")
    options: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username) if parts.username else "root",
    }
    if parts.password is not None:
        options["password"] = unquote(parts.password)
    database = parts.path.lstrip("/")
    if database:
        options["database"] = unquote(database)
    return options


def _connect(pymysql: Any, options: Mapping[str, Any]) -> Any:
    constants = importlib.import_module("pymysql.constants.CLIENT")
    return pymysql.connect(
        **options,
        autocommit=True,
        charset="utf8mb4",
        client_flag=constants.FOUND_ROWS,
        connect_timeout=10,
    )


class MysqlHost(DatabaseHost):
    """One fake's databases on a MySQL or MariaDB server given by URL."""

    engine = "mysql"

    def __init__(self, url: str) -> None:
        self.options = connect_options(url)
        super().__init__()

    def _admin_target(self) -> Any:
        return self.options

    def store_options(self, database: str) -> dict[str, Any]:
        """Connection options for one of this host's databases."""
        return {**self.options, "database": database}

    @classmethod
    def _open_admin(cls, target: Any) -> Any:
        return _connect(_pymysql(), target)

    @classmethod
    def _run_admin(cls, conn: Any, statement: str) -> None:
        with conn.cursor() as cursor:
            cursor.execute(statement)

    @classmethod
    def _broken(cls) -> type[Exception]:
        error: type[Exception] = _pymysql().OperationalError
        return error

    def _create_statement(self, name: str) -> str:
        return f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"

    @classmethod
    def _drop_statement(cls, name: str) -> str:
        return f"DROP DATABASE IF EXISTS `{name}`"


def _bind(params: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if type(value) is list or type(value) is dict
        else value
        for value in params
    )


def _type_names(description: Any) -> list[str]:
    field_type = importlib.import_module("pymysql.constants.FIELD_TYPE")
    names = {
        value: name
        for name, value in vars(field_type).items()
        if name.isupper() and isinstance(value, int)
    }
    return [names.get(column[1], str(column[1])) for column in description]


class MysqlEngine(ServerSqlEngine):
    """One mysql store: a database on a host, or (``connect_configs``) a server of its own.

    Args:
        host: Where the store's database is made (on first use) and dropped.
        options: Instead of ``host``: PyMySQL options of the store's own
            server, never created nor dropped (the opt-in ``connect_configs`` mode).
        time_limit: Seconds one statement may run before KILL QUERY stops it.
    """

    kind = "mysql"

    def __init__(
        self,
        host: MysqlHost | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        time_limit: float = STATEMENT_TIME_LIMIT,
    ) -> None:
        super().__init__(host, dict(options) if options is not None else None, time_limit)
        self._my_host = host
        self._killed = False

    def _driver_error(self) -> type[Exception]:
        error: type[Exception] = _pymysql().MySQLError
        return error

    def _alive(self, conn: Any) -> bool:
        return bool(conn.open)

    def _database_target(self, database: str) -> Any:
        assert self._my_host is not None
        return self._my_host.store_options(database)

    def _connect(self, target: Any) -> Any:
        return _connect(_pymysql(), target)

    def _interrupt(self, conn: Any) -> None:
        if conn.open:
            self._kill(conn.thread_id())

    def _start(self, conn: Any, *, read_only: bool) -> None:
        if read_only:
            # Session-wide: DDL, which commits implicitly, escapes a READ ONLY
            # transaction but not a read-only session.
            conn.query("SET SESSION TRANSACTION READ ONLY")
        else:
            conn.query("SET SESSION TRANSACTION READ WRITE")
            conn.query("START TRANSACTION")

    def _stream(
        self, conn: Any, sql: str, params: Sequence[Any], step: str
    ) -> tuple[Any, Generator[Sequence[Any], None, None]]:
        cursor = conn.cursor(importlib.import_module("pymysql.cursors").SSCursor)
        return cursor, self._streamed_rows(conn, cursor, sql, params, step)

    def _streamed_rows(
        self, conn: Any, cursor: Any, sql: str, params: Sequence[Any], step: str
    ) -> Generator[Sequence[Any], None, None]:
        """The rows of an unbuffered result, read under the time limit as they are taken.

        Closed before its end (the answer limit), the rest of the statement is
        stopped with KILL QUERY and what the server had already sent is read and
        dropped, so the connection is ready for the next statement.
        """
        try:
            with self._time_limited(conn, step):
                self._send(cursor, sql, params, step)
                yield from cursor.fetchall_unbuffered()  # one row read at a time
        except GeneratorExit:
            self._kill(conn.thread_id())
            with contextlib.suppress(self._driver_error()):
                cursor.close()  # reads to the end: the kill's error, or the last row
            raise

    def _send(self, cursor: Any, sql: str, params: Sequence[Any], step: str) -> None:
        expected = count_qmarks(sql)
        if expected != len(params):
            raise EngineError(
                f"{step}: the statement has {expected} ? placeholder(s) "
                f"but {len(params)} param(s) were given"
            )
        if params:
            cursor.execute(qmark_to_format(sql), _bind(params))
        else:
            cursor.execute(sql)

    @contextlib.contextmanager
    def _time_limited(self, conn: Any, step: str) -> Iterator[None]:
        """Stop the statement with KILL QUERY once it has run longer than the time limit."""
        killer = threading.Timer(self._time_limit, self._kill, (conn.thread_id(),))
        killer.daemon = True
        self._killed = False
        killer.start()
        try:
            yield
        finally:
            killer.cancel()
        if self._killed:  # SLEEP() and the like end quietly when killed
            raise self._time_limit_error(step)

    def _kill(self, thread_id: int) -> None:
        """Stop the running statement from a second connection (the time limit)."""
        options = dict(self._target or self._database_target(self._database or ""))
        options.pop("database", None)
        with contextlib.suppress(Exception):
            killer = _connect(_pymysql(), options)
            try:
                self._killed = True
                with killer.cursor() as cursor:
                    cursor.execute(f"KILL QUERY {int(thread_id)}")
            finally:
                killer.close()

    def _end(self, conn: Any, *, commit: bool) -> None:
        if commit:
            conn.commit()
        else:
            conn.rollback()

    def _columns(self, conn: Any, description: Any) -> tuple[list[str], list[str]]:
        return [c[0] for c in description], _type_names(description)

    def _execute_payload(self, cursor: Any) -> dict[str, Any]:
        return {
            "rows_affected": max(cursor.rowcount, 0),
            "last_insert_rowid": cursor.lastrowid or 0,
        }

    def _known_error(self, step: str, exc: Exception) -> EngineError | None:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code == _READ_ONLY_ERROR:
            return EngineError(READ_ONLY_MESSAGE)
        if code == _INTERRUPTED and self._killed:
            return self._time_limit_error(step)
        return None

    def _detail(self, exc: Exception) -> str:
        return _detail(exc)


def _detail(exc: BaseException) -> str:
    if len(exc.args) >= 2 and isinstance(exc.args[1], str):
        return exc.args[1]
    return str(exc) or type(exc).__name__


def engine_from_config(config: Mapping[str, Any]) -> MysqlEngine:
    """A store on the server its config names, connecting as agentkernel does."""
    options: dict[str, Any] = {
        "host": str(config.get("host", "127.0.0.1")),
        "port": int(config.get("port", 3306)),
        "user": str(config.get("user", "root")),
        "database": str(config.get("dbname", "mysql")),
    }
    if config.get("password") is not None:
        options["password"] = str(config["password"])
    return MysqlEngine(options=options)
