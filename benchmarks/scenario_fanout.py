"""Scenario 4: async fan-out, 1,000 small queries at concurrency 50, over loopback HTTP.

One ``AsyncClient`` against one raw ``httpx.AsyncClient`` (default connection limits on both),
each fan-out being 50 workers that share 1,000 queries. A sample is one whole fan-out; the
figure is queries per second. Target: SDK throughput at least 0.95 times raw httpx.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from benchmarks._fixtures import (
    SMALL_PARAMS,
    SMALL_SQL,
    create_store,
    http_fake,
    raw_query_async,
)
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    compare,
    cpu_figures,
    interleave,
    results_from,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

TITLE = "Async fan-out (1,000 queries, concurrency 50): `AsyncClient` vs raw `httpx.AsyncClient`"
TARGET = 0.95
QUERIES = 1_000
CONCURRENCY = 50


async def fan_out(query: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> None:
    """Run ``total`` queries with ``concurrency`` workers pulling from one shared counter."""
    todo: Iterator[int] = iter(range(total))

    async def worker() -> None:
        for _ in todo:
            await query()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 4."""
    import httpx

    from durable_stores_client import AsyncClient

    total = settings.scaled(QUERIES, minimum=CONCURRENCY)
    cpu: dict[str, list[float]] = {}
    loop = asyncio.new_event_loop()
    try:
        with http_fake(settings.server) as url:
            with httpx.Client(base_url=url) as setup:
                store_id = create_store(setup)

            async def open_clients() -> tuple[httpx.AsyncClient, Any]:
                return httpx.AsyncClient(base_url=url), AsyncClient(base_url=url)

            raw, sdk = loop.run_until_complete(open_clients())

            def sdk_query() -> Awaitable[Any]:
                query: Awaitable[Any] = sdk.query_store(
                    store_id, sql=SMALL_SQL, params=SMALL_PARAMS
                )
                return query

            def runner(query: Callable[[], Awaitable[Any]]) -> Callable[[int], float]:
                def run_n(n: int) -> float:
                    start = loop.time()
                    for _ in range(n):
                        loop.run_until_complete(fan_out(query, total, CONCURRENCY))
                    return loop.time() - start

                return run_n

            contenders = [
                Contender(
                    "httpx",
                    "raw httpx.AsyncClient.post + json.loads + unwrap",
                    runner(lambda: raw_query_async(raw, store_id)),
                ),
                Contender("sdk", "AsyncClient.query_store", runner(sdk_query)),
            ]
            try:
                rounds = settings.rounds if settings.quick else max(5, settings.rounds * 4 // 5)
                samples = interleave(
                    contenders, inner=1, rounds=rounds, warmup=settings.warmup, cpu=cpu
                )
            finally:

                async def close() -> None:
                    await raw.aclose()
                    await sdk.aclose()

                loop.run_until_complete(close())
    finally:
        loop.close()
    throughput = {key: [total / s for s in values] for key, values in samples.items()}
    result = ScenarioResult(
        id=4,
        title=TITLE,
        contenders=results_from(contenders, throughput, unit="queries/s", per_sample=total),
    )
    result.comparisons.append(
        compare(
            "Fan-out throughput: SDK / raw httpx",
            result.contender("sdk"),
            result.contender("httpx"),
            target=TARGET,
            op=">=",
            unit="throughput",
        )
    )
    per_query = {key: [s / total for s in values] for key, values in cpu.items()}
    result.figures.update(cpu_figures(per_query, "httpx"))
    result.figures["queries_per_fan_out"] = total
    result.figures["concurrency"] = CONCURRENCY
    result.figures["server"] = f"FakeServer().serve() in a {settings.server}"
    return result
