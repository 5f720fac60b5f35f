"""Testing agent code against the bundled fake server, the way you would in your project.

Installing ``durable-stores-client`` registers a pytest plugin with these fixtures:

- ``durable_stores_fake``: a fresh ``FakeServer`` for each test,
- ``durable_stores`` / ``async_durable_stores``: clients bound to it,
- ``durable_stores_url``: the same fake served over real HTTP, for subprocesses.

Run it with:  python -m pytest examples/testing
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notes_agent import NotesAgent

if TYPE_CHECKING:
    import pytest

    from durable_stores_client import Client
    from durable_stores_client.fake import FakeServer


def test_notes_round_trip(durable_stores: Client) -> None:
    # Hand the fixture's client to the code under test.
    agent = NotesAgent(durable_stores)
    agent.add("buy milk")
    agent.add("write tests")
    assert agent.notes() == ["buy milk", "write tests"]


def test_starting_twice_reuses_the_store(durable_stores: Client) -> None:
    first = NotesAgent(durable_stores)
    first.add("kept")
    second = NotesAgent(durable_stores)
    assert second.store.id == first.store.id
    assert second.notes() == ["kept"]


def test_code_that_builds_its_own_client(
    durable_stores_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NotesAgent() makes its own Client for http://localhost:18888; patch() routes
    # every httpx request to that URL into the fake, so no server is needed.
    monkeypatch.delenv("DURABLE_STORES_BASE_URL", raising=False)
    monkeypatch.delenv("AGENTKERNEL_BASE_URL", raising=False)
    with durable_stores_fake.patch():
        agent = NotesAgent()
        agent.add("patched")
        assert agent.notes() == ["patched"]
    assert [store.name for store in durable_stores_fake.stores] == ["notes"]


def test_a_flaky_read_is_retried(durable_stores_fake: FakeServer, durable_stores: Client) -> None:
    agent = NotesAgent(durable_stores)
    agent.add("survives a 503")
    # The next query fails once with 503; the client retries it (reads are safe to retry).
    durable_stores_fake.inject("query", status=503, retry_after=0)
    assert agent.notes() == ["survives a 503"]
    statuses = [r.status for r in durable_stores_fake.requests if r.operation == "query"]
    assert statuses == [503, 200]


def test_the_agent_degrades_when_the_store_is_down(
    durable_stores_fake: FakeServer, durable_stores: Client
) -> None:
    agent = NotesAgent(durable_stores)
    durable_stores_fake.inject("query", status=400, message="engine unavailable", times=1)
    assert agent.count_or_none() is None
    # The fault was used up and changed nothing: the next call works.
    assert agent.count_or_none() == 0
