"""The real engines: PostgreSQL (embedded and by URL), MySQL and Redis by URL.

What a client sees (values, binding, refusals) goes through `FakeServer` and `Client`.
The rest reaches inside, because nothing public shows it: a host's own databases and
their prefix, dropping them on close, the raw driver types a profile post-processes,
an engine's time limit, and a server with no logical database left.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from assertions import exactly
from engine_servers import (
    MYSQL_URL_VAR,
    POSTGRES_TARGETS,
    REDIS_URL_VAR,
    embedded_or_skip,
    postgres_url_for,
    url_or_skip,
)
from waiting import wait_for

from durable_stores_client import BadRequestError, Client
from durable_stores_client.fake import FakeServer
from durable_stores_client.fake._engines import EngineError, StoreClosed
from durable_stores_client.fake._engines.mysql import MysqlEngine, MysqlHost, connect_options
from durable_stores_client.fake._engines.postgres import (
    PostgresEngine,
    PostgresHost,
    _remove_abandoned_clusters,
)
from durable_stores_client.fake._engines.redis_server import RedisHost, RedisServerEngine

pytestmark = pytest.mark.slow  # real database servers (the embedded PostgreSQL starts once)


@attrs.frozen
class SqlStore:
    """A store on a fake, answering each call's payload as the contract words it."""

    client: Client
    id: str

    def query(self, sql: str, params: list[Any]) -> dict[str, Any]:
        result = self.client.query_store(self.id, sql=sql, params=params)
        return {"columns": list(result.columns), "rows": list(result.rows),
                "row_count": result.row_count}  # fmt: skip

    def execute(self, sql: str, params: list[Any]) -> dict[str, Any]:
        result = self.client.execute_store(self.id, sql=sql, params=params)
        payload = {"rows_affected": result.rows_affected}
        if result.last_insert_rowid is not None:
            payload["last_insert_rowid"] = result.last_insert_rowid
        return payload

    def refusal(self, call: str, sql: str, params: list[Any] | None = None) -> str:
        """The 400's message for ``call`` (query or execute) of ``sql``."""
        with pytest.raises(BadRequestError) as caught:
            getattr(self, call)(sql, params or [])
        return caught.value.message


@contextlib.contextmanager
def _sql_store(kind: str, **urls: str | None) -> Iterator[SqlStore]:
    fake = FakeServer(**urls)  # type: ignore[arg-type]
    try:
        with fake.client(max_retries=0) as client:
            yield SqlStore(client, client.create_store(name=kind, kind=kind).id)
    finally:
        fake.reset()


@pytest.fixture(params=POSTGRES_TARGETS)
def pg_store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    with _sql_store("postgres", postgres_url=postgres_url_for(request.param)) as store:
        yield store


@pytest.fixture
def my_store() -> Iterator[SqlStore]:
    with _sql_store("mysql", mysql_url=url_or_skip(MYSQL_URL_VAR)) as store:
        yield store


# -- PostgreSQL -------------------------------------------------------------


HostT = TypeVar("HostT", PostgresHost, MysqlHost)
EngineT = TypeVar("EngineT", PostgresEngine, MysqlEngine)


def _leaving_nothing(host: HostT) -> Iterator[HostT]:
    """A fixture's host, checked afterwards to hold no database of the test's."""
    yield host
    assert host.owned == frozenset(), "a test left a database behind"


def _closed_after(engine: EngineT) -> Iterator[EngineT]:
    """A fixture's engine, closed afterwards."""
    yield engine
    engine.close()


@pytest.fixture(params=POSTGRES_TARGETS)
def pg_host(request: pytest.FixtureRequest) -> Iterator[PostgresHost]:
    yield from _leaving_nothing(PostgresHost(postgres_url_for(request.param)))


@pytest.fixture
def pg(pg_host: PostgresHost) -> Iterator[PostgresEngine]:
    yield from _closed_after(PostgresEngine(pg_host))


def test_postgres_values_map_as_the_contract_face_says(pg_store: SqlStore) -> None:
    pg = pg_store
    pg.execute(
        "CREATE TABLE items (id SERIAL PRIMARY KEY, price NUMERIC(8,2), seen TIMESTAMPTZ,"
        " day DATE, tags TEXT[], meta JSONB, raw BYTEA, ref UUID, ok BOOLEAN, ratio FLOAT8)",
        [],
    )
    result = pg.execute(
        "INSERT INTO items (price, seen, day, tags, meta, raw, ref, ok, ratio) VALUES "
        "($1, '2026-02-16 10:00:00+02', '2026-02-16', ARRAY['a','b'], $2, '\\x00ff',"
        " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', $3, $4)",
        ["300.00", {"k": [1, None]}, True, 0.5],
    )
    assert result == {"rows_affected": 1}  # no last_insert_rowid for postgres
    payload = pg.query("SELECT *, count(*) OVER () FROM items", [])
    assert payload["columns"] == [
        "id", "price", "seen", "day", "tags", "meta", "raw", "ref", "ok", "ratio", "count"
    ]  # fmt: skip
    assert payload["rows"] == [
        {
            "id": 1,
            "price": "300.00",
            "seen": "2026-02-16T08:00:00+00:00",
            "day": "2026-02-16",
            "tags": ["a", "b"],
            "meta": {"k": [1, None]},
            "raw": "AP8=",
            "ref": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "ok": True,
            "ratio": 0.5,
            "count": 1,
        }
    ]
    # Columns come from the statement, also without rows.
    empty = pg.query("SELECT id, price FROM items WHERE false", [])
    assert empty == {"columns": ["id", "price"], "rows": [], "row_count": 0}


def test_postgres_raw_results_keep_the_engine_s_types(pg: PostgresEngine) -> None:
    # The raw result keeps the engine's types for a profile to post-process.
    pg.execute("CREATE TABLE items (price NUMERIC(8,2), tags TEXT[])", [])
    assert pg.query_result("SELECT price, tags FROM items", []).types == ["numeric", "text[]"]


def test_postgres_binds_dollar_params_for_real(pg_store: SqlStore) -> None:
    rows = pg_store.query(
        "SELECT $2::text AS b, $1 + 1 AS n, $1 AS again, $3 AS f, $4 AS t, $5 AS j, '50%' AS p",
        [41, "second", 1.5, False, [1, "x"]],
    )["rows"]
    assert rows == [
        {"b": "second", "n": 42, "again": 41, "f": 1.5, "t": False, "j": [1, "x"], "p": "50%"}
    ]
    assert pg_store.refusal("query", "SELECT $1", [2**70]).startswith(
        "postgres query failed: parameter 1 is an integer"
    )
    # Other styles are not PostgreSQL's: the server says so.
    assert pg_store.refusal("query", "SELECT %s", [1]).startswith(
        "postgres query failed: syntax error"
    )


def test_postgres_query_is_read_only_and_execute_refuses_rows(pg_store: SqlStore) -> None:
    pg_store.execute("CREATE TABLE t (id INT)", [])
    assert pg_store.refusal("query", "INSERT INTO t VALUES (1)") == (
        "query endpoint is read-only; use execute"
    )
    assert "read-only" in pg_store.refusal("query", "CREATE TABLE u (id INT)")
    assert "execute does not accept statements that return rows" in pg_store.refusal(
        "execute", "INSERT INTO t VALUES (2) RETURNING id"
    )
    assert "only one SQL statement is allowed per call" in pg_store.refusal(
        "execute", "INSERT INTO t VALUES (3); INSERT INTO t VALUES (4)"
    )
    # Nothing of the refused calls stayed.
    assert pg_store.query("SELECT count(*) AS n FROM t", [])["rows"] == [{"n": 0}]
    assert pg_store.refusal("query", "SELECT * FROM nope") == (
        'postgres query failed: relation "nope" does not exist'
    )


def test_postgres_statements_stop_at_the_time_limit(pg_host: PostgresHost) -> None:
    engine = PostgresEngine(pg_host, time_limit=0.2)
    try:
        engine.execute("SET statement_timeout = 0", [])  # cannot outlive its own call
        with pytest.raises(EngineError, match=r"limit of 0\.2 s and was stopped"):
            engine.query("SELECT pg_sleep(5)", [])
        assert engine.query("SELECT 1 AS one", [])["rows"] == [{"one": 1}]
    finally:
        engine.close()


def test_postgres_close_drops_the_database_and_interrupts_a_running_call(
    pg_host: PostgresHost,
) -> None:
    engine = PostgresEngine(pg_host)
    engine.execute("CREATE TABLE t (id INT)", [])
    (name,) = pg_host.owned
    started = threading.Event()
    outcome: list[BaseException] = []

    def slow() -> None:
        started.set()
        try:
            engine.query("SELECT pg_sleep(30)", [])
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    started.wait()
    # Wait until the statement really runs on the server, then close.
    other = PostgresEngine(pg_host)
    try:
        wait_for(
            lambda: other.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'", []
            )["rows"][0]["n"],
            what="the statement to run on the server",
        )
        engine.close()
        worker.join(10)
        assert not worker.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], StoreClosed)
        assert name not in pg_host.owned
        with pytest.raises(StoreClosed):
            engine.query("SELECT 1", [])
        assert pg_host.settle()  # the embedded cluster drops in the background
        databases = other.query("SELECT datname FROM pg_database WHERE datname = $1", [name])
        assert databases["rows"] == []
    finally:
        other.close()


def test_postgres_databases_carry_the_fake_s_own_prefix(pg_host: PostgresHost) -> None:
    other = PostgresHost(pg_host.url)
    assert other.prefix != pg_host.prefix
    assert other.prefix.startswith("dsf_")
    engine = PostgresEngine(pg_host)
    try:
        assert pg_host.owned == frozenset()  # nothing is made before the first call
        engine.query("SELECT 1", [])
        (name,) = pg_host.owned
        # The embedded cluster is private to the process: its ready databases share a prefix.
        assert name.startswith(pg_host.prefix if pg_host.url else "dsf_embedded_")
        assert engine.query("SELECT current_database() AS db", [])["rows"] == [{"db": name}]
    finally:
        engine.close()


# -- MySQL --------------------------------------------------------------------


@pytest.fixture
def my_host() -> Iterator[MysqlHost]:
    yield from _leaving_nothing(MysqlHost(url_or_skip(MYSQL_URL_VAR)))


@pytest.fixture
def my(my_host: MysqlHost) -> Iterator[MysqlEngine]:
    yield from _closed_after(MysqlEngine(my_host))


def test_mysql_counts_found_rows_and_last_insert_id(my_store: SqlStore) -> None:
    my = my_store
    my.execute(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) UNIQUE, n INT)", []
    )
    assert my.execute("INSERT INTO t (name, n) VALUES (?, ?), (?, ?)", ["a", 1, "b", 2]) == {
        "rows_affected": 2,
        "last_insert_rowid": 1,
    }
    # CLIENT_FOUND_ROWS: an UPDATE that matches a row counts it, changed or not.
    assert my.execute("UPDATE t SET n = n WHERE id = ?", [1])["rows_affected"] == 1
    assert my.execute("REPLACE INTO t (id, name, n) VALUES (2, 'b', 5)", [])["rows_affected"] == 2
    upsert = my.execute(
        "INSERT INTO t (name, n) VALUES ('a', 9) ON DUPLICATE KEY UPDATE n = VALUES(n)", []
    )
    assert upsert["rows_affected"] == 2
    my.execute("CREATE TABLE plain (x INT)", [])
    assert my.execute("INSERT INTO plain VALUES (1)", []) == {
        "rows_affected": 1,
        "last_insert_rowid": 0,
    }


def test_mysql_values_map_as_the_contract_face_says(my_store: SqlStore) -> None:
    my = my_store
    my.execute(
        "CREATE TABLE v (d DECIMAL(6,2), dt DATETIME, da DATE, j JSON, b BLOB, flag TINYINT,"
        " f DOUBLE, tm TIME)",
        [],
    )
    my.execute(
        "INSERT INTO v VALUES (?, '2026-02-16 10:00:00', '2026-02-16', ?, x'00ff', ?, ?,"
        " '01:02:03')",
        ["19.50", {"a": 1}, True, 0.25],
    )
    payload = my.query("SELECT v.*, count(*) FROM v", [])
    assert payload["rows"] == [
        {
            "d": "19.50",
            "dt": "2026-02-16 10:00:00",
            "da": "2026-02-16",
            "j": '{"a":1}',
            "b": "AP8=",
            "flag": 1,
            "f": 0.25,
            "tm": "01:02:03",
            "count(*)": 1,
        }
    ]
    assert my.query("SELECT d FROM v WHERE 1 = 0", [])["columns"] == ["d"]


def test_mysql_raw_results_keep_the_engine_s_types(my: MysqlEngine) -> None:
    my.execute("CREATE TABLE v (d DECIMAL(6,2))", [])
    assert my.query_result("SELECT d FROM v", []).types == ["NEWDECIMAL"]


def test_mysql_query_is_read_only_and_one_statement(my_store: SqlStore) -> None:
    my_store.execute("CREATE TABLE t (id INT)", [])
    for sql in ["INSERT INTO t VALUES (1)", "CREATE TABLE u (id INT)", "DROP TABLE t"]:
        assert my_store.refusal("query", sql) == "query endpoint is read-only; use execute"
    assert "execute does not accept statements that return rows" in my_store.refusal(
        "execute", "SELECT * FROM t"
    )
    assert my_store.refusal(
        "execute", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"
    ).startswith("mysql execute failed: You have an error")
    assert re.search(
        r"has 1 \? placeholder\(s\) but 2 param\(s\)", my_store.refusal("query", "SELECT ?", [1, 2])
    )
    assert my_store.query("SELECT count(*) AS n, '?%' AS q FROM t WHERE id > ?", [0])["rows"] == [
        {"n": 0, "q": "?%"}
    ]


def test_mysql_statements_stop_at_the_time_limit(my_host: MysqlHost) -> None:
    engine = MysqlEngine(my_host, time_limit=0.3)
    try:
        with pytest.raises(EngineError, match=r"limit of 0\.3 s and was stopped"):
            engine.execute("DO SLEEP(5)", [])
        assert engine.query("SELECT 1 AS one", [])["rows"] == [{"one": 1}]
    finally:
        engine.close()


def test_mysql_url_parsing() -> None:
    assert connect_options("mysql://me:p%40ss@db.example:3307/app") == {
        "host": "db.example",
        "port": 3307,
        "user": "me",
        "password": "p@ss",
        "database": "app",
    }
    with pytest.raises(
        ValueError,
        match=exactly("mysql_url must start with mysql:// (mysql://user:password@host:port/db)"),
    ):
        connect_options("postgresql://x")


# -- Redis ----------------------------------------------------------------------


def test_redis_stores_lease_databases_of_their_own() -> None:
    host = RedisHost(url_or_skip(REDIS_URL_VAR))
    first, second = RedisServerEngine(host), RedisServerEngine(host)
    try:
        assert first.command(["SET", "k", "one"]) == {"result": "OK"}
        assert second.command(["GET", "k"]) == {"result": None}
        assert first.command(["HSET", "h", "f", "1"]) == {"result": 1}
        assert first.command(["HGETALL", "h"]) == {"result": {"f": "1"}}
        for command in (["FLUSHALL"], ["SWAPDB", "0", "1"], ["MOVE", "k", "3"], ["SELECT", "2"]):
            with pytest.raises(EngineError, match=r"^failed executing store command: "):
                first.command(command)
    finally:
        first.close()
    # Closing flushed and gave back the database: the next store starts empty.
    third = RedisServerEngine(host)
    try:
        assert third.command(["DBSIZE"]) == {"result": 0}
    finally:
        third.close()
        second.close()
    with pytest.raises(StoreClosed):
        first.command(["PING"])


def test_redis_says_when_no_database_is_free() -> None:
    host = RedisHost(url_or_skip(REDIS_URL_VAR))
    engines: list[RedisServerEngine] = []
    try:
        refusal = None
        for _ in range(64):
            engine = RedisServerEngine(host)
            engines.append(engine)
            try:
                engine.command(["PING"])
            except EngineError as exc:
                refusal = str(exc)
                break
        assert refusal is not None
        assert "no free logical database" in refusal
        assert len(engines) > 1  # the ones before got their own
    finally:
        for engine in engines:
            engine.close()
    again = RedisServerEngine(host)
    try:
        assert again.command(["PING"]) == {"result": "PONG"}
    finally:
        again.close()


def test_a_killed_process_s_embedded_cluster_is_removed_by_the_next_start() -> None:
    embedded_or_skip()
    child = """
import os, sys
from durable_stores_client.fake._engines.postgres import (
    PostgresEngine,
    PostgresHost,
    _remove_abandoned_clusters,
)
engine = PostgresEngine(PostgresHost())
engine.query("SELECT 1", [])
from durable_stores_client.fake._engines.postgres import EmbeddedCluster
print(EmbeddedCluster.admin_uri().split("host=")[1], flush=True)
os._exit(0)  # as a kill would: no exit hooks, the server keeps running
"""
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=True
    )
    data = Path(done.stdout.strip())
    server = int((data / "postmaster.pid").read_text().split()[0])
    assert data.exists()
    _remove_abandoned_clusters()
    assert not data.parent.exists()
    wait_for(lambda: not _runs(server), what=f"the abandoned server {server} to stop (SIGQUIT)")


def _runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
