"""The few tests that must reach inside the fake: what its public surface cannot drive or see.

Everything else about the fake is tested through `FakeServer` and the clients. These need
an internal seam: holding an engine call mid-way (no public event says a statement runs),
an engine's own time limit (no public knob), units checked across many inputs
(the SQL placeholder scanner), the idempotency cache's edge a 64 MiB answer limit hides,
an engine-level failure (the rowid reset), RESP3 replies no RESP2 connection returns, and
the Redis reply size count checked against its JSON across many replies.
"""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from fake_helpers import create, err, ok

from durable_stores_client import NotFoundError
from durable_stores_client.fake import FakeServer
from durable_stores_client.fake._answers import success
from durable_stores_client.fake._engines import EngineError
from durable_stores_client.fake._engines import sqlite as sqlite_engine
from durable_stores_client.fake._engines._placeholders import (
    count_qmarks,
    foreign_placeholder,
    qmark_to_format,
    translate_placeholders,
)
from durable_stores_client.fake._engines.redis import reply_json_size, reply_to_json
from durable_stores_client.fake._engines.sqlite import SqliteEngine
from durable_stores_client.fake._idempotency import IdempotencyCache, fingerprint

# -- idempotency --------------------------------------------------------------


def test_one_answer_larger_than_the_whole_budget_is_kept_alone() -> None:
    # The fake's answers stop at 64 MiB, the cache's budget, so only a smaller budget shows it.
    cache = IdempotencyCache(max_bytes=3 * 1024 * 1024)
    for i in range(3):
        cache.answer(f"k{i}", fingerprint("POST", "/p", b"%d" % i), lambda: success(200, "s"))
    huge = "y" * (4 * 1024 * 1024)
    cache.answer("huge", fingerprint("POST", "/p", b"h"), lambda: success(200, huge))
    assert list(cache) == ["huge"]
    replay = cache.answer("huge", fingerprint("POST", "/p", b"h"), lambda: success(500, "ran"))
    assert (replay.status, replay.headers[-1]) == (200, ("idempotent-replayed", "true"))


def _hold(
    monkeypatch: pytest.MonkeyPatch, method: str, sql_prefix: str = ""
) -> tuple[threading.Event, threading.Event]:
    """Make ``SqliteEngine.<method>`` wait for ``release`` on a statement starting with
    ``sql_prefix``; ``entered`` is set when one arrives. Returns ``(entered, release)``."""
    entered = threading.Event()
    release = threading.Event()
    original = getattr(SqliteEngine, method)

    def held(self: SqliteEngine, sql: str, params: list[object]) -> dict[str, object]:
        if sql.startswith(sql_prefix):
            entered.set()
            assert release.wait(10)
        result: dict[str, object] = original(self, sql, params)
        return result

    monkeypatch.setattr(SqliteEngine, method, held)
    return entered, release


def _post_in_background(
    http: httpx.Client, path: str, body: object, headers: dict[str, str]
) -> tuple[threading.Thread, list[httpx.Response]]:
    """POST from a started thread; its answer lands in the returned list."""
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(http.post(path, json=body, headers=headers))
    )
    thread.start()
    return thread, answers


def test_a_query_retried_while_the_first_still_runs_is_not_409(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read retried after a timeout must end in a result, never 'still in progress'."""
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        entered, release = _hold(monkeypatch, "query", "SELECT 'slow'")
        headers = {"Idempotency-Key": "busy-read"}
        first, answers = _post_in_background(
            http, f"/stores/{sid}/query", {"sql": "SELECT 'slow'"}, headers
        )
        assert entered.wait(10)
        try:
            again = http.post(
                f"/stores/{sid}/query", json={"sql": "SELECT 1 AS v"}, headers=headers
            )
            assert ok(again)["rows"] == [{"v": 1}]
        finally:
            release.set()
            first.join(10)
    assert ok(answers[0])["rows"] == [{"'slow'": "slow"}]


def test_same_key_while_the_first_call_runs_is_409(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        entered, release = _hold(monkeypatch, "execute")
        body = {"sql": "CREATE TABLE t (x)"}
        headers = {"Idempotency-Key": "busy"}
        first, answers = _post_in_background(http, f"/stores/{sid}/execute", body, headers)
        assert entered.wait(10)
        err(
            http.post(f"/stores/{sid}/execute", json=body, headers=headers),
            409,
            "a request with this Idempotency-Key is still in progress",
        )
        release.set()
        first.join(10)
        assert answers[0].status_code == 200
        # once finished, the same key replays the first answer
        assert http.post(f"/stores/{sid}/execute", json=body, headers=headers).json() == (
            answers[0].json()
        )


# -- engines --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT $1, $12", "SELECT ?1, ?12"),
        ("SELECT %s, %s", "SELECT ?, ?"),
        ("SELECT '$1', \"%s\", `$2`", "SELECT '$1', \"%s\", `$2`"),
        ("SELECT 'it''s $1', $1", "SELECT 'it''s $1', ?1"),
        ("SELECT 1 -- $1\n, $2", "SELECT 1 -- $1\n, ?2"),
        ("SELECT /* %s */ %s", "SELECT /* %s */ ?"),
        ("SELECT 10 %% 3, $ , $a", "SELECT 10 % 3, $ , $a"),
        ("SELECT 'unterminated $1", "SELECT 'unterminated $1"),
    ],
)
def test_placeholder_translation_skips_literals_and_comments(sql: str, expected: str) -> None:
    assert translate_placeholders(sql) == expected


#: A statement that never ends (and holds no rows in memory while it runs).
_RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("endpoint", ["query", "execute"])
def test_deleting_a_store_stops_its_running_statement(endpoint: str) -> None:
    """A delete (or reset) must not wait forever behind a statement that never ends."""
    fake = FakeServer()
    client = fake.client(max_retries=0)
    store = client.create_store(name="s", kind="sqlite")
    sql = _RUNAWAY if endpoint == "query" else f"CREATE TABLE t AS {_RUNAWAY}"
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            getattr(client, f"{endpoint}_store")(store.id, sql=sql)
        except BaseException as exc:
            outcome.append(exc)

    # SQLite calls the engine's progress handler while a statement runs: wrapping it is
    # the one way to know the statement has started (nothing public says so).
    engine = fake._state.stores[store.id].engine
    assert isinstance(engine, SqliteEngine)
    conn = engine._conn
    assert conn is not None
    running = threading.Event()

    def progress() -> int:
        running.set()
        return engine._progress()

    conn.set_progress_handler(progress, 1000)
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    assert running.wait(30), "the statement never started"
    client.delete_store(store.id)
    runner.join(30)
    assert not runner.is_alive()
    assert [type(exc) for exc in outcome] == [NotFoundError]
    assert fake.stores == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("translate", [False, True])
def test_a_statement_over_the_time_limit_is_stopped(translate: bool) -> None:
    """A runaway statement gets a 400 after the engine's time limit; the store still works."""
    engine = SqliteEngine(None, translate=translate, time_limit=0.05)
    with pytest.raises(EngineError) as caught:
        engine.query(_RUNAWAY, [])
    assert str(caught.value) == (
        "failed executing store query: the statement ran longer than the fake's limit of "
        "0.05 s and was stopped"
    )
    with pytest.raises(EngineError) as caught:
        engine.execute(f"CREATE TABLE t AS {_RUNAWAY}", [])
    assert str(caught.value).startswith("failed executing store statement: the statement ran")
    assert engine.execute("CREATE TABLE u (x)", [])["rows_affected"] == 0
    assert engine.execute("INSERT INTO u VALUES (1)", [])["rows_affected"] == 1
    assert engine.query("SELECT x FROM u", [])["rows"] == [{"x": 1}]
    assert engine.query("SELECT name FROM sqlite_master", [])["rows"] == [{"name": "u"}]
    engine.close()


def test_mysql_placeholder_translation() -> None:
    assert qmark_to_format("SELECT ?, '?', `?`, '50%' -- ?\n, ?") == (
        "SELECT %s, '?', `?`, '50%%' -- ?\n, %s"
    )
    assert count_qmarks("SELECT ?, '?', ? /* ? */") == 2
    assert foreign_placeholder("SELECT x::int, ?, '$1'") is None
    assert foreign_placeholder("SELECT ? + $2") == "$2"


def test_a_failing_rowid_reset_never_fails_the_call(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_reset = ("SAVEPOINT durable_stores_fake_rowid", "SELECT * FROM no_such_table")
    monkeypatch.setattr(sqlite_engine, "_RESET_ROWID", broken_reset)
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        path = f"/stores/{sid}/execute"
        ok(http.post(path, json={"sql": "CREATE TABLE t (k PRIMARY KEY)"}))
        ok(http.post(path, json={"sql": "INSERT INTO t VALUES ('a')"}))
        upsert = {"sql": "INSERT INTO t VALUES ('b') ON CONFLICT(k) DO NOTHING"}
        assert ok(http.post(path, json=upsert)) == {"rows_affected": 1, "last_insert_rowid": 2}
        err(http.post(path, json={"sql": "INSERT INTO missing VALUES (1)"}), 400)
        # No transaction was left open by the failed reset: later calls still commit.
        ok(http.post(path, json={"sql": "INSERT INTO t VALUES ('c')"}))
        count = {"sql": "SELECT count(*) AS n FROM t"}
        assert ok(http.post(f"/stores/{sid}/query", json=count))["rows"] == [{"n": 3}]


def test_redis_resp3_replies_map_as_the_contract_says() -> None:
    # map to object, double to number, boolean to bool (RESP3 only: a RESP2 connection
    # never returns them, so the contract suite cannot reach them over the wire).
    reply = {b"field": [1.5, True, None, b"\xff", {b"x", b"y"}], 7: b"OK"}
    mapped = reply_to_json(reply)
    assert mapped["field"][:4] == [1.5, True, None, "/w=="]
    assert sorted(mapped["field"][4]) == ["x", "y"]
    assert mapped["7"] == "OK"
    assert reply_to_json(float("inf")) is None  # no JSON for it: null, never a crash


@pytest.mark.parametrize(
    "reply",
    [
        None,
        0,
        -12345,
        3.5,
        float("nan"),
        True,
        b"",
        b"OK",
        "t\u00e9xt",
        "\ud800",
        'quote" and \\ and \n',
        "é".encode(),
        b"\xff\xfe",
        b"\x00\xff" * 1000,
        bytes(range(256)),
        [],
        [b"a", None, 1, [b"b", [b"\xff", 2.5]], []],
        {b"k": b"v", 1: [b"\xff"], b"\xfe": {}},
        {b"x", b"y"},
    ],
)
def test_a_redis_reply_is_never_counted_larger_than_its_json(reply: object) -> None:
    """The count refuses nothing within the limit, and follows base64's length for binary."""
    body = json.dumps({"result": reply_to_json(reply)}, separators=(",", ":"), ensure_ascii=False)
    counted = reply_json_size(reply)
    assert counted <= len(body.encode("utf-8", "surrogatepass")), (counted, body)
    if isinstance(reply, bytes) and len(reply) > 100:
        assert counted >= len(body) - len('{"result":}'), (counted, len(body))


def test_counting_a_redis_reply_stops_once_over_the_limit() -> None:
    reply = [b"x" * 10] * 1000
    assert 100 < reply_json_size(reply, limit=100) < 200
