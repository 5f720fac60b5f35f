"""The ``durable-stores`` command line (also ``python -m durable_stores_client``).

Each subcommand lives in its own module under this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a
function ``(argparse.Namespace) -> int``. Registering must stay cheap: heavy
imports (the fake server, the contract suite) happen inside the handler, so
``durable-stores --help`` starts fast.

Exit codes: 0 success, 1 an API or connection error, 2 a usage error (including an
argument the client refuses before sending, such as a blank name), 130 interrupted,
141 a closed pipe. Errors print one line naming the command (``durable-stores execute:
error: ...``; a connection failure, a refused API key or an answer that is not the API's
adds a hint, see ``_messages``) on stderr, never a traceback. Warnings (an API key over
plain http) print one line too: ``durable-stores: warning: ...``.

The global options ``--base-url``, ``--api-key``, ``--timeout`` and ``--output`` work
before the subcommand, and (for the client-facing subcommands, which add them through
``_common.global_options_parent()``) after it too.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from typing import TYPE_CHECKING

from .. import DurableStoresError
from .._version import __version__
from . import _contract, _demo, _fake_server, _stores, _work
from ._common import StoreLookupError, UsageError, add_global_options, describe_server
from ._messages import error_lines

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="durable-stores",
        description="Work with Durable Stores from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_global_options(parser, suppress=False)
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    subparsers.required = True
    # In the order ``--help`` lists them.
    for module in (_stores, _work, _demo, _fake_server, _contract):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    0 success, 1 an API or connection error, 2 a usage error, 130 interrupted,
    141 the reader of standard output went away (a closed pipe).
    """
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help(sys.stderr)  # no command at all: show them all, not just usage
        return 2
    try:
        args, extras = parser.parse_known_args(argv)
    except SystemExit as exc:  # --help, --version and argparse usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if extras:
        _error(f"{_subcommand_prog(args)}: error: unrecognized arguments: {' '.join(extras)}")
        if getattr(args, "subcommand", None) == "command":
            _error("  (put -- before Redis arguments that start with a dash: STORE -- ARG ...)")
        return 2
    handler = args.handler
    try:
        code: int = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``durable-stores query ... | head``): stop quietly.
        _silence_stdout()
        return 141
    except UsageError as exc:
        _error(f"{_subcommand_prog(args)}: error: {exc}")
        return 2
    except StoreLookupError as exc:
        _error(f"{_subcommand_prog(args)}: error: {exc}")
        return 1
    except DurableStoresError as exc:
        _error("\n".join(error_lines(exc, _subcommand_prog(args), describe_server(args))))
        return 1
    except ValueError as exc:  # an argument the client refused before sending anything
        # The SDK's message names the method called ("create_store() ..."); here the
        # subcommand is what the user typed, so it is named instead.
        message = _SDK_METHOD_PREFIX.sub("", str(exc), count=1)
        _error(f"{_subcommand_prog(args)}: error: {message}")
        return 2
    return code


_SDK_METHOD_PREFIX = re.compile(r"^[a-z_]+\(\) ")


def _subcommand_prog(args: argparse.Namespace) -> str:
    words = [
        "durable-stores",
        getattr(args, "subcommand", None),
        getattr(args, "stores_command", None),
    ]
    return " ".join(word for word in words if word)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout is not a real file
        pass


def _error(message: str) -> None:
    print(message, file=sys.stderr)


def _entry() -> None:  # pragma: no cover - thin wrapper for console scripts
    sys.exit(main())
