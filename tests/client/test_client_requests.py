"""Every operation's request (method, path, encoded id, body, headers) and decoding.

Each test runs against both ``Client`` and ``AsyncClient`` (the ``api`` fixture).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx
from assertions import exactly
from client_support import BASE_URL, STORE_ID, STORE_RECORD, Either, ok, record

from durable_stores_client import (
    CommandResult,
    ExecuteResult,
    QueryResult,
    Store,
    StoreKind,
    __version__,
)


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _assert_common_headers(request: httpx.Request) -> None:
    assert request.headers["user-agent"] == f"durable-stores-client-python/{__version__}"
    assert request.headers["accept"] == "application/json"


def _assert_post_headers(request: httpx.Request) -> None:
    _assert_common_headers(request)
    assert request.headers["content-type"] == "application/json"
    key = request.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4


async def test_list_stores(api: Either, router: respx.MockRouter) -> None:
    second = record(id="019abc12-0000-7def-89ab-0123456789ab", name="cache", kind="redis")
    del second["sandbox"]
    route = router.get("/stores").respond(200, json=ok([STORE_RECORD, second]))
    stores = await api.list_stores()
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url == f"{BASE_URL}/stores"
    assert request.content == b""
    _assert_common_headers(request)
    assert "idempotency-key" not in request.headers
    assert "content-type" not in request.headers
    assert [store.name for store in stores] == ["agent-state", "cache"]
    assert all(isinstance(store, Store) for store in stores)
    assert stores[1].kind is StoreKind.REDIS
    assert stores[1].sandbox is None
    assert stores[1].to_dict() == second


async def test_list_stores_empty(api: Either, router: respx.MockRouter) -> None:
    router.get("/stores").respond(200, json=ok([]))
    assert await api.list_stores() == []


async def test_create_store_with_keyword_fields(api: Either, router: respx.MockRouter) -> None:
    route = router.post("/stores").respond(201, json=ok(STORE_RECORD))
    store = await api.create_store(
        name="agent-state", kind=StoreKind.SQLITE, sandbox="build-runner", config={"path": "a.db"}
    )
    request = route.calls.last.request
    _assert_post_headers(request)
    assert _body(request) == {
        "name": "agent-state",
        "kind": "sqlite",
        "sandbox": "build-runner",
        "config": {"path": "a.db"},
    }
    assert store.id == STORE_ID
    assert store.created_at == datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc)


async def test_create_store_with_a_payload_sends_it_opaquely(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.post("/stores").respond(201, json=ok(STORE_RECORD))
    payload = {
        "name": "agent-state",
        "kind": "postgres",
        "config": {"host": "127.0.0.1", "port": 5432, "password_secret": "pg"},
        "future_field": [1, {"x": None}],
    }
    await api.create_store(payload)
    assert _body(route.calls.last.request) == payload


async def test_create_store_leaves_out_none_optionals(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.post("/stores").respond(201, json=ok(STORE_RECORD))
    await api.create_store(name="n", kind="redis", sandbox=None, config=None)
    assert _body(route.calls.last.request) == {"name": "n", "kind": "redis"}


async def test_create_store_sends_non_ascii_as_utf8(api: Either, router: respx.MockRouter) -> None:
    route = router.post("/stores").respond(201, json=ok(record(name="héllo ✓")))
    store = await api.create_store(name="héllo ✓", kind="sqlite")
    assert "héllo ✓".encode() in route.calls.last.request.content
    assert store.name == "héllo ✓"


async def test_get_store(api: Either, router: respx.MockRouter) -> None:
    route = router.get(f"/stores/{STORE_ID}").respond(200, json=ok(STORE_RECORD))
    store = await api.get_store(STORE_ID)
    assert route.calls.last.request.method == "GET"
    assert store.to_dict() == STORE_RECORD


@pytest.mark.parametrize(
    ("store_id", "raw_path"),
    [
        ("../x", "/stores/%2E%2E%2Fx"),
        ("a/b", "/stores/a%2Fb"),
        ("..", "/stores/%2E%2E"),
        (".", "/stores/%2E"),
        ("a b?c#d%e", "/stores/a%20b%3Fc%23d%25e"),
        ("é", "/stores/%C3%A9"),
        ("\uff41\uff42", "/stores/%EF%BD%81%EF%BD%82"),  # full-width letters, never normalized
        ("v1.2", "/stores/v1%2E2"),
        ("x/../../health", "/stores/x%2F%2E%2E%2F%2E%2E%2Fhealth"),
    ],
)
async def test_ids_are_percent_encoded_as_one_segment(
    api: Either, router: respx.MockRouter, store_id: str, raw_path: str
) -> None:
    route = router.route().respond(200, json=ok(record(id=store_id)))
    store = await api.get_store(store_id)
    assert route.calls.last.request.url.raw_path.decode() == raw_path
    assert store.id == store_id
    route.respond(200, json=ok({"columns": [], "rows": [], "row_count": 0}))
    await api.query_store(store_id, sql="SELECT 1")
    assert route.calls.last.request.url.raw_path.decode() == raw_path + "/query"
    route.respond(200, json=ok({"rows_affected": 0}))
    await api.execute_store(store_id, sql="DELETE FROM t")
    assert route.calls.last.request.url.raw_path.decode() == raw_path + "/execute"
    route.respond(200, json=ok({"result": None}))
    await api.command_store(store_id, command=["GET", "k"])
    assert route.calls.last.request.url.raw_path.decode() == raw_path + "/command"
    route.respond(200, json=ok("deleted"))
    await api.delete_store(store_id)
    assert route.calls.last.request.url.raw_path.decode() == raw_path


async def test_delete_store(api: Either, router: respx.MockRouter) -> None:
    route = router.delete(f"/stores/{STORE_ID}").respond(200, json=ok("deleted"))
    assert await api.delete_store(STORE_ID) is None
    request = route.calls.last.request
    assert request.method == "DELETE"
    assert "idempotency-key" not in request.headers
    assert route.call_count == 1


async def test_delete_store_missing_ok(api: Either, router: respx.MockRouter) -> None:
    from durable_stores_client import NotFoundError

    router.delete(f"/stores/{STORE_ID}").respond(
        404, json={"success": False, "error": "Store not found"}
    )
    assert await api.delete_store(STORE_ID, missing_ok=True) is None
    with pytest.raises(
        NotFoundError,
        match=exactly(
            "delete_store failed: DELETE /stores/019abc12-1234-7def-89ab-0123456789ab -> HTTP"
            " 404: Store not found"
        ),
    ):
        await api.delete_store(STORE_ID)


async def test_query_store_with_keywords(api: Either, router: respx.MockRouter) -> None:
    data = {"columns": ["id", "name"], "rows": [{"id": 11, "name": "alice"}], "row_count": 1}
    route = router.post(f"/stores/{STORE_ID}/query").respond(200, json=ok(data))
    result = await api.query_store(STORE_ID, sql="SELECT id, name FROM t WHERE id > ?", params=[10])
    request = route.calls.last.request
    _assert_post_headers(request)
    assert _body(request) == {"sql": "SELECT id, name FROM t WHERE id > ?", "params": [10]}
    assert isinstance(result, QueryResult)
    assert result.columns == ["id", "name"]
    assert result.rows == [{"id": 11, "name": "alice"}]
    assert result.row_count == 1
    assert result.one() == {"id": 11, "name": "alice"}


async def test_query_store_without_params_omits_them(api: Either, router: respx.MockRouter) -> None:
    data = {"columns": ["n"], "rows": [{"n": 3}], "row_count": 1}
    route = router.post(f"/stores/{STORE_ID}/query").respond(200, json=ok(data))
    assert (await api.query_store(STORE_ID, sql="SELECT 3 AS n")).scalar() == 3
    assert _body(route.calls.last.request) == {"sql": "SELECT 3 AS n"}


async def test_query_store_with_payload_and_tuple_params(
    api: Either, router: respx.MockRouter
) -> None:
    data = {"columns": [], "rows": [], "row_count": 0}
    route = router.post(f"/stores/{STORE_ID}/query").respond(200, json=ok(data))
    result = await api.query_store(STORE_ID, {"sql": "SELECT ?", "params": (1, None, True, 1.5)})
    assert _body(route.calls.last.request) == {"sql": "SELECT ?", "params": [1, None, True, 1.5]}
    assert result.first() is None


async def test_execute_store(api: Either, router: respx.MockRouter) -> None:
    route = router.post(f"/stores/{STORE_ID}/execute").respond(
        200, json=ok({"rows_affected": 1, "last_insert_rowid": 42})
    )
    result = await api.execute_store(
        STORE_ID, sql="INSERT INTO t (doc) VALUES (?)", params=[{"k": [1, 2]}]
    )
    request = route.calls.last.request
    _assert_post_headers(request)
    assert _body(request) == {"sql": "INSERT INTO t (doc) VALUES (?)", "params": [{"k": [1, 2]}]}
    assert result == ExecuteResult(rows_affected=1, last_insert_rowid=42)


async def test_sql_and_params_positionally_as_sqlite3_takes_them(
    api: Either, router: respx.MockRouter
) -> None:
    data = {"columns": ["n"], "rows": [{"n": 3}], "row_count": 1}
    query = router.post(f"/stores/{STORE_ID}/query").respond(200, json=ok(data))
    execute = router.post(f"/stores/{STORE_ID}/execute").respond(
        200, json=ok({"rows_affected": 1, "last_insert_rowid": 1})
    )
    assert (await api.query_store(STORE_ID, "SELECT ? + 1 AS n", [2])).scalar() == 3
    assert _body(query.calls.last.request) == {"sql": "SELECT ? + 1 AS n", "params": [2]}
    await api.query_store(STORE_ID, "SELECT 3 AS n")
    assert _body(query.calls.last.request) == {"sql": "SELECT 3 AS n"}
    await api.execute_store(STORE_ID, "INSERT INTO t VALUES (?, ?)", ("a", None))
    assert _body(execute.calls.last.request) == {
        "sql": "INSERT INTO t VALUES (?, ?)",
        "params": ["a", None],
    }


async def test_execute_store_without_last_insert_rowid(
    api: Either, router: respx.MockRouter
) -> None:
    router.post(f"/stores/{STORE_ID}/execute").respond(200, json=ok({"rows_affected": 0}))
    result = await api.execute_store(STORE_ID, {"sql": "UPDATE t SET a = 1"})
    assert result.last_insert_rowid is None


async def test_command_store(api: Either, router: respx.MockRouter) -> None:
    route = router.post(f"/stores/{STORE_ID}/command").respond(200, json=ok({"result": "OK"}))
    result = await api.command_store(STORE_ID, command=["SET", "greeting", "hello"])
    request = route.calls.last.request
    _assert_post_headers(request)
    assert _body(request) == {"command": ["SET", "greeting", "hello"]}
    assert result == CommandResult(result="OK")


async def test_command_arguments_are_converted_as_redis_py_converts_them(
    api: Either, router: respx.MockRouter
) -> None:
    import enum

    class Priority(enum.IntEnum):
        HIGH = 7

    route = router.post(f"/stores/{STORE_ID}/command").respond(200, json=ok({"result": 1}))
    await api.command_store(
        STORE_ID, ["ZADD", "k", 1.5, b"m\xc3\xa9", "NX", 10**20, Priority.HIGH, bytearray(b"x")]
    )
    assert _body(route.calls.last.request) == {
        "command": ["ZADD", "k", "1.5", "mé", "NX", "100000000000000000000", "7", "x"]
    }
    await api.command_store(STORE_ID, {"command": ["INCRBY", "k", 5]})
    assert _body(route.calls.last.request) == {"command": ["INCRBY", "k", "5"]}


async def test_create_and_ensure_send_extra_fields_as_given(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.post("/stores").respond(201, json=ok(STORE_RECORD))
    router.get("/stores").respond(200, json=ok([]))
    await api.create_store(name="n", kind="redis", extra_fields={"ttl_days": 3})
    assert _body(route.calls.last.request) == {"name": "n", "kind": "redis", "ttl_days": 3}
    await api.ensure_store(name="agent-state", kind="sqlite", extra_fields={"labels": ["a"]})
    assert _body(route.calls.last.request) == {
        "name": "agent-state",
        "kind": "sqlite",
        "labels": ["a"],
    }


@pytest.mark.parametrize("reply", [None, 3, "hello", ["a", None], {"f": "v"}, 1.5, True])
async def test_command_store_results_are_opaque_json(
    api: Either, router: respx.MockRouter, reply: Any
) -> None:
    router.post(f"/stores/{STORE_ID}/command").respond(200, json=ok({"result": reply}))
    assert (await api.command_store(STORE_ID, {"command": ("GET", "k")})).result == reply


async def test_every_post_gets_a_fresh_idempotency_key(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.post(f"/stores/{STORE_ID}/command").respond(200, json=ok({"result": 1}))
    for _ in range(3):
        await api.command_store(STORE_ID, command=["INCR", "n"])
    keys = {call.request.headers["idempotency-key"] for call in route.calls}
    assert len(keys) == 3


async def test_api_key_is_sent_as_bearer(make_api: Any, router: respx.MockRouter) -> None:
    api = make_api(api_key="sk-test-123")
    route = router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-123"


async def test_no_api_key_means_no_authorization_header(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    assert "authorization" not in route.calls.last.request.headers


async def test_extra_headers_are_sent_and_override_defaults(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(headers={"X-Team": "infra", "User-Agent": "my-agent/1.0"})
    route = router.post("/stores").respond(201, json=ok(STORE_RECORD))
    await api.create_store(name="a", kind="sqlite")
    request = route.calls.last.request
    assert request.headers["x-team"] == "infra"
    assert request.headers["user-agent"] == "my-agent/1.0"
    assert "idempotency-key" in request.headers


async def test_base_url_with_a_path_prefix(make_api: Any) -> None:
    with respx.mock(base_url="http://gateway.localhost/durable/") as mock:
        route = mock.get("/stores").respond(200, json=ok([]))
        api = make_api(base_url="http://gateway.localhost/durable/")
        await api.list_stores()
    assert route.calls.last.request.url == "http://gateway.localhost/durable/stores"


# ---------------------------------------------------------------- bad arguments


_BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    ("get_store", ("",), {}, ValueError, "non-empty"),
    ("get_store", ("   ",), {}, ValueError, "non-empty"),
    ("get_store", (None,), {}, TypeError, "must be a str"),
    ("get_store", (123,), {}, TypeError, r"^get_store\(\) store_id must be a str"),
    ("delete_store", (b"id",), {}, TypeError, r"^delete_store\(\) store_id must be a str"),
    ("query_store", ("  ", "SELECT 1"), {}, ValueError, r"^query_store\(\) store_id must be"),
    ("command_store", (7, ["PING"]), {}, TypeError, r"^command_store\(\) store_id must be"),
    ("create_store", ({"name": "a", "kind": "sqlite"},), {"name": "b"}, TypeError, "not both"),
    ("create_store", (), {}, TypeError, "needs name and kind"),
    ("create_store", (), {"name": "a"}, TypeError, "needs kind"),
    ("create_store", (), {"name": "  ", "kind": "sqlite"}, ValueError, "blank"),
    ("create_store", (), {"name": 3, "kind": "sqlite"}, TypeError, "name must be a str"),
    ("create_store", (), {"name": "a", "kind": "oracle"}, ValueError, "one of mysql, postgres"),
    (
        "create_store",
        (),
        {"name": "a", "kind": "redis", "config": {1, 2}},
        TypeError,
        "store config must be JSON-serializable: Object of type set",
    ),
    ("create_store", (), {"name": "a", "kind": "redis", "sandbox": 1}, TypeError, "str"),
    ("create_store", (["name", "a"],), {}, TypeError, "payload must be a mapping"),
    (
        "create_store",
        (),
        {"name": "a", "kind": "redis", "config": {"x": object()}},
        TypeError,
        "JSON-serializable",
    ),
    (
        "create_store",
        (),
        {"name": "a", "kind": "redis", "config": {"x": float("nan")}},
        ValueError,
        "valid JSON",
    ),
    ("query_store", (STORE_ID, {"sql": "SELECT 1"}), {"sql": "SELECT 2"}, TypeError, "multiple"),
    ("query_store", (STORE_ID, {"sql": "SELECT 1"}), {"params": [1]}, TypeError, "not both"),
    ("query_store", (STORE_ID, {"sql": "SELECT 1"}, [1]), {}, TypeError, "not both"),
    ("query_store", (STORE_ID,), {}, TypeError, "missing 1 required positional argument: 'sql'"),
    ("query_store", (STORE_ID, 7), {}, TypeError, r"needs sql as a str \(or a payload mapping\)"),
    ("query_store", (STORE_ID, "SELECT ?", "1"), {}, TypeError, "params must be a list"),
    ("query_store", (STORE_ID,), {"sql": " "}, ValueError, "must not be blank"),
    ("query_store", (STORE_ID,), {"sql": "SELECT ?", "params": "1"}, TypeError, "params"),
    ("query_store", (STORE_ID,), {"sql": "SELECT ?", "params": {"a": 1}}, TypeError, "params"),
    ("query_store", (STORE_ID, {"params": [1]}), {}, TypeError, "needs sql"),
    ("query_store", ("",), {"sql": "SELECT 1"}, ValueError, "non-empty"),
    ("execute_store", (STORE_ID,), {"sql": b"DELETE"}, TypeError, "needs sql as a str"),
    ("execute_store", (STORE_ID, " "), {}, ValueError, r"execute_store\(\) sql must not be blank"),
    ("command_store", (STORE_ID,), {"command": []}, ValueError, "must not be empty"),
    ("command_store", (STORE_ID,), {"command": "GET k"}, TypeError, "list of strings"),
    ("command_store", (STORE_ID,), {}, TypeError, "missing 1 required positional argument"),
    ("command_store", (STORE_ID, {}), {}, TypeError, "list of strings"),
    ("command_store", (STORE_ID, ["SET", "k", True]), {}, TypeError, "item 2 is bool"),
    ("command_store", (STORE_ID, ["SET", "k", None]), {}, TypeError, "item 2 is NoneType"),
    ("command_store", (STORE_ID, ["SET", "k", b"\xff"]), {}, TypeError, "item 2 is bytes that"),
    (
        "command_store",
        (STORE_ID, {"command": ["PING"]}),
        {"command": ["PING"]},
        TypeError,
        "multiple values",
    ),
    ("ensure_store", (), {"name": "a"}, TypeError, r"^ensure_store\(\) needs kind"),
    ("ensure_store", (), {"name": " ", "kind": "redis"}, ValueError, r"^ensure_store\(\) store"),
    ("create_store", (), {"nmae": "a", "kind": "redis"}, TypeError, "unexpected keyword .*nmae"),
    (
        "create_store",
        (),
        {"name": "a", "kind": "redis", "extra_fields": {"name": "b"}},
        TypeError,
        r"takes name as its own argument \(name=...\)",
    ),
    ("create_store", (), {"name": "a", "kind": "redis", "extra_fields": [1]}, TypeError, "mapping"),
    (
        "create_store",
        ({"name": "a", "kind": "redis"},),
        {"extra_fields": {"ttl": 1}},
        TypeError,
        "not both",
    ),
]


@pytest.mark.parametrize(
    ("operation", "args", "kwargs", "error", "match"),
    _BAD_CALLS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(_BAD_CALLS)],
)
async def test_bad_arguments_raise_before_any_request(
    api: Either,
    router: respx.MockRouter,
    operation: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    route = router.route().respond(500)
    with pytest.raises(error, match=match):
        await getattr(api, operation)(*args, **kwargs)
    assert route.call_count == 0


async def test_passing_a_store_instead_of_its_id_says_so(
    api: Either, router: respx.MockRouter
) -> None:
    store = Store.from_dict(STORE_RECORD)
    with pytest.raises(
        TypeError, match=exactly("get_store() store_id must be a str, got Store (pass store.id)")
    ):
        await api.get_store(store)


async def test_payload_mapping_is_not_modified(api: Either, router: respx.MockRouter) -> None:
    router.post("/stores").respond(201, json=ok(STORE_RECORD))
    payload = {"name": "a", "kind": StoreKind.SQLITE, "sandbox": None}
    await api.create_store(payload)
    assert payload == {"name": "a", "kind": StoreKind.SQLITE, "sandbox": None}


@pytest.mark.parametrize("config", [[1, "two"], "host=db", 5, False], ids=repr)
async def test_create_store_sends_and_keeps_a_non_object_config(
    api: Either, router: respx.MockRouter, config: Any
) -> None:
    # The server keeps any JSON value as a non-sqlite store's config (CONTRACT.md).
    answer = dict(STORE_RECORD, kind="redis", config=config)
    route = router.post("/stores").respond(201, json=ok(answer))
    store = await api.create_store(name="n", kind="redis", config=config)
    assert _body(route.calls.last.request) == {"name": "n", "kind": "redis", "config": config}
    assert store.config == config
    assert type(store.config) is type(config)
    assert store.to_dict() == answer
