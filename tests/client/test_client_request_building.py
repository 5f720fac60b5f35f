"""How requests are built: a pool of the client's own takes a faster path than
``httpx.Client.build_request`` (see docs/benchmarks.md); it must put the very same
request on the wire as the ``build_request`` path a brought ``http_client=`` takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
import sniffio
from client_support import STORE_ID, Either, ok
from recording_server import RecordingServer

from durable_stores_client import AsyncClient, Client, ProtocolError, _client, _requests

QUERY_RESULT = {"columns": ["n"], "rows": [{"n": 1}], "row_count": 1}


def _normalized(wire: bytes) -> bytes:
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


def _seen(route: respx.Route) -> list[httpx.Request]:
    return [call.request for call in route.calls]


def _comparable(request: httpx.Request) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in request.headers.raw}
    assert headers.pop(b"idempotency-key")  # a fresh key per call: present, value differs
    return {
        "method": request.method,
        "url": str(request.url),
        "headers": headers,
        "timeout": request.extensions.get("timeout"),
        "body": request.content,
    }


async def test_own_pool_and_brought_client_send_the_same_request(
    make_api: Callable[..., Either], router: respx.MockRouter
) -> None:
    route = router.post(f"/stores/{STORE_ID}/query").respond(json=ok(QUERY_RESULT))
    own = make_api(api_key="sk-test", headers={"X-Trace": "1"}, timeout=7.0)
    http_client: httpx.Client | httpx.AsyncClient = (
        httpx.AsyncClient() if own.is_async else httpx.Client()
    )
    brought = make_api(
        api_key="sk-test", headers={"X-Trace": "1"}, timeout=7.0, http_client=http_client
    )
    try:
        for api in (own, brought):
            result = await api.query_store(STORE_ID, sql="SELECT ? AS n", params=[1])
            assert result.scalar() == 1
    finally:
        if isinstance(http_client, httpx.AsyncClient):
            await http_client.aclose()
        else:
            http_client.close()  # noqa: ASYNC212 - the sync variant of this test
    first, second = (_comparable(request) for request in _seen(route))
    assert first == second
    assert first["headers"][b"authorization"] == b"Bearer sk-test"
    assert first["headers"][b"content-type"] == b"application/json"
    assert first["headers"][b"accept"] == b"application/json"
    assert first["headers"][b"x-trace"] == b"1"
    assert first["timeout"] == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}


async def test_with_options_timeout_and_headers_reach_the_request(
    make_api: Callable[..., Either], router: respx.MockRouter
) -> None:
    route = router.post(f"/stores/{STORE_ID}/query").respond(json=ok(QUERY_RESULT))
    api = make_api(headers={"X-A": "1"})
    derived = Either(api.client.with_options(timeout=3.0, headers={"X-B": "2"}))
    await derived.query_store(STORE_ID, sql="SELECT 1 AS n")
    await api.query_store(STORE_ID, sql="SELECT 1 AS n")
    from_derived, from_parent = _seen(route)
    assert from_derived.headers["x-a"] == "1"
    assert from_derived.headers["x-b"] == "2"
    assert from_derived.extensions["timeout"]["read"] == 3.0
    assert "x-b" not in from_parent.headers
    assert from_parent.extensions["timeout"]["read"] == 30.0


async def test_cookies_a_server_sets_are_sent_back(
    make_api: Callable[..., Either], router: respx.MockRouter
) -> None:
    # A load balancer's sticky-session cookie, say: the fast path must not drop it.
    route = router.post(f"/stores/{STORE_ID}/query").mock(
        side_effect=[
            httpx.Response(200, json=ok(QUERY_RESULT), headers={"Set-Cookie": "lb=node-2"}),
            httpx.Response(200, json=ok(QUERY_RESULT)),
        ]
    )
    api = make_api()
    await api.query_store(STORE_ID, sql="SELECT 1 AS n")
    await api.query_store(STORE_ID, sql="SELECT 1 AS n")
    first, second = _seen(route)
    assert "cookie" not in first.headers
    assert second.headers["cookie"] == "lb=node-2"


async def test_requests_for_many_store_ids_go_to_their_own_paths(
    make_api: Callable[..., Either], router: respx.MockRouter
) -> None:
    route = router.route(method="POST").respond(json=ok(QUERY_RESULT))
    api = make_api()
    ids = [f"store-{i}" for i in range(5)] + ["a/b", "../x", "ünïcode"]
    for store_id in ids * 2:  # twice: the second round reuses parsed URLs
        await api.query_store(store_id, sql="SELECT 1 AS n")
    paths = [request.url.raw_path.decode() for request in _seen(route)]
    expected = [f"/stores/store-{i}/query" for i in range(5)] + [
        "/stores/a%2Fb/query",
        "/stores/%2E%2E%2Fx/query",
        "/stores/%C3%BCn%C3%AFcode/query",
    ]
    assert paths == expected * 2
    assert isinstance(api.client, AsyncClient) == api.is_async


def _httpx_built(builder: Any, call: Any, http: Any) -> httpx.Request:
    """The request as ``httpx.Request(content=, headers=)`` builds it (the reference)."""
    options = builder._options
    return httpx.Request(
        call.method,
        options.base_url + call.path,
        content=call.body,
        headers=_requests.request_headers(builder._headers, call.body is not None),
        extensions={"timeout": options.timeout.as_dict()},
    )


@pytest.mark.parametrize("backend", ["sync", "httpcore", "aiohttp"])
@pytest.mark.parametrize(
    "headers", [None, {"X-Trace": "1", "accept": "text/plain"}, {"content-type": "text/x"}]
)
async def test_the_request_on_the_wire_is_the_one_httpx_builds(
    backend: str, headers: dict[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "aiohttp":
        pytest.importorskip("httpx_aiohttp")
        if sniffio.current_async_library() != "asyncio":
            pytest.skip("aiohttp runs on asyncio only")
    server = RecordingServer()
    calls = 0

    async def calls_on(client: Any) -> None:
        nonlocal calls
        for _ in range(2):  # the second from the headers encoded on the first
            result = client.query_store(STORE_ID, "SELECT ?", [1])
            assert (await result if backend != "sync" else result).scalar() == 1
        derived = client.with_options(headers={"X-Derived": "2"})

        async def get_store() -> None:
            got = derived.get_store(STORE_ID)
            if backend != "sync":
                await got

        with pytest.raises(ProtocolError):  # the query envelope is no store: bytes matter
            await get_store()
        calls += 3

    async def run() -> None:
        kwargs: dict[str, Any] = {"api_key": "k-9", "headers": headers}
        if backend == "sync":
            with Client(server.url, **kwargs) as client:
                await calls_on(client)
        else:
            if backend == "aiohttp":
                kwargs["http_backend"] = "aiohttp"
            async with AsyncClient(server.url, **kwargs) as client:
                await calls_on(client)

    try:
        await run()
        monkeypatch.setattr(_client._RequestBuilder, "build", _httpx_built)
        await run()
    finally:
        server.close()
    ours, httpx_own = server.requests[: calls // 2], server.requests[calls // 2 :]
    assert len(ours) == len(httpx_own) == 3
    for built, reference in zip(ours, httpx_own, strict=True):
        assert _normalized(built) == _normalized(reference)
    assert b"\r\nidempotency-key: " in ours[0].lower()
