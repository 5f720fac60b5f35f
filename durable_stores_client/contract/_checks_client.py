"""Checks that go through the public `Client` and `AsyncClient`.

They verify the server and this package's client together: a server that keeps
the contract must work with the client, operation by operation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING, Any, TypeVar

from .. import AuthenticationError, BadRequestError, ConflictError, NotFoundError
from ._registry import check

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._context import CheckContext

__all__: list[str] = []

T = TypeVar("T")


def _run_async(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion, also when called from inside an event loop."""

    async def main() -> T:
        return await scenario()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _same(ctx: CheckContext, what: str, expected: Any, actual: Any, call: str) -> None:
    diffs = ctx.diffs(request=call)
    diffs.equal(what, expected, actual)
    diffs.raise_if_any()


@check(
    "client.stores",
    "Client: create_store, get_store, list_stores and delete_store work against the server",
    kinds=("sqlite",),
)
def _client_stores(ctx: CheckContext) -> None:
    client = ctx.client()
    name = ctx.name()
    store = client.create_store(name=name, kind="sqlite")
    ctx.track(store.id)
    _same(ctx, "store.name", name, store.name, "Client.create_store")
    _same(ctx, "store.kind", "sqlite", str(store.kind.value), "Client.create_store")
    _same(ctx, "store.id", store.id, client.get_store(store.id).id, "Client.get_store")
    listed = [s.id for s in client.list_stores()]
    _same(ctx, "listed", True, store.id in listed, "Client.list_stores")
    client.delete_store(store.id)
    try:
        client.get_store(store.id)
    except NotFoundError as exc:
        _same(ctx, "NotFoundError.status_code", 404, exc.status_code, "Client.get_store")
        _same(ctx, "NotFoundError.message", "Store not found", exc.message, "Client.get_store")
    else:
        ctx.fail("Client.get_store", "NotFoundError after delete", "a store")
    client.delete_store(store.id, missing_ok=True)


@check(
    "client.round-trip",
    "Client: Store.to_dict() gives back the server's record exactly (with the --sandbox "
    "sandbox when one is given)",
    kinds=("sqlite",),
)
def _client_round_trip(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite", sandbox=ctx.target.sandbox)
    store = ctx.client().get_store(record["id"])
    _same(ctx, "store.to_dict()", record, store.to_dict(), "Client.get_store")


@check(
    "client.sql",
    "Client: execute_store and query_store return the server's results",
    kinds=("sqlite",),
)
def _client_sql(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    client = ctx.client()
    table = ctx.unique("t")
    client.execute_store(record["id"], sql=f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name)")
    result = client.execute_store(
        record["id"], sql=f"INSERT INTO {table} (name) VALUES (?)", params=["alice"]
    )
    _same(ctx, "rows_affected", 1, result.rows_affected, "Client.execute_store")
    _same(ctx, "last_insert_rowid", 1, result.last_insert_rowid, "Client.execute_store")
    rows = client.query_store(
        record["id"], sql=f"SELECT id, name FROM {table} WHERE id = ?", params=[1]
    )
    _same(ctx, "columns", ["id", "name"], list(rows.columns), "Client.query_store")
    _same(ctx, "rows", [{"id": 1, "name": "alice"}], list(rows.rows), "Client.query_store")
    _same(ctx, "row_count", 1, rows.row_count, "Client.query_store")
    count = client.query_store(record["id"], {"sql": f"SELECT count(*) FROM {table}"}).scalar()
    _same(ctx, "scalar()", 1, count, "Client.query_store")


@check(
    "client.command",
    "Client: command_store returns the Redis reply",
    kinds=("redis",),
)
def _client_command(ctx: CheckContext) -> None:
    record = ctx.create_store("redis")
    key = ctx.redis_key(record["id"], "client")
    client = ctx.client()
    reply = client.command_store(record["id"], command=["SET", key, "v"])
    _same(ctx, "result", "OK", reply.result, "Client.command_store")
    reply = client.command_store(record["id"], {"command": ["GET", key]})
    _same(ctx, "result", "v", reply.result, "Client.command_store")


@check(
    "client.errors",
    "Client: 400 and 404 answers raise BadRequestError and NotFoundError with the server's message",
    kinds=("sqlite",),
)
def _client_errors(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    client = ctx.client()
    try:
        client.query_store(record["id"], sql="SELECT * FROM contract_missing_table")
    except BadRequestError as exc:
        _same(ctx, "BadRequestError.status_code", 400, exc.status_code, "Client.query_store")
        _same(ctx, "message given", True, bool(exc.message.strip()), "Client.query_store")
    else:
        ctx.fail("Client.query_store", "BadRequestError for a failing query", "a result")
    try:
        client.get_store(ctx.unknown_id)
    except NotFoundError as exc:
        _same(ctx, "NotFoundError.message", "Store not found", exc.message, "Client.get_store")
    else:
        ctx.fail("Client.get_store", "NotFoundError for an unknown id", "a store")


@check(
    "client.ensure-store",
    "Client: ensure_store returns the existing store by name, or creates it once",
    kinds=("sqlite",),
)
def _client_ensure(ctx: CheckContext) -> None:
    client = ctx.client()
    name = ctx.name()
    first = client.ensure_store(name=name, kind="sqlite")
    ctx.track(first.id)
    again = client.ensure_store(name=name, kind="sqlite")
    ctx.track(again.id)
    _same(ctx, "store.id", first.id, again.id, "Client.ensure_store")
    try:
        other = client.ensure_store(name=name, kind="redis")
    except ConflictError:
        return
    ctx.track(other.id)
    ctx.fail("Client.ensure_store", "ConflictError for another kind", other.id)


@check(
    "client.auth",
    "Client: a wrong API key raises AuthenticationError and the key is not in its message",
    needs_api_key=True,
)
def _client_auth(ctx: CheckContext) -> None:
    wrong = f"contract-wrong-key-{ctx.unknown_id}"
    client = ctx.client(api_key=wrong)
    try:
        client.list_stores()
    except AuthenticationError as exc:
        _same(ctx, "status_code", 401, exc.status_code, "Client.list_stores")
        _same(ctx, "message", "Invalid bearer token", exc.message, "Client.list_stores")
        _same(ctx, "key in str(error)", False, wrong in str(exc), "Client.list_stores")
    else:
        ctx.fail("Client.list_stores", "AuthenticationError for a wrong key", "a list")


@check(
    "client.async",
    "AsyncClient: create, execute, query and delete work against the server",
    kinds=("sqlite",),
)
def _client_async(ctx: CheckContext) -> None:
    client = ctx.async_client()
    name = ctx.name()
    table = ctx.unique("t")

    async def scenario() -> tuple[Any, ...]:
        async with client:
            store = await client.create_store({"name": name, "kind": "sqlite"})
            ctx.track(store.id)
            await client.execute_store(store.id, sql=f"CREATE TABLE {table} (v)")
            await client.execute_store(store.id, sql=f"INSERT INTO {table} VALUES (?)", params=[5])
            result = await client.query_store(store.id, sql=f"SELECT v FROM {table}")
            await client.delete_store(store.id)
            fetched = [s.id for s in await client.list_stores()]
            return store.name, list(result.rows), store.id in fetched

    got_name, rows, still_listed = _run_async(scenario)
    _same(ctx, "store.name", name, got_name, "AsyncClient.create_store")
    _same(ctx, "rows", [{"v": 5}], rows, "AsyncClient.query_store")
    _same(ctx, "listed after delete", False, still_listed, "AsyncClient.list_stores")
