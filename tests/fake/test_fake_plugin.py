"""The pytest plugin's fixtures, used from a test file the way a user would."""

from __future__ import annotations

import pytest
from process_support import modules_after

pytest_plugins = ["pytester"]

LOOP_SCOPE = ("-o", "asyncio_default_fixture_loop_scope=function")

USER_TESTS = """
import httpx
import pytest

import durable_stores_client
from durable_stores_client import AsyncClient, Client
from durable_stores_client.fake import FakeServer


def test_fake_is_fresh(durable_stores_fake):
    assert isinstance(durable_stores_fake, FakeServer)
    assert durable_stores_fake.stores == []


def test_client_is_bound_to_the_fake(durable_stores, durable_stores_fake):
    assert isinstance(durable_stores, Client)
    store = durable_stores.create_store(name="notes", kind="sqlite")
    assert [s.id for s in durable_stores_fake.stores] == [store.id]


def test_the_next_test_gets_a_fresh_fake(durable_stores):
    assert durable_stores.list_stores() == []


def test_the_fixture_does_not_shadow_the_package(durable_stores):
    # The fixture is named after the API, not the module, so both are usable in one test.
    with pytest.raises(durable_stores_client.NotFoundError):
        durable_stores.get_store("no-such-store")


async def test_async_client(async_durable_stores, durable_stores_fake):
    assert isinstance(async_durable_stores, AsyncClient)
    await async_durable_stores.create_store(name="a", kind="redis")
    assert len(durable_stores_fake.stores) == 1


def test_url_serves_the_same_fake(durable_stores_url, durable_stores_fake):
    with Client(base_url=durable_stores_url) as client:
        client.create_store(name="over-http", kind="sqlite")
    assert [s.name for s in durable_stores_fake.stores] == ["over-http"]
    assert httpx.get(durable_stores_url + "/health").json()["data"] == "ok"


async def test_async_client_over_the_url(durable_stores_url, durable_stores_fake):
    async with AsyncClient(base_url=durable_stores_url) as client:
        store = await client.create_store(name="async-over-http", kind="redis")
        await client.command_store(store.id, command=["SET", "k", "v"])
        result = await client.command_store(store.id, command=["GET", "k"])
    assert result.result == "v"
    assert [s.name for s in durable_stores_fake.stores] == ["async-over-http"]
    assert [r.operation for r in durable_stores_fake.requests] == ["create", "command", "command"]
"""

USER_TEST_COUNT = USER_TESTS.count("\ndef test_") + USER_TESTS.count("\nasync def test_")


@pytest.mark.slow  # a pytest run of its own
def test_fixtures_work_in_a_user_test_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=auto", *LOOP_SCOPE
    )
    result.assert_outcomes(passed=USER_TEST_COUNT)


RELEASE_TESTS = """
KEPT = []


def test_uses_stores(durable_stores, durable_stores_fake):
    durable_stores.create_store(name="sql", kind="sqlite")
    durable_stores.create_store(name="kv", kind="redis")
    KEPT.append(durable_stores_fake)


def test_the_previous_fake_was_released():
    assert KEPT[0].stores == []
"""


def test_the_fake_fixture_releases_its_stores_after_the_test(pytester: pytest.Pytester) -> None:
    """Each test's stores (their SQLite connections, their keyspaces) go with the test."""
    pytester.makepyfile(test_release=RELEASE_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *LOOP_SCOPE)
    result.assert_outcomes(passed=2)


CONTRACT_USER_TESTS = """
from durable_stores_client.contract import pytest_checks

test_contract = pytest_checks(["health", "stores.get", "sql.query.params"])
"""


@pytest.mark.slow  # a pytest run of its own
def test_fixtures_and_the_contract_plugin_in_one_user_project(pytester: pytest.Pytester) -> None:
    # A user's project: tests on the fixtures, plus the contract suite aimed by its
    # command-line option at a URL (here the fake, served by this outer test).
    from durable_stores_client.contract import select_checks
    from durable_stores_client.fake import FakeServer

    pytester.makepyfile(test_user=USER_TESTS, test_user_contract=CONTRACT_USER_TESTS)
    checks = select_checks(["health", "stores.get", "sql.query.params"])
    served = FakeServer(api_key="plugin-key-123")
    with served.serve() as url:
        result = pytester.runpytest_inprocess(
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            *LOOP_SCOPE,
            "--durable-stores-contract-url",
            url,
            "--durable-stores-contract-api-key",
            "plugin-key-123",
        )
    result.assert_outcomes(passed=USER_TEST_COUNT + len(checks))
    assert served.stores == []  # the contract run deleted what it made
    assert {r.operation for r in served.requests} >= {"health", "create", "get", "delete", "query"}


@pytest.mark.slow  # a pytest run of its own
def test_the_contract_suite_against_a_fake_served_for_the_session(
    pytester: pytest.Pytester,
) -> None:
    # durable_stores_url is per test; the contract target is per session, so a
    # conftest serves its own fake for the session (documented in docs/testing.md).
    pytester.makeconftest(
        """
import pytest

from durable_stores_client.contract import Target
from durable_stores_client.fake import FakeServer


@pytest.fixture(scope="session")
def durable_stores_contract_target():
    fake = FakeServer()
    with fake.serve() as url:
        yield Target(url)
    assert fake.stores == [], "the contract run left stores behind"
"""
    )
    pytester.makepyfile(test_user_contract=CONTRACT_USER_TESTS)
    from durable_stores_client.contract import select_checks

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *LOOP_SCOPE)
    result.assert_outcomes(passed=len(select_checks(["health", "stores.get", "sql.query.params"])))


def test_fixtures_work_with_strict_asyncio_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict="""
import pytest


@pytest.mark.asyncio
async def test_async_client(async_durable_stores):
    assert await async_durable_stores.list_stores() == []
"""
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=strict", *LOOP_SCOPE
    )
    result.assert_outcomes(passed=1)


@pytest.mark.slow  # a Python process
def test_plugin_is_registered_and_imports_cheaply() -> None:
    heavy = {"durable_stores_client.fake", "respx", "sqlite3", "fakeredis", "http.server"}
    assert modules_after("import durable_stores_client.pytest_plugin") & heavy == set()
    from importlib.metadata import entry_points

    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("durable_stores") == "durable_stores_client.pytest_plugin"
