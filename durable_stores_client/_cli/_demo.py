"""``durable-stores demo``: an agent's state on Durable Stores, step by step.

By default the demo runs on the embedded fake server (in-process, no server needed);
``--base-url URL`` runs the very same steps against a real server. It creates a SQLite
store for an agent's memory and a Redis store for a cache, applies a schema, writes and
reads with bound parameters, bumps a Redis counter, shows a wrong-endpoint error handled
cleanly, and deletes what it created. Every step prints the SDK calls it made (the very
code it ran, so the transcript doubles as a tutorial), what they did, and how long it took.

Without ``fakeredis`` (the ``fake`` extra) the embedded fake cannot run Redis commands:
the demo then says how to enable that part and runs the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .. import BadRequestError
from ._common import make_client, positive_seconds

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .. import Client

_REDIS_HINT = (
    "the embedded fake runs Redis commands with fakeredis, which is not installed;",
    "enable this part with:  pip install 'durable-stores-client[fake]'",
)


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    demo = subparsers.add_parser(
        "demo",
        help="run an agent-state walkthrough (embedded fake unless --base-url is given)",
        description=(
            "Run a short agent-state workflow and print a transcript with per-step timings: "
            "a SQLite store for the agent's memory, a Redis store for a cache, a schema, "
            "writes and reads with bound parameters, a Redis counter, and a wrong-endpoint "
            "error handled cleanly. Runs on the embedded fake server unless --base-url points "
            "at a real server (DURABLE_STORES_BASE_URL is deliberately ignored here; the API "
            "key still comes from --api-key or the environment). The stores it creates get "
            "unique names on a real server and are deleted at the end."
        ),
    )
    # Its own connection options (not the global ones): their help must say that the
    # embedded fake is the default, and --output would do nothing here.
    group = demo.add_argument_group("connection options")
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="run against the server at URL instead of the embedded fake",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=argparse.SUPPRESS,
        help="that server's API key (default: $DURABLE_STORES_API_KEY, then $AGENTKERNEL_API_KEY)",
    )
    group.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=argparse.SUPPRESS,
        help="seconds each request attempt may take (default: 30, and 5 to connect)",
    )
    demo.set_defaults(handler=run)


def fakeredis_available() -> bool:
    """Whether the embedded fake can run Redis commands (the ``fake`` extra is installed)."""
    try:
        import fakeredis  # noqa: F401, PLC0415 - probing for the optional extra
    except ImportError:
        return False
    return True


def _warm_up_fakeredis() -> None:
    """Pay fakeredis's one-time set-up now, so the timed steps show per-request costs."""
    import fakeredis  # noqa: PLC0415 - the optional extra, known to be installed here

    warm: Any = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    warm.execute_command("SET", "k", "v", "EX", "1")


#: What the transcript puts before a line of code that ran, and before what it did.
_CODE_MARK = "|"
_NOTE_MARK = "->"


class Transcript:
    """Numbered steps with their timings and notes, printed as each step ends."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._number = 0
        self._code: list[str] = []
        self.requests = 0
        self.step_ms = 0.0
        self.started = time.perf_counter()
        #: The variables the shown code works with (``client``, ``memory``, ...).
        self.names: dict[str, Any] = {}

    def run(self, code: str) -> None:
        """Run ``code`` (SDK calls, as a user would write them) and show it under the step.

        The transcript prints exactly the code that ran, so it cannot drift from
        what the demo does; the code's variables stay in :attr:`names`.
        """
        code = textwrap.dedent(code).strip()
        self._code.append(code)
        exec(compile(code, "<demo>", "exec"), self.names)  # noqa: S102 - the demo's own code

    def say(self, text: str = "") -> None:
        """A line of narration."""
        print(text, file=self._out, flush=True)

    @contextmanager
    def step(self, title: str, *, requests: int = 1) -> Iterator[list[str]]:
        """Time one step; yields a list to append notes to, printed under its title."""
        self._number += 1
        number = self._number
        notes: list[str] = []
        self._code = []
        started = time.perf_counter()
        outcome = "failed"
        try:
            yield notes
            outcome = ""
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.requests += requests
            self.step_ms += elapsed
            timing = f"{elapsed:8.1f} ms" if not outcome else f"{outcome:>11}"
            self.say(f"[{number:>2}] {title:<58} {timing}")
            for code in self._code:
                for line in code.splitlines():
                    self.say(f"     {_CODE_MARK} {line}")
            for note in notes:
                self.say(f"     {_NOTE_MARK} {note}")

    def total_ms(self) -> float:
        """Milliseconds since the transcript began."""
        return (time.perf_counter() - self.started) * 1000


def run(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run the demo and return its exit code."""
    transcript = Transcript(out or sys.stdout)
    base_url: str | None = getattr(args, "base_url", None)
    # Only an explicit --base-url leaves the embedded fake: a DURABLE_STORES_BASE_URL in
    # the environment must not turn the README's first command into writes on a server.
    real = bool(base_url)
    if real:
        client = make_client(args)
        where = f"the server at {client.base_url}"
        redis_ok = True
    else:
        from ..fake import FakeServer  # noqa: PLC0415 - CLI import-time test

        client = FakeServer().client()
        where = "the embedded fake server (in-process; pass --base-url URL for a real server)"
        redis_ok = fakeredis_available()
        if redis_ok:
            _warm_up_fakeredis()

    transcript.say("durable-stores demo: an agent keeps its memory and a cache in durable stores")
    transcript.say(f"running against {where}")
    transcript.say()
    with client:
        _walkthrough(client, transcript, redis_ok=redis_ok, unique=real)
    transcript.say()
    transcript.say(
        f"done: {transcript.requests} requests in {transcript.step_ms:.1f} ms "
        f"({transcript.total_ms():.1f} ms with start-up)."
    )
    transcript.say(f"next: {_next_steps()}")
    return 0


def _next_steps() -> str:
    """Where to go from here, as commands that work from the current directory."""
    python = Path(sys.executable)
    steps = [f"`{_shortest(python.with_name('durable-stores'), 'durable-stores')} --help`"]
    if Path("examples", "quickstart.py").is_file():  # run from a clone of the repository
        steps.append(f"`{_shortest(python, 'python')} examples/quickstart.py`")
    if Path("docs", "quickstart.md").is_file():
        steps.append("docs/quickstart.md")
    return ", ".join(steps)


def _shortest(program: Path, name: str) -> str:
    """``name`` when the PATH finds ``program`` by it, else a path (relative when shorter)."""
    found = shutil.which(name)
    if found and Path(found).resolve() == program.resolve():
        return name
    if not program.exists():  # not installed next to the interpreter: trust the PATH
        return name
    with contextlib.suppress(ValueError):
        return str(program.relative_to(Path.cwd()))
    return str(program)


def _walkthrough(client: Client, t: Transcript, *, redis_ok: bool, unique: bool) -> None:
    suffix = f"-{uuid.uuid4().hex[:6]}" if unique else ""
    t.names["client"] = client
    names = t.names
    created: list[tuple[str, str]] = []  # (variable, store name) of each store made
    try:
        with t.step("create a SQLite store for the agent's memory") as notes:
            t.run(
                f"""
                store = client.create_store(name="demo-agent-memory{suffix}", kind="sqlite")
                memory = client.store(store)  # a handle: the store's calls without its id
                """
            )
            store = names["store"]
            created.append(("memory", store.name))
            notes.append(f"store {store.name!r} kind={store.kind.value} id={store.id}")

        names["schema"] = [
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, session TEXT NOT NULL, "
            "role TEXT NOT NULL, content TEXT NOT NULL)",
            "CREATE TABLE facts (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
            "confidence REAL NOT NULL)",
            "CREATE INDEX messages_by_session ON messages (session, id)",
        ]
        with t.step("apply the schema (2 tables, 1 index)", requests=3) as notes:
            t.run(
                """
                for statement in schema:  # CREATE TABLE messages ..., facts ..., an index
                    memory.execute(statement)
                """
            )
            notes.append("messages(id, session, role, content), facts(key, value, confidence)")

        names["turns"] = [
            ("user", "Plan a trip to Lisbon in May."),
            ("assistant", "Noted: Lisbon, May. Any budget?"),
            ("user", "Around 1500 EUR, and I'm vegetarian."),
        ]
        with t.step("write a conversation (bound parameters)", requests=3) as notes:
            t.run(
                """
                for role, content in turns:
                    last = memory.execute(
                        "INSERT INTO messages (session, role, content) VALUES (?, ?, ?)",
                        ["s-1", role, content],
                    )
                """
            )
            notes.append(f"3 messages written, last rowid {names['last'].last_insert_rowid}")

        names["facts"] = [
            ("destination", "Lisbon", 0.98),
            ("budget_eur", "1500", 0.9),
            ("diet", "vegetarian", 0.95),
        ]
        names["UPSERT"] = (
            "INSERT INTO facts (key, value, confidence) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
            "confidence = excluded.confidence"
        )
        with t.step("remember facts (upsert)", requests=4) as notes:
            t.run(
                """
                for key, value, confidence in facts:  # UPSERT = "INSERT ... ON CONFLICT ..."
                    memory.execute(UPSERT, [key, value, confidence])
                changed = memory.execute(UPSERT, ["budget_eur", "1800", 0.97])
                """
            )
            rows = names["changed"].rows_affected
            notes.append(f"3 facts stored; budget revised to 1800 ({rows} row updated)")

        with t.step("read the conversation back") as notes:
            t.run(
                """
                history = memory.query(
                    "SELECT role, content FROM messages WHERE session = ? ORDER BY id", ["s-1"]
                )
                """
            )
            notes.extend(f"{row['role']:>9}: {row['content']}" for row in names["history"])

        with t.step("recall confident facts (WHERE confidence >= ?)") as notes:
            t.run(
                """
                recalled = memory.query(
                    "SELECT key, value FROM facts WHERE confidence >= ? ORDER BY key", [0.95]
                )
                """
            )
            notes.append(", ".join(f"{row['key']}={row['value']}" for row in names["recalled"]))

        hostile = names["hostile"] = "Robert'); DROP TABLE messages; --"
        with t.step("bound parameters keep hostile input as data", requests=2) as notes:
            t.run(
                """
                memory.execute(  # hostile = "Robert'); DROP TABLE messages; --"
                    "INSERT INTO messages (session, role, content) VALUES (?, ?, ?)",
                    ["s-1", "user", hostile],
                )
                count = memory.query(
                    "SELECT count(*) AS n FROM messages WHERE session = ?", ["s-1"]
                ).scalar()
                """
            )
            notes.append(
                f"stored {hostile!r} verbatim; messages table intact with {names['count']} rows"
            )

        with t.step("a wrong endpoint fails cleanly (Redis command on SQLite)") as notes:
            _show_error(t, notes, 'memory.command("GET", "destination")')

        if redis_ok:
            _redis_steps(t, suffix, created)
        else:
            with t.step("Redis cache: skipped", requests=0) as notes:
                notes.extend(_REDIS_HINT)

        with t.step("list stores") as notes:
            t.run("store_names = {store.name for store in client.list_stores()}")
            on_server = names["store_names"]
            mine = [name for _, name in created if name in on_server]
            count = f"{len(on_server)} store{'s' if len(on_server) != 1 else ''} on the server"
            joiner = ": " if len(mine) == len(on_server) else ", including "
            notes.append(count + joiner + ", ".join(mine))
    finally:
        for variable, name in reversed(created):
            with t.step(f"clean up: delete {name!r}"):
                t.run(f"{variable}.delete(missing_ok=True)")


def _show_error(t: Transcript, notes: list[str], code: str) -> None:
    """Run ``code``, which the contract says fails with a 400, and show how."""
    try:
        t.run(f"{code}  # raises BadRequestError")
    except BadRequestError as exc:
        notes.append(f"BadRequestError {exc.status_code}: {exc.message}")
    else:  # pragma: no cover - a server breaking the contract
        notes.append("the server accepted it: it does not follow the contract here")


def _redis_steps(t: Transcript, suffix: str, created: list[tuple[str, str]]) -> None:
    name = f"demo-agent-cache{suffix}"
    with t.step("get or create a Redis store for a cache (by name)", requests=2) as notes:
        t.run(
            f"""
            cache = client.store(
                name="{name}", kind="redis", config={{"host": "127.0.0.1", "port": 6379}}
            )
            """
        )
        created.append(("cache", name))
        notes.append(f"store {name!r} kind=redis id={t.names['cache'].id}")

    with t.step("cache a tool result with a TTL (SET ... EX 300)", requests=2) as notes:
        t.run(
            """
            cache.command("SET", "weather:lisbon", '{"temp_c": 24, "sky": "clear"}', "EX", 300)
            cached = cache.command("GET", "weather:lisbon")
            """
        )
        notes.append(f"GET weather:lisbon -> {t.names['cached']}")

    with t.step("bump a counter (INCR agent:tool_calls, 3 times)", requests=3) as notes:
        t.run('values = [cache.command("INCR", "agent:tool_calls") for _ in range(3)]')
        notes.append(f"counter went {' -> '.join(str(v) for v in t.names['values'])}")

    with t.step("a wrong endpoint fails cleanly (SQL on Redis)") as notes:
        _show_error(t, notes, 'cache.query("SELECT 1")')
