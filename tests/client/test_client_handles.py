"""Store handles (``client.store(...)``) on the fake, through both clients."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from assertions import exactly

from durable_stores_client import (
    AsyncClient,
    AsyncStoreHandle,
    Client,
    ConflictError,
    NotFoundError,
    StoreHandle,
)
from durable_stores_client.fake import FakeServer


async def _(value: Any) -> Any:
    """Await ``value`` when the client is async."""
    return await value if inspect.isawaitable(value) else value


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, fake: FakeServer) -> AsyncIterator[Any]:
    if request.param == "sync":
        with fake.client() as sync_client:
            yield sync_client
    else:
        async with fake.async_client() as async_client:
            yield async_client


async def test_get_or_create_by_name_then_sql_without_repeating_the_id(
    client: Client | AsyncClient, fake: FakeServer
) -> None:
    memory = await _(client.store(name="agent-memory", kind="sqlite"))
    assert isinstance(memory, (StoreHandle, AsyncStoreHandle))
    assert memory.client is client
    again = await _(client.store(name="agent-memory", kind="sqlite"))
    assert again.id == memory.id
    assert [s.id for s in fake.stores] == [memory.id]

    await _(memory.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    added = await _(memory.execute("INSERT INTO notes (body) VALUES (?)", ["hello"]))
    assert added.rows_affected == 1
    result = await _(memory.query("SELECT body FROM notes WHERE id = ?", [added.last_insert_rowid]))
    assert result.scalar() == "hello"
    assert (await _(memory.query({"sql": "SELECT count(*) AS n FROM notes"}))).scalar() == 1
    assert (await _(memory.get())).name == "agent-memory"
    # A thin layer: every call is one of the client's operations on this store's path.
    tail = fake.requests[-5:]
    assert [r.operation for r in tail] == ["execute", "execute", "query", "query", "get"]
    assert all(memory.id in r.path for r in tail)


async def test_redis_commands_return_the_reply_value(client: Client | AsyncClient) -> None:
    cache = await _(client.store(name="cache", kind="redis"))
    assert await _(cache.command("INCR", "visits")) == 1
    assert await _(cache.command("INCRBY", "visits", 5)) == 6
    assert await _(cache.command("SET", "ratio", 0.5)) == "OK"
    assert await _(cache.command("GET", "ratio")) == "0.5"
    assert await _(cache.command("GET", "missing")) is None


async def test_id_and_store_forms_make_no_request(
    client: Client | AsyncClient, fake: FakeServer
) -> None:
    store = await _(client.create_store(name="kv", kind="redis"))
    before = len(fake.requests)
    by_id = await _(client.store(id=store.id))
    by_store = await _(client.store(store))
    assert len(fake.requests) == before
    assert by_id == by_store
    assert hash(by_id) == hash(by_store)
    assert {by_id, by_store} == {by_id}
    assert repr(by_id).endswith(f"(id={store.id!r})")
    await _(by_id.command("SET", "k", "v"))
    assert await _(by_store.command("GET", "k")) == "v"


async def test_delete(client: Client | AsyncClient, fake: FakeServer) -> None:
    memory = await _(client.store(name="scratch", kind="sqlite"))
    await _(memory.delete())
    assert fake.stores == []
    with pytest.raises(NotFoundError):
        await _(memory.delete())
    await _(memory.delete(missing_ok=True))
    with pytest.raises(NotFoundError):
        await _(memory.query("SELECT 1"))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((), {}, TypeError, "got none of them"),
        (("some-id",), {}, TypeError, r"got str \(pass id= for a store id\)"),
        ((), {"id": "x", "name": "n", "kind": "sqlite"}, TypeError, "got id= and name=/kind="),
        ((), {"id": " "}, ValueError, r"^store\(\) store_id must be a non-empty"),
        ((), {"id": 7}, TypeError, r"^store\(\) id must be a str, got int"),
        ((), {"name": "n"}, TypeError, r"^store\(\) needs kind"),
        ((), {"name": "n", "kind": "oracle"}, ValueError, r"^store\(\) store kind must be"),
    ],
)
async def test_bad_arguments_name_store_and_send_nothing(
    client: Client | AsyncClient,
    fake: FakeServer,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        await _(client.store(*args, **kwargs))
    assert fake.requests == []


async def test_a_name_taken_by_another_kind_is_a_conflict_naming_store(
    client: Client | AsyncClient,
) -> None:
    await _(client.create_store(name="shared", kind="redis"))
    with pytest.raises(ConflictError, match=r"^store failed: a store named 'shared'"):
        await _(client.store(name="shared", kind="sqlite"))


async def test_a_store_and_an_id_together_are_refused(client: Client | AsyncClient) -> None:
    store = await _(client.create_store(name="one", kind="redis"))
    with pytest.raises(
        TypeError,
        match=exactly(
            "store() takes one of: a Store, id='<store id>', or name='notes', kind='sqlite' "
            "(get or create by name); got a Store and id="
        ),
    ):
        await _(client.store(store, id=store.id))


async def test_passing_a_handle_where_an_id_goes_says_to_pass_its_id(
    client: Client | AsyncClient,
) -> None:
    cache = await _(client.store(name="cache", kind="redis"))
    with pytest.raises(TypeError, match=r"got (Async)?StoreHandle \(pass store\.id\)"):
        await _(client.command_store(cache, ["PING"]))
