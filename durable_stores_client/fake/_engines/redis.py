"""Redis stores on fakeredis: one isolated keyspace per store.

fakeredis is imported on the first ``command`` call, so the fake (and the
SDK) import without it; without the ``fake`` extra, ``command`` answers the contract's
501 for an engine a server cannot run, naming the install command.
"""

from __future__ import annotations

import base64
import importlib
import itertools
import math
import threading
from typing import TYPE_CHECKING, Any

from .._answers import ANSWER_TOO_LARGE, MAX_ANSWER_BYTES
from . import NOT_EXECUTABLE, EngineError, EngineNotExecutable, StoreClosed

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

MISSING_FAKEREDIS = (
    f"redis stores are {NOT_EXECUTABLE}: the fake runs them on fakeredis, which is not "
    'installed (pip install "durable-stores-client[fake]")'
)


# Commands that change the state of the connection they run on. The command
# endpoint is stateless (each call may use any connection), so they would leak
# into later calls (a SUBSCRIBE leaves the connection in pub/sub mode, MULTI
# queues every later command); refuse them with a clear message instead.
_CONNECTION_COMMANDS = frozenset(
    {
        "SUBSCRIBE",
        "PSUBSCRIBE",
        "SSUBSCRIBE",
        "UNSUBSCRIBE",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE",
        "MONITOR",
        "MULTI",
        "EXEC",
        "DISCARD",
        "WATCH",
        "UNWATCH",
        "HELLO",
        "SELECT",
        "QUIT",
        "RESET",
        "CLIENT",
        "AUTH",
    }
)


# Blocking commands, and where their timeout is: the last argument, the first
# argument, or the value after a BLOCK option; in seconds, or in milliseconds for
# XREAD/XREADGROUP BLOCK and WAIT/WAITAOF. A timeout of 0 means "wait forever",
# which would hang the call (in-process, the caller's own thread) for good, and a
# very long one nearly so: the fake refuses both. Up to MAX_BLOCK_SECONDS a
# command blocks for as long as asked, like Redis.
MAX_BLOCK_SECONDS = 60.0
_TIMEOUT_LAST_SECONDS = frozenset(
    {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX"}
)
_TIMEOUT_LAST_MS = frozenset({"WAIT", "WAITAOF"})
_TIMEOUT_FIRST_SECONDS = frozenset({"BLMPOP", "BZMPOP"})
_TIMEOUT_AFTER_BLOCK_MS = frozenset({"XREAD", "XREADGROUP"})


def _block_refusal(name: str, args: Sequence[str]) -> str | None:
    """Why the command ``name`` with ``args`` must not run, if it would block too long."""
    timeout: str | None = None
    scale = 1.0
    if name in _TIMEOUT_LAST_SECONDS and len(args) > 1:
        timeout = args[-1]
    elif name in _TIMEOUT_LAST_MS and len(args) > 1:
        timeout, scale = args[-1], 0.001
    elif name in _TIMEOUT_FIRST_SECONDS and len(args) > 1:
        timeout = args[1]
    elif name in _TIMEOUT_AFTER_BLOCK_MS:
        upper = [arg.upper() for arg in args]
        if "BLOCK" in upper:
            at = upper.index("BLOCK")
            timeout, scale = (args[at + 1] if at + 1 < len(args) else None), 0.001
    if timeout is None:
        return None
    try:
        seconds = float(timeout) * scale
    except ValueError:
        return None  # fakeredis answers its own error for a malformed timeout
    if seconds == 0.0:
        return f"{name} with timeout 0 would block forever; give it a timeout"
    if not seconds <= MAX_BLOCK_SECONDS:  # also refuses inf and nan
        return (
            f"{name} would block for longer than the fake allows "
            f"({MAX_BLOCK_SECONDS:g} s); give it a shorter timeout"
        )
    return None


def command_name(word: str) -> str | None:
    """The command name as Redis looks it up, or None when ``word`` is not one command word.

    Redis compares names ignoring ASCII case only (``"\\u017felect"`` is no ``SELECT``);
    a name that is empty or holds white space names no command at all.
    """
    if not word or any(char.isspace() for char in word):
        return None
    return word.upper() if word.isascii() else word


def refusal(args: Sequence[str]) -> str | None:
    """Why the command endpoint refuses ``args`` on any redis engine, or None.

    A name that is not one command word, connection-state commands, and
    blocking commands that would wait forever or too long.
    """
    name = command_name(args[0])
    if name is None:
        # Redis looks the name up as one word; the redis-py layer below fakeredis
        # would split "MULTI " or "SELECT\t" into words and run them (and fakeredis
        # never answers a blank name). Refuse as Redis does: an unknown command.
        return f"unknown command '{args[0]}', with args beginning with: " + " ".join(
            f"'{arg}'" for arg in args[1:]
        )
    if name in _CONNECTION_COMMANDS:
        return (
            f"{name} changes the connection's state and is not available through the "
            "command endpoint (each call is independent)"
        )
    return _block_refusal(name, args)


def _import_fakeredis() -> Any:
    return importlib.import_module("fakeredis")


def unavailable_reason() -> str | None:
    """Why redis stores cannot run in this runtime (:data:`MISSING_FAKEREDIS`), or None."""
    try:
        _import_fakeredis()
    except ImportError:
        return MISSING_FAKEREDIS
    return None


class CommandEngine:
    """What both redis engines do with a command: refuse it, run it on the engine's
    client (made on first use), turn what the client raised into an
    :class:`EngineError`, answer the payload.

    A subclass implements ``_open`` and ``_failure``; it may add refusals in
    ``_refusal`` and work on each later use of the client in ``_reuse``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None
        self._closed = False

    def _open(self) -> Any:
        """A new client for the store (called under the lock)."""
        raise NotImplementedError

    def _reuse(self) -> None:
        """Called under the lock each time the existing client is used again."""

    def _connect(self) -> Any:
        with self._lock:
            if self._closed:
                raise StoreClosed
            if self._client is None:
                self._client = self._open()
                # Raw replies: no per-command conversions (SET -> True and the like).
                self._client.response_callbacks.clear()
            else:
                self._reuse()
            return self._client

    def _refusal(self, args: Sequence[str]) -> str | None:
        return refusal(args)

    def _failure(self, exc: Exception) -> EngineError | None:
        """The engine error for what the client raised; ``None``: not the command's
        failure (raised as it is)."""
        raise NotImplementedError

    def command(self, args: Sequence[str]) -> dict[str, Any]:
        """Run one command and return the ``command`` payload."""
        problem = self._refusal(args)
        if problem is not None:
            raise EngineError(f"failed executing store command: {problem}")
        client = self._connect()
        try:
            reply = client.execute_command(*args)
        except Exception as exc:
            failure = self._failure(exc)
            if failure is None:
                raise
            raise failure from None
        if self._closed:
            raise StoreClosed
        return command_payload(reply)


class RedisEngine(CommandEngine):
    """One store's keyspace on its own fakeredis server."""

    def _open(self) -> Any:
        try:
            fakeredis = _import_fakeredis()
        except ImportError:
            raise EngineNotExecutable(MISSING_FAKEREDIS) from None
        return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=False)

    def _failure(self, exc: Exception) -> EngineError:
        # redis.exceptions.* from fakeredis: the client's command failed
        message = str(exc) or type(exc).__name__
        return EngineError(f"failed executing store command: {message}")

    def close(self) -> None:
        """Drop the keyspace; later calls raise :class:`StoreClosed`."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()


def command_payload(reply: Any) -> dict[str, Any]:
    """The ``command`` payload for ``reply``; the answer limit's 400 when it would exceed it.

    The reply is measured before any JSON is built (:func:`reply_json_size`), so an
    oversized reply (an ``MGET`` of one large key many times) is refused without
    converting it: fakeredis hands back references to the stored values, so nothing
    new is held; redis-py has already read the whole reply from a real server.
    """
    if reply_json_size(reply) > MAX_ANSWER_BYTES:
        raise EngineError(f"failed executing store command: {ANSWER_TOO_LARGE}")
    return {"result": reply_to_json(reply)}


def reply_json_size(reply: Any, limit: int = MAX_ANSWER_BYTES) -> int:
    """At least the size of ``reply``'s JSON (:func:`reply_to_json`), in bytes.

    Never more than the JSON really takes, so an answer within the limit is never
    refused here: a text counts as its UTF-8 length plus its quotes, bytes that are
    not UTF-8 as their base64 length, any other scalar as one byte, each member one
    more for its separator. The walk stops as soon as the count passes ``limit``.
    """
    size = 0
    pending: list[Iterator[Any]] = [iter((reply,))]
    while pending:
        value = next(pending[-1], _END)
        if value is _END:
            pending.pop()
            continue
        if isinstance(value, bytes):
            size += 3 + (len(value) if _is_utf8(value) else (len(value) + 2) // 3 * 4)
        elif isinstance(value, str):
            size += 3 + len(value)
        elif isinstance(value, dict):
            size += 2
            pending.append(itertools.chain.from_iterable(value.items()))
        elif isinstance(value, (list, tuple, set, frozenset)):
            size += 2
            pending.append(iter(value))
        else:
            size += 2
        if size > limit:
            break
    return size


_END = object()


def _is_utf8(value: bytes) -> bool:
    if value.isascii():
        return True
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def reply_to_json(value: Any) -> Any:
    """A Redis reply as the contract maps it to JSON."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {_key(k): reply_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [reply_to_json(item) for item in value]
    return str(value)


def _key(key: Any) -> str:
    converted = reply_to_json(key)
    return converted if isinstance(converted, str) else str(converted)
