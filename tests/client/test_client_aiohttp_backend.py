"""``AsyncClient(http_backend="aiohttp")``: aiohttp's connection pool, with every guarantee kept.

The same bytes on the wire as httpx's path through ``send``, the response size limit, the
attempt's time limit, a new pool in each event loop, clear errors for the arguments it
does not combine with, and aiohttp imported only when asked for.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
import socket
import time
from typing import Any

import httpx
import pytest
from assertions import exactly
from client_support import STORE_ID
from hostile_server import HostileServer
from process_support import check_python
from recording_server import ENVELOPE, RecordingServer

from durable_stores_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    NotFoundError,
    ProtocolError,
    ResponseTooLargeError,
    _direct,
)

pytest.importorskip("httpx_aiohttp")

from durable_stores_client import _aiohttp


class Paths:
    """Counts the answers read straight from aiohttp; can force every call through ``send``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.raw = 0
        self.monkeypatch = monkeypatch
        real = _aiohttp.read_raw

        async def read_raw(*args: Any) -> None:
            self.raw += 1
            await real(*args)

        monkeypatch.setattr(_aiohttp, "read_raw", read_raw)

    def through_send(self) -> None:
        """From now on, every call goes through ``httpx.AsyncClient.send`` and its streams."""
        self.monkeypatch.setattr(_direct, "route", lambda http: None)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(monkeypatch)


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp runs on asyncio only (the client and fake tests around run on trio too)."""
    return "asyncio"


def _normalized(wire: bytes) -> bytes:
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


async def test_answers_and_sends_the_same_bytes_as_through_send(
    server: RecordingServer, paths: Paths
) -> None:
    async with AsyncClient(server.url, api_key="k-123", http_backend="aiohttp") as client:
        result = await client.query_store(STORE_ID, "SELECT ?", [1])
        assert result.scalar() == 1
        assert paths.raw == 1  # sent and read straight on aiohttp
        paths.through_send()  # through httpx's send and the httpx-aiohttp transport
        assert (await client.query_store(STORE_ID, "SELECT ?", [1])).scalar() == 1
        # A GET, without a body, both ways (the query envelope is no store: the bytes matter).
        with pytest.raises(ProtocolError):
            await client.get_store(STORE_ID)
        paths.monkeypatch.undo()
        with pytest.raises(ProtocolError):
            await client.get_store(STORE_ID)
    assert paths.raw == 1  # the counter was undone with the rest
    direct, through_send, get_through_send, get_direct = server.requests
    assert _normalized(direct) == _normalized(through_send)
    assert get_direct == get_through_send
    assert b"\r\nauthorization: bearer k-123\r\n" in direct.lower()


@pytest.mark.parametrize("answer", ["plain", "gzip bomb"])
async def test_the_response_size_limit_holds(paths: Paths, answer: str) -> None:
    server: RecordingServer | HostileServer
    if answer == "plain":  # read straight from aiohttp
        server = RecordingServer(body=ENVELOPE + b" " * 100_000)
    else:  # through httpx's decoders, in pieces
        server = HostileServer(_gzip_bomb)
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", max_response_bytes=50_000
        ) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()
    assert paths.raw == (1 if answer == "plain" else 0)


async def test_the_attempt_time_limit_holds() -> None:
    server = RecordingServer(delay=5.0)
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", timeout=0.3, max_retries=0
        ) as client:
            with pytest.raises(APITimeoutError):
                await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()


def test_a_new_pool_in_each_event_loop(server: RecordingServer) -> None:
    client = AsyncClient(server.url, http_backend="aiohttp")
    pools: list[Any] = []

    async def call() -> int:
        pools.append(client._pool.current(None))  # type: ignore[arg-type]
        return int((await client.query_store(STORE_ID, "SELECT 1")).scalar())

    assert [asyncio.run(call()) for _ in range(3)] == [1, 1, 1]
    assert len({id(pool) for pool in pools}) == 3
    asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"http_backend": "curl"}, ValueError, 'http_backend must be "httpcore" or "aiohttp"'),
        ({"http_backend": "aiohttp", "http_client": httpx.AsyncClient()}, TypeError, "without"),
        (
            {"http_backend": "aiohttp", "transport": httpx.MockTransport(lambda r: None)},
            TypeError,
            "without",
        ),
    ],
)
def test_arguments_it_does_not_combine_with(
    kwargs: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        AsyncClient("http://127.0.0.1:9", **kwargs)


def test_the_sync_client_refuses_it() -> None:
    with pytest.raises(
        ValueError,
        match=exactly(
            'http_backend="aiohttp" is for AsyncClient (aiohttp is asyncio-only); Client uses'
            " httpcore"
        ),
    ):
        Client("http://127.0.0.1:9", http_backend="aiohttp")


def test_aiohttp_is_imported_only_when_asked_for() -> None:
    code = (
        "import sys\n"
        "from durable_stores_client import AsyncClient\n"
        "AsyncClient('http://127.0.0.1:9')\n"
        "assert 'httpx_aiohttp' not in sys.modules and 'aiohttp' not in sys.modules\n"
        "AsyncClient('http://127.0.0.1:9', http_backend='aiohttp')\n"
        "assert 'httpx_aiohttp' in sys.modules\n"
    )
    check_python(code)


def test_without_the_extra_the_error_says_how_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['httpx_aiohttp'] = None\n"
        "from durable_stores_client import AsyncClient\n"
        "try:\n"
        "    AsyncClient('http://127.0.0.1:9', http_backend='aiohttp')\n"
        "except ImportError as error:\n"
        "    assert \"pip install 'durable-stores-client[aiohttp]'\" in str(error), error\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    check_python(code)


def _cut_mid_body(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    connection.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"
        + ENVELOPE[:10]
    )


def _gzipped(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    body = gzip.compress(ENVELOPE)
    connection.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n" % len(body) + body
    )


def _gzip_bomb(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    body = gzip.compress(b" " * (4 * 1024 * 1024), compresslevel=9)
    connection.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n" % len(body) + body
    )


def _busy_then_answer() -> Any:
    answered: list[int] = []

    def answer(connection: socket.socket, head: bytes, read_body: Any) -> None:
        read_body()
        answered.append(1)
        if len(answered) == 1:
            connection.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                b"retry-after: 0\r\nconnection: close\r\ncontent-length: 30\r\n\r\n"
                b'{"success":false,"error":"no"}'
            )
        else:
            body = b'{"success":true,"data":{"rows_affected":1}}'
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n" % len(body) + body
            )

    return answer


async def _failure(
    paths: Paths, path: str, answer: Any, max_retries: int, operation: str
) -> tuple[APIConnectionError, HostileServer]:
    """The error of one call of ``operation`` against ``answer``, on ``path``."""
    if path == "send":
        paths.through_send()
    server = HostileServer(answer)
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", max_retries=max_retries
        ) as client:
            calls = {
                "get_store": lambda: client.get_store(STORE_ID),
                "execute_store": lambda: client.execute_store(STORE_ID, "INSERT INTO t VALUES (1)"),
                "query_store": lambda: client.query_store(STORE_ID, "SELECT 1"),
            }
            with pytest.raises(APIConnectionError) as caught:
                await calls[operation]()
    finally:
        server.close()
    return caught.value, server


@pytest.mark.parametrize("path", ["direct", "send"])
async def test_a_connection_cut_mid_body_is_retried_then_a_connection_error(
    paths: Paths, path: str
) -> None:
    error, server = await _failure(paths, path, _cut_mid_body, 2, "get_store")
    assert type(error) is APIConnectionError
    assert (error.operation, error.attempts) == ("get_store", 3)
    assert error.request is not None
    assert error.request.url.path.endswith(STORE_ID)
    assert len(server.heads) == 3
    assert paths.raw == (3 if path == "direct" else 0)


@pytest.mark.parametrize("path", ["direct", "send"])
async def test_no_server_is_a_connection_error_carrying_the_call(paths: Paths, path: str) -> None:
    if path == "send":
        paths.through_send()
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()  # nothing listens there now
    async with AsyncClient(url, http_backend="aiohttp", max_retries=1) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.query_store(STORE_ID, "SELECT 1")
    error = caught.value
    assert type(error) is APIConnectionError
    assert (error.operation, error.attempts) == ("query_store", 2)
    assert error.request is not None
    assert error.request.method == "POST"


async def test_a_timeout_carries_the_call(paths: Paths) -> None:
    server = RecordingServer(delay=5.0)
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", timeout=0.3, max_retries=1
        ) as client:
            with pytest.raises(APITimeoutError) as caught:
                await client.get_store(STORE_ID)
    finally:
        server.close()
    assert (caught.value.operation, caught.value.attempts) == ("get_store", 2)
    assert caught.value.request is not None


async def test_a_retried_write_keeps_its_idempotency_key(paths: Paths) -> None:
    server = HostileServer(_busy_then_answer())
    try:
        async with AsyncClient(server.url, http_backend="aiohttp", max_retries=2) as client:
            result = await client.execute_store(STORE_ID, "INSERT INTO t VALUES (1)")
    finally:
        server.close()
    assert result.rows_affected == 1
    keys = [re.search(rb"(?im)^idempotency-key: ([^\r]+)", head) for head in server.heads]
    assert len(keys) == 2
    assert keys[0] is not None
    assert keys[1] is not None
    assert keys[0].group(1) == keys[1].group(1)
    assert paths.raw == 2  # both answers read straight from aiohttp


async def test_an_encoded_answer_is_decoded_through_httpx(paths: Paths) -> None:
    server = HostileServer(_gzipped)
    try:
        async with AsyncClient(server.url, http_backend="aiohttp") as client:
            result = await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()
    assert result.scalar() == 1
    assert paths.raw == 0  # gzip goes through httpx's decoders, cut into pieces


async def test_after_a_body_too_large_the_pool_still_answers(paths: Paths) -> None:
    big = RecordingServer(body=ENVELOPE + b" " * 100_000)
    try:
        async with AsyncClient(
            big.url, http_backend="aiohttp", max_response_bytes=50_000
        ) as client:
            for _ in range(3):  # the cut-off connection is released, never reused half-read
                with pytest.raises(ResponseTooLargeError):
                    await client.query_store(STORE_ID, "SELECT 1")
            big.body = None
            assert (await client.query_store(STORE_ID, "SELECT 1")).scalar() == 1
    finally:
        big.close()
    assert paths.raw == 4


def _hang_up(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()  # the request arrived whole: it may have been applied


@pytest.mark.parametrize("path", ["direct", "send"])
async def test_a_write_the_server_hung_up_on_is_not_retried(paths: Paths, path: str) -> None:
    error, server = await _failure(paths, path, _hang_up, 3, "execute_store")
    assert type(error) is APIConnectionError
    assert (error.operation, error.attempts) == ("execute_store", 1)
    assert len(server.heads) == 1  # as on the default pool: the write may have been applied


def _malformed(connection: socket.socket, head: bytes, read_body: Any) -> None:
    read_body()
    connection.sendall(b"HTTP/1.1 twohundred OK\r\ncontent-length: 2\r\n\r\n{}")


@pytest.mark.parametrize("path", ["direct", "send"])
async def test_a_malformed_answer_is_a_connection_error(paths: Paths, path: str) -> None:
    error, server = await _failure(paths, path, _malformed, 0, "query_store")
    assert type(error) is APIConnectionError
    assert (error.operation, len(server.heads)) == ("query_store", 1)


def _trickled(what: str) -> Any:
    """An answer sending ``what`` ("head", "body" or "gzip body") a byte every 10 ms."""

    def answer(connection: socket.socket, head: bytes, read_body: Any) -> None:
        read_body()
        body = ENVELOPE.ljust(200)
        encoding = b""
        if what == "gzip body":
            body = gzip.compress(body)
            encoding = b"content-encoding: gzip\r\n"
        head_out = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n%s"
            b"content-length: %d\r\n\r\n" % (encoding, len(body))
        )
        slow = head_out if what == "head" else body
        if what != "head":
            connection.sendall(head_out)
        for index in range(len(slow)):
            connection.sendall(slow[index : index + 1])
            time.sleep(0.01)
        if what == "head":
            connection.sendall(body)

    return answer


@pytest.mark.slow
@pytest.mark.parametrize("what", ["head", "body", "gzip body"])
async def test_a_trickled_answer_outlives_the_attempt_time_limit(paths: Paths, what: str) -> None:
    # No single read waits long, so only the attempt's own limit (aiohttp's total) ends it.
    server = HostileServer(_trickled(what))
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", timeout=0.3, max_retries=1
        ) as client:
            with pytest.raises(APITimeoutError) as caught:
                await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()
    error = caught.value
    assert "no complete answer within 0.3 s, the time limit of one attempt" in str(error)
    assert "after 2 attempts" in str(error)
    assert type(error.__cause__) is httpx.ReadTimeout
    assert error.request is not None
    assert error.request.method == "POST"
    assert len(server.heads) == 2
    assert paths.raw == (2 if what == "body" else 0)


async def test_cookies_set_by_the_server_are_kept_and_sent_back(paths: Paths) -> None:
    server = RecordingServer(extra_headers=b"set-cookie: session=abc; Path=/\r\n")
    try:
        async with AsyncClient(server.url, http_backend="aiohttp") as client:
            await client.query_store(STORE_ID, "SELECT 1")
            assert paths.raw == 1  # the first, as a Wire
            await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()
    assert paths.raw == 1  # a pool with cookies goes through send, which sends them back
    assert b"cookie:" not in server.requests[0].lower()
    assert b"\r\ncookie: session=abc\r\n" in server.requests[1].lower()


async def test_an_error_answer_carries_its_request_body_and_elapsed_time(paths: Paths) -> None:
    server = RecordingServer(status=b"404 Not Found", extra_headers=b"x-request-id: r-1\r\n")
    try:
        async with AsyncClient(server.url, api_key="k-1", http_backend="aiohttp") as client:
            with pytest.raises(NotFoundError) as raised:
                await client.get_store(STORE_ID)
    finally:
        server.close()
    assert paths.raw == 1
    error = raised.value
    assert (error.status_code, error.request_id, error.message) == (404, "r-1", "no")
    response = error.response
    assert isinstance(response, httpx.Response)
    assert response.status_code == 404
    assert response.content == b'{"success":false,"error":"no"}'
    assert response.headers["x-request-id"] == "r-1"
    assert response.request.method == "GET"
    assert response.request.url == f"{server.url}/stores/{STORE_ID}"
    assert response.elapsed.total_seconds() > 0


async def test_httpx_logs_its_request_line_on_the_wire_path(
    server: RecordingServer, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with AsyncClient(server.url, http_backend="aiohttp") as client:
            await client.query_store(STORE_ID, "SELECT 1")
    assert paths.raw == 1
    lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert lines == [f'HTTP Request: POST {server.url}/stores/{STORE_ID}/query "HTTP/1.1 200 OK"']
