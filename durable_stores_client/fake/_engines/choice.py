"""Which engine runs a new postgres, mysql or redis store, for one fake.

- postgres: the embedded PostgreSQL (the ``postgres`` extra), else the SQLite
  emulation; with ``postgres_url``, a database per store on that server.
- mysql: the SQLite emulation (``?`` only, MySQL-only SQL refused); with
  ``mysql_url``, a database per store on that server.
- redis: fakeredis; with ``redis_url``, a leased logical database per store.
- with ``connect_configs``, a store whose config names a server (``host``,
  ``port``, ``user``, ``password``, ``dbname``, ``db``) runs on that server and
  database, which the fake never creates nor drops.

Nothing here touches a server: hosts and engines connect on a store's first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EngineError
from .emulation import MysqlEmulation, postgres_emulation
from .mysql import MysqlEngine, MysqlHost
from .mysql import engine_from_config as mysql_from_config
from .postgres import PostgresEngine, PostgresHost, embedded_available
from .postgres import engine_from_config as postgres_from_config
from .redis import RedisEngine
from .redis_server import RedisHost, RedisServerEngine
from .redis_server import engine_from_config as redis_from_config

if TYPE_CHECKING:
    from collections.abc import Mapping

    from . import CommandEngine, SqlEngine

#: The config keys that name a server: with ``connect_configs``, a store whose config
#: has any of them runs on that server.
SERVER_KEYS = frozenset({"host", "port", "user", "password", "dbname", "db"})

_SCHEMES = {
    "postgres": ("postgresql://", "postgres://"),
    "mysql": ("mysql://", "mariadb://"),
    "redis": ("redis://", "rediss://", "unix://"),
}


def check_url(kind: str, url: str | None) -> str | None:
    """Validate a ``<kind>_url`` argument (None: no server for that kind)."""
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(_SCHEMES[kind]):
        example = {
            "postgres": "postgresql://user@host:5432/db",
            "mysql": "mysql://user@host:3306/db",
            "redis": "redis://host:6379/0",
        }[kind]
        raise ValueError(f"{kind}_url must be a URL such as {example}")
    return url


class EngineChoice:
    """The engines of one fake: its hosts on real servers, made on first use."""

    def __init__(
        self,
        *,
        postgres_url: str | None = None,
        mysql_url: str | None = None,
        redis_url: str | None = None,
        connect_configs: bool = False,
    ) -> None:
        if not isinstance(connect_configs, bool):
            raise ValueError(f"connect_configs must be True or False, got {connect_configs!r}")
        self.urls = {
            "postgres": check_url("postgres", postgres_url),
            "mysql": check_url("mysql", mysql_url),
            "redis": check_url("redis", redis_url),
        }
        self.connect_configs = connect_configs
        self._hosts: dict[str, Any] = {}

    def describe(self, kind: str) -> str:
        """What runs a new store of ``kind``: ``embedded``, ``url``, ``emulated``, ``fakeredis``."""
        if self.urls.get(kind) is not None:
            return "url"
        if kind == "redis":
            return "fakeredis"
        if kind == "postgres":
            return "embedded" if embedded_available() else "emulated"
        return "emulated"

    def _host(self, kind: str) -> Any:
        host = self._hosts.get(kind)
        if host is None:
            url = self.urls.get(kind)
            if kind == "postgres":
                host = PostgresHost(url)
            elif kind == "mysql":
                host = MysqlHost(url or "")
            else:
                host = RedisHost(url or "")
            self._hosts[kind] = host
        return host

    def open(self, kind: str, config: object) -> SqlEngine | CommandEngine:
        """A new store's engine (no I/O: it connects on its first call).

        ``config`` is any JSON value; one that is not an object names no server.
        """
        if self.connect_configs and isinstance(config, dict) and SERVER_KEYS & config.keys():
            return _from_config(kind, config)
        how = self.describe(kind)
        if kind == "redis":
            if how == "url":
                return RedisServerEngine(self._host("redis"))

            return RedisEngine()
        if kind == "postgres":
            if how == "emulated":
                return postgres_emulation()

            return PostgresEngine(self._host("postgres"))
        if how == "url":
            return MysqlEngine(self._host("mysql"))

        return MysqlEmulation()


def _from_config(kind: str, config: Mapping[str, Any]) -> SqlEngine | CommandEngine:
    try:
        if kind == "postgres":
            return postgres_from_config(config)
        if kind == "mysql":
            return mysql_from_config(config)

        return redis_from_config(config)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"config does not name a usable {kind} server: {exc}") from None
