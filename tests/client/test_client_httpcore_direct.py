"""A pool of the client's own calls httpcore's pool itself, and nothing a user sees changes.

On httpx's own transport (``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport``), the client
skips the transport's layer too and hands httpcore's connection pool its request. These tests
record what a loopback server receives on that path and through ``httpx.Client.send`` (a pool
brought with an event hook takes ``send``), byte for byte, and check that each failure raises
the same httpx error, with the same message and its request, as httpx's transport raises.
"""

from __future__ import annotations

import gzip
import re
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_support import STORE_ID, Either
from hostile_server import HostileServer
from recording_server import ENVELOPE, RecordingServer

from durable_stores_client import (
    APIConnectionError,
    AsyncClient,
    Client,
    NotFoundError,
    ProtocolError,
    ResponseTooLargeError,
)


class TransportCalls:
    """Counts the calls into httpx's transports (none when httpcore's pool is called itself)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        sync = httpx.HTTPTransport.handle_request
        async_ = httpx.AsyncHTTPTransport.handle_async_request

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> Any:
            self.count += 1
            return sync(transport, request)

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> Any:
            self.count += 1
            return await async_(transport, request)

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)


@pytest.fixture
def transport_calls(monkeypatch: pytest.MonkeyPatch) -> TransportCalls:
    return TransportCalls(monkeypatch)


def _hooks() -> dict[str, list[Callable[..., Any]]]:
    """Event hooks that do nothing: a pool with them goes through ``send``."""

    def nothing(_: object) -> None:
        return None

    return {"request": [nothing]}


async def _async_hooks() -> dict[str, list[Callable[..., Any]]]:
    async def nothing(_: object) -> None:
        return None

    return {"request": [nothing]}


def _normalized(wire: bytes) -> bytes:
    # Each POST carries a fresh Idempotency-Key; everything else must match byte for byte.
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


def _calls(client: Client) -> None:
    assert client.query_store(STORE_ID, "SELECT ?", [1]).scalar() == 1  # a POST with a body
    with pytest.raises(ProtocolError):  # a GET: the query envelope is no store, the bytes matter
        client.get_store(STORE_ID)


async def _async_calls(client: AsyncClient) -> None:
    assert (await client.query_store(STORE_ID, "SELECT ?", [1])).scalar() == 1
    with pytest.raises(ProtocolError):
        await client.get_store(STORE_ID)


def test_sync_sends_the_same_bytes_as_through_send(
    server: RecordingServer, transport_calls: TransportCalls
) -> None:
    with Client(server.url, api_key="k-123") as client:
        _calls(client)
    assert transport_calls.count == 0  # httpcore's pool, called directly
    with (
        httpx.Client(event_hooks=_hooks()) as http,
        Client(server.url, api_key="k-123", http_client=http) as client,
    ):
        _calls(client)
    assert transport_calls.count == 2  # through send and httpx's transport
    post, get, post_through_send, get_through_send = server.requests
    assert _normalized(post) == _normalized(post_through_send)
    assert get == get_through_send
    assert b"\r\nauthorization: bearer k-123\r\n" in post.lower()


async def test_async_sends_the_same_bytes_as_through_send(
    server: RecordingServer, transport_calls: TransportCalls
) -> None:
    async with AsyncClient(server.url, api_key="k-123") as client:
        await _async_calls(client)
    assert transport_calls.count == 0
    async with (
        httpx.AsyncClient(event_hooks=await _async_hooks()) as http,
        AsyncClient(server.url, api_key="k-123", http_client=http) as client,
    ):
        await _async_calls(client)
    assert transport_calls.count == 2
    post, get, post_through_send, get_through_send = server.requests
    assert _normalized(post) == _normalized(post_through_send)
    assert get == get_through_send


def _no_answer(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()


def _garbage(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")


def _body_cut_short(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + ENVELOPE[:10])


FAILURES = {"no answer": _no_answer, "garbage": _garbage, "body cut short": _body_cut_short}


def _sync_failure(url: str, http: httpx.Client | None) -> BaseException:
    with (
        Client(url, max_retries=0, http_client=http) as client,
        pytest.raises(APIConnectionError) as raised,
    ):
        client.query_store(STORE_ID, "SELECT 1")
    cause = raised.value.__cause__
    assert cause is not None
    return cause


async def _async_failure(url: str, http: httpx.AsyncClient | None) -> BaseException:
    async with AsyncClient(url, max_retries=0, http_client=http) as client:
        with pytest.raises(APIConnectionError) as raised:
            await client.query_store(STORE_ID, "SELECT 1")
    cause = raised.value.__cause__
    assert cause is not None
    return cause


def _same_error(direct: BaseException, through_send: BaseException) -> None:
    assert isinstance(direct, httpx.TransportError)
    assert type(direct) is type(through_send)
    assert str(direct) == str(through_send)
    assert direct.request.url.path == f"/stores/{STORE_ID}/query"
    assert type(direct.__cause__).__module__.startswith("httpcore")  # mapped from httpcore's
    assert type(direct.__cause__) is type(through_send.__cause__)


@pytest.mark.parametrize("failure", FAILURES)
def test_sync_failures_raise_what_httpx_raises(
    failure: str, transport_calls: TransportCalls
) -> None:
    server = HostileServer(FAILURES[failure])
    try:
        direct = _sync_failure(server.url, None)
        assert transport_calls.count == 0
        with httpx.Client(event_hooks=_hooks()) as http:
            through_send = _sync_failure(server.url, http)
        assert transport_calls.count == 1
    finally:
        server.close()
    _same_error(direct, through_send)


@pytest.mark.parametrize("failure", FAILURES)
async def test_async_failures_raise_what_httpx_raises(
    failure: str, transport_calls: TransportCalls
) -> None:
    server = HostileServer(FAILURES[failure])
    try:
        direct = await _async_failure(server.url, None)
        assert transport_calls.count == 0
        async with httpx.AsyncClient(event_hooks=await _async_hooks()) as http:
            through_send = await _async_failure(server.url, http)
        assert transport_calls.count == 1
    finally:
        server.close()
    _same_error(direct, through_send)


def _header_lines(head: bytes) -> list[tuple[bytes, bytes]]:
    lines = head.split(b"\r\n")[1:]
    return [(name.lower(), value) for name, _, value in (line.partition(b": ") for line in lines)]


def test_an_errors_request_is_the_request_sent(transport_calls: TransportCalls) -> None:
    server = HostileServer(_no_answer)
    try:
        direct = _sync_failure(server.url, None)
    finally:
        server.close()
    assert transport_calls.count == 0
    assert isinstance(direct, httpx.RequestError)
    sent = direct.request
    assert [(name.lower(), value) for name, value in sent.headers.raw] == _header_lines(
        server.heads[0]
    )
    assert sent.headers["content-length"] == str(len(sent.content))
    assert sent.content.startswith(b'{"sql":')


async def test_async_an_errors_request_is_the_request_sent(
    transport_calls: TransportCalls,
) -> None:
    server = HostileServer(_no_answer)
    try:
        direct = await _async_failure(server.url, None)
    finally:
        server.close()
    assert transport_calls.count == 0
    assert isinstance(direct, httpx.RequestError)
    assert [(name.lower(), value) for name, value in direct.request.headers.raw] == (
        _header_lines(server.heads[0])
    )


def _refused_url() -> str:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}"


def test_a_refused_connection_raises_what_httpx_raises(transport_calls: TransportCalls) -> None:
    url = _refused_url()
    direct = _sync_failure(url, None)
    with httpx.Client(event_hooks=_hooks()) as http:
        through_send = _sync_failure(url, http)
    assert transport_calls.count == 1
    _same_error(direct, through_send)


async def test_async_a_refused_connection_raises_what_httpx_raises(
    transport_calls: TransportCalls,
) -> None:
    url = _refused_url()
    direct = await _async_failure(url, None)
    async with httpx.AsyncClient(event_hooks=await _async_hooks()) as http:
        through_send = await _async_failure(url, http)
    assert transport_calls.count == 1
    _same_error(direct, through_send)


def test_gzip_answers_are_decoded(transport_calls: TransportCalls) -> None:
    server = RecordingServer(b"content-encoding: gzip\r\n", body=gzip.compress(ENVELOPE))
    try:
        with Client(server.url) as client:
            assert client.query_store(STORE_ID, "SELECT 1").scalar() == 1
    finally:
        server.close()
    assert transport_calls.count == 0


async def test_async_answers_know_their_request_elapsed_time_and_cookies(
    transport_calls: TransportCalls,
) -> None:
    server = RecordingServer(b"set-cookie: session=abc; Path=/\r\n", status=b"404 Not Found")
    try:
        async with AsyncClient(server.url) as client:
            with pytest.raises(NotFoundError) as raised:
                await client.get_store(STORE_ID)
            assert transport_calls.count == 0
            with pytest.raises(NotFoundError):  # a pool with cookies goes through send
                await client.get_store(STORE_ID)
    finally:
        server.close()
    assert transport_calls.count == 1
    assert b"cookie:" not in server.requests[0].lower()
    assert b"\r\ncookie: session=abc\r\n" in server.requests[1].lower()
    response = raised.value.response
    assert response is not None
    assert response.request.url.path == f"/stores/{STORE_ID}"
    assert response.elapsed.total_seconds() >= 0
    assert response.is_closed
    assert response.is_stream_consumed
    assert response.num_bytes_downloaded == len(response.content) > 0


def test_a_read_answer_is_closed_timed_and_counted() -> None:
    server = RecordingServer(status=b"404 Not Found")
    try:
        with Client(server.url) as client, pytest.raises(NotFoundError) as raised:
            client.get_store(STORE_ID)
    finally:
        server.close()
    response = raised.value.response
    assert response is not None
    assert response.elapsed.total_seconds() >= 0
    assert response.is_closed
    assert response.is_stream_consumed
    assert response.num_bytes_downloaded == len(response.content) > 0


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
async def test_an_answer_over_the_size_limit_is_closed_with_its_body_dropped(
    client_class: type[Client] | type[AsyncClient],
) -> None:
    server = RecordingServer(body=b'{"success":true,"data":"' + b"x" * 5000 + b'"}')
    api = Either(client_class(server.url, max_response_bytes=1000))
    try:
        with pytest.raises(ResponseTooLargeError) as raised:
            await api.get_store(STORE_ID)
    finally:
        await api.close()
        server.close()
    response = raised.value.response
    assert response is not None
    assert response.is_closed
    assert response.request.url.path == f"/stores/{STORE_ID}"
    with pytest.raises(httpx.ResponseNotRead):
        response.content  # noqa: B018 - dropped, as on httpx's own path


#: Failures whose message the client keeps as httpx wrote it (it masks bytes it received).
UNMASKED = ["no answer", "body cut short"]


@pytest.mark.parametrize("failure", UNMASKED)
def test_failures_raise_what_raw_httpx_raises(failure: str) -> None:
    server = HostileServer(FAILURES[failure])
    try:
        ours = _sync_failure(server.url, None)
        with httpx.Client() as http, pytest.raises(httpx.TransportError) as raised:
            http.post(f"{server.url}/stores/{STORE_ID}/query", content=b"{}")
    finally:
        server.close()
    assert type(ours) is type(raised.value)
    assert str(ours) == str(raised.value)


@pytest.mark.parametrize("failure", UNMASKED)
async def test_async_failures_raise_what_raw_httpx_raises(failure: str) -> None:
    server = HostileServer(FAILURES[failure])
    try:
        ours = await _async_failure(server.url, None)
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.TransportError) as raised:
                await http.post(f"{server.url}/stores/{STORE_ID}/query", content=b"{}")
    finally:
        server.close()
    assert type(ours) is type(raised.value)
    assert str(ours) == str(raised.value)


def test_an_error_answers_request_never_shows_the_api_key() -> None:
    # The request built from the encoded headers keeps them until read: shown, they are masked.
    server = RecordingServer(status=b"404 Not Found")
    try:
        with (
            Client(server.url, api_key="k-secret-123") as client,
            pytest.raises(NotFoundError) as raised,
        ):
            client.get_store(STORE_ID)
    finally:
        server.close()
    response = raised.value.response
    assert response is not None
    request = response.request
    assert repr(request) == f"<Request('GET', '{server.url}/stores/{STORE_ID}')>"
    assert "k-secret-123" not in repr(vars(request))
    assert "k-secret-123" not in repr(request.headers)
    assert request.headers["authorization"] == "Bearer k-secret-123"  # still sent, and readable
