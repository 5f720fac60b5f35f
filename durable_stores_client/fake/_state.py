"""The fake's state: stores and their engines, faults, idempotency cache, request log.

Everything here is guarded by one lock held only for bookkeeping (never while
an engine runs a statement); each store's engine has its own lock.
"""

from __future__ import annotations

import copy
import math
import sqlite3
import threading
from collections import deque
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._engines import CommandEngine, EngineError, SqlEngine
from ._engines.choice import EngineChoice
from ._engines.sqlite import SqliteEngine
from ._idempotency import IdempotencyCache
from ._ids import Clock, IdSource, id_source, timestamp_source
from ._records import RecordedRequest, StoreRecord

if TYPE_CHECKING:
    import os

#: The operations faults can target (``"*"`` targets all of them).
OPERATIONS = ("list", "create", "get", "delete", "query", "execute", "command")
KINDS = ("sqlite", "postgres", "mysql", "redis")
#: How many requests ``FakeServer.requests`` keeps (the most recent ones).
MAX_RECORDED_REQUESTS = 10_000
#: The list route's cap, as on the server.
LIST_LIMIT = 200


class ConflictError(Exception):
    """The request conflicts with the current state: answered 409."""


@attrs.define
class Fault:
    """One injected fault, consumed by the next ``remaining`` matching calls."""

    operation: str
    remaining: int
    status: int | None
    retry_after: str | None
    delay: float
    disconnect: bool
    message: str | None

    def error_message(self) -> str:
        """The envelope's ``error`` for a status fault."""
        if self.message is not None:
            return self.message
        try:
            phrase = HTTPStatus(self.status or 500).phrase
        except ValueError:
            phrase = "Error"
        return f"{phrase} (injected by the fake server)"


class Store:
    """A store record with its engine."""

    __slots__ = ("engine", "record", "sort_key")

    def __init__(
        self, record: StoreRecord, engine: SqlEngine | CommandEngine, sort_key: tuple[str, int]
    ) -> None:
        self.record = record
        self.engine = engine
        self.sort_key = sort_key


def make_fault(
    operation: str,
    *,
    status: int | None,
    times: int,
    retry_after: float | str | None,
    delay: float,
    disconnect: bool,
    message: str | None,
) -> Fault:
    """Validate ``FakeServer.inject`` arguments and build the fault."""
    if operation != "*" and operation not in OPERATIONS:
        raise ValueError(
            f"unknown operation {operation!r}: use one of {', '.join(OPERATIONS)} or '*'"
        )
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"times must be a positive integer, got {times!r}")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)):
        raise ValueError(f"delay must be a number of seconds, got {delay!r}")
    if not math.isfinite(delay) or delay < 0:
        raise ValueError(f"delay must be a finite number of seconds >= 0, got {delay!r}")
    if status is not None and disconnect:
        raise ValueError("a fault either answers a status or disconnects, not both")
    if status is None and not disconnect and delay == 0:
        raise ValueError("inject needs at least one of status=, delay= or disconnect=True")
    if status is None and (retry_after is not None or message is not None):
        raise ValueError("retry_after= and message= only apply to a status fault")
    header: str | None = None
    if retry_after is not None:
        if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float, str)):
            raise ValueError(
                "retry_after must be seconds (a number) or an HTTP date string, "
                f"got {retry_after!r}"
            )
        if isinstance(retry_after, str):
            if not retry_after.isascii() or not retry_after.isprintable() or not retry_after:
                raise ValueError(f"retry_after must be printable ASCII, got {retry_after!r}")
            header = retry_after
        elif not math.isfinite(retry_after) or retry_after < 0:
            raise ValueError(f"retry_after must be a finite number >= 0, got {retry_after!r}")
        else:
            header = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    if message is not None and not isinstance(message, str):
        raise ValueError(f"message must be a string, got {message!r}")
    return Fault(
        operation=operation,
        remaining=times,
        status=status,
        retry_after=header,
        delay=float(delay),
        disconnect=disconnect,
        message=message,
    )


class State:
    """Stores, faults, idempotency keys and the request log of one fake server."""

    def __init__(
        self,
        *,
        api_key: str | None,
        data_dir: str | os.PathLike[str] | None,
        clock: Clock | None,
        ids: IdSource | None,
        engines: EngineChoice | None = None,
    ) -> None:
        if api_key is not None and (not isinstance(api_key, str) or not api_key):
            raise ValueError("api_key must be a non-empty string or None")
        self.api_key = api_key
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        if self.data_dir is not None:
            (self.data_dir / _DEFAULT_FOLDER).mkdir(parents=True, exist_ok=True)
        #: Which engine runs a new postgres, mysql or redis store.
        self.engines = engines if engines is not None else EngineChoice()
        self._now = timestamp_source(clock)
        self._next_id = id_source(ids)
        self.lock = threading.Lock()
        self.stores: dict[str, Store] = {}
        self.names: dict[str, str] = {}
        self.faults: list[Fault] = []
        self.log: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.idempotency = IdempotencyCache()
        self._seq = 0

    # -- stores -----------------------------------------------------------

    def create(self, name: str, kind: str, sandbox: str | None, config: Any) -> StoreRecord:
        """Create a store; raises ConflictError on a duplicate name, EngineError on bad config.

        Everything that can be refused is checked before an id or a timestamp is
        taken, so a refused create never uses up a deterministic id.
        """
        with self.lock:
            if name in self.names:
                raise ConflictError("Store name already exists")
            # Any JSON value, as the server takes it; only an object can name a sqlite path.
            config = copy.deepcopy(config)
            has_path = isinstance(config, dict) and "path" in config
            database = self._sqlite_path(config) if kind == "sqlite" and has_path else None
            engine: SqlEngine | CommandEngine | None = None
            if kind != "sqlite":
                # No I/O: a real engine connects (and makes its database) on first use.
                engine = self.engines.open(kind, config)
            store_id = self._next_id()
            if store_id in self.stores:
                raise RuntimeError(
                    f"the FakeServer ids source produced a duplicate id {store_id!r}"
                )
            stamp = self._now()
            if engine is None:
                if not has_path:
                    # As the contract says: the server *replaces* config with the default path
                    # (a config that is not an object has no path, so it is replaced too).
                    root = str(self.data_dir) if self.data_dir is not None else ".agentkernel"
                    config = {"path": f"{root}/stores/{store_id}.db"}
                    if self.data_dir is not None:
                        database = config["path"]
                engine = _open_sqlite(database)
            record = StoreRecord(
                id=store_id,
                name=name,
                kind=kind,
                sandbox=sandbox,
                config=config,
                created_at=stamp,
                updated_at=stamp,
            )
            self._seq += 1
            self.stores[store_id] = Store(record, engine, (stamp, self._seq))
            self.names[name] = store_id
            return record

    def _sqlite_path(self, config: dict[str, Any]) -> str | None:
        """The database file for a given ``config.path`` (None: in memory or the default).

        The file must be the store's own: a path inside the data directory, not in
        its ``stores/`` folder (the default files, one per store id) and not an
        SQLite side file (``-wal``, ``-shm``, ``-journal``) of some database. Two
        stores share a file only when both name the same path on purpose.
        """
        path = config.get("path")
        if not isinstance(path, str) or not path.strip():
            raise EngineError("config.path must be a non-empty string")
        if self.data_dir is None:
            return None  # without data_dir every store lives in memory; the path is nominal
        if "\x00" in path or Path(path).is_absolute():
            raise EngineError(_OUTSIDE_DATA_DIR)
        try:
            target = (self.data_dir / path).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name the OS refuses
            raise EngineError(_unusable_path(exc)) from None
        if target == self.data_dir or not target.is_relative_to(self.data_dir):
            raise EngineError(_OUTSIDE_DATA_DIR)
        first = target.relative_to(self.data_dir).parts[0]
        if first.casefold() == _DEFAULT_FOLDER:
            raise EngineError(
                f"config.path must not be inside the data directory's {_DEFAULT_FOLDER}/ "
                "folder: it holds each store's default database file"
            )
        if target.name.endswith(_SIDE_FILE_SUFFIXES):
            raise EngineError(
                "config.path must not end in -wal, -shm or -journal: SQLite keeps a "
                "database's own side files under those names"
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, RecursionError) as exc:  # a name too long, through a file, too deep
            raise EngineError(_unusable_path(exc)) from None
        return str(target)

    def get(self, store_id: str) -> Store | None:
        """The store with that id, or None."""
        return self.stores.get(store_id)

    def delete(self, store_id: str) -> bool:
        """Delete a store; False when there is none with that id."""
        with self.lock:
            store = self.stores.pop(store_id, None)
            if store is None:
                return False
            if self.names.get(store.record.name) == store_id:
                del self.names[store.record.name]
        store.engine.close()
        return True

    def list_records(self, limit: int | None = LIST_LIMIT) -> list[StoreRecord]:
        """Records newest first (``created_at`` descending), at most ``limit``."""
        with self.lock:
            stores = list(self.stores.values())
        stores.sort(key=lambda s: s.sort_key, reverse=True)
        if limit is not None:
            stores = stores[:limit]
        return [s.record for s in stores]

    # -- faults and the log ----------------------------------------------

    def take_fault(self, operation: str) -> Fault | None:
        """Consume one use of the first fault matching ``operation``."""
        if not self.faults:
            return None
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.operation in (operation, "*"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self.faults[index]
                    return fault
        return None

    def reset(self) -> None:
        """Forget every store, fault, idempotency key and recorded request."""
        with self.lock:
            stores = list(self.stores.values())
            self.stores.clear()
            self.names.clear()
            self.faults.clear()
            self.log.clear()
            self.idempotency.clear()
        for store in stores:
            store.engine.close()


_OUTSIDE_DATA_DIR = "config.path must be a relative path inside the fake server's data directory"
#: The data directory's folder of default store files (``stores/<id>.db``).
_DEFAULT_FOLDER = "stores"
_SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")


def _unusable_path(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        reason = "too many nested directories"
    elif isinstance(exc, FileExistsError):
        reason = "a part of it is a file, not a directory"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = "a symlink loop"
    return f"config.path cannot be used in the fake server's data directory: {reason}"


def _open_sqlite(database: str | None) -> SqliteEngine:
    try:
        return SqliteEngine(database)
    except sqlite3.Error as exc:
        raise EngineError(f"failed creating store database: {exc}") from None
