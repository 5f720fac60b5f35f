"""``durable-stores stores list | create | get | delete``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import NotFoundError
from ._common import (
    UsageError,
    add_store_argument,
    global_options_parent,
    make_client,
    resolve_store_id,
)
from ._output import emit_json, emit_store, emit_stores, output_format
from ._payloads import example_payloads

if TYPE_CHECKING:
    import argparse

#: The store kinds the contract knows (``--kind`` choices).
KINDS = ("sqlite", "postgres", "mysql", "redis")


def register(subparsers: Any) -> None:
    """Add the ``stores`` command and its four subcommands."""
    parent = global_options_parent()
    stores = subparsers.add_parser(
        "stores",
        help="list, create, get and delete stores",
        description="List, create, get and delete stores.",
        parents=[parent],
    )
    actions = stores.add_subparsers(dest="stores_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser(
        "list",
        help="list stores, newest first",
        description="List stores, newest first (the server returns at most 200).",
        parents=[parent],
    )
    listing.set_defaults(handler=_list)

    create = actions.add_parser(
        "create",
        help="create a store",
        description=(
            "Create a store. With --example KIND, the payload starts from the example "
            "shipped for that kind; with --from-file, from a JSON file ('-' reads stdin). "
            "NAME, --kind, --sandbox and --config override its fields (--config is "
            "merged over its config). --dry-run prints the payload instead of sending it: "
            "'durable-stores stores create --example postgres --dry-run > pg.json' saves an "
            "example to edit."
        ),
        parents=[parent],
    )
    create.add_argument("name", metavar="NAME", nargs="?", help="the store's name")
    create.add_argument("--kind", choices=KINDS, help="the store's engine")
    create.add_argument(
        "--config",
        metavar="JSON",
        help='engine config as a JSON object, for example \'{"path": "memory.db"}\'',
    )
    create.add_argument("--sandbox", metavar="NAME", help="the sandbox the store belongs to")
    source = create.add_mutually_exclusive_group()
    source.add_argument(
        "--from-file", metavar="FILE", help="read the create payload from a JSON file"
    )
    source.add_argument(
        "--example",
        metavar="KIND",
        choices=KINDS,
        help=f"start from the example payload for a kind ({', '.join(KINDS)})",
    )
    create.add_argument(
        "--dry-run",
        action="store_true",
        help="print the payload as JSON instead of creating the store",
    )
    create.set_defaults(handler=_create)

    get = actions.add_parser(
        "get", help="show one store", description="Show one store.", parents=[parent]
    )
    add_store_argument(get)
    get.set_defaults(handler=_get)

    delete = actions.add_parser(
        "delete", help="delete a store", description="Delete a store.", parents=[parent]
    )
    add_store_argument(delete)
    delete.add_argument(
        "--missing-ok",
        action="store_true",
        help="succeed when the store does not exist",
    )
    delete.set_defaults(handler=_delete)


def _list(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        stores = client.list_stores()
    emit_stores([store.to_dict() for store in stores], output_format(args))
    return 0


def _read_payload_file(name: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read --from-file {name}: {exc.strerror or exc}") from None
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--from-file {name} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"--from-file {name} must hold a JSON object (a POST /stores payload)")
    return payload


def build_create_payload(args: argparse.Namespace) -> dict[str, Any]:
    """The ``POST /stores`` payload: the file's fields (if any), overridden by flags."""
    payload: dict[str, Any] = {}
    if args.from_file:
        payload = _read_payload_file(args.from_file)
    elif args.example:
        payload = example_payloads()[args.example]
    if args.name is not None:
        payload["name"] = args.name
    if args.kind is not None:
        payload["kind"] = args.kind
    if args.sandbox is not None:
        payload["sandbox"] = args.sandbox
    if args.config is not None:
        try:
            config = json.loads(args.config)
        except ValueError as exc:
            raise UsageError(f"--config is not valid JSON: {exc}") from None
        # Any JSON value (CONTRACT.md): an object is merged over the file's object config,
        # anything else replaces it.
        base = payload.get("config")
        if isinstance(base, dict) and isinstance(config, dict):
            config = {**base, **config}
        payload["config"] = config
    missing = [field for field in ("name", "kind") if field not in payload]
    if missing:
        hint = "add them to the file or flags" if args.from_file else "give NAME and --kind"
        raise UsageError(f"missing {' and '.join(missing)}: {hint}")
    return payload


def _create(args: argparse.Namespace) -> int:
    payload = build_create_payload(args)
    if args.dry_run:  # JSON whatever --output says: the payload is for a file or a pipe
        emit_json(payload, "jsonl" if output_format(args) == "jsonl" else "json")
        return 0
    with make_client(args) as client:
        store = client.create_store(payload)
    emit_store(store.to_dict(), output_format(args))
    return 0


def _get(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        store = client.get_store(resolve_store_id(client, args.store))
    emit_store(store.to_dict(), output_format(args))
    return 0


def _delete(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        store_id = resolve_store_id(client, args.store)
        try:
            client.delete_store(store_id)
        except NotFoundError:
            if not args.missing_ok:
                raise
            deleted = False  # --missing-ok: say so, rather than claim a deletion
        else:
            deleted = True
    fmt = output_format(args)
    if fmt != "table":
        emit_json({"id": store_id, "deleted": deleted}, fmt)
    elif deleted:
        print(f"deleted store {args.store}" + (f" ({store_id})" if store_id != args.store else ""))
    else:
        print(f"no store {args.store}: nothing to delete")
    return 0
