"""Calling the pool's transport directly (``_direct``) puts the same bytes on the wire.

A client whose pool has no auth, event hooks, cookies, redirects to follow or proxies
skips ``httpx.Client.send``'s layers and calls the transport itself. These tests record
what reaches a loopback server byte for byte, once on that path and once through
``send``, and check what ``send`` would still have done: cookies, the request on errors,
the elapsed time, httpx's log line; and that any other pool still goes through ``send``.
"""

from __future__ import annotations

import logging
import re
import socket
from typing import Any

import httpx
import pytest
from client_support import STORE_ID
from recording_server import RecordingServer

from durable_stores_client import APIConnectionError, AsyncClient, Client, NotFoundError, _direct


class Paths:
    """Counts the calls that went direct; can force every call through ``send``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.direct = 0
        self.forced = False
        real = _direct.route

        def route(http: Any) -> Any:
            transport = None if self.forced else real(http)
            self.direct += transport is not None
            return transport

        monkeypatch.setattr(_direct, "route", route)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(monkeypatch)


def _normalized(wire: bytes) -> bytes:
    # Each POST carries a fresh Idempotency-Key; everything else must match byte for byte.
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


def test_sync_direct_path_sends_the_same_bytes(server: RecordingServer, paths: Paths) -> None:
    with Client(base_url=server.url, api_key="secret-key") as client:
        client.query_store(STORE_ID, "SELECT ?", [1])
        assert paths.direct == 1
        paths.forced = True
        client.query_store(STORE_ID, "SELECT ?", [1])
    direct, through_send = server.requests
    assert _normalized(direct) == _normalized(through_send)
    assert b"\r\nauthorization: bearer secret-key\r\n" in direct.lower()


async def test_async_direct_path_sends_the_same_bytes(
    server: RecordingServer, paths: Paths
) -> None:
    async with AsyncClient(base_url=server.url, api_key="secret-key") as client:
        await client.query_store(STORE_ID, "SELECT ?", [1])
        assert paths.direct == 1
        paths.forced = True
        await client.query_store(STORE_ID, "SELECT ?", [1])
    assert _normalized(server.requests[0]) == _normalized(server.requests[1])


def test_cookies_set_by_the_server_are_kept_and_sent_back(paths: Paths) -> None:
    server = RecordingServer(extra_headers=b"set-cookie: session=abc; Path=/\r\n")
    try:
        with Client(base_url=server.url) as client:
            client.query_store(STORE_ID, "SELECT 1")
            assert paths.direct == 1
            client.query_store(STORE_ID, "SELECT 1")
            assert paths.direct == 1  # a pool with cookies goes through send again
    finally:
        server.close()
    assert b"cookie:" not in server.requests[0].lower()
    assert b"\r\ncookie: session=abc\r\n" in server.requests[1].lower()


def test_a_brought_pool_with_event_hooks_goes_through_send(
    server: RecordingServer, paths: Paths
) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda request: seen.append(request.method)]})
    with Client(base_url=server.url, http_client=http) as client:
        client.query_store(STORE_ID, "SELECT 1")
    http.close()
    assert seen == ["POST"]
    assert paths.direct == 0


def test_a_brought_pool_without_hooks_goes_direct(server: RecordingServer, paths: Paths) -> None:
    with httpx.Client() as http, Client(base_url=server.url, http_client=http) as client:
        assert client.query_store(STORE_ID, "SELECT 1").scalar() == 1
    assert paths.direct == 1


def test_the_answer_knows_its_request_and_elapsed_time(paths: Paths) -> None:
    server = RecordingServer(status=b"404 Not Found")
    try:
        with Client(base_url=server.url) as client, pytest.raises(NotFoundError) as raised:
            client.get_store(STORE_ID)
    finally:
        server.close()
    assert paths.direct == 1
    response = raised.value.response
    assert response is not None
    assert response.request.url.path == f"/stores/{STORE_ID}"
    assert response.elapsed.total_seconds() >= 0


def test_httpx_logs_its_request_line_on_the_direct_path(
    server: RecordingServer, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"), Client(base_url=server.url) as client:
        client.query_store(STORE_ID, "SELECT 1")
    assert paths.direct == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: POST {server.url}/stores/{STORE_ID}/query "HTTP/1.1 200 OK"']


async def test_async_httpx_logs_its_request_line_on_the_direct_path(
    server: RecordingServer, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with AsyncClient(base_url=server.url) as client:
            await client.query_store(STORE_ID, "SELECT 1")
    assert paths.direct == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: POST {server.url}/stores/{STORE_ID}/query "HTTP/1.1 200 OK"']


def test_connection_errors_carry_their_request(paths: Paths) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}"
    with Client(base_url=url, max_retries=0) as client, pytest.raises(APIConnectionError) as raised:
        client.query_store(STORE_ID, "SELECT 1")
    assert paths.direct == 1
    cause = raised.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.url.path == f"/stores/{STORE_ID}/query"
