"""Checks of query and execute on SQLite stores: results, errors and the value mapping."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ._model import Level
from ._registry import check

if TYPE_CHECKING:
    import httpx

    from ._context import CheckContext

__all__: list[str] = []

_SQLITE = ("sqlite",)
#: A table no check creates: statements on it fail in the engine.
_MISSING_TABLE = "contract_missing_table"


def sql_answer(
    ctx: CheckContext,
    store_id: str,
    operation: str,
    sql: str,
    params: list[Any] | None = None,
    *,
    fields: dict[str, Any] | None = None,
) -> tuple[httpx.Response, Any]:
    """Send ``sql`` to a store's ``operation`` (``query`` or ``execute``) and require a 200
    success, with ``fields`` in its ``data`` when given; the response and its ``data``."""
    response = ctx.sql(store_id, operation, sql, params)
    return response, ctx.expect_success(response, 200, fields=fields)


def _rows(ctx: CheckContext, response: httpx.Response, data: Any) -> list[dict[str, Any]]:
    """The rows of a query result, each required to be a JSON object."""
    diffs = ctx.diffs(response)
    rows = data.get("rows") if isinstance(data, dict) else None
    if not diffs.require(isinstance(rows, list), "data.rows", "an array of row objects", rows):
        diffs.raise_if_any()
    assert isinstance(rows, list)
    for index, row in enumerate(rows):
        diffs.require(
            isinstance(row, dict),
            f"data.rows[{index}]",
            "an object keyed by column name",
            row,
        )
    diffs.raise_if_any()
    return rows


def _count(ctx: CheckContext, store_id: str, table: str) -> int:
    response, data = sql_answer(ctx, store_id, "query", f"SELECT count(*) AS n FROM {table}")
    rows = _rows(ctx, response, data)
    value = rows[0].get("n") if rows else None
    if not isinstance(value, int):
        ctx.fail("data.rows[0].n", "a row count", value, request=ctx.label("POST", "/query"))
    assert isinstance(value, int)
    return value


# -- execute ---------------------------------------------------------------------------


@check(
    "sql.execute.create-table",
    'execute answers 200 {"rows_affected": 0, "last_insert_rowid": 0} for a CREATE TABLE',
    kinds=_SQLITE,
)
def _create_table(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.unique("t")
    response, data = sql_answer(
        ctx, store["id"], "execute", f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)"
    )
    diffs = ctx.diffs(response)
    diffs.fields("data", data, {"rows_affected": 0, "last_insert_rowid": 0})
    diffs.raise_if_any()


@check(
    "sql.execute.insert",
    "execute of an INSERT answers rows_affected 1 and the new row's last_insert_rowid",
    kinds=_SQLITE,
)
def _insert(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, name TEXT")
    for rowid, name in ((1, "alice"), (2, "bob")):
        response, data = sql_answer(
            ctx, store["id"], "execute", f"INSERT INTO {table} (name) VALUES (?)", [name]
        )
        diffs = ctx.diffs(response)
        diffs.fields("data", data, {"rows_affected": 1, "last_insert_rowid": rowid})
        diffs.raise_if_any()


@check(
    "sql.execute.rows-affected",
    "execute of UPDATE and DELETE answers the number of rows they changed, and "
    "last_insert_rowid 0 (present for SQLite; 0 when nothing was inserted)",
    kinds=_SQLITE,
)
def _rows_affected(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, n INTEGER")
    ctx.execute(store["id"], f"INSERT INTO {table} (n) VALUES (1), (2), (3)")
    for sql, expected in (
        (f"UPDATE {table} SET n = n + 10 WHERE n >= ?", 2),
        (f"DELETE FROM {table}", 3),
    ):
        # last_insert_rowid: present although nothing was inserted, and 0 then: not
        # the rowid of an earlier insert on the same connection.
        sql_answer(
            ctx,
            store["id"],
            "execute",
            sql,
            [2] if "?" in sql else None,
            fields={"rows_affected": expected, "last_insert_rowid": 0},
        )


@check("sql.execute.blank-sql", 'execute with blank sql: 400 "sql is required"', kinds=_SQLITE)
def _execute_blank(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    path = ctx.store_path(store["id"], "execute")
    ctx.expect_error(ctx.request("POST", path, json={"sql": " \n "}), 400, "sql is required")


@check(
    "sql.execute.invalid-body",
    "An execute body that is not JSON, lacks sql, or has sql or params of the wrong type: "
    '400 "Invalid JSON: ..."',
    kinds=_SQLITE,
)
def _execute_invalid(ctx: CheckContext) -> None:
    _expect_invalid_bodies(
        ctx,
        "execute",
        {"params": []},
        {"sql": 42},
        {"sql": ["CREATE TABLE contract_never (x)"]},
        {"sql": "CREATE TABLE contract_never (x)", "params": "not-an-array"},
        {"sql": "CREATE TABLE contract_never (x)", "params": {"1": "x"}},
    )


def _expect_invalid_bodies(ctx: CheckContext, operation: str, *bodies: dict[str, Any]) -> None:
    """Truncated JSON, then each of ``bodies``, sent to ``operation``: each a 400 "Invalid JSON"."""
    store = ctx.create_store("sqlite")
    path = ctx.store_path(store["id"], operation)
    response = ctx.request(
        "POST", path, content=b'{"sql": ', headers={"content-type": "application/json"}
    )
    ctx.expect_error(response, 400, prefix="Invalid JSON: ")
    for body in bodies:
        ctx.expect_error(ctx.request("POST", path, json=body), 400, prefix="Invalid JSON: ")


@check(
    "sql.execute.engine-error",
    'A failing statement: 400 "failed executing store statement..." naming the failing step',
    kinds=_SQLITE,
)
def _execute_error(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response = ctx.request(
        "POST",
        ctx.store_path(store["id"], "execute"),
        json={"sql": f"INSERT INTO {_MISSING_TABLE} VALUES (1)"},
    )
    ctx.expect_error(response, 400, prefix="failed executing store statement")


@check(
    "sql.execute.rejects-select",
    'A SELECT sent to execute: 400 "failed executing store statement..."',
    kinds=_SQLITE,
)
def _execute_select(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response = ctx.request(
        "POST", ctx.store_path(store["id"], "execute"), json={"sql": "SELECT 1 AS one"}
    )
    ctx.expect_error(response, 400, prefix="failed executing store statement")


# -- query -----------------------------------------------------------------------------


@check(
    "sql.query.result",
    'query answers 200 {"columns", "rows" (objects keyed by column), "row_count"}',
    kinds=_SQLITE,
)
def _query_result(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, name TEXT")
    ctx.execute(store["id"], f"INSERT INTO {table} (name) VALUES ('alice'), ('bob')")
    response, data = sql_answer(
        ctx, store["id"], "query", f"SELECT id, name FROM {table} ORDER BY id"
    )
    diffs = ctx.diffs(response)
    diffs.fields(
        "data",
        data,
        {
            "columns": ["id", "name"],
            "rows": [{"id": 1, "name": "alice"}, {"id": 2, "name": "bob"}],
            "row_count": 2,
        },
    )
    diffs.raise_if_any()


@check(
    "sql.query.column-order",
    "columns list the result's columns in order, and each row's keys follow that order",
    kinds=_SQLITE,
)
def _column_order(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response, data = sql_answer(ctx, store["id"], "query", "SELECT 3 AS zeta, 1 AS alpha, 2 AS mid")
    rows = _rows(ctx, response, data)
    diffs = ctx.diffs(response)
    diffs.field("data.columns", data, "columns", ["zeta", "alpha", "mid"])
    if diffs.require(len(rows) == 1, "data.rows", "one row", rows):
        diffs.equal("data.rows[0] keys", ["zeta", "alpha", "mid"], list(rows[0]))
        diffs.equal("data.rows[0]", {"zeta": 3, "alpha": 1, "mid": 2}, rows[0])
    diffs.raise_if_any()


@check(
    "sql.query.empty-result",
    "A query matching nothing answers rows [] and row_count 0",
    kinds=_SQLITE,
)
def _empty_result(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY")
    sql_answer(
        ctx, store["id"], "query", f"SELECT id FROM {table}", fields={"rows": [], "row_count": 0}
    )


@check(
    "sql.query.params",
    'params are positional: "?" in order and "?N" by number',
    kinds=_SQLITE,
)
def _params(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response, data = sql_answer(ctx, store["id"], "query", "SELECT ? AS a, ? AS b", [10, "x"])
    rows = _rows(ctx, response, data)
    diffs = ctx.diffs(response)
    diffs.equal("data.rows", [{"a": 10, "b": "x"}], rows)
    diffs.raise_if_any()
    response, data = sql_answer(
        ctx, store["id"], "query", "SELECT ?2 AS second, ?1 AS first", ["one", "two"]
    )
    rows = _rows(ctx, response, data)
    diffs = ctx.diffs(response)
    diffs.equal("data.rows", [{"second": "two", "first": "one"}], rows)
    diffs.raise_if_any()


@check("sql.query.params-optional", "params may be omitted (default [])", kinds=_SQLITE)
def _params_optional(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    sql_answer(ctx, store["id"], "query", "SELECT 1 AS one", fields={"rows": [{"one": 1}]})


@check("sql.query.blank-sql", 'query with blank sql: 400 "sql is required"', kinds=_SQLITE)
def _query_blank(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    path = ctx.store_path(store["id"], "query")
    ctx.expect_error(ctx.request("POST", path, json={"sql": ""}), 400, "sql is required")


@check(
    "sql.query.invalid-body",
    "A query body that is not JSON, lacks sql, or has sql or params of the wrong type: "
    '400 "Invalid JSON: ..."',
    kinds=_SQLITE,
)
def _query_invalid(ctx: CheckContext) -> None:
    _expect_invalid_bodies(
        ctx,
        "query",
        {"params": []},
        {"sql": 42},
        {"sql": "SELECT ?", "params": "not-an-array"},
        {"sql": "SELECT ?", "params": {"1": "x"}},
    )


@check(
    "sql.query.engine-error",
    "A failing query (a missing table): 400 with a non-empty message naming the failing step",
    kinds=_SQLITE,
)
def _query_error(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response = ctx.request(
        "POST",
        ctx.store_path(store["id"], "query"),
        json={"sql": f"SELECT * FROM {_MISSING_TABLE}"},
    )
    message = ctx.expect_error(response, 400)
    diffs = ctx.diffs(response)
    diffs.require(bool(message.strip()), "error message", "a message naming the step", message)
    diffs.raise_if_any()


@check(
    "sql.engine-error-detail",
    "An engine failure's message carries the engine's own detail after the step, "
    '"<step>: <engine detail>" (here naming the missing table), for query and execute',
    level=Level.RECOMMENDED,
    kinds=_SQLITE,
)
def _engine_error_detail(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    for operation, sql in (
        ("query", f"SELECT * FROM {_MISSING_TABLE}"),
        ("execute", f"INSERT INTO {_MISSING_TABLE} VALUES (1)"),
    ):
        response = ctx.request("POST", ctx.store_path(store["id"], operation), json={"sql": sql})
        message = ctx.expect_error(response, 400)
        step, colon, detail = message.partition(": ")
        diffs = ctx.diffs(response)
        diffs.require(
            bool(step and colon and _MISSING_TABLE in detail),
            "error message",
            f'"<step>: <engine detail>" naming {_MISSING_TABLE}',
            message,
        )
        diffs.raise_if_any()


@check(
    "sql.query.read-only",
    'A write sent to query: 400 "query endpoint is read-only; use execute", nothing written',
    level=Level.RECOMMENDED,
    kinds=_SQLITE,
)
def _query_read_only(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, name TEXT")
    response = ctx.request(
        "POST",
        ctx.store_path(store["id"], "query"),
        json={"sql": f"INSERT INTO {table} (name) VALUES ('sneaky')"},
    )
    ctx.expect_error(response, 400, "query endpoint is read-only; use execute")
    count = _count(ctx, store["id"], table)
    if count != 0:
        ctx.fail(f"rows in {table}", "0 (nothing written)", count, request="after the query")


@check(
    "sql.query.repeated-columns",
    'A result that repeats a column name (SELECT * FROM a JOIN b): 400 "query result '
    'repeats column names (id); alias them", not rows that silently lost a value',
    level=Level.RECOMMENDED,
    kinds=_SQLITE,
)
def _repeated_columns(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response = ctx.request(
        "POST", ctx.store_path(store["id"], "query"), json={"sql": "SELECT 1 AS id, 2 AS id"}
    )
    ctx.expect_error(response, 400, "query result repeats column names (id); alias them")


@check(
    "sql.multiple-statements",
    "More than one statement in one query or execute call: 400, and nothing is applied",
    level=Level.RECOMMENDED,
    kinds=_SQLITE,
)
def _multiple_statements(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    table = ctx.table(store["id"], "id INTEGER PRIMARY KEY, name TEXT")
    two = f"INSERT INTO {table} (name) VALUES ('a'); INSERT INTO {table} (name) VALUES ('b')"
    ctx.expect_error(
        ctx.request("POST", ctx.store_path(store["id"], "execute"), json={"sql": two}), 400
    )
    response = ctx.request(
        "POST", ctx.store_path(store["id"], "query"), json={"sql": "SELECT 1; SELECT 2"}
    )
    ctx.expect_error(response, 400)
    count = _count(ctx, store["id"], table)
    if count != 0:
        ctx.fail(f"rows in {table}", "0 (nothing applied)", count, request="after the execute")


# -- the value mapping --------------------------------------------------------------------

#: SQLite to JSON: (check suffix, SQL expression, expected JSON value, description).
_TO_JSON: tuple[tuple[str, str, Any, str], ...] = (
    ("null", "NULL", None, "NULL to null"),
    ("integer", "9007199254740993", 9007199254740993, "INTEGER to an exact number"),
    ("real", "2.5", 2.5, "REAL to a number"),
    ("text", "'héllo ✓'", "héllo ✓", "TEXT to a string"),
    (
        "blob-base64",
        "x'00ff10fe'",
        base64.b64encode(b"\x00\xff\x10\xfe").decode(),
        "BLOB to standard base64",
    ),
)


def _to_json_check(suffix: str, expression: str, expected: Any, description: str) -> None:
    @check(f"sqlite.to-json.{suffix}", f"SQLite to JSON: {description}", kinds=_SQLITE)
    def _to_json(ctx: CheckContext) -> None:
        store = ctx.create_store("sqlite")
        table = ctx.table(store["id"], "v")
        ctx.execute(store["id"], f"INSERT INTO {table} (v) VALUES ({expression})")
        response, data = sql_answer(ctx, store["id"], "query", f"SELECT v FROM {table}")
        rows = _rows(ctx, response, data)
        diffs = ctx.diffs(response)
        diffs.equal("data.rows", [{"v": expected}], rows)
        diffs.raise_if_any()


for _case in _TO_JSON:
    _to_json_check(*_case)


#: JSON to SQLite: (check suffix, JSON param, SQLite type, value read back, description).
_FROM_JSON: tuple[tuple[str, Any, str, Any, str], ...] = (
    ("null", None, "null", None, "null to NULL"),
    ("bool", True, "integer", 1, "true/false to 1/0"),
    ("integer", -9007199254740993, "integer", -9007199254740993, "integer to INTEGER"),
    ("float", 0.25, "real", 0.25, "float to REAL"),
    ("float-whole", 2.0, "real", 2, "a float with no fraction (2.0) to REAL, not INTEGER"),
    ("text", "naïve 🙂", "text", "naïve 🙂", "string to TEXT"),
    ("array", [1, "two", None, True], "text", [1, "two", None, True], "array to JSON TEXT"),
    ("object", {"a": {"b": [1, 2]}}, "text", {"a": {"b": [1, 2]}}, "object to JSON TEXT"),
)


def _from_json_check(
    suffix: str, param: Any, sqlite_type: str, back: Any, description: str
) -> None:
    @check(f"sqlite.from-json.{suffix}", f"JSON to SQLite: {description}", kinds=_SQLITE)
    def _from_json(ctx: CheckContext) -> None:
        store = ctx.create_store("sqlite")
        table = ctx.table(store["id"], "v")
        values = [param, False] if suffix == "bool" else [param]
        for value in values:
            ctx.execute(store["id"], f"INSERT INTO {table} (v) VALUES (?)", [value])
        response, data = sql_answer(
            ctx, store["id"], "query", f"SELECT typeof(v) AS t, v FROM {table} ORDER BY rowid"
        )
        rows = _rows(ctx, response, data)
        diffs = ctx.diffs(response)
        if isinstance(back, (list, dict)):
            # JSON text: compare the parsed value, whatever the spacing.
            shown = [{"t": r.get("t"), "v": _parsed(r.get("v"))} for r in rows]
            diffs.equal("data.rows", [{"t": sqlite_type, "v": back}], shown)
        elif suffix == "bool":
            diffs.equal("data.rows", [{"t": "integer", "v": 1}, {"t": "integer", "v": 0}], rows)
        elif suffix == "float-whole":
            # Any JSON number reads back (2 or 2.0); the stored type is what matters.
            shown = [{"t": r.get("t"), "v": _number(r.get("v"))} for r in rows]
            diffs.equal("data.rows", [{"t": sqlite_type, "v": back}], shown)
        else:
            diffs.equal("data.rows", [{"t": sqlite_type, "v": back}], rows)
        diffs.raise_if_any()


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


for _case_from in _FROM_JSON:
    _from_json_check(*_case_from)


# -- wrong endpoint for the kind -----------------------------------------------------------


@check(
    "sql.command.wrong-endpoint",
    "command on a SQL store: 400 \"store kind '<kind>' does not support the command endpoint; "
    'use query or execute"',
    kinds=_SQLITE,
)
def _command_on_sql(ctx: CheckContext) -> None:
    store = ctx.create_store("sqlite")
    response = ctx.request(
        "POST", ctx.store_path(store["id"], "command"), json={"command": ["PING"]}
    )
    ctx.expect_error(
        response,
        400,
        "store kind 'sqlite' does not support the command endpoint; use query or execute",
    )
