"""Idempotency keys: same key and body replays the first answer; another body is 409."""

from __future__ import annotations

import threading

import httpx
import pytest
from fake_helpers import create, err, ok

from durable_stores_client.fake import FakeServer
from durable_stores_client.fake._answers import success
from durable_stores_client.fake._engines.sqlite import SqliteEngine
from durable_stores_client.fake._idempotency import IdempotencyCache, fingerprint


def test_same_key_same_body_replays_without_reapplying(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-1"}
    body = {"name": "s", "kind": "sqlite"}
    first = http.post("/stores", json=body, headers=headers)
    again = http.post("/stores", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(ok(http.get("/stores"))) == 1


def test_replayed_execute_inserts_once(http: httpx.Client) -> None:
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    insert = {"sql": "INSERT INTO t VALUES (?)", "params": [1]}
    for _ in range(3):
        assert ok(
            http.post(f"/stores/{sid}/execute", json=insert, headers={"Idempotency-Key": "ins"})
        ) == {"rows_affected": 1, "last_insert_rowid": 1}
    count = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT count(*) AS n FROM t"}))
    assert count["rows"] == [{"n": 1}]


def test_same_key_other_body_or_path_is_409(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-2"}
    create_body = {"name": "a", "kind": "redis"}
    sid = ok(http.post("/stores", json=create_body, headers=headers), 201)["id"]
    text = err(http.post("/stores", json={"name": "b", "kind": "redis"}, headers=headers), 409)
    assert "Idempotency-Key" in text
    err(http.post(f"/stores/{sid}/command", json={"command": ["PING"]}, headers=headers), 409)
    assert [s["name"] for s in ok(http.get("/stores"))] == ["a"]


def test_error_answers_are_replayed_too(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "k-3"}
    err(http.post("/stores/nope/query", json={"sql": "SELECT 1"}, headers=headers), 404)
    err(http.post("/stores/nope/query", json={"sql": "SELECT 1"}, headers=headers), 404)


def test_faults_are_not_remembered_so_retries_go_through(fake: FakeServer) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        fake.inject("create", status=503)
        headers = {"Idempotency-Key": "k-4"}
        body = {"name": "s", "kind": "sqlite"}
        err(http.post("/stores", json=body, headers=headers), 503)
        ok(http.post("/stores", json=body, headers=headers), 201)
        ok(http.post("/stores", json=body, headers=headers), 201)
    assert len(fake.stores) == 1


def test_the_cache_keeps_the_most_recent_keys() -> None:
    cache = IdempotencyCache(max_keys=3)
    for i in range(5):
        cache.answer(f"k{i}", fingerprint("POST", "/stores", b"%d" % i), lambda: success(201, "s"))
    assert list(cache) == ["k2", "k3", "k4"]


def test_the_cache_is_bounded_by_bytes_too() -> None:
    cache = IdempotencyCache(max_bytes=3 * 1024 * 1024)
    big = "x" * (1024 * 1024)
    for i in range(10):
        cache.answer(f"k{i}", fingerprint("POST", "/p", b"%d" % i), lambda: success(200, big))
    assert list(cache) == ["k8", "k9"]
    assert 2 * 1024 * 1024 < cache.size <= 3 * 1024 * 1024
    # One answer larger than the whole budget is still kept (alone), so it replays.
    huge = "y" * (4 * 1024 * 1024)
    cache.answer("huge", fingerprint("POST", "/p", b"h"), lambda: success(200, huge))
    assert list(cache) == ["huge"]
    replay = cache.answer("huge", fingerprint("POST", "/p", b"h"), lambda: success(500, "ran"))
    assert ("idempotent-replayed", "true") in replay.headers
    cache.clear()
    assert (len(cache), cache.size) == (0, 0)


def test_large_query_answers_are_never_kept(fake: FakeServer) -> None:
    """Reads need no replay: large queries with keys do not push writes' answers out (issue 12)."""
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
        insert = {"sql": "INSERT INTO t VALUES (zeroblob(1e6))"}
        write = {"Idempotency-Key": "w"}
        ok(http.post(f"/stores/{sid}/execute", json=insert, headers=write))
        # 60 answers of 1.3 MB each: more than the whole cache (64 MiB) if they were kept.
        for i in range(60):
            query = {"sql": "SELECT x FROM t"}
            ok(http.post(f"/stores/{sid}/query", json=query, headers={"Idempotency-Key": f"q{i}"}))
        again = http.post(f"/stores/{sid}/execute", json=insert, headers=write)
        assert again.headers["idempotent-replayed"] == "true"
        count = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT count(*) AS n FROM t"}))
    assert count["rows"] == [{"n": 1}]


def test_a_query_with_a_reused_key_simply_runs_again(http: httpx.Client) -> None:
    """CONTRACT.md: keys are honoured on writes only; a query is never replayed nor a 409."""
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    headers = {"Idempotency-Key": "read"}
    count = {"sql": "SELECT count(*) AS n FROM t"}
    first = http.post(f"/stores/{sid}/query", json=count, headers=headers)
    assert ok(first)["rows"] == [{"n": 0}]
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "INSERT INTO t VALUES (1)"}))
    again = http.post(f"/stores/{sid}/query", json=count, headers=headers)
    assert ok(again)["rows"] == [{"n": 1}]
    assert "idempotent-replayed" not in again.headers
    other = http.post(f"/stores/{sid}/query", json={"sql": "SELECT 2 AS v"}, headers=headers)
    assert ok(other)["rows"] == [{"v": 2}]


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


def test_client_retries_reuse_the_key_and_are_applied_once(fake: FakeServer) -> None:
    from durable_stores_client import RetryPolicy

    policy = RetryPolicy(sleep=lambda _s: None, random=lambda: 0.0)
    with fake.client(retry_policy=policy) as client:
        store = client.create_store(name="s", kind="sqlite")
        client.execute_store(store.id, sql="CREATE TABLE t (x)")
        fake.inject("execute", status=503, times=2)
        client.execute_store(store.id, sql="INSERT INTO t VALUES (1)")
        assert client.query_store(store.id, sql="SELECT count(*) FROM t").scalar() == 1
    inserts = [r for r in fake.requests if r.body == {"sql": "INSERT INTO t VALUES (1)"}]
    assert [r.status for r in inserts] == [503, 503, 200]
    assert len({r.idempotency_key for r in inserts}) == 1


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
