"""Error mapping: statuses, envelope failures on 2xx, non-JSON bodies, messages, secrets."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import respx
from assertions import exactly
from client_support import STORE_ID, STORE_RECORD, Either, fail, ok

from durable_stores_client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DurableStoresError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    UnprocessableEntityError,
)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (501, InternalServerError),
        (503, InternalServerError),
        (418, APIError),
        (405, APIError),
    ],
)
async def test_statuses_map_to_error_classes(
    make_api: Any, router: respx.MockRouter, status: int, error: type[APIError]
) -> None:
    api = make_api(max_retries=0)
    router.get(f"/stores/{STORE_ID}").respond(
        status, json=fail("something went wrong"), headers={"x-request-id": "req-77"}
    )
    with pytest.raises(error) as info:
        await api.get_store(STORE_ID)
    exc = info.value
    assert type(exc) is error
    assert isinstance(exc, DurableStoresError)
    assert exc.status_code == status
    assert exc.message == "something went wrong"
    assert exc.request_id == "req-77"
    assert exc.response is not None
    assert exc.response.status_code == status
    text = str(exc)
    assert "get_store" in text
    assert f"HTTP {status}" in text
    assert "something went wrong" in text
    assert "req-77" in text


async def test_request_id_is_none_without_the_header(api: Either, router: respx.MockRouter) -> None:
    router.post(f"/stores/{STORE_ID}/query").respond(400, json=fail("sql is required"))
    with pytest.raises(BadRequestError) as info:
        await api.query_store(STORE_ID, sql="SELECT 1")
    assert info.value.request_id is None
    assert str(info.value) == (
        f"query_store failed: POST /stores/{STORE_ID}/query -> HTTP 400: sql is required"
    )


@pytest.mark.parametrize(
    "message",
    [
        "Missing Authorization header",
        "Invalid authorization format. Use: Bearer <api_key>",
        "Invalid bearer token",
    ],
)
async def test_authentication_errors_keep_the_server_message(
    api: Either, router: respx.MockRouter, message: str
) -> None:
    router.get("/stores").respond(401, json=fail(message))
    with pytest.raises(AuthenticationError) as info:
        await api.list_stores()
    assert info.value.message == message


async def test_agentkernel_duplicate_name_500_is_a_conflict(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.post("/stores").respond(
        500, json=fail("failed to create durable store metadata")
    )
    with pytest.raises(ConflictError) as info:
        await api.create_store(name="dup", kind="sqlite")
    assert info.value.status_code == 500
    assert "already exists" in str(info.value)
    assert route.call_count == 1  # a write is never retried on 500


async def test_the_same_500_on_another_operation_stays_a_server_error(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(max_retries=0)
    router.get("/stores").respond(500, json=fail("failed to create durable store metadata"))
    with pytest.raises(InternalServerError):
        await api.list_stores()


async def test_fake_style_409_is_a_conflict(api: Either, router: respx.MockRouter) -> None:
    router.post("/stores").respond(409, json=fail("Store name already exists"))
    with pytest.raises(
        ConflictError,
        match=exactly("create_store failed: POST /stores -> HTTP 409: Store name already exists"),
    ):
        await api.create_store(name="dup", kind="sqlite")


_NOT_THE_ENVELOPE: list[tuple[int, dict[str, Any], str]] = [
    (200, {"content": b"<html>oops</html>", "headers": {"content-type": "text/html"}}, "not JSON"),
    (200, {"content": b""}, "not JSON"),
    (200, {"content": b"\xff\xfe\x00garbage"}, "not JSON"),
    (200, {"json": [1, 2]}, "not the success/error envelope"),
    (200, {"json": {"data": []}}, "not the success/error envelope"),
    (200, {"json": {"success": "yes", "data": []}}, "not the success/error envelope"),
    (200, {"json": {"success": False, "error": "boom"}}, "success: false on a 2xx"),
    (201, {"json": {"success": False}}, "success: false on a 2xx"),
    (200, {"json": {"success": True, "data": {"id": 1}}}, "does not fit the list_stores result"),
    (200, {"json": {"success": True}}, "does not fit the list_stores result"),
    (400, {"json": {"success": False}}, "not the success/error envelope"),
    (400, {"json": {"success": True, "data": []}}, "not the success/error envelope"),
    (404, {"text": "Not Found", "headers": {"content-type": "text/plain"}}, "not JSON"),
    (302, {"json": {"success": True, "data": []}}, "not the success/error envelope"),
]


@pytest.mark.parametrize(("status", "response", "reason"), _NOT_THE_ENVELOPE)
async def test_bodies_that_are_not_the_envelope_are_protocol_errors(
    api: Either, router: respx.MockRouter, status: int, response: dict[str, Any], reason: str
) -> None:
    router.get("/stores").respond(status, **response)
    with pytest.raises(ProtocolError) as info:
        await api.list_stores()
    exc = info.value
    assert exc.status_code == status
    text = str(exc)
    assert reason in text
    assert f"HTTP {status}" in text
    assert "list_stores" in text
    assert "content-type" in text
    assert exc.response is not None


async def test_protocol_error_names_content_type_and_excerpt(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(max_retries=0)
    body = "<html><body>" + "x" * 1000 + "</body></html>"
    router.get("/stores").respond(502, text=body, headers={"content-type": "text/html"})
    with pytest.raises(ProtocolError) as info:
        await api.list_stores()
    exc = info.value
    assert exc.status_code == 502
    assert exc.content_type == "text/html"
    assert exc.excerpt.startswith("<html><body>xxx")
    assert exc.excerpt.endswith("...")
    assert len(exc.excerpt) == 203
    assert "text/html" in str(exc)
    assert "HTTP 502" in str(exc)


async def test_store_with_an_unknown_kind_is_a_protocol_error(
    api: Either, router: respx.MockRouter
) -> None:
    router.get(f"/stores/{STORE_ID}").respond(200, json=ok(dict(STORE_RECORD, kind="oracle")))
    with pytest.raises(
        ProtocolError,
        match="^"
        + re.escape(
            f"get_store failed: GET /stores/{STORE_ID} -> HTTP 200 (content-type "
            "application/json): its data does not fit the get_store result: store record has "
            "unknown kind 'oracle'; body starts "
        ),
    ):
        await api.get_store(STORE_ID)


async def test_query_data_of_the_wrong_shape_is_a_protocol_error(
    api: Either, router: respx.MockRouter
) -> None:
    router.post(f"/stores/{STORE_ID}/query").respond(200, json=ok({"columns": ["a"]}))
    with pytest.raises(ProtocolError, match="does not fit the query_store result"):
        await api.query_store(STORE_ID, sql="SELECT 1")


async def test_secrets_never_reach_exception_text(make_api: Any, router: respx.MockRouter) -> None:
    api = make_api(api_key="sk-live-abcdef123456", max_retries=0)
    router.post(f"/stores/{STORE_ID}/execute").respond(
        400,
        json=fail(
            "failed executing store statement: connect postgres://app:pg-pass-9@db/app "
            'password=hunter2 token: tk-77 key sk-live-abcdef123456 {"db_secret": "s3cr3t"}'
        ),
    )
    with pytest.raises(BadRequestError) as info:
        await api.execute_store(STORE_ID, sql="UPDATE t SET a = 1")
    text = str(info.value) + info.value.message + repr(info.value)
    for secret in ("pg-pass-9", "hunter2", "tk-77", "sk-live-abcdef123456", "s3cr3t"):
        assert secret not in text
    assert "failed executing store statement" in text


async def test_secrets_never_reach_protocol_error_excerpts(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(api_key="sk-live-abcdef123456")
    router.get("/stores").respond(
        200,
        text='debug: {"password": "hunter2", "auth": "Bearer sk-live-abcdef123456"}',
        headers={"content-type": "text/plain"},
    )
    with pytest.raises(ProtocolError) as info:
        await api.list_stores()
    text = str(info.value) + info.value.excerpt
    assert "hunter2" not in text
    assert "sk-live-abcdef123456" not in text
    assert "debug" in text


async def test_connection_errors_are_api_connection_errors(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(max_retries=0)
    router.get("/stores").mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(APIConnectionError) as info:
        await api.list_stores()
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "Connection refused" in str(info.value)
    assert "stores.localhost" in str(info.value)


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.WriteTimeout, httpx.PoolTimeout]
)
async def test_timeouts_are_api_timeout_errors(
    make_api: Any, router: respx.MockRouter, error: type[httpx.TimeoutException]
) -> None:
    api = make_api(max_retries=0)
    router.get(f"/stores/{STORE_ID}").mock(side_effect=error("timed out"))
    with pytest.raises(APITimeoutError, match="timed out") as info:
        await api.get_store(STORE_ID)
    assert isinstance(info.value, APIConnectionError)
    assert isinstance(info.value.__cause__, error)


async def test_the_configured_timeout_reaches_the_transport(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(timeout=httpx.Timeout(7.0, connect=2.0))
    route = router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}


async def test_the_default_timeout_is_30_seconds_and_5_to_connect(
    api: Either, router: respx.MockRouter
) -> None:
    route = router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


_OPERATIONS: dict[str, tuple[str, str, Any]] = {
    "list_stores": ("GET", "/stores", lambda api: api.list_stores()),
    "get_store": ("GET", f"/stores/{STORE_ID}", lambda api: api.get_store(STORE_ID)),
    "delete_store": ("DELETE", f"/stores/{STORE_ID}", lambda api: api.delete_store(STORE_ID)),
    "query_store": (
        "POST",
        f"/stores/{STORE_ID}/query",
        lambda api: api.query_store(STORE_ID, sql="SELECT 1"),
    ),
    "create_store": ("POST", "/stores", lambda api: api.create_store(name="n", kind="sqlite")),
    "execute_store": (
        "POST",
        f"/stores/{STORE_ID}/execute",
        lambda api: api.execute_store(STORE_ID, sql="DELETE FROM t"),
    ),
    "command_store": (
        "POST",
        f"/stores/{STORE_ID}/command",
        lambda api: api.command_store(STORE_ID, command=["PING"]),
    ),
}


@pytest.mark.parametrize("name", list(_OPERATIONS))
@pytest.mark.parametrize("status", [200, 503])
async def test_a_body_that_cannot_be_decompressed_is_a_protocol_error_never_retried(
    make_api: Any, waits: list[float], name: str, status: int
) -> None:
    # The server answered (status and headers arrived), so this is not a
    # connection error; a corrupt body is deterministic, so no retry either.
    # (Not respx: its router decodes the body itself, before the client reads it.)
    method, path, call = _OPERATIONS[name]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            status,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            stream=httpx.ByteStream(b"this is not gzip at all"),
        )

    api = make_api(transport=httpx.MockTransport(handler))
    with pytest.raises(ProtocolError) as info:
        await call(api)
    exc = info.value
    assert [(request.method, request.url.path) for request in seen] == [(method, path)]
    assert waits == []
    assert exc.status_code == status
    assert exc.content_type == "application/json"
    assert exc.excerpt == ""
    assert isinstance(exc.__cause__, httpx.DecodingError)
    text = str(exc)
    assert f"{name} failed: {method} {path} -> HTTP {status}" in text
    assert "content-type application/json" in text
    assert "content-encoding gzip" in text
    assert "could not be decoded" in text
    assert "got no answer" not in text
    assert exc.response is not None
    assert exc.response.headers["content-encoding"] == "gzip"
    assert exc.response.is_closed
