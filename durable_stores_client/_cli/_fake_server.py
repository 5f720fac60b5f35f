"""``durable-stores fake-server``: the bundled fake over real HTTP, in the foreground."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from .._logging import setup_from_env

if TYPE_CHECKING:
    import argparse


def register(subparsers: Any) -> None:
    """Add the ``fake-server`` command."""
    parser = subparsers.add_parser(
        "fake-server",
        help="run the bundled fake Durable Stores server over HTTP",
        description=(
            "Run the bundled fake Durable Stores server (real SQLite; the embedded PostgreSQL "
            "for postgres stores with the postgres extra; fakeredis for redis stores; or real "
            "servers given by URL) over HTTP/1.1 in the foreground, for tests in any "
            "language. Prints its "
            "base URL on one line once it accepts connections; stops cleanly and exits 0 on "
            "SIGINT (Ctrl-C) or SIGTERM. State lives in memory unless --data-dir is given. "
            "Without the fake extra (fakeredis), redis stores' commands answer 501 and a "
            "warning says so at start. DURABLE_STORES_LOG=debug logs one line per request "
            "(method, path, status, time, store kind) on stderr."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=18888,
        help="port to listen on; 0 picks a free one (default: 18888)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        default=None,
        help="require 'Authorization: Bearer KEY' on every route but GET /health",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="keep SQLite stores as files under DIR (default: private in-memory databases)",
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        default=None,
        help="run postgres stores on this server, a database each "
        "(postgresql://user@host:5432/db; default: the embedded PostgreSQL)",
    )
    parser.add_argument(
        "--mysql-url",
        metavar="URL",
        default=None,
        help="run mysql stores on this MySQL/MariaDB server, a database each "
        "(mysql://user@host:3306/db; default: an SQLite emulation)",
    )
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        default=None,
        help="run redis stores on this Redis server, a logical database each "
        "(redis://host:6379/0; default: fakeredis)",
    )
    parser.add_argument(
        "--connect-configs",
        action="store_true",
        help="run a postgres/mysql/redis store whose config names a server (host, port, user, "
        "password, dbname, db) on that server, as the daemon does; the fake then never "
        "creates nor drops a database it did not create",
    )
    parser.add_argument(
        "--profile",
        choices=("contract", "agentkernel"),
        default="contract",
        help="the face the fake shows: 'contract' (default) answers as the contract says; "
        "'agentkernel' reproduces today's agentkernel server, its known deviations included",
    )
    parser.add_argument(
        "--sandbox",
        metavar="NAME",
        action="append",
        dest="sandboxes",
        default=None,
        help="a sandbox that exists (repeatable): a create naming any other is refused with "
        "400, as the daemon does (default: the contract profile stores any name unchecked, "
        "the agentkernel profile knows none)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from ..fake import FakeServer  # noqa: PLC0415 - CLI import-time test
    from ..fake._engines.redis import unavailable_reason  # noqa: PLC0415 - the same

    if not 0 <= args.port <= 65535:
        print(
            f"durable-stores fake-server: --port must be 0-65535, got {args.port}", file=sys.stderr
        )
        return 2
    if args.api_key is not None and not args.api_key:
        print("durable-stores fake-server: --api-key must not be empty", file=sys.stderr)
        return 2
    try:
        fake = FakeServer(
            api_key=args.api_key,
            data_dir=args.data_dir,
            postgres_url=args.postgres_url,
            mysql_url=args.mysql_url,
            redis_url=args.redis_url,
            connect_configs=args.connect_configs,
            profile=args.profile,
            sandboxes=args.sandboxes,
        )
    except ValueError as exc:  # a URL of the wrong kind, a blank sandbox name
        print(f"durable-stores fake-server: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"durable-stores fake-server: cannot use --data-dir: {exc}", file=sys.stderr)
        return 1
    setup_from_env()  # DURABLE_STORES_LOG=debug: one line per request on stderr
    redis_problem = unavailable_reason() if args.redis_url is None else None
    if redis_problem is not None:
        print(
            f"durable-stores fake-server: warning: redis stores are disabled: {redis_problem}; "
            "they can be created, and their commands answer 501",
            file=sys.stderr,
        )
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(fake.serve(host=args.host, port=args.port))
            except OSError as exc:
                print(
                    f"durable-stores fake-server: cannot listen on {args.host}:{args.port}: {exc}",
                    file=sys.stderr,
                )
                return 1
            print(url, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
