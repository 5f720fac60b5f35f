"""pytest fixtures for testing code that uses Durable Stores, on the bundled fake.

Registered through the ``pytest11`` entry point, so installing
``durable-stores-client`` makes these fixtures available in every test suite:

- ``durable_stores_fake``: a fresh :class:`~durable_stores_client.fake.FakeServer`
  per test.
- ``durable_stores``: a :class:`~durable_stores_client.Client` bound to
  that fake in-process, closed after the test.
- ``async_durable_stores``: the :class:`~durable_stores_client.AsyncClient`
  twin (needs an asyncio test runner such as pytest-asyncio or anyio).
- ``durable_stores_url``: the same fake served over real HTTP on a free
  loopback port, for code (or other processes) that take a base URL.

Options (ini, each overridden by its environment variable when that is set):
``durable_stores_postgres_url`` / ``DURABLE_STORES_FAKE_POSTGRES_URL``,
``durable_stores_mysql_url`` / ``DURABLE_STORES_FAKE_MYSQL_URL`` and
``durable_stores_redis_url`` / ``DURABLE_STORES_FAKE_REDIS_URL`` run the fake's
postgres, mysql and redis stores on those servers (each store on a database
of its own, dropped after the test).
``durable_stores_profile`` / ``DURABLE_STORES_FAKE_PROFILE``: the face of the
``durable_stores_fake`` fixture, ``contract`` (the default) or ``agentkernel``
(the agentkernel server as it is today, its known deviations included).

This module is imported by pytest in every run of every project that has the
package installed, so it imports nothing heavy: the fake, the client and
httpx are imported inside the fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from ._client import AsyncClient, Client
    from .fake import FakeServer

_F = TypeVar("_F", bound=Callable[..., Any])


def _async_fixture_decorator() -> Callable[[_F], _F]:
    # pytest-asyncio (in strict mode too) runs an async fixture only when it is
    # declared with its own decorator; anyio and other runners take plain ones.
    try:
        import pytest_asyncio  # noqa: PLC0415 - optional: pytest-asyncio may be absent
    except ImportError:  # pragma: no cover - depends on the environment
        return cast("Callable[[_F], _F]", pytest.fixture)
    return cast("Callable[[_F], _F]", pytest_asyncio.fixture)


_async_fixture = _async_fixture_decorator()

__all__ = [
    "async_durable_stores",
    "durable_stores",
    "durable_stores_fake",
    "durable_stores_url",
]


#: The plugin's ini options, each with the environment variable that overrides it.
_OPTIONS = {
    "durable_stores_postgres_url": (
        "DURABLE_STORES_FAKE_POSTGRES_URL",
        "run the fake's postgres stores on this PostgreSQL server (postgresql://...); "
        "default: the embedded PostgreSQL",
    ),
    "durable_stores_mysql_url": (
        "DURABLE_STORES_FAKE_MYSQL_URL",
        "run the fake's mysql stores on this MySQL/MariaDB server (mysql://...); "
        "default: an SQLite emulation",
    ),
    "durable_stores_redis_url": (
        "DURABLE_STORES_FAKE_REDIS_URL",
        "run the fake's redis stores on this Redis server (redis://...); default: fakeredis",
    ),
    "durable_stores_profile": (
        "DURABLE_STORES_FAKE_PROFILE",
        "the face of the durable_stores_fake fixture: contract (default) or agentkernel "
        "(the agentkernel server as it is today)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini options (each also read from its environment variable)."""
    for name, (variable, text) in _OPTIONS.items():
        parser.addini(name, f"{text} (environment: {variable})", default="")


def option(config: pytest.Config, name: str) -> str | None:
    """An ini option of this plugin, its environment variable winning; None when unset."""
    variable = _OPTIONS[name][0]
    value = os.environ.get(variable) or config.getini(name)
    return str(value) if value else None


@pytest.fixture
def durable_stores_fake(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """A fresh in-memory fake Durable Stores server for this test.

    Reset after the test, which closes its stores' databases and keyspaces (and
    drops the ones it made on servers given by the URL options). Its profile is
    the ``durable_stores_profile`` ini option (or ``DURABLE_STORES_FAKE_PROFILE``),
    ``contract`` by default.
    """
    from .fake import FakeServer  # noqa: PLC0415 - the plugin's import-time test

    config = request.config
    try:
        fake = FakeServer(
            postgres_url=option(config, "durable_stores_postgres_url"),
            mysql_url=option(config, "durable_stores_mysql_url"),
            redis_url=option(config, "durable_stores_redis_url"),
            profile=option(config, "durable_stores_profile") or "contract",
        )
    except ValueError as exc:  # an unknown profile, a URL of the wrong kind
        raise pytest.UsageError(f"durable_stores_fake: {exc}") from None
    yield fake
    fake.reset()


@pytest.fixture
def durable_stores(durable_stores_fake: FakeServer) -> Iterator[Client]:
    """A ``Client`` talking to ``durable_stores_fake`` in-process, closed after the test."""
    with durable_stores_fake.client() as client:
        yield client


@_async_fixture
async def async_durable_stores(
    durable_stores_fake: FakeServer,
) -> AsyncIterator[AsyncClient]:
    """An ``AsyncClient`` talking to ``durable_stores_fake`` in-process, closed after the test."""
    async with durable_stores_fake.async_client() as client:
        yield client


@pytest.fixture
def durable_stores_url(durable_stores_fake: FakeServer) -> Iterator[str]:
    """The base URL of ``durable_stores_fake`` served over HTTP on a free loopback port."""
    with durable_stores_fake.serve() as url:
        yield url
