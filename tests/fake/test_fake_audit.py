"""Edge cases of the contract found by a clause-by-clause audit of the fake.

Each test names the clause of ``CONTRACT.md`` it pins down; docs/contract.md's
"Coverage" table points here for the clauses the contract suite cannot verify
over the wire (ties in timestamps, UUIDv7 monotonicity, constant-time compare).
"""

from __future__ import annotations

import hmac
import itertools
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from fake_helpers import create, err, ok, open_front_end

from durable_stores_client.fake import FakeServer

T0 = datetime(2026, 2, 16, 10, 0, tzinfo=timezone.utc)
LIMIT = 16 * 1024 * 1024


def _names(records: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in records]


# -- GET /stores: newest first, at most 200 ---------------------------------------------------


@pytest.mark.slow  # creates 201 stores
def test_list_is_the_200_newest_with_ties_in_creation_order(front_end: str) -> None:
    # 250 stores, five per timestamp: ties are the rule, not the exception.
    stamps = (T0 + timedelta(microseconds=n // 5) for n in itertools.count())
    fake = FakeServer(clock=lambda: next(stamps))
    with open_front_end(front_end, fake) as http:
        for n in range(250):
            create(http, f"s{n:03}")
        listed = ok(http.get("/stores"))

    # created_at descending; among equal created_at, the store created later first.
    assert _names(listed) == [f"s{n:03}" for n in range(249, 49, -1)]
    assert len(listed) == 200
    stamps_listed = [r["created_at"] for r in listed]
    assert stamps_listed == sorted(stamps_listed, reverse=True)
    assert len(fake.stores) == 250  # the cap is the list's, not the state's


def test_list_orders_by_created_at_even_when_the_clock_goes_back() -> None:
    moments = iter([T0, T0 - timedelta(seconds=5), T0 + timedelta(seconds=5), T0])
    fake = FakeServer(clock=lambda: next(moments))
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        for name in ("a", "b-earlier", "c-latest", "d-tie-with-a"):
            create(http, name)
        listed = ok(http.get("/stores"))
    assert _names(listed) == ["c-latest", "d-tie-with-a", "a", "b-earlier"]


def test_list_stays_capped_after_deletes_and_shows_older_stores_again() -> None:
    fake = FakeServer()
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        ids = [create(http, f"s{n:03}") for n in range(202)]
        assert _names(ok(http.get("/stores")))[-1] == "s002"
        ok(http.delete(f"/stores/{ids[-1]}"))
        listed = ok(http.get("/stores"))
    assert len(listed) == 200
    assert _names(listed)[0] == "s200"
    assert _names(listed)[-1] == "s001"


# -- names: trimmed as the server trims ---------------------------------------------------------


def test_names_and_sql_are_trimmed_of_unicode_white_space_only(http: httpx.Client) -> None:
    # The server trims with Rust's str::trim (Unicode White_Space); Python's str.strip()
    # would also drop the information separators U+001C..U+001F.
    sid = create(http, "\u3000\u2029 spaced\t\xa0\u205f")
    assert ok(http.get(f"/stores/{sid}"))["name"] == "spaced"
    kept = ok(http.post("/stores", json={"name": "\x1fsep\x1c ", "kind": "redis"}), 201)
    assert kept["name"] == "\x1fsep\x1c"
    err(http.post("/stores", json={"name": "\u2003\n", "kind": "redis"}), 400, "name is required")
    err(http.post(f"/stores/{sid}/query", json={"sql": "\u3000\r\n"}), 400, "sql is required")
    text = err(http.post(f"/stores/{sid}/query", json={"sql": "\x1f"}), 400)
    assert text.startswith("failed executing store query: ")


def test_duplicate_names_compare_trimmed_and_free_up_on_delete(http: httpx.Client) -> None:
    sid = create(http, "taken")
    err(
        http.post("/stores", json={"name": " taken\n", "kind": "redis"}),
        409,
        "Store name already exists",
    )
    ok(http.delete(f"/stores/{sid}"))
    create(http, "taken")


# -- duplicate fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/stores", b'{"name": "a", "kind": "sqlite", "name": "b"}', "name"),
        ("/stores", b'{"name": "a", "kind": "sqlite", "k\\u0069nd": "redis"}', "kind"),
        ("/stores", b'{"name": "a", "kind": "redis", "config": {}, "config": {"x": 1}}', "config"),
        ("/stores/{id}/query", b'{"sql": "SELECT 1", "sql": "SELECT 2"}', "sql"),
        (
            "/stores/{id}/execute",
            b'{"sql": "CREATE TABLE t (x)", "params": [], "params": [1]}',
            "params",
        ),
        ("/stores/{id}/command", b'{"command": ["PING"], "command": ["DBSIZE"]}', "command"),
    ],
)
def test_a_field_given_twice_is_invalid_json(
    http: httpx.Client, fake: FakeServer, route: str, body: bytes, field: str
) -> None:
    sid = create(http, "existing", kind="redis" if "command" in route else "sqlite")
    response = http.post(
        route.format(id=sid), content=body, headers={"content-type": "application/json"}
    )
    err(response, 400, f"Invalid JSON: duplicate field `{field}`")
    assert [s.name for s in fake.stores] == ["existing"]


def test_repeated_names_elsewhere_are_fine(http: httpx.Client) -> None:
    # A value equal to a field name, a nested key, or an unknown field twice: all accepted
    # (serde ignores unknown fields; config is an opaque map, where the last value wins).
    body = (
        b'{"name": "name", "kind": "redis", "extra": 1, "extra": 2,'
        b' "config": {"name": 1, "kind": 2, "k": 1, "k": 2}}'
    )
    response = http.post("/stores", content=body, headers={"content-type": "application/json"})
    record = ok(response, 201)
    assert (record["name"], record["config"]) == ("name", {"name": 1, "kind": 2, "k": 2})


# -- ids: UUIDv7 --------------------------------------------------------------------------------


def _check_uuid7(text: str) -> uuid.UUID:
    value = uuid.UUID(text)
    assert str(value) == text  # lowercase, hyphenated, canonical
    assert value.version == 7
    assert value.variant == uuid.RFC_4122  # variant bits 10
    return value


def _store_ids(count: int) -> list[str]:
    """The ids of ``count`` stores created one after the other on a fresh fake.

    Its records' timestamps come from a clock of their own, so only the ids read the
    time (``time.time_ns``, which the tests set).
    """
    fake = FakeServer(clock=lambda: datetime(2026, 2, 16, tzinfo=timezone.utc))
    with fake.client() as client:
        return [client.create_store(name=f"s{n}", kind="redis").id for n in range(count)]


def test_ids_are_uuid7_and_monotonic_within_one_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now_ns = 1_771_236_000_123_456_789
    monkeypatch.setattr(time, "time_ns", lambda: now_ns)  # the clock stands still
    # More stores than the 12-bit sequence holds in one millisecond.
    ids = _store_ids(5000)
    values = [_check_uuid7(i) for i in ids]
    assert ids == sorted(ids)  # text order is creation order
    assert len(set(ids)) == len(ids)
    millis = [v.int >> 80 for v in values]
    assert millis[0] == now_ns // 1_000_000
    assert millis == sorted(millis)
    assert millis[-1] - millis[0] <= 2  # overflow borrows the next millisecond, no more


def test_ids_stay_monotonic_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [2_000_000_000_000_000_000, 1_999_999_999_000_000_000, 2_000_000_000_000_000_000]
    times = iter(steps)
    monkeypatch.setattr(time, "time_ns", lambda: next(times, steps[-1]))
    first, second, third = _store_ids(3)
    assert first < second < third
    for text in (first, second, third):
        _check_uuid7(text)


def test_ids_of_created_stores_are_uuid7_in_creation_order(http: httpx.Client) -> None:
    ids = [create(http, f"s{n}") for n in range(20)]
    for text in ids:
        _check_uuid7(text)
    assert ids == sorted(ids)


# -- auth: constant-time compare ----------------------------------------------------------------


def test_keys_are_compared_with_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare)
    fake = FakeServer(api_key="right-key-123")
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        err(
            http.get("/stores", headers={"authorization": "Bearer wrong"}),
            401,
            "Invalid bearer token",
        )
        ok(http.get("/stores", headers={"authorization": "Bearer right-key-123"}))
    assert seen == [(b"wrong", b"right-key-123"), (b"right-key-123", b"right-key-123")]


# -- query / execute bodies ---------------------------------------------------------------------


def test_numbered_params_bind_by_number_and_may_repeat(http: httpx.Client) -> None:
    sid = create(http)
    body = {"sql": "SELECT ?2 AS b, ?1 AS a, ?1 AS again", "params": ["x", "y"]}
    data = ok(http.post(f"/stores/{sid}/query", json=body))
    assert data == {
        "columns": ["b", "a", "again"],
        "rows": [{"b": "y", "a": "x", "again": "x"}],
        "row_count": 1,
    }
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (a, b)"}))
    insert = {"sql": "INSERT INTO t (b, a) VALUES (?2, ?1)", "params": [1, 2]}
    assert ok(http.post(f"/stores/{sid}/execute", json=insert)) == {
        "rows_affected": 1,
        "last_insert_rowid": 1,
    }
    rows = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT a, b FROM t"}))["rows"]
    assert rows == [{"a": 1, "b": 2}]  # by number: in order it would be a=2, b=1
    # Too few params is the engine's complaint, naming the step.
    text = err(http.post(f"/stores/{sid}/query", json={"sql": "SELECT ?3", "params": [1]}), 400)
    assert text.startswith("failed executing store query: ")


def test_statements_starting_with_with_count_their_rows(http: httpx.Client) -> None:
    """sqlite3 reports rowcount -1 for WITH ... INSERT/UPDATE/DELETE; the count must not be lost."""
    sid = create(http)

    def execute(sql: str) -> Any:
        return ok(http.post(f"/stores/{sid}/execute", json={"sql": sql}))

    assert execute("CREATE TABLE t (x)") == {"rows_affected": 0, "last_insert_rowid": 0}
    cte = "WITH v(a) AS (VALUES (1), (2), (3)) "
    assert execute(cte + "INSERT INTO t SELECT a FROM v") == {
        "rows_affected": 3,
        "last_insert_rowid": 3,
    }
    assert execute(cte + "UPDATE t SET x = x * 10 WHERE x IN (SELECT a FROM v WHERE a > 1)") == {
        "rows_affected": 2,
        "last_insert_rowid": 0,
    }
    assert execute(cte + "DELETE FROM t WHERE x IN (SELECT a FROM v)") == {
        "rows_affected": 1,
        "last_insert_rowid": 0,
    }
    # A statement that changes no row after one that did reports 0, not the stale count.
    assert execute("CREATE TABLE u (y)")["rows_affected"] == 0


def test_last_insert_rowid_is_0_when_nothing_was_inserted(http: httpx.Client) -> None:
    sid = create(http)

    def execute(sql: str) -> Any:
        return ok(http.post(f"/stores/{sid}/execute", json={"sql": sql}))

    execute("CREATE TABLE t (k TEXT PRIMARY KEY, v)")
    execute("CREATE TABLE log (m)")
    assert execute("INSERT INTO t VALUES ('a', 1), ('b', 1)")["last_insert_rowid"] == 2
    upsert = "INSERT INTO t VALUES ('{}', 2) ON CONFLICT(k) DO UPDATE SET v = excluded.v"
    # SQLite itself keeps reporting rowid 2 after each of these; the contract says 0.
    assert execute(upsert.format("a")) == {"rows_affected": 1, "last_insert_rowid": 0}
    assert execute("UPDATE t SET v = 3") == {"rows_affected": 2, "last_insert_rowid": 0}
    execute("CREATE TRIGGER audit AFTER UPDATE ON t BEGIN INSERT INTO log VALUES ('u'); END")
    assert execute("UPDATE t SET v = 4 WHERE k = 'a'")["last_insert_rowid"] == 0
    assert execute("INSERT OR IGNORE INTO t VALUES ('a', 5)")["last_insert_rowid"] == 0
    # An upsert that inserts reports the new row.
    assert execute(upsert.format("c")) == {"rows_affected": 1, "last_insert_rowid": 3}
    # A RETURNING insert refused (and rolled back) does not confuse the next call.
    refused = http.post(
        f"/stores/{sid}/execute", json={"sql": "INSERT INTO t VALUES ('d', 1) RETURNING k"}
    )
    err(refused, 400)
    assert execute(upsert.format("a"))["last_insert_rowid"] == 0
    assert execute(upsert.format("e"))["last_insert_rowid"] == 4
    # Nor does a rowid reused after its row was deleted.
    reused = execute("INSERT INTO t VALUES ('y', 1)")["last_insert_rowid"]
    execute("DELETE FROM t WHERE k = 'y'")
    assert execute(upsert.format("y2"))["last_insert_rowid"] == reused
    # And the store's schema shows nothing of how the fake gets there.
    tables = {"sql": "SELECT name FROM sqlite_temp_master UNION SELECT name FROM sqlite_master"}
    assert {r["name"] for r in ok(http.post(f"/stores/{sid}/query", json=tables))["rows"]} == {
        "t",
        "log",
        "audit",
        "sqlite_autoindex_t_1",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sql": 5}, "Invalid JSON: invalid type: integer `5`, expected a string at field `sql`"),
        ({"sql": None}, "Invalid JSON: invalid type: null, expected a string at field `sql`"),
        (
            {"sql": "SELECT ?", "params": "x"},
            'Invalid JSON: invalid type: string "x", expected a sequence at field `params`',
        ),
        (
            {"sql": "SELECT ?", "params": {"1": 2}},
            "Invalid JSON: invalid type: map, expected a sequence at field `params`",
        ),
        # A blank sql with bad params: the body's types first, as a JSON decoder does.
        (
            {"sql": " ", "params": 1},
            "Invalid JSON: invalid type: integer `1`, expected a sequence at field `params`",
        ),
        ({"sql": " ", "params": None}, "sql is required"),
    ],
)
@pytest.mark.parametrize("operation", ["query", "execute"])
def test_wrong_types_in_sql_bodies_are_invalid_json(
    fake: FakeServer, operation: str, body: dict[str, Any], message: str
) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http)
        err(http.post(f"/stores/{sid}/{operation}", json=body), 400, message)
        # The same on an unknown store: the body is validated before the lookup.
        err(http.post(f"/stores/{uuid.uuid4()}/{operation}", json=body), 400, message)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["SET", "k", 5],
            "Invalid JSON: invalid type: integer `5`, expected a string at field `command[2]`",
        ),
        (
            ["SET", "k", True],
            "Invalid JSON: invalid type: boolean `true`, expected a string at field `command[2]`",
        ),
        (
            ["SET", None],
            "Invalid JSON: invalid type: null, expected a string at field `command[1]`",
        ),
        (
            "SET k v",
            'Invalid JSON: invalid type: string "SET k v", expected a sequence of strings '
            "at field `command`",
        ),
        ([], "command must not be empty"),
    ],
)
def test_command_elements_must_be_strings_and_nothing_runs(
    fake: FakeServer, command: Any, message: str
) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http, kind="redis")
        err(http.post(f"/stores/{sid}/command", json={"command": command}), 400, message)
        assert ok(http.post(f"/stores/{sid}/command", json={"command": ["DBSIZE"]})) == {
            "result": 0
        }


# -- the 16 MiB limit ---------------------------------------------------------------------------


def _padded_create(size: int) -> bytes:
    head = b'{"name": "big", "kind": "sqlite", "padding": "'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.slow  # 16 MiB bodies
def test_a_body_of_exactly_16_mib_is_accepted_one_byte_more_is_413(http: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    over = http.post("/stores", content=_padded_create(LIMIT + 1), headers=headers)
    err(over, 413, f"Request body exceeds the maximum size of {LIMIT} bytes")
    at_limit = http.post("/stores", content=_padded_create(LIMIT), headers=headers)
    assert ok(at_limit, 201)["name"] == "big"
    assert _names(ok(http.get("/stores"))) == ["big"]


# -- idempotency keys ---------------------------------------------------------------------------


def test_same_key_and_body_on_another_path_is_409(http: httpx.Client) -> None:
    first, second = create(http, "a"), create(http, "b")
    for sid in (first, second):
        ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    body = {"sql": "INSERT INTO t VALUES (1)"}
    headers = {"Idempotency-Key": "same"}
    ok(http.post(f"/stores/{first}/execute", json=body, headers=headers))
    text = err(http.post(f"/stores/{second}/execute", json=body, headers=headers), 409)
    assert "Idempotency-Key" in text
    count = {"sql": "SELECT count(*) AS n FROM t"}
    assert ok(http.post(f"/stores/{second}/query", json=count))["rows"] == [{"n": 0}]


def test_replay_after_the_store_was_deleted_answers_the_first_answer(http: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-once"}
    body = {"name": "gone-later", "kind": "sqlite"}
    first = http.post("/stores", json=body, headers=headers)
    record = ok(first, 201)
    ok(http.delete(f"/stores/{record['id']}"))

    replay = http.post("/stores", json=body, headers=headers)

    # The first answer, status included, and no store made again.
    assert ok(replay, 201) == record
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert ok(http.get("/stores")) == []
    err(http.get(f"/stores/{record['id']}"), 404, "Store not found")


def test_keys_are_global_to_the_fake_across_front_ends_and_clients() -> None:
    # The fake has at most one API key, so "per key" and "global" are the same: one
    # cache for the whole fake, whichever front end or client sends the key.
    fake = FakeServer(api_key="only-key-1")
    auth = {"authorization": "Bearer only-key-1", "Idempotency-Key": "shared"}
    body = {"name": "s", "kind": "redis"}
    with open_front_end("transport", fake) as in_process:
        created = ok(in_process.post("/stores", json=body, headers=auth), 201)
    with open_front_end("http", fake) as over_http:
        replay = over_http.post("/stores", json=body, headers=auth)
        assert ok(replay, 201) == created
        other = {"name": "t", "kind": "redis"}
        err(over_http.post("/stores", json=other, headers=auth), 409)
    assert [s.name for s in fake.stores] == ["s"]


def test_reset_forgets_idempotency_keys_and_faults(fake: FakeServer) -> None:
    headers = {"Idempotency-Key": "before-reset"}
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        ok(http.post("/stores", json={"name": "a", "kind": "sqlite"}, headers=headers), 201)
        fake.inject("list", status=503, times=5)
        fake.reset()
        # Another body under the same key: a new request now, not a 409.
        ok(http.post("/stores", json={"name": "b", "kind": "sqlite"}, headers=headers), 201)
        assert _names(ok(http.get("/stores"))) == ["b"]


# -- the request log ----------------------------------------------------------------------------


def test_the_request_log_never_holds_config_secrets(front_end: str) -> None:
    fake = FakeServer(api_key="log-key-123")
    config = {
        "host": "db",
        "password": "hunter2-pw",
        "password_secret": "vault-ref-9",
        "tls": {"client_token": "tok-77"},
        "dbname": "app",
    }
    secrets = ("hunter2-pw", "vault-ref-9", "tok-77", "log-key-123")
    with open_front_end(front_end, fake) as http:
        auth = {"authorization": "Bearer log-key-123"}
        body = {"name": "pg", "kind": "postgres", "config": config}
        ok(http.post("/stores", json=body, headers=auth), 201)
        # Escaped key names are still credentials once parsed.
        escaped = b'{"name": "pg2", "kind": "redis", "config": {"pass\\u0077ord": "hunter2-pw"}}'
        ok(http.post("/stores", content=escaped, headers=auth), 201)
        # A refused create is logged too.
        err(http.post("/stores", json={**body, "kind": "oracle"}, headers=auth), 400)
    logged = json.dumps([[r.body, dict(r.headers)] for r in fake.requests])
    assert not any(secret in logged for secret in secrets)
    assert not any(secret in repr(fake.requests) for secret in secrets)
    first = fake.requests[0].body
    assert first["config"] == {
        "host": "db",
        "password": "***",
        "password_secret": "***",
        "tls": {"client_token": "***"},
        "dbname": "app",
    }
    # The store itself keeps the real config: that is what the wire answers.
    assert fake.stores[0].config == config


def test_bodies_without_credentials_are_logged_as_sent(fake: FakeServer) -> None:
    with fake.client() as client:
        client.create_store(name="plain", kind="redis", config={"host": "h", "port": 6379})
    assert fake.requests[0].body == {
        "name": "plain",
        "kind": "redis",
        "config": {"host": "h", "port": 6379},
    }


# -- inject --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": 0}, "times must be a positive integer, got 0"),
        ({"times": -2}, "times must be a positive integer, got -2"),
        ({"times": True}, "times must be a positive integer, got True"),
        ({"operation": "select"}, "unknown operation 'select': use one of list, create, get"),
        ({"operation": "health"}, "unknown operation 'health'"),
    ],
)
def test_inject_refuses_bad_arguments_clearly(
    fake: FakeServer, kwargs: dict[str, Any], message: str
) -> None:
    operation = kwargs.pop("operation", "list")
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as info:
        fake.inject(operation, status=503, **kwargs)
    assert "Traceback" not in str(info.value)
    with fake.client(max_retries=0) as client:
        assert client.list_stores() == []  # nothing was injected


def test_a_delay_over_real_http_is_waited_then_answered(fake: FakeServer) -> None:
    # The network front end honours delay= (it sleeps before answering, in its own thread).
    # No timing threshold: the answer arrives and the request is logged as not a fault.
    fake.inject("list", delay=0.05)
    with fake.serve() as url, httpx.Client(base_url=url) as http:
        assert ok(http.get("/stores")) == []
    (request,) = fake.requests
    assert (request.operation, request.status, request.fault) == ("list", 200, False)


async def test_a_caller_cancelled_during_a_delay_is_logged_as_unanswered() -> None:
    # An async caller giving up (its own deadline, a cancelled task) while the fake
    # waits out an injected delay: the request shows in the log, with status None.
    fake = FakeServer()
    fake.inject("list", delay=30)
    cancelled: list[bool] = []
    async with httpx.AsyncClient(base_url="http://f", transport=fake.async_transport()) as http:

        async def call(scope: anyio.CancelScope) -> None:
            with scope:
                await http.get("/stores")
            cancelled.append(scope.cancelled_caught)

        async with anyio.create_task_group() as group:
            scope = anyio.CancelScope()
            group.start_soon(call, scope)
            for _ in range(1000):  # yield until the fake took the fault: the task is waiting
                if not fake._state.faults:
                    break
                await anyio.lowlevel.checkpoint()
            else:
                pytest.fail("the request never reached the fake")
            await anyio.lowlevel.checkpoint()
            scope.cancel()
        assert cancelled == [True]
        assert ok(await http.get("/stores")) == []
    assert [(r.operation, r.status) for r in fake.requests] == [("list", None), ("list", 200)]
