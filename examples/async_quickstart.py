"""Async quick start: many queries at once with ``asyncio.gather``.

``AsyncClient`` has the same operations as ``Client``, awaitable. One client shares
one connection pool, so firing many requests concurrently is cheap.

Runs against the bundled fake server by default; set ``DURABLE_STORES_BASE_URL``
to run it against a real server.

    python examples/async_quickstart.py
"""

from __future__ import annotations

import asyncio
import os
import uuid

from durable_stores_client import AsyncClient
from durable_stores_client.fake import FakeServer


def make_client() -> AsyncClient:
    """A client for the real server when one is configured, else for an in-process fake."""
    if os.environ.get("DURABLE_STORES_BASE_URL"):
        return AsyncClient()
    return FakeServer().async_client()


async def main() -> None:
    async with make_client() as client:
        squares = await client.store(name=f"async-{uuid.uuid4().hex[:8]}", kind="sqlite")
        try:
            await squares.execute("CREATE TABLE squares (n INTEGER PRIMARY KEY, square INTEGER)")
            # Writes one at a time: each is its own statement, order does not matter here.
            await asyncio.gather(
                *(
                    squares.execute("INSERT INTO squares VALUES (?, ?)", [n, n * n])
                    for n in range(1, 21)
                )
            )

            # Twenty reads in flight together.
            results = await asyncio.gather(
                *(
                    squares.query("SELECT square FROM squares WHERE n = ?", [n])
                    for n in range(1, 21)
                )
            )
            values = [result.scalar() for result in results]
            print(f"{len(results)} concurrent queries -> {values}")
            assert values == [n * n for n in range(1, 21)]

            total = await squares.query("SELECT sum(square) AS total FROM squares")
            print(f"sum of squares 1..20 = {total.scalar()}")
        finally:
            await squares.delete()


if __name__ == "__main__":
    asyncio.run(main())
