"""Redis stores on a real Redis server given by URL (redis-py).

Each store leases its own logical database on that server: a number from
1 up to the server's ``databases`` setting (16 by default, so 15 stores at a
time per server; the URL's own database keeps the leases). A lease is a key
``durable-stores-fake:lease:<n>`` in the URL's database, taken with
``SET NX`` and an expiry (renewed while the store is used), so parallel
fakes and CI jobs on the same server never share a database, and a crashed
process's leases lapse. A leased database is flushed (FLUSHDB) when taken,
when its store is deleted and on ``reset()``. When none is free, creating
work on the store answers 400 saying so.

Commands that would reach past the store's own database (FLUSHALL, SWAPDB,
MOVE, SELECT, CONFIG, ...) are refused. redis-py is imported on first use.
"""

from __future__ import annotations

import contextlib
import importlib
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from . import EngineError
from .redis import CommandEngine, command_name, refusal

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

INSTALL_REDIS = 'pip install "durable-stores-client[redis]"'
LEASE_PREFIX = "durable-stores-fake:lease:"
#: Seconds a lease lives without use; renewed at most once a minute while used.
LEASE_SECONDS = 3600
_RENEW_AFTER = 60.0

#: Commands that reach past one logical database, or administer the server.
_SERVER_COMMANDS = frozenset(
    {
        "FLUSHALL",
        "SWAPDB",
        "MOVE",
        "CONFIG",
        "SHUTDOWN",
        "DEBUG",
        "MIGRATE",
        "REPLICAOF",
        "SLAVEOF",
        "FAILOVER",
        "ACL",
        "MODULE",
        "CLUSTER",
        "SAVE",
        "BGSAVE",
        "BGREWRITEAOF",
        "SYNC",
        "PSYNC",
        "SCRIPT",
        "FUNCTION",
        "LATENCY",
        "MEMORY",
        "SLOWLOG",
        "COMMAND",
    }
)


def _redis() -> Any:
    try:
        return importlib.import_module("redis")
    except ImportError:
        raise EngineError(f"redis stores on a real server need redis-py: {INSTALL_REDIS}") from None


class NoFreeDatabase(EngineError):
    """Every logical database of the server is leased."""


class RedisHost:
    """One fake's leases of logical databases on a Redis server given by URL."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must start with redis:// (redis://host:port/db)")
        self.url = url
        self._owner = f"dsf_{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._registry: Any = None
        self._databases: int | None = None

    def _admin(self) -> Any:
        if self._registry is None:
            self._registry = _redis().Redis.from_url(self.url, socket_timeout=10)
        return self._registry

    def _database_count(self, client: Any) -> int:
        if self._databases is None:
            try:
                reply = client.config_get("databases")
                self._databases = int(reply.get("databases", 16))
            except Exception:  # CONFIG refused (managed servers): Redis's default
                self._databases = 16
        return self._databases

    def lease(self) -> int:
        """Take a free logical database (flushed) for one store."""
        redis = _redis()
        with self._lock:
            try:
                registry = self._admin()
                own = int(registry.connection_pool.connection_kwargs.get("db", 0))
                for number in range(self._database_count(registry)):
                    if number == own:
                        continue
                    if registry.set(
                        f"{LEASE_PREFIX}{number}", self._owner, nx=True, ex=LEASE_SECONDS
                    ):
                        self.client(number).flushdb()
                        return number
            except redis.RedisError as exc:
                raise EngineError(f"failed to connect to redis: {exc}") from None
        raise NoFreeDatabase(
            "no free logical database on the redis server for this store: every one of its "
            f"{self._databases} databases is leased (delete a redis store, or raise the "
            "server's `databases` setting)"
        )

    def renew(self, number: int) -> None:
        with contextlib.suppress(Exception):
            self._admin().expire(f"{LEASE_PREFIX}{number}", LEASE_SECONDS)

    def release(self, number: int) -> None:
        """Flush a leased database and give it back."""
        with contextlib.suppress(Exception):
            self.client(number).flushdb()
            registry = self._admin()
            key = f"{LEASE_PREFIX}{number}"
            if registry.get(key) == self._owner.encode():
                registry.delete(key)

    def client(self, number: int) -> Any:
        """A client on logical database ``number`` (the URL's own db number overridden)."""
        redis = _redis()
        template = redis.ConnectionPool.from_url(self.url)
        kwargs = {**template.connection_kwargs, "db": number, "socket_timeout": 70}
        pool = redis.ConnectionPool(connection_class=template.connection_class, **kwargs)
        return redis.Redis(connection_pool=pool)


class RedisServerEngine(CommandEngine):
    """One redis store on a real server: a leased database, or (``connect_configs``) its own."""

    kind = "redis"

    def __init__(
        self, host: RedisHost | None = None, *, options: Mapping[str, Any] | None = None
    ) -> None:
        if (host is None) == (options is None):
            raise ValueError("give exactly one of host= and options=")
        self._host = host
        self._options = dict(options) if options is not None else None
        self._number: int | None = None
        self._renewed = 0.0
        super().__init__()

    def _open(self) -> Any:
        if self._host is not None:
            self._number = self._host.lease()
            client = self._host.client(self._number)
            self._renewed = time.monotonic()
            return client
        return _redis().Redis(**(self._options or {}), socket_timeout=70)

    def _reuse(self) -> None:
        if (
            self._host is not None
            and self._number is not None
            and time.monotonic() - self._renewed > _RENEW_AFTER
        ):
            self._host.renew(self._number)
            self._renewed = time.monotonic()

    def _refusal(self, args: Sequence[str]) -> str | None:
        problem = refusal(args)
        name = command_name(args[0])
        if problem is None and name in _SERVER_COMMANDS:
            problem = (
                f"{name} reaches past the store's own database and is not available "
                "through the command endpoint"
            )
        return problem

    def _failure(self, exc: Exception) -> EngineError | None:
        redis = _redis()
        if isinstance(exc, redis.ConnectionError):
            return EngineError(f"failed to connect to redis: {exc}")
        if isinstance(exc, redis.RedisError):
            return EngineError(f"failed executing store command: {exc}")
        return None

    def close(self) -> None:
        """Flush and give back the leased database; later calls raise StoreClosed."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
            number, self._number = self._number, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if self._host is not None and number is not None:
            self._host.release(number)


def engine_from_config(config: Mapping[str, Any]) -> RedisServerEngine:
    """A store on the server its config names, connecting as agentkernel does."""
    options: dict[str, Any] = {
        "host": str(config.get("host", "127.0.0.1")),
        "port": int(config.get("port", 6379)),
        "db": int(config.get("db", 0)),
    }
    if config.get("password") is not None:
        options["password"] = str(config["password"])
    return RedisServerEngine(options=options)
