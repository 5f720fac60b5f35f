"""The pytest plugin's fixtures, used from a test file the way a user would."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

LOOP_SCOPE = ("-o", "asyncio_default_fixture_loop_scope=function")

USER_TESTS = """
import httpx
from durable_stores_client import AsyncClient, Client
from durable_stores_client.fake import FakeServer


def test_fake_is_fresh(durable_stores_fake):
    assert isinstance(durable_stores_fake, FakeServer)
    assert durable_stores_fake.stores == []


def test_client_is_bound_to_the_fake(durable_stores_client, durable_stores_fake):
    assert isinstance(durable_stores_client, Client)
    store = durable_stores_client.create_store(name="notes", kind="sqlite")
    assert [s.id for s in durable_stores_fake.stores] == [store.id]


def test_the_next_test_gets_a_fresh_fake(durable_stores_client):
    assert durable_stores_client.list_stores() == []


async def test_async_client(async_durable_stores_client, durable_stores_fake):
    assert isinstance(async_durable_stores_client, AsyncClient)
    await async_durable_stores_client.create_store(name="a", kind="redis")
    assert len(durable_stores_fake.stores) == 1


def test_url_serves_the_same_fake(durable_stores_url, durable_stores_fake):
    with Client(base_url=durable_stores_url) as client:
        client.create_store(name="over-http", kind="sqlite")
    assert [s.name for s in durable_stores_fake.stores] == ["over-http"]
    assert httpx.get(durable_stores_url + "/health").json()["data"] == "ok"
"""


def test_fixtures_work_in_a_user_test_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=auto", *LOOP_SCOPE
    )
    result.assert_outcomes(passed=5)


def test_fixtures_work_with_strict_asyncio_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict="""
import pytest


@pytest.mark.asyncio
async def test_async_client(async_durable_stores_client):
    assert await async_durable_stores_client.list_stores() == []
"""
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=strict", *LOOP_SCOPE
    )
    result.assert_outcomes(passed=1)


def test_plugin_is_registered_and_imports_cheaply() -> None:
    code = (
        "import sys, durable_stores_client.pytest_plugin as p\n"
        "heavy = [m for m in ('durable_stores_client.fake', 'respx', 'sqlite3', 'fakeredis', "
        "'http.server') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
    from importlib.metadata import entry_points

    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("durable_stores") == "durable_stores_client.pytest_plugin"
