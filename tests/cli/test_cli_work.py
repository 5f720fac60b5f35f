"""``durable-stores query | execute | command`` against the fake over HTTP."""

from __future__ import annotations

import os
from typing import Any

import pytest

from durable_stores_client.fake import FakeServer


@pytest.fixture
def sql_store(cli: Any) -> str:
    run = cli("stores", "create", "memory", "--kind", "sqlite", "-o", "json")
    assert run.code == 0, run.err
    assert cli("execute", "memory", "CREATE TABLE t (a, b, c, d, e)").code == 0
    return str(run.json()["id"])


@pytest.fixture
def redis_store(cli: Any) -> str:
    pytest.importorskip("fakeredis")
    run = cli("stores", "create", "cache", "--kind", "redis", "-o", "json")
    assert run.code == 0, run.err
    return str(run.json()["id"])


def test_execute_prints_rows_affected_and_last_insert_rowid(cli: Any, sql_store: str) -> None:
    run = cli("execute", "memory", "INSERT INTO t (a) VALUES (?)", "1", "-o", "json")
    assert run.code == 0, run.err
    assert run.json() == {"rows_affected": 1, "last_insert_rowid": 1}
    table = cli("execute", sql_store, "UPDATE t SET b = ?", "x", "-o", "table").out
    assert table.splitlines() == ["rows_affected: 1", "last_insert_rowid: 0"]  # no insert


def test_params_bind_json_values_or_text(cli: Any, sql_store: str) -> None:
    run = cli(
        "execute",
        "memory",
        "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
        "42",
        "hello",
        "null",
        '"42"',
        "1.5",
    )
    assert run.code == 0, run.err
    types = cli(
        "query",
        "memory",
        "SELECT typeof(a) AS a, typeof(b) AS b, typeof(c) AS c, typeof(d) AS d, typeof(e) AS e "
        "FROM t",
        "-o",
        "json",
    ).json()
    assert types["rows"] == [{"a": "integer", "b": "text", "c": "null", "d": "text", "e": "real"}]
    values = cli("query", "memory", "SELECT a, b, c, d, e FROM t", "-o", "jsonl").jsonl()
    assert values == [{"a": 42, "b": "hello", "c": None, "d": "42", "e": 1.5}]


def test_params_json_gives_an_exact_array(cli: Any, sql_store: str) -> None:
    run = cli("execute", "memory", "INSERT INTO t (a, b) VALUES (?, ?)", "--params", '["7", 7]')
    assert run.code == 0, run.err
    rows = cli("query", "memory", "SELECT typeof(a) AS ta, typeof(b) AS tb FROM t").json()["rows"]
    assert rows == [{"ta": "text", "tb": "integer"}]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["1", "--params", "[1]"], "not both"),
        (["--params", '{"a": 1}'], "--params must be a JSON array"),
        (["--params", "[1,"], "--params is not valid JSON"),
    ],
)
def test_bad_params_are_usage_errors(
    cli: Any, sql_store: str, fake: FakeServer, extra: list[str], message: str
) -> None:
    before = len(fake.requests)
    run = cli("execute", "memory", "INSERT INTO t (a) VALUES (?)", *extra)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert len(fake.requests) == before  # nothing was sent


def test_query_output_formats(cli: Any, sql_store: str) -> None:
    for n in range(3):
        cli("execute", "memory", "INSERT INTO t (a, b) VALUES (?, ?)", str(n), f"row {n}")
    data = cli("query", "memory", "SELECT a, b FROM t WHERE a >= ? ORDER BY a", "1").json()
    assert data == {
        "columns": ["a", "b"],
        "rows": [{"a": 1, "b": "row 1"}, {"a": 2, "b": "row 2"}],
        "row_count": 2,
    }
    lines = cli("query", "memory", "SELECT a FROM t ORDER BY a", "-o", "jsonl").jsonl()
    assert lines == [{"a": 0}, {"a": 1}, {"a": 2}]
    table = cli("query", "memory", "SELECT a, b, c FROM t ORDER BY a", "-o", "table").out
    assert table.splitlines() == [
        "a  b      c",
        "-  -----  ----",
        "0  row 0  NULL",
        "1  row 1  NULL",
        "2  row 2  NULL",
        "(3 rows)",
    ]


def test_table_shortens_long_cells(cli: Any, sql_store: str) -> None:
    cli("execute", "memory", "INSERT INTO t (a) VALUES (?)", "x" * 200)
    table = cli("query", "memory", "SELECT a FROM t", "-o", "table").out
    assert "x" * 59 + "\u2026" in table
    assert "x" * 61 not in table
    assert cli("query", "memory", "SELECT a FROM t").json()["rows"][0]["a"] == "x" * 200


def test_a_tall_table_on_a_terminal_goes_through_the_pager(
    cli: Any, sql_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(
        "execute",
        "memory",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 30) INSERT INTO t (a) SELECT i FROM n",
    )
    paged: list[str] = []
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((80, 10)))
    monkeypatch.setattr("pydoc.pager", paged.append)
    run = cli("query", "memory", "SELECT a FROM t")
    assert run.code == 0
    assert len(paged) == 1
    assert paged[0].endswith("(30 rows)")
    paged.clear()
    cli("query", "memory", "SELECT a FROM t LIMIT 2")
    assert paged == []  # short output is printed directly


def test_query_on_redis_is_a_clean_error(cli: Any, redis_store: str) -> None:
    run = cli("query", "cache", "SELECT 1")
    assert run.code == 1
    assert "redis stores do not support SQL queries; use the command endpoint" in run.err
    assert "Traceback" not in run.err
    assert run.out == ""


def test_sql_error_names_the_failing_step(cli: Any, sql_store: str) -> None:
    run = cli("query", "memory", "SELECT nope FROM t")
    assert run.code == 1
    assert "failed executing store query" in run.err


def test_command_outputs(cli: Any, redis_store: str) -> None:
    assert cli("command", "cache", "SET", "greeting", "hello", "-o", "table").out == "OK\n"
    assert cli("command", "cache", "GET", "greeting").json() == {"result": "hello"}
    assert cli("command", "cache", "GET", "missing", "-o", "table").out == "(nil)\n"
    assert cli("command", "cache", "INCR", "visits", "-o", "table").out == "(integer) 1\n"
    for item in ["a", "b", "c"]:
        cli("command", redis_store, "RPUSH", "list", item)
    # A negative number needs no "--"; an argument starting with a dash does.
    listed = cli("command", "cache", "LRANGE", "list", "0", "-1", "-o", "table").out
    assert listed.splitlines() == ["1) a", "2) b", "3) c"]
    assert cli("command", "cache", "--", "SET", "dash", "-x").code == 0
    assert cli("command", "cache", "GET", "dash").json() == {"result": "-x"}


def test_command_on_sql_store_is_a_clean_error(cli: Any, sql_store: str) -> None:
    run = cli("command", "memory", "GET", "x")
    assert run.code == 1
    assert "store kind 'sqlite' does not support the command endpoint" in run.err
    assert "Traceback" not in run.err


def test_command_needs_arguments(cli: Any, sql_store: str) -> None:
    run = cli("command", "memory")
    assert run.code == 2
    assert "the following arguments are required: ARG" in run.err


def test_work_on_unknown_store_exits_1(cli: Any) -> None:
    for args in (["query", "ghost", "SELECT 1"], ["execute", "ghost", "SELECT 1"]):
        run = cli(*args)
        assert run.code == 1
        assert "Store not found" in run.err
