"""The real engines behind the fake: FakeServer's URL arguments, connect_configs, CLI, plugin."""

from __future__ import annotations

import contextlib
import secrets
import urllib.parse
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from assertions import exactly
from cli_support import durable_stores
from engine_servers import (
    MYSQL_URL_VAR,
    POSTGRES_TARGETS,
    POSTGRES_URL_VAR,
    REDIS_URL_VAR,
    postgres_url_for,
    url_or_skip,
)

from durable_stores_client import BadRequestError, Client
from durable_stores_client.fake import FakeServer

pytest_plugins = ["pytester"]


@pytest.fixture(params=POSTGRES_TARGETS)
def pg_url(request: pytest.FixtureRequest) -> str | None:
    """The PostgreSQL server's URL, or None for the embedded one."""
    return postgres_url_for(request.param)


@pytest.fixture
def pg_fake(pg_url: str | None) -> Iterator[FakeServer]:
    fake = FakeServer(postgres_url=pg_url)
    yield fake
    fake.reset()


def _database_of(client: Client, store_id: str, kind: str) -> str:
    """The name of the database a SQL store runs on, as the store itself says."""
    sql = "SELECT current_database()" if kind == "postgres" else "SELECT DATABASE()"
    name = client.query_store(store_id, sql=sql).scalar()
    assert isinstance(name, str)
    return name


@contextlib.contextmanager
def _server(url: str) -> Iterator[Any]:
    """A connection of the test's own to the server at ``url`` (autocommit), not the fake's."""
    if url.startswith("mysql://"):
        pymysql = pytest.importorskip("pymysql")
        parts = urllib.parse.urlsplit(url)
        conn = pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or ""),
            password=unquote(parts.password or ""), autocommit=True,
        )  # fmt: skip
        try:
            yield conn.cursor()
        finally:
            conn.close()
    else:
        psycopg = pytest.importorskip("psycopg")
        with psycopg.connect(url, autocommit=True) as conn:
            yield conn


def _exists(url: str, database: str) -> bool:
    """Whether ``database`` exists on the server at ``url``, asked of the server."""
    with _server(url) as server:
        if url.startswith("mysql://"):
            server.execute("SHOW DATABASES LIKE %s", [database])
            return server.fetchone() is not None
        found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return found.fetchone() is not None


@contextlib.contextmanager
def _database_of_the_test(url: str) -> Iterator[str]:
    """A database the test makes itself on the server (a fake must leave it alone)."""
    name = f"wiring_{secrets.token_hex(6)}"
    with _server(url) as server:
        server.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with _server(url) as server:
            server.execute(f"DROP DATABASE {name}")


def test_a_postgres_store_runs_postgres_and_its_database_goes_with_it(
    pg_fake: FakeServer, pg_url: str | None
) -> None:
    with pg_fake.client() as client:
        store = client.create_store(name="pg", kind="postgres")
        client.execute_store(
            store.id,
            sql="CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL, "
            "at TIMESTAMPTZ NOT NULL DEFAULT '2026-02-16T10:00:00Z')",
        )
        client.execute_store(store.id, sql="INSERT INTO notes (body) VALUES ($1)", params=["hi"])
        updated = client.execute_store(
            store.id, sql="UPDATE notes SET body = $1 WHERE id = $2", params=["HI", 1]
        )
        assert updated.rows_affected == 1
        result = client.query_store(
            store.id, sql="SELECT id, body, at, count(*) OVER () FROM notes WHERE body ILIKE $1",
            params=["h%"],
        )  # fmt: skip
        assert result.columns == ["id", "body", "at", "count"]
        assert list(result.rows) == [
            {"id": 1, "body": "HI", "at": "2026-02-16T10:00:00+00:00", "count": 1}
        ]
        with pytest.raises(BadRequestError, match="query endpoint is read-only; use execute"):
            client.query_store(store.id, sql="DELETE FROM notes")
        database = _database_of(client, store.id, "postgres")
        client.delete_store(store.id)
    # Asked of the server itself; the embedded cluster drops in the background, and its
    # drop on close is test_fake_real_engines.py's.
    if pg_url is not None:
        assert not _exists(pg_url, database)


def test_reset_drops_only_this_fake_s_databases(pg_fake: FakeServer, pg_url: str | None) -> None:
    other = FakeServer(postgres_url=pg_url)
    try:
        with pg_fake.client() as mine, other.client() as theirs:
            first = mine.create_store(name="a", kind="postgres")
            second = theirs.create_store(name="a", kind="postgres")
            mine.execute_store(first.id, sql="CREATE TABLE t (x INT)")
            theirs.execute_store(second.id, sql="CREATE TABLE t (x INT)")
            database = _database_of(mine, first.id, "postgres")
            pg_fake.reset()
            assert theirs.query_store(second.id, sql="SELECT count(*) FROM t").scalar() == 0
        if pg_url is not None:  # the embedded cluster drops in the background
            assert not _exists(pg_url, database)
    finally:
        other.reset()


def test_mysql_and_redis_stores_run_on_the_servers_given() -> None:
    mysql_url = url_or_skip(MYSQL_URL_VAR)
    fake = FakeServer(mysql_url=mysql_url, redis_url=url_or_skip(REDIS_URL_VAR))
    try:
        with fake.client() as client:
            my = client.create_store(name="my", kind="mysql")
            database = _database_of(client, my.id, "mysql")
            client.execute_store(
                my.id, sql="CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, n DECIMAL(5,2))"
            )
            inserted = client.execute_store(
                my.id, sql="INSERT INTO t (n) VALUES (?) ON DUPLICATE KEY UPDATE n = n",
                params=["1.50"],
            )  # fmt: skip
            assert (inserted.rows_affected, inserted.last_insert_rowid) == (1, 1)
            assert list(client.query_store(my.id, sql="SELECT id, n FROM t").rows) == [
                {"id": 1, "n": "1.50"}
            ]
            cache = client.create_store(name="cache", kind="redis")
            assert client.command_store(cache.id, command=["INCR", "hits"]).result == 1
            refusal = (
                f"command_store failed: POST /stores/{cache.id}/command -> HTTP 400: failed "
                "executing store command: FLUSHALL reaches past the store's own database and "
                "is not available through the command endpoint"
            )
            with pytest.raises(BadRequestError, match=exactly(refusal)):
                client.command_store(cache.id, command=["FLUSHALL"])
    finally:
        fake.reset()
    assert not _exists(mysql_url, database)


def test_connect_configs_runs_a_store_on_the_server_its_config_names() -> None:
    url = url_or_skip(POSTGRES_URL_VAR)
    # A database the fake did not create: it must use it and leave it in place.
    with _database_of_the_test(url) as dbname:
        own = urllib.parse.urlsplit(url)._replace(path=f"/{dbname}").geturl()
        with _server(own) as setup:
            setup.execute("CREATE TABLE seen (x INT)")
            setup.execute("INSERT INTO seen VALUES (7)")
            fake = FakeServer(connect_configs=True, postgres_url=url)
            with fake.client() as client:
                store = client.create_store(
                    name="own",
                    kind="postgres",
                    config={"host": "127.0.0.1", "user": "postgres", "dbname": dbname},
                )
                assert client.query_store(store.id, sql="SELECT x FROM seen").scalar() == 7
                # A config naming no server still gets a database of the fake's own.
                plain = client.create_store(name="plain", kind="postgres", config={})
                client.execute_store(plain.id, sql="CREATE TABLE seen (x INT)")
                client.delete_store(store.id)
                fake.reset()
            assert setup.execute("SELECT x FROM seen").fetchall() == [(7,)]


def test_connect_configs_with_a_bad_config_is_a_400_naming_it() -> None:
    fake = FakeServer(connect_configs=True)
    with (
        fake.client() as client,
        pytest.raises(
            BadRequestError,
            match=exactly(
                "create_store failed: POST /stores -> HTTP 400: config does not name a usable "
                "redis server: invalid literal for int() with base 10: 'not-a-port'"
            ),
        ),
    ):
        client.create_store(name="x", kind="redis", config={"host": "h", "port": "not-a-port"})
    assert fake.stores == []


def test_connect_configs_mysql_store_uses_the_named_database() -> None:
    url = url_or_skip(MYSQL_URL_VAR)
    parts = urllib.parse.urlsplit(url)
    with _database_of_the_test(url) as dbname, _server(url) as setup:
        setup.execute(f"CREATE TABLE {dbname}.seen (x INT)")
        fake = FakeServer(connect_configs=True)
        with fake.client() as client:
            store = client.create_store(
                name="own",
                kind="mysql",
                config={"host": parts.hostname, "port": parts.port or 3306,
                        "user": unquote(parts.username or ""), "dbname": dbname},
            )  # fmt: skip
            client.execute_store(store.id, sql="INSERT INTO seen VALUES (?)", params=[3])
            fake.reset()
        setup.execute(f"SELECT x FROM {dbname}.seen")
        assert setup.fetchall() == ((3,),)


@pytest.mark.parametrize("kind", ["postgres", "mysql", "redis"])
def test_a_url_of_the_wrong_kind_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=f"{kind}_url must be a URL such as"):
        FakeServer(**{f"{kind}_url": "http://example"})


def test_fake_server_command_refuses_a_url_of_the_wrong_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert durable_stores(["fake-server", "--port", "0", "--mysql-url", "postgresql://x"]) == 2
    assert "mysql_url must be a URL such as mysql://" in capsys.readouterr().err


def test_plugin_reads_the_url_options_from_ini_and_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on ports 1 and 2: the error names the server the fake used.
    pytester.makeini(
        """
        [pytest]
        durable_stores_postgres_url = postgresql://nobody@127.0.0.1:1/x
        durable_stores_mysql_url = mysql://nobody@127.0.0.1:1/x
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from durable_stores_client import BadRequestError

        # Without the options both would answer SELECT 1 (embedded, emulation).
        @pytest.mark.parametrize(("kind", "server"), [
            ("postgres", "port 2 failed"),  # the environment wins over the ini
            ("mysql", "Can't connect to MySQL server"),
        ])
        def test_engines(durable_stores, kind, server):
            store = durable_stores.create_store(name=kind, kind=kind)
            with pytest.raises(BadRequestError) as caught:
                durable_stores.query_store(store.id, sql="SELECT 1")
            assert "failed creating the store's database" in caught.value.message
            assert server in caught.value.message
        """
    )
    for variable in (POSTGRES_URL_VAR, MYSQL_URL_VAR, REDIS_URL_VAR):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(POSTGRES_URL_VAR, "postgresql://nobody@127.0.0.1:2/x")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
