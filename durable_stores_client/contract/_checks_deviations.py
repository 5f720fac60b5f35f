"""Checks of the recommended clauses: duplicate names and idempotency keys.

The contract's "Known deviations" table lists these: the agentkernel server does
not meet them today, so they are ``recommended``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ._model import Level
from ._registry import check

if TYPE_CHECKING:
    import httpx

    from ._context import CheckContext

__all__: list[str] = []


@check(
    "stores.create.duplicate-name-409",
    'Creating a store with a name already in use: 409 "Store name already exists"',
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _duplicate_name(ctx: CheckContext) -> None:
    name = ctx.name("dup")
    ctx.create_store("sqlite", name=name)
    response = ctx.request("POST", "/stores", json={"name": name, "kind": "sqlite"})
    ctx.expect_error(response, 409, "Store name already exists")


@check(
    "stores.create.secret-config-kept",
    "Secret-backed credentials (password_secret) are kept opaque in config, as given",
    level=Level.RECOMMENDED,
    kinds=("redis",),
)
def _secret_config_kept(ctx: CheckContext) -> None:
    config = {**ctx.target.config_for("redis"), "password_secret": "contract-secret-ref"}
    response = ctx.request(
        "POST", "/stores", json={"name": ctx.name(), "kind": "redis", "config": config}
    )
    record = ctx.expect_success(response, None, fields={"config": config})
    response = ctx.request("GET", ctx.store_path(record["id"]))
    ctx.expect_success(response, 200, fields={"config": config})


def _key() -> str:
    return f"contract-{secrets.token_hex(8)}"


@check(
    "idempotency.create-replay",
    "A create repeated with the same Idempotency-Key and body replays the first answer, "
    "creating one store",
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _create_replay(ctx: CheckContext) -> None:
    name = ctx.name("idem")
    headers = {"idempotency-key": _key()}
    body = {"name": name, "kind": "sqlite"}
    first = ctx.request("POST", "/stores", json=body, headers=headers)
    record = ctx.expect_success(first, None)
    _expect_create_replayed(ctx, body, headers, first, record)
    _expect_stores_named(ctx, name, 1, f"stores named {name}")


def _expect_create_replayed(
    ctx: CheckContext,
    body: dict[str, Any],
    headers: dict[str, str],
    first: httpx.Response,
    record: Any,
) -> None:
    """The create sent again answers the ``first`` answer: its status and ``record``."""
    second = ctx.request("POST", "/stores", json=body, headers=headers)
    replayed = ctx.expect_success(second, None)
    diffs = ctx.diffs(second)
    diffs.equal("status (replayed)", first.status_code, second.status_code)
    diffs.equal("data (replayed)", record, replayed)
    diffs.raise_if_any()


def _expect_stores_named(ctx: CheckContext, name: str, count: int, label: str) -> None:
    """The store listing shows ``count`` stores named ``name``."""
    listing = ctx.request("GET", "/stores")
    stores = ctx.expect_success(listing, 200)
    named = [s for s in stores if isinstance(s, dict) and s.get("name") == name]
    diffs = ctx.diffs(listing)
    diffs.equal(label, count, len(named))
    diffs.raise_if_any()


@check(
    "idempotency.replay-after-delete",
    "A create replayed after its store was deleted answers the first answer again (status "
    "and record) and creates nothing",
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _replay_after_delete(ctx: CheckContext) -> None:
    name = ctx.name("idem-deleted")
    headers = {"idempotency-key": _key()}
    body = {"name": name, "kind": "sqlite"}
    first = ctx.request("POST", "/stores", json=body, headers=headers)
    record = ctx.expect_success(first, None)
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        ctx.fail("data", "a store record with an id", record, request="POST /stores")
    ctx.expect_success(ctx.request("DELETE", ctx.store_path(record["id"])), None)
    _expect_create_replayed(ctx, body, headers, first, record)
    _expect_stores_named(ctx, name, 0, f"stores named {name} (none: the replay creates nothing)")


@check(
    "idempotency.key-reuse-conflict",
    "The same Idempotency-Key with a different body: 409",
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _key_reuse(ctx: CheckContext) -> None:
    headers = {"idempotency-key": _key()}
    first = ctx.request(
        "POST", "/stores", json={"name": ctx.name("a"), "kind": "sqlite"}, headers=headers
    )
    ctx.expect_success(first, None)
    second = ctx.request(
        "POST", "/stores", json={"name": ctx.name("b"), "kind": "sqlite"}, headers=headers
    )
    ctx.expect_error(second, 409)


@check(
    "idempotency.execute-replay",
    "An execute repeated with the same Idempotency-Key is applied once",
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _execute_replay(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, name TEXT")
    path = ctx.store_path(store["id"], "execute")
    headers = {"idempotency-key": _key()}
    body = {"sql": f"INSERT INTO {table} (name) VALUES (?)", "params": ["once"]}
    first = ctx.expect_success(ctx.request("POST", path, json=body, headers=headers), 200)
    response = ctx.request("POST", path, json=body, headers=headers)
    second = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    diffs.equal("data (replayed)", first, second)
    diffs.raise_if_any()
    query = ctx.request(
        "POST",
        ctx.store_path(store["id"], "query"),
        json={"sql": f"SELECT count(*) AS n FROM {table}"},
    )
    ctx.expect_success(query, 200, fields={"rows": [{"n": 1}]})


@check(
    "idempotency.command-replay",
    "A command repeated with the same Idempotency-Key is applied once",
    level=Level.RECOMMENDED,
    kinds=("redis",),
)
def _command_replay(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "replayed")
    path = ctx.store_path(store["id"], "command")
    headers = {"idempotency-key": _key()}
    body = {"command": ["INCR", key]}
    first = ctx.expect_success(ctx.request("POST", path, json=body, headers=headers), 200)
    response = ctx.request("POST", path, json=body, headers=headers)
    second = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    diffs.equal("data (replayed)", first, second)
    diffs.raise_if_any()
    check_response = ctx.request("POST", path, json={"command": ["GET", key]})
    data = ctx.expect_success(check_response, 200)
    diffs = ctx.diffs(check_response)
    diffs.fields(f"data (GET {key})", data, {"result": "1"})
    diffs.raise_if_any()
