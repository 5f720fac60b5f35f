"""Checks of query and execute on postgres and mysql stores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._checks_sql import sql_answer
from ._model import Level
from ._registry import check

if TYPE_CHECKING:
    from ._context import CheckContext

__all__: list[str] = []

#: Positional placeholders of each engine's own dialect.
_PLACEHOLDERS = {"postgres": ("$1", "$2"), "mysql": ("?", "?")}


def _engine_checks(kind: str) -> None:
    first, second = _PLACEHOLDERS[kind]

    @check(
        f"{kind}.query.result",
        f"query and execute on a {kind} store answer the contract's result shapes"
        + (
            " (each value as itself or, as the text protocol reads it, its string)"
            if kind == "mysql"
            else ""
        ),
        kinds=(kind,),
    )
    def _result(ctx: CheckContext) -> None:
        store = ctx.create_store(kind)
        table = ctx.table(store["id"], "id INTEGER, name TEXT")
        response, data = sql_answer(
            ctx, store["id"], "execute", f"INSERT INTO {table} (id, name) VALUES (1, 'alice')"
        )
        diffs = ctx.diffs(response)
        diffs.require(
            isinstance(data, dict) and isinstance(data.get("rows_affected"), int),
            "data.rows_affected",
            "an integer",
            data,
        )
        diffs.raise_if_any()
        response, data = sql_answer(ctx, store["id"], "query", f"SELECT id, name FROM {table}")
        diffs = ctx.diffs(response)
        if kind == "mysql" and isinstance(data, dict) and isinstance(data.get("rows"), list):
            # Required is the string form only: the server reads mysql as text ("1").
            data = {**data, "rows": [_string_form(row) for row in data["rows"]]}
            expected_row: dict[str, Any] = {"id": "1", "name": "alice"}
        else:
            expected_row = {"id": 1, "name": "alice"}
        diffs.fields(
            "data", data, {"columns": ["id", "name"], "rows": [expected_row], "row_count": 1}
        )
        diffs.raise_if_any()

    @check(
        f"{kind}.query.empty-columns",
        f"A {kind} query matching no rows still answers the statement's column names",
        level=Level.RECOMMENDED,
        kinds=(kind,),
    )
    def _empty_columns(ctx: CheckContext) -> None:
        store = ctx.create_store(kind)
        table = ctx.table(store["id"], "id INTEGER, name TEXT")
        response, data = sql_answer(ctx, store["id"], "query", f"SELECT id, name FROM {table}")
        diffs = ctx.diffs(response)
        diffs.fields("data", data, {"columns": ["id", "name"], "rows": [], "row_count": 0})
        diffs.raise_if_any()

    @check(
        f"{kind}.params-bound",
        f"params on a {kind} store are bound to the statement's placeholders",
        level=Level.RECOMMENDED,
        kinds=(kind,),
    )
    def _params(ctx: CheckContext) -> None:
        store = ctx.create_store(kind)
        table = ctx.table(store["id"], "id INTEGER, name TEXT")
        sql_answer(
            ctx,
            store["id"],
            "execute",
            f"INSERT INTO {table} (id, name) VALUES ({first}, {second})",
            [7, "bound"],
        )
        sql_answer(
            ctx,
            store["id"],
            "query",
            f"SELECT name FROM {table} WHERE id = {first}",
            [7],
            fields={"rows": [{"name": "bound"}]},
        )

    @check(
        f"{kind}.execute.rows-affected",
        f"execute on a {kind} store answers the real rows_affected",
        level=Level.RECOMMENDED if kind == "mysql" else Level.REQUIRED,
        kinds=(kind,),
    )
    def _rows_affected(ctx: CheckContext) -> None:
        store = ctx.create_store(kind)
        table = ctx.table(store["id"], "id INTEGER, name TEXT")
        sql_answer(
            ctx,
            store["id"],
            "execute",
            f"INSERT INTO {table} (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
            fields={"rows_affected": 3},
        )
        sql_answer(
            ctx,
            store["id"],
            "execute",
            f"DELETE FROM {table} WHERE id < 3",
            fields={"rows_affected": 2},
        )

    @check(
        f"{kind}.command.wrong-endpoint",
        f"command on a {kind} store: 400 \"store kind '{kind}' does not support the command "
        'endpoint; use query or execute"',
        kinds=(kind,),
    )
    def _command(ctx: CheckContext) -> None:
        store = ctx.create_store(kind)
        response = ctx.request(
            "POST", ctx.store_path(store["id"], "command"), json={"command": ["PING"]}
        )
        ctx.expect_error(
            response,
            400,
            f"store kind '{kind}' does not support the command endpoint; use query or execute",
        )


for _kind in _PLACEHOLDERS:
    _engine_checks(_kind)


def _string_form(row: Any) -> Any:
    """A row with each number as its text (``1`` -> ``"1"``); other values unchanged."""
    if not isinstance(row, dict):
        return row
    return {
        key: str(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else value
        for key, value in row.items()
    }


@check(
    "mysql.query.typed-values",
    "mysql values come back typed: an INTEGER column as a JSON number, not its text",
    level=Level.RECOMMENDED,
    kinds=("mysql",),
)
def _mysql_typed(ctx: CheckContext) -> None:
    store = ctx.create_store("mysql")
    table = ctx.table(store["id"], "id INTEGER, name TEXT")
    ctx.execute(store["id"], f"INSERT INTO {table} (id, name) VALUES (1, 'alice')")
    sql_answer(
        ctx,
        store["id"],
        "query",
        f"SELECT id, name FROM {table}",
        fields={"rows": [{"id": 1, "name": "alice"}]},
    )


@check(
    "postgres.query.typed-values",
    "postgres values of types beyond bool, int, float, text and json come back typed: "
    'numeric as an exact string ("300.00"), date as ISO text, not null',
    level=Level.RECOMMENDED,
    kinds=("postgres",),
)
def _postgres_typed(ctx: CheckContext) -> None:
    store = ctx.create_store("postgres")
    sql = "SELECT CAST('300.00' AS NUMERIC(10,2)) AS amount, CAST('2024-01-02' AS DATE) AS day"
    sql_answer(
        ctx, store["id"], "query", sql, fields={"rows": [{"amount": "300.00", "day": "2024-01-02"}]}
    )
