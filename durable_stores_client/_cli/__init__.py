"""The ``durable-stores`` command line (also ``python -m durable_stores_client``).

Each subcommand lives in its own module under this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a
function ``(argparse.Namespace) -> int``. Registering must stay cheap: heavy
imports (the fake server, the contract suite, the client) happen inside the
handler, so ``durable-stores --help`` starts fast.

Exit codes: 0 success, 1 an API or connection error, 2 a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__

#: Subcommand modules, in the order ``--help`` lists them. A module that does
#: not exist yet is skipped, so subcommands can land one at a time.
_SUBCOMMAND_MODULES = (
    "_stores",
    "_work",
    "_demo",
    "_fake_server",
    "_contract",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="durable-stores",
        description="Work with Durable Stores from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    subparsers.required = True
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    try:
        code: int = handler(args)
    except KeyboardInterrupt:
        return 130
    return code


def _entry() -> None:  # pragma: no cover - thin wrapper for console scripts
    sys.exit(main())
