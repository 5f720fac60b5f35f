"""Scenario 8: the async limit, small queries at concurrency 1 and 50 against a minimal server.

The server (``benchmarks._fastserve``) answers in a few µs, so the figures are the clients'
own costs. One fan-out is ``total`` queries shared by ``concurrency`` workers on one event
loop; a sample is one whole fan-out and the figure is queries per second. Contenders,
interleaved:

- aiohttp (``ClientSession.post`` + ``json.loads`` + unwrapping): the practical limit of an
  asyncio HTTP client;
- raw httpx (``httpx.AsyncClient.post`` + ``json.loads`` + unwrapping), httpcore's pool;
- this SDK's ``AsyncClient`` on its default (httpcore) pool;
- this SDK's ``AsyncClient(http_backend="aiohttp")``, when ``httpx-aiohttp`` (the
  ``aiohttp`` extra) is installed. Target: at concurrency 50, at least 0.7 times aiohttp's
  throughput.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from benchmarks._fixtures import (
    SMALL_PARAMS,
    SMALL_QUERY,
    SMALL_SQL,
    STORE_ID,
    fast_server,
    raw_query_async,
    unwrap_body,
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
from benchmarks._machine import version_of
from benchmarks.scenario_fanout import fan_out

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

TITLE = "Async limit: `AsyncClient` vs aiohttp and raw httpx at concurrency 1 and 50"
TARGET_AIOHTTP = 0.7
TARGET_HTTPX = 0.95
CONCURRENCIES = {1: 200, 50: 1_000}
"""Concurrency -> queries per fan-out (at scale 1)."""


def aiohttp_transport_available() -> bool:
    """Whether ``httpx-aiohttp`` (the ``aiohttp`` extra) is importable here."""
    import importlib.util

    return importlib.util.find_spec("httpx_aiohttp") is not None


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 8."""
    import aiohttp
    import httpx

    from durable_stores_client import AsyncClient

    result = ScenarioResult(id=8, title=TITLE)
    path = f"/stores/{STORE_ID}/query"
    body = json.dumps(SMALL_QUERY).encode()
    headers = {"content-type": "application/json"}
    loop = asyncio.new_event_loop()
    with_aiohttp = aiohttp_transport_available()
    try:
        with fast_server() as url:

            async def open_clients() -> dict[str, Any]:
                clients: dict[str, Any] = {
                    "aiohttp": aiohttp.ClientSession(base_url=url),
                    "httpx": httpx.AsyncClient(base_url=url),
                    "sdk": AsyncClient(base_url=url),
                }
                if with_aiohttp:
                    clients["sdk_aiohttp"] = AsyncClient(base_url=url, http_backend="aiohttp")
                return clients

            clients = loop.run_until_complete(open_clients())
            session: aiohttp.ClientSession = clients["aiohttp"]

            async def aiohttp_query() -> Any:
                async with session.post(path, data=body, headers=headers) as answer:
                    return unwrap_body(answer.status, await answer.read())

            queries: dict[str, Callable[[], Awaitable[Any]]] = {
                "aiohttp": aiohttp_query,
                "httpx": lambda: raw_query_async(clients["httpx"], STORE_ID),
                "sdk": lambda: clients["sdk"].query_store(
                    STORE_ID, sql=SMALL_SQL, params=SMALL_PARAMS
                ),
            }
            labels = {
                "aiohttp": f"aiohttp {version_of('aiohttp')} ClientSession.post + json.loads "
                "+ unwrap",
                "httpx": "raw httpx.AsyncClient.post + json.loads + unwrap",
                "sdk": "AsyncClient.query_store (httpcore pool)",
            }
            if with_aiohttp:
                queries["sdk_aiohttp"] = lambda: clients["sdk_aiohttp"].query_store(
                    STORE_ID, sql=SMALL_SQL, params=SMALL_PARAMS
                )
                labels["sdk_aiohttp"] = 'AsyncClient.query_store, http_backend="aiohttp"'
            else:
                result.notes.append(
                    "httpx-aiohttp is not installed (`pip install 'durable-stores-client"
                    "[aiohttp]'`), so AsyncClient on aiohttp was not measured"
                )
            expected = loop.run_until_complete(aiohttp_query())["rows"]
            for key, query in queries.items():
                answer = loop.run_until_complete(query())
                rows = answer["rows"] if isinstance(answer, dict) else list(answer.rows)
                if rows != expected:
                    raise RuntimeError(f"{key} and aiohttp disagree")
            try:
                for concurrency, queries_at_scale in CONCURRENCIES.items():
                    total = settings.scaled(queries_at_scale, minimum=concurrency * 2)
                    _measure(
                        result,
                        loop,
                        settings=settings,
                        queries=queries,
                        labels=labels,
                        concurrency=concurrency,
                        total=total,
                    )
            finally:

                async def close() -> None:
                    await session.close()
                    await clients["httpx"].aclose()
                    await clients["sdk"].aclose()
                    if with_aiohttp:
                        await clients["sdk_aiohttp"].aclose()

                loop.run_until_complete(close())
    finally:
        loop.close()
    result.figures["server"] = "benchmarks._fastserve (a minimal asyncio server) in a process"
    result.figures["httpx_aiohttp"] = version_of("httpx-aiohttp") or "not installed"
    return result


def _measure(
    result: ScenarioResult,
    loop: asyncio.AbstractEventLoop,
    *,
    settings: Settings,
    queries: dict[str, Callable[[], Awaitable[Any]]],
    labels: dict[str, str],
    concurrency: int,
    total: int,
) -> None:
    def runner(query: Callable[[], Awaitable[Any]]) -> Callable[[int], float]:
        def run_n(n: int) -> float:
            start = loop.time()
            for _ in range(n):
                loop.run_until_complete(fan_out(query, total, concurrency))
            return loop.time() - start

        return run_n

    contenders = [
        Contender(f"{key}@{concurrency}", f"{labels[key]}, concurrency {concurrency}", runner(q))
        for key, q in queries.items()
    ]
    cpu: dict[str, list[float]] = {}
    samples = interleave(
        contenders, inner=1, rounds=settings.rounds, warmup=settings.warmup, cpu=cpu
    )
    throughput = {key: [total / s for s in values] for key, values in samples.items()}
    result.contenders += results_from(contenders, throughput, unit="queries/s", per_sample=total)
    at = f"@{concurrency}"
    aiohttp_result = result.contender("aiohttp" + at)
    sdk_result = result.contender("sdk" + at)
    if "sdk_aiohttp" in queries:
        result.comparisons.append(
            compare(
                f"Async limit, concurrency {concurrency}: SDK on aiohttp / aiohttp",
                result.contender("sdk_aiohttp" + at),
                aiohttp_result,
                target=TARGET_AIOHTTP,
                op=">=",
                unit="throughput",
            )
        )
    result.comparisons.append(
        compare(
            f"Async limit, concurrency {concurrency}: SDK (httpcore) / raw httpx",
            sdk_result,
            result.contender("httpx" + at),
            target=TARGET_HTTPX,
            op=">=",
            unit="throughput",
        )
    )
    per_query = {key: [s / total for s in values] for key, values in cpu.items()}
    result.figures[f"concurrency {concurrency}"] = {
        "queries_per_fan_out": total,
        "sdk_httpcore_throughput_over_aiohttp": round(
            sdk_result.summary.median / aiohttp_result.summary.median, 3
        ),
        **cpu_figures(per_query, "aiohttp" + at),
    }
