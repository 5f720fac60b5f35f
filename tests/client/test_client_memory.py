"""After a call returns, no part of the response body stays in memory.

httpx binds a response's stream back to the response, a reference cycle that would keep
the body alive until the garbage collector runs; with the collector off, a call must still
leave nothing of a large body behind: the response itself is gone, and no block the size of
a fraction of the body is still allocated.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from collections.abc import Iterator

import httpx
import pytest
from client_support import BASE_URL, STORE_ID
from recording_server import RecordingServer

from durable_stores_client import AsyncClient, Client

ROWS = 5_000
TEMPLATE = json.dumps(
    {
        "success": True,
        "data": {
            "columns": ["id", "text"],
            "rows": [{"id": i, "text": f"row {i} " + "x" * 40} for i in range(ROWS)],
            "row_count": ROWS,
        },
    }
).encode()
#: No block this large may survive a call (the body is about 60 times this).
BLOCK = len(TEMPLATE) // 64


class Recorder:
    """Answers every request with a fresh copy of the body; keeps only weak references."""

    def __init__(self) -> None:
        self.responses: list[weakref.ref[httpx.Response]] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        body = bytes(bytearray(TEMPLATE))  # a new object each time, not the template
        response = httpx.Response(200, headers={"content-type": "application/json"}, content=body)
        self.responses.append(weakref.ref(response))
        return response


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()
        gc.enable()


def _large_blocks_since(snapshot: tracemalloc.Snapshot) -> list[tracemalloc.StatisticDiff]:
    after = tracemalloc.take_snapshot()
    return [
        stat
        for stat in after.compare_to(snapshot, "traceback")
        if stat.size_diff > 0 and stat.size / max(stat.count, 1) >= BLOCK
    ]


@pytest.mark.usefixtures("collector_off")
def test_sync_call_leaves_no_part_of_the_body_behind() -> None:
    recorder = Recorder()
    with Client(
        base_url=BASE_URL, transport=httpx.MockTransport(recorder.answer), max_retries=0
    ) as client:
        client.query_store(STORE_ID, sql="SELECT 1")  # warm caches
        snapshot = tracemalloc.take_snapshot()
        result = client.query_store(STORE_ID, sql="SELECT 1")
        assert result.row_count == ROWS
        del result
        assert recorder.responses[-1]() is None, "the response outlived the call"
        assert _large_blocks_since(snapshot) == []


@pytest.mark.usefixtures("collector_off")
async def test_async_call_leaves_no_part_of_the_body_behind() -> None:
    recorder = Recorder()
    async with AsyncClient(
        base_url=BASE_URL, transport=httpx.MockTransport(recorder.answer), max_retries=0
    ) as client:
        await client.query_store(STORE_ID, sql="SELECT 1")
        snapshot = tracemalloc.take_snapshot()
        result = await client.query_store(STORE_ID, sql="SELECT 1")
        assert result.row_count == ROWS
        del result
        assert recorder.responses[-1]() is None, "the response outlived the call"
        assert _large_blocks_since(snapshot) == []


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp runs on asyncio only
async def test_a_call_on_the_aiohttp_pool_leaves_no_part_of_the_body_behind(
    anyio_backend: str,
) -> None:
    pytest.importorskip("httpx_aiohttp")
    server = RecordingServer(body=TEMPLATE)
    try:
        async with AsyncClient(server.url, http_backend="aiohttp", max_retries=0) as client:
            await client.query_store(STORE_ID, sql="SELECT 1")
            snapshot = tracemalloc.take_snapshot()
            result = await client.query_store(STORE_ID, sql="SELECT 1")
            assert result.row_count == ROWS
            del result
            assert _large_blocks_since(snapshot) == []
    finally:
        server.close()
