"""Shared fixtures for the fake's tests: every front end, so they cannot drift."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fake_helpers import FRONT_ENDS, open_front_end

from durable_stores_client.fake import FakeServer


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


@pytest.fixture(
    params=[
        # Over real HTTP a test starts a server thread and opens sockets: the full run
        # covers that front end, the inner loop (-m "not slow") the two in-process ones.
        pytest.param(name, marks=[pytest.mark.slow] if name == "http" else [])
        for name in FRONT_ENDS
    ]
)
def front_end(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def http(front_end: str, fake: FakeServer) -> Iterator[httpx.Client]:
    """An httpx client on ``fake`` through each front end in turn."""
    with open_front_end(front_end, fake) as client:
        yield client


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test here runs under asyncio and under trio."""
    backend: str = request.param
    return backend
