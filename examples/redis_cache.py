"""A Redis store as a cache for an agent's slow tool calls.

``command_store`` sends one Redis command (a list of strings) and returns its result
as JSON. Here a ``cached`` helper keeps tool results for a while with ``SET ... EX``,
and a counter shows how many calls the cache saved.

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


class ToolCache:
    """JSON results of tool calls, kept in a Redis store for ``ttl`` seconds."""

    def __init__(self, client: Client, store_id: str, *, ttl: int = 300) -> None:
        self._client = client
        self._store_id = store_id
        self._ttl = ttl

    def _run(self, *words: str) -> Any:
        return self._client.command_store(self._store_id, command=list(words)).result

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value for ``key``, computing and storing it on a miss."""
        hit = self._run("GET", f"tool:{key}")
        if hit is not None:
            self._run("INCR", "stats:hits")
            return json.loads(hit)
        self._run("INCR", "stats:misses")
        value = compute()
        self._run("SET", f"tool:{key}", json.dumps(value), "EX", str(self._ttl))
        return value

    def stats(self) -> dict[str, int]:
        """How many lookups hit and missed the cache."""
        hits, misses = self._run("MGET", "stats:hits", "stats:misses")
        return {"hits": int(hits or 0), "misses": int(misses or 0)}


def make_client() -> Client:
    """A client for the real server when one is configured, else for an in-process fake."""
    if os.environ.get("DURABLE_STORES_BASE_URL"):
        return Client()
    return FakeServer().client()


def main() -> None:
    with make_client() as client:
        store = client.create_store(
            name=f"tool-cache-{uuid.uuid4().hex[:8]}",
            kind="redis",
            config={"host": "127.0.0.1", "port": 6379, "db": 0},
        )
        try:
            cache = ToolCache(client, store.id, ttl=60)
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
            ttl = client.command_store(store.id, command=["TTL", "tool:weather:lisbon"]).result
            print(f"weather:lisbon expires in {ttl} s")
            assert calls == ["lisbon", "porto"]
        finally:
            client.delete_store(store.id)


if __name__ == "__main__":
    main()
