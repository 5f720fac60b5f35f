"""A finding of the benchmarks, kept fixed: no import machinery runs per request.

httpcore (<= 1.0.9) does ``import sniffio`` inside every async lock set-up. When sniffio is
not installed (anyio >= 4.11 no longer brings it), each of those imports fails anew and
scans ``sys.path``: a fifth to a third of ``AsyncClient``'s CPU per request in scenario 4.
The package depends on ``sniffio`` for that reason; this test fails if the imports come back.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from durable_stores_client import AsyncClient, Client
from durable_stores_client.fake import FakeServer


class _RecordingFinder:
    """A meta path finder that records every module looked up and finds nothing."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.looked_up.append(name)


@pytest.fixture
def finder() -> Any:
    recording = _RecordingFinder()
    sys.meta_path.insert(0, recording)
    try:
        yield recording
    finally:
        sys.meta_path.remove(recording)


@pytest.fixture(scope="module")
def served() -> Any:
    fake = FakeServer()
    with fake.serve() as url, Client(url) as client:
        store = client.create_store(name="imports", kind="sqlite")
        yield url, store.id


async def test_async_requests_over_http_import_nothing(served: Any, finder: Any) -> None:
    url, store_id = served
    async with AsyncClient(url) as client:
        sys.meta_path.remove(finder)
        await client.query_store(store_id, sql="SELECT 1 AS n")  # warm: lazy imports happen
        sys.meta_path.insert(0, finder)
        for _ in range(5):
            assert (await client.query_store(store_id, sql="SELECT 1 AS n")).scalar() == 1
    assert finder.looked_up == []


def test_sync_requests_over_http_import_nothing(served: Any, finder: Any) -> None:
    url, store_id = served
    with Client(url) as client:
        sys.meta_path.remove(finder)
        client.query_store(store_id, sql="SELECT 1 AS n")
        sys.meta_path.insert(0, finder)
        for _ in range(5):
            assert client.query_store(store_id, sql="SELECT 1 AS n").scalar() == 1
    assert finder.looked_up == []
