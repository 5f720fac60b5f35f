"""Fixtures for the client tests: respx routes and both clients behind one interface.

Every test that takes ``api`` runs twice, once with ``Client`` and once with
``AsyncClient``; ``api.<operation>(...)`` is awaited either way. Retries never
sleep for real: the clients get a :class:`RetryPolicy` whose sleeps record the
requested waits in ``waits``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import respx
from client_support import BASE_URL, ENV_NAMES, Either
from hostile_server import Answer, HostileServer
from recording_server import RecordingServer

from durable_stores_client import AsyncClient, Client, RetryPolicy


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """A respx router for BASE_URL; unmatched requests fail the test."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def waits() -> list[float]:
    """The waits the clients asked for between attempts, in order."""
    return []


@pytest.fixture
def policy(waits: list[float]) -> RetryPolicy:
    """A retry policy that records waits instead of sleeping, with jitter factor 1."""

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=waits.append, async_sleep=async_sleep, random=lambda: 1.0)


@pytest.fixture(params=["sync", "async"])
def client_class(request: pytest.FixtureRequest) -> type[Client] | type[AsyncClient]:
    """``Client`` or ``AsyncClient``."""
    cls: type[Client] | type[AsyncClient] = Client if request.param == "sync" else AsyncClient
    return cls


@pytest.fixture
async def make_api(
    client_class: type[Client] | type[AsyncClient], policy: RetryPolicy
) -> AsyncIterator[Callable[..., Either]]:
    """Build clients of the parametrized class (closed after the test)."""
    made: list[Either] = []

    def make(**options: Any) -> Either:
        options.setdefault("retry_policy", policy)
        if "base_url" not in options:
            options["base_url"] = BASE_URL
        api = Either(client_class(**options))
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


@pytest.fixture
def api(make_api: Callable[..., Either], router: respx.MockRouter) -> Either:
    """A client (sync or async) on BASE_URL with the recording retry policy."""
    return make_api()


@pytest.fixture
def hostile() -> Iterator[Callable[[Answer], HostileServer]]:
    """Make loopback servers whose answers the test writes (closed after the test)."""
    servers: list[HostileServer] = []

    def make(answer: Answer) -> HostileServer:
        server = HostileServer(answer)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test here runs under asyncio and under trio."""
    backend: str = request.param
    return backend


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    """A keep-alive loopback server recording each request's bytes (closed after the test)."""
    recording = RecordingServer()
    yield recording
    recording.close()
