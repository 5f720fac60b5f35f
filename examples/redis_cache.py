"""A Redis store as a cache for an agent's slow tool calls.

A store handle's ``command("GET", key)`` sends one Redis command (arguments as redis-py
takes them: ints are sent as strings) and returns the reply as JSON. Here a ``cached``
helper keeps tool results for a while with ``SET ... EX``, and a counter shows how many
calls the cache saved.

Runs against the bundled fake server by default (its Redis engine needs the ``fake``
extra: ``pip install 'durable-stores-client[fake]'``); set ``DURABLE_STORES_BASE_URL``
to run it against a real server.

    python examples/redis_cache.py
"""

from __future__ import annotations

import json
import os
import uuid
from typing import TYPE_CHECKING, Any

from durable_stores_client import Client
from durable_stores_client.fake import FakeServer

if TYPE_CHECKING:
    from collections.abc import Callable

    from durable_stores_client import StoreHandle


class ToolCache:
    """JSON results of tool calls, kept in a Redis store for ``ttl`` seconds."""

    def __init__(self, store: StoreHandle, *, ttl: int = 300) -> None:
        self._store = store
        self._ttl = ttl

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value for ``key``, computing and storing it on a miss."""
        hit = self._store.command("GET", f"tool:{key}")
        if hit is not None:
            self._store.command("INCR", "stats:hits")
            return json.loads(hit)
        self._store.command("INCR", "stats:misses")
        value = compute()
        self._store.command("SET", f"tool:{key}", json.dumps(value), "EX", self._ttl)
        return value

    def stats(self) -> dict[str, int]:
        """How many lookups hit and missed the cache."""
        hits, misses = self._store.command("MGET", "stats:hits", "stats:misses")
        return {"hits": int(hits or 0), "misses": int(misses or 0)}


def make_client() -> Client:
    """A client for the real server when one is configured, else for an in-process fake."""
    if os.environ.get("DURABLE_STORES_BASE_URL"):
        return Client()
    return FakeServer().client()


def main() -> None:
    with make_client() as client:
        store = client.store(
            name=f"tool-cache-{uuid.uuid4().hex[:8]}",
            kind="redis",
            config={"host": "127.0.0.1", "port": 6379, "db": 0},
        )
        try:
            cache = ToolCache(store, ttl=60)
            calls: list[str] = []

            def weather(city: str) -> Callable[[], Any]:
                def compute() -> Any:
                    calls.append(city)  # stands in for a slow HTTP call
                    return {"city": city, "temp_c": 21}

                return compute

            for city in ["lisbon", "porto", "lisbon", "lisbon", "porto"]:
                print(f"{city}: {cache.cached(f'weather:{city}', weather(city))}")

            print(f"tool really called for: {calls}")
            print(f"cache stats: {cache.stats()}")
            ttl = store.command("TTL", "tool:weather:lisbon")
            print(f"weather:lisbon expires in {ttl} s")
            assert calls == ["lisbon", "porto"]
        finally:
            store.delete()


if __name__ == "__main__":
    main()
