"""Checks of the command route on Redis stores: the result mapping and its errors."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ._registry import check

if TYPE_CHECKING:
    import httpx

    from ._context import CheckContext

__all__: list[str] = []

_REDIS = ("redis",)


def _command(ctx: CheckContext, store_id: str, *command: str) -> tuple[httpx.Response, Any]:
    response = ctx.request(
        "POST", ctx.store_path(store_id, "command"), json={"command": list(command)}
    )
    return response, ctx.expect_success(response, 200)


def _expect_result(ctx: CheckContext, store_id: str, expected: Any, *command: str) -> None:
    response, data = _command(ctx, store_id, *command)
    diffs = ctx.diffs(response)
    diffs.fields(f"data ({command[0]})", data, {"result": expected})
    diffs.raise_if_any()


@check("redis.command.ok", 'A status reply OK maps to {"result": "OK"}', kinds=_REDIS)
def _ok(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "greeting")
    _expect_result(ctx, store["id"], "OK", "SET", key, "hello")


@check("redis.command.string", "A bulk string maps to a JSON string", kinds=_REDIS)
def _string(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "greeting")
    ctx.command(store["id"], "SET", key, "héllo")
    _expect_result(ctx, store["id"], "héllo", "GET", key)


@check("redis.command.nil", "A nil reply maps to null", kinds=_REDIS)
def _nil(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "missing")
    _expect_result(ctx, store["id"], None, "GET", key)


@check("redis.command.integer", "An integer reply maps to a JSON number", kinds=_REDIS)
def _integer(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "counter")
    _expect_result(ctx, store["id"], 41, "INCRBY", key, "41")
    _expect_result(ctx, store["id"], 42, "INCR", key)


@check(
    "redis.command.array",
    "An array reply maps to a JSON array (nil elements to null)",
    kinds=_REDIS,
)
def _array(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "list")
    missing = ctx.redis_key(store["id"], "missing")
    _expect_result(ctx, store["id"], 3, "RPUSH", key, "a", "b", "c")
    _expect_result(ctx, store["id"], ["a", "b", "c"], "LRANGE", key, "0", "-1")
    string_key = ctx.redis_key(store["id"], "string")
    ctx.command(store["id"], "SET", string_key, "v")
    _expect_result(ctx, store["id"], ["v", None], "MGET", string_key, missing)


@check("redis.command.set", "A set reply maps to a JSON array of its members", kinds=_REDIS)
def _set(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "set")
    ctx.command(store["id"], "SADD", key, "x", "y", "z")
    response, data = _command(ctx, store["id"], "SMEMBERS", key)
    diffs = ctx.diffs(response)
    result = data.get("result") if isinstance(data, dict) else None
    if diffs.require(isinstance(result, list), "data.result", "an array", result):
        assert isinstance(result, list)
        diffs.equal("data.result (sorted)", ["x", "y", "z"], sorted(map(str, result)))
    diffs.raise_if_any()


@check(
    "redis.command.binary-base64",
    "A bulk string that is not UTF-8 maps to its standard base64",
    kinds=_REDIS,
)
def _binary(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "binary")
    ctx.command(store["id"], "SET", key, "é")  # UTF-8 bytes c3 a9; the first alone is not UTF-8
    _expect_result(ctx, store["id"], base64.b64encode(b"\xc3").decode(), "GETRANGE", key, "0", "0")


@check(
    "redis.command.error",
    "A Redis error reply (wrong type, unknown command) answers 400 with the failure envelope",
    kinds=_REDIS,
)
def _error(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "not-a-number")
    ctx.command(store["id"], "SET", key, "abc")
    path = ctx.store_path(store["id"], "command")
    ctx.expect_error(ctx.request("POST", path, json={"command": ["INCR", key]}), 400)
    response = ctx.request("POST", path, json={"command": ["CONTRACTNOSUCHCOMMAND"]})
    ctx.expect_error(response, 400)


@check(
    "redis.command.empty",
    'An empty command array: 400 "command must not be empty"',
    kinds=_REDIS,
)
def _empty(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    response = ctx.request("POST", ctx.store_path(store["id"], "command"), json={"command": []})
    ctx.expect_error(response, 400, "command must not be empty")


@check(
    "redis.command.strings-only",
    "Every command element must be a JSON string: a number, a non-array or a missing command "
    'is 400 "Invalid JSON: ..." and runs nothing',
    kinds=_REDIS,
)
def _strings_only(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    key = ctx.redis_key(store["id"], "typed")
    path = ctx.store_path(store["id"], "command")
    for body in (
        {"command": ["SET", key, 5]},
        {"command": ["SET", key, None]},
        {"command": ["SET", key, ["v"]]},
        {"command": "PING"},
        {},
    ):
        ctx.expect_error(ctx.request("POST", path, json=body), 400, prefix="Invalid JSON: ")
    _expect_result(ctx, store["id"], None, "GET", key)


@check(
    "redis.query.wrong-endpoint",
    'query on a redis store: 400 "redis stores do not support SQL queries; use the command '
    'endpoint"',
    kinds=_REDIS,
)
def _query_on_redis(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    response = ctx.request("POST", ctx.store_path(store["id"], "query"), json={"sql": "SELECT 1"})
    ctx.expect_error(
        response, 400, "redis stores do not support SQL queries; use the command endpoint"
    )


@check(
    "redis.execute.wrong-endpoint",
    'execute on a redis store: 400 "redis stores do not support SQL execute; use the command '
    'endpoint"',
    kinds=_REDIS,
)
def _execute_on_redis(ctx: CheckContext) -> None:
    store = ctx.create_store("redis")
    response = ctx.request(
        "POST", ctx.store_path(store["id"], "execute"), json={"sql": "CREATE TABLE t (x)"}
    )
    ctx.expect_error(
        response, 400, "redis stores do not support SQL execute; use the command endpoint"
    )
