"""``AsyncClient(http_backend="aiohttp")``: aiohttp's connection pool, with every guarantee kept.

The same bytes on the wire as httpx's path through ``send``, the response size limit, the
attempt's time limit, a new pool in each event loop, clear errors for the arguments it
does not combine with, and aiohttp imported only when asked for.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from client_support import STORE_ID
from recording_server import ENVELOPE, RecordingServer

from durable_stores_client import (
    APITimeoutError,
    AsyncClient,
    Client,
    ResponseTooLargeError,
    _direct,
)

pytest.importorskip("httpx_aiohttp")


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp runs on asyncio only (the client and fake tests around run on trio too)."""
    return "asyncio"


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    recording = RecordingServer()
    yield recording
    recording.close()


def _normalized(wire: bytes) -> bytes:
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


async def test_answers_and_sends_the_same_bytes_as_through_send(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AsyncClient(server.url, api_key="k-123", http_backend="aiohttp") as client:
        result = await client.query_store(STORE_ID, "SELECT ?", [1])
        assert result.scalar() == 1
        monkeypatch.setattr(_direct, "route", lambda http: None)  # through httpx's send
        await client.query_store(STORE_ID, "SELECT ?", [1])
    direct, through_send = server.requests
    assert _normalized(direct) == _normalized(through_send)
    assert b"\r\nauthorization: bearer k-123\r\n" in direct.lower()


async def test_the_response_size_limit_holds() -> None:
    server = RecordingServer(body=ENVELOPE + b" " * 100_000)
    try:
        async with AsyncClient(
            server.url, http_backend="aiohttp", max_response_bytes=50_000
        ) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.query_store(STORE_ID, "SELECT 1")
    finally:
        server.close()


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
    with pytest.raises(ValueError, match="is for AsyncClient"):
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
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


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
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
