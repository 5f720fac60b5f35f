"""What every client-facing subcommand shares: global options, the client, STORE lookup."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import warnings
from typing import Any

from .. import Client
from .._config import DEFAULT_BASE_URL, ENV_BASE_URL, MAX_TIMEOUT

#: The output formats of ``--output``.
OUTPUT_FORMATS = ("table", "json", "jsonl")

#: A store id as the server makes them (a lowercase hyphenated UUID). Such an argument
#: is used as an id directly, without listing stores first.
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class UsageError(Exception):
    """A command line mistake the parser could not catch; exits with code 2."""


class StoreLookupError(Exception):
    """A STORE argument that names no store, or more than one; exits with code 1."""


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0, at most MAX_TIMEOUT, or inf (no limit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    if MAX_TIMEOUT < value < math.inf:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_TIMEOUT:,.0f} seconds (inf for no limit): {text!r}"
        )
    return value


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Add ``--base-url``, ``--api-key``, ``--timeout`` and ``--output`` to ``parser``.

    The top-level parser gets them with real defaults (``suppress=False``); every
    subcommand parser gets them again with ``suppress=True``, so they also work after
    the subcommand and a value given there wins over one given before it.
    """

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection and output options")
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help="server base URL (default: $DURABLE_STORES_BASE_URL, $AGENTKERNEL_BASE_URL, "
        "then http://localhost:18888)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=default(None),
        help="API key sent as a bearer token (default: $DURABLE_STORES_API_KEY, "
        "then $AGENTKERNEL_API_KEY)",
    )
    group.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=default(None),
        help="seconds each request attempt may take, as a whole and in each of its phases "
        "(default: 30, and 5 to connect)",
    )
    group.add_argument(
        "--output",
        "-o",
        choices=OUTPUT_FORMATS,
        default=default(None),
        help="output format (default: table on a terminal, json when piped)",
    )


def global_options_parent() -> argparse.ArgumentParser:
    """A parent parser carrying the global options for a subcommand parser."""
    parent = argparse.ArgumentParser(add_help=False)
    add_global_options(parent, suppress=True)
    return parent


def make_client(args: argparse.Namespace) -> Client:
    """Build a client from the global options (unset ones fall back to the environment).

    A warning the client gives (an API key over plain http) prints as one
    ``durable-stores: warning: ...`` line on stderr.
    """
    options: dict[str, Any] = {}
    if getattr(args, "base_url", None):
        options["base_url"] = args.base_url
    if getattr(args, "api_key", None):
        options["api_key"] = args.api_key
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client = Client(**options)
    except (TypeError, ValueError) as exc:  # a malformed --base-url or --api-key
        raise UsageError(str(exc)) from None
    for warning in caught:  # one line each, not Python's file:line: and source line
        print(f"durable-stores: warning: {warning.message}", file=sys.stderr)
    return client


def describe_server(args: argparse.Namespace) -> str:
    """The base URL the command talks to, for error hints."""
    given: str | None = getattr(args, "base_url", None)
    if given:
        return given
    for name in ENV_BASE_URL:  # the client's precedence, from the client's own constants
        value = os.environ.get(name)
        if value:
            return value
    return DEFAULT_BASE_URL


def parse_param(text: str) -> Any:
    """One positional parameter: its JSON value when it parses as JSON, else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_params(positional: list[str], params_json: str | None) -> list[Any]:
    """The bound parameters from ``PARAM ...`` or from ``--params JSON`` (not both)."""
    if params_json is None:
        return [parse_param(text) for text in positional]
    if positional:
        raise UsageError("give parameters either as PARAM arguments or with --params, not both")
    try:
        value = json.loads(params_json)
    except ValueError as exc:
        raise UsageError(f"--params is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        raise UsageError("--params must be a JSON array, for example --params '[1, \"a\"]'")
    return value


def resolve_store_id(client: Client, store: str) -> str:
    """Turn a STORE argument (an id or a unique store name) into a store id.

    A UUID-shaped argument is used as an id directly. Anything else is looked up in the
    store listing: an exact id match wins, then an exact name match; a name several
    stores share is an error that lists their ids. An argument that matches nothing is
    passed on as an id, so the server's answer (``Store not found``) decides.
    """
    if _UUID_RE.match(store):
        return store
    stores = client.list_stores()
    for record in stores:
        if record.id == store:
            return record.id
    named = [record.id for record in stores if record.name == store]
    if len(named) > 1:
        raise StoreLookupError(
            f"store name {store!r} is ambiguous: {len(named)} stores have it "
            f"(ids: {', '.join(named)}); pass an id instead"
        )
    if named:
        return named[0]
    return store


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """The positional STORE argument, the same everywhere."""
    parser.add_argument("store", metavar="STORE", help="a store id, or a unique store name")
