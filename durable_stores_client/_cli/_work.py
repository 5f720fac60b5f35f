"""``durable-stores query | execute | command``: running work on a store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import (
    add_store_argument,
    global_options_parent,
    make_client,
    parse_params,
    resolve_store_id,
)
from ._output import cell, emit_json, emit_query, output_format, printable

if TYPE_CHECKING:
    import argparse

_PARAMS_HELP = (
    "a bound parameter for the next ? placeholder: its JSON value when it parses as "
    "JSON (42, true, null, [1,2]), else the text itself"
)
_PARAMS_JSON_HELP = "the parameters as one exact JSON array, for example '[42, \"42\"]'"


def register(subparsers: Any) -> None:
    """Add the ``query``, ``execute`` and ``command`` commands."""
    parent = global_options_parent()

    query = subparsers.add_parser(
        "query",
        help="run a read-only SQL query on a store",
        description="Run a read-only SQL statement (SELECT ...) on a SQL store; prints its rows.",
        parents=[parent],
    )
    _add_sql_arguments(query)
    query.set_defaults(handler=_query)

    execute = subparsers.add_parser(
        "execute",
        help="run a SQL statement that changes a store",
        description=(
            "Run one SQL statement that changes data or schema (INSERT, UPDATE, CREATE ...) "
            "on a SQL store; prints rows_affected and last_insert_rowid."
        ),
        parents=[parent],
    )
    _add_sql_arguments(execute)
    execute.set_defaults(handler=_execute)

    command = subparsers.add_parser(
        "command",
        help="run a Redis command on a store",
        description=(
            "Run one Redis command on a redis store, for example: "
            "durable-stores command cache INCR visits. Put -- before arguments "
            "that start with a dash."
        ),
        parents=[parent],
    )
    add_store_argument(command)
    command.add_argument(
        "words", metavar="ARG", nargs="+", help="the command name and its arguments"
    )
    command.set_defaults(handler=_command)


def _add_sql_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)
    parser.add_argument("sql", metavar="SQL", help="one SQL statement; ? marks a parameter")
    # default=[]: without a default, argparse lists a missing nargs="*" as required.
    parser.add_argument("params", metavar="PARAM", nargs="*", default=[], help=_PARAMS_HELP)
    parser.add_argument("--params", dest="params_json", metavar="JSON", help=_PARAMS_JSON_HELP)


def _query(args: argparse.Namespace) -> int:
    params = parse_params(args.params, args.params_json)
    with make_client(args) as client:
        result = client.query_store(
            resolve_store_id(client, args.store), sql=args.sql, params=params
        )
    emit_query(result.to_dict(), output_format(args))
    return 0


def _execute(args: argparse.Namespace) -> int:
    params = parse_params(args.params, args.params_json)
    with make_client(args) as client:
        result = client.execute_store(
            resolve_store_id(client, args.store), sql=args.sql, params=params
        )
    fmt = output_format(args)
    if fmt == "table":
        text = f"rows_affected: {result.rows_affected}"
        if result.last_insert_rowid is not None:
            text += f"\nlast_insert_rowid: {result.last_insert_rowid}"
        print(text)
    else:
        emit_json(result.to_dict(), fmt)
    return 0


def _command(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        result = client.command_store(resolve_store_id(client, args.store), command=args.words)
    fmt = output_format(args)
    if fmt == "table":
        _print_redis_value(result.result)
    else:
        emit_json({"result": result.result}, fmt)
    return 0


def _print_redis_value(value: Any) -> None:
    """Like redis-cli: nil, numbers, strings, and numbered lines for arrays."""
    if value is None:
        print("(nil)")
    elif isinstance(value, bool):
        print("(true)" if value else "(false)")
    elif isinstance(value, int | float):
        print(f"(integer) {value}" if isinstance(value, int) else f"(double) {value}")
    elif isinstance(value, list):
        if not value:
            print("(empty array)")
        for index, item in enumerate(value, start=1):
            print(f"{index}) {cell(item, null='(nil)')}")
    elif isinstance(value, dict):
        if not value:
            print("(empty hash)")
        for key, item in value.items():
            print(f"{printable(str(key))}: {cell(item, null='(nil)')}")
    else:
        print(printable(str(value)))
