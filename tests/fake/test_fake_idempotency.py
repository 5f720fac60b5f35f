"""Idempotency keys: same key and body replays the first answer; another body is 409."""

from __future__ import annotations

import httpx
import pytest
from fake_helpers import create, err, ok

from durable_stores_client import RetryPolicy
from durable_stores_client.fake import FakeServer


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


def _replayed(response: httpx.Response) -> bool:
    assert response.status_code < 300, response.text
    return response.headers.get("idempotent-replayed") == "true"


@pytest.mark.slow  # 10,002 writes
def test_the_10_000_most_recently_used_keys_are_kept(fake: FakeServer) -> None:
    """docs/testing.md: the fake keeps the 10 000 most recently used keys."""
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        path, body = f"/stores/{sid}/execute", {"sql": "CREATE TABLE IF NOT EXISTS t (x)"}

        def write(key: str) -> httpx.Response:
            return http.post(path, json=body, headers={"Idempotency-Key": key})

        assert not any(_replayed(write(f"k{i}")) for i in range(10_000))
        assert _replayed(write("k0"))  # used again: now the most recent
        assert not _replayed(write("k10000"))  # one key too many: the least recent goes
        assert _replayed(write("k0"))
        assert _replayed(write("k2"))
        assert not _replayed(write("k1"))  # forgotten: it runs again


@pytest.mark.slow  # 70 answers of 1 MiB
def test_at_most_64_mib_of_answers_are_kept(fake: FakeServer) -> None:
    """docs/testing.md: at most 64 MiB of answers; the least recently used go first."""
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http, "r", "redis")
        # A value just under 1 MiB: 64 answers and their headers fit in 64 MiB, 65 do not.
        ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", "v", "x" * 1_047_552]}))
        path, body = f"/stores/{sid}/command", {"command": ["GET", "v"]}

        def read(key: str) -> httpx.Response:
            return http.post(path, json=body, headers={"Idempotency-Key": key})

        assert not any(_replayed(read(f"g{i}")) for i in range(70))
        # Newest first: every kept answer replays, until the first forgotten one runs again.
        kept = 0
        while _replayed(read(f"g{69 - kept}")):
            kept += 1
        assert kept == 64


def test_reset_forgets_every_key(fake: FakeServer) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        headers, body = {"Idempotency-Key": "k"}, {"name": "s", "kind": "sqlite"}
        first = http.post("/stores", json=body, headers=headers)
        assert _replayed(http.post("/stores", json=body, headers=headers))
        fake.reset()
        again = http.post("/stores", json=body, headers=headers)
    assert (again.status_code, _replayed(again)) == (201, False)
    assert again.json()["data"]["id"] != first.json()["data"]["id"]


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


def test_client_retries_reuse_the_key_and_are_applied_once(fake: FakeServer) -> None:
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
