"""Redis stores on fakeredis: one isolated keyspace per store.

fakeredis is imported on the first ``command`` call, so the fake (and the
SDK) import without it; without the ``fake`` extra, ``command`` answers 400
naming the install command.
"""

from __future__ import annotations

import base64
import importlib
import math
import threading
from typing import TYPE_CHECKING, Any

from . import EngineError, StoreClosed

if TYPE_CHECKING:
    from collections.abc import Sequence

MISSING_FAKEREDIS = (
    'redis stores in the fake need fakeredis: pip install "durable-stores-client[fake]"'
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
# argument, or the value after a BLOCK option. A timeout of 0 means "wait
# forever", which would hang the call and hold a server thread for good: the
# fake refuses it. Any other timeout blocks for as long as asked, like Redis.
_TIMEOUT_LAST = frozenset(
    {"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX", "WAIT", "WAITAOF"}
)
_TIMEOUT_FIRST = frozenset({"BLMPOP", "BZMPOP"})
_TIMEOUT_AFTER_BLOCK = frozenset({"XREAD", "XREADGROUP"})


def _blocks_forever(name: str, args: Sequence[str]) -> bool:
    """Whether the command ``name`` with ``args`` would wait with no timeout."""
    timeout: str | None = None
    if name in _TIMEOUT_LAST and len(args) > 1:
        timeout = args[-1]
    elif name in _TIMEOUT_FIRST and len(args) > 1:
        timeout = args[1]
    elif name in _TIMEOUT_AFTER_BLOCK:
        upper = [arg.upper() for arg in args]
        if "BLOCK" in upper:
            at = upper.index("BLOCK")
            timeout = args[at + 1] if at + 1 < len(args) else None
    if timeout is None:
        return False
    try:
        return float(timeout) == 0.0
    except ValueError:
        return False  # fakeredis answers its own error for a malformed timeout


def _import_fakeredis() -> Any:
    return importlib.import_module("fakeredis")


class RedisEngine:
    """One store's keyspace on its own fakeredis server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None
        self._closed = False

    def _connect(self) -> Any:
        with self._lock:
            if self._closed:
                raise StoreClosed
            if self._client is None:
                try:
                    fakeredis = _import_fakeredis()
                except ImportError:
                    raise EngineError(MISSING_FAKEREDIS) from None
                client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=False)
                # Raw replies: no per-command conversions (SET -> True and the like).
                client.response_callbacks.clear()
                self._client = client
            return self._client

    def command(self, args: Sequence[str]) -> dict[str, Any]:
        """Run one command and return the ``command`` payload."""
        name = args[0].upper()
        if name in _CONNECTION_COMMANDS:
            raise EngineError(
                f"failed executing store command: {name} changes the connection's state and is "
                "not available through the command endpoint (each call is independent)"
            )
        if not name.strip():
            # fakeredis never answers a blank command name: it would hang the call.
            raise EngineError(
                f"failed executing store command: unknown command '{args[0]}', "
                "with args beginning with: " + " ".join(f"'{arg}'" for arg in args[1:])
            )
        if _blocks_forever(name, args):
            raise EngineError(
                f"failed executing store command: {name} with timeout 0 would block forever; "
                "give it a timeout"
            )
        client = self._connect()
        try:
            reply = client.execute_command(*args)
        except Exception as exc:  # redis.exceptions.* from fakeredis: the client's command failed
            message = str(exc) or type(exc).__name__
            raise EngineError(f"failed executing store command: {message}") from None
        if self._closed:
            raise StoreClosed
        return {"result": _to_json(reply)}

    def close(self) -> None:
        """Drop the keyspace; later calls raise :class:`StoreClosed`."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()


def _to_json(value: Any) -> Any:
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
        return {_key(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_to_json(item) for item in value]
    return str(value)


def _key(key: Any) -> str:
    converted = _to_json(key)
    return converted if isinstance(converted, str) else str(converted)
