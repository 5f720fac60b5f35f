"""Scenario 7: the sync limit, a small query over loopback against the benchmarks' own server.

The server (``benchmarks._fastserve``) answers in a few µs, so the figures are the clients'
own costs. Three contenders, interleaved, each with one keep-alive connection:

- urllib3 (``HTTPConnectionPool.request`` + ``json.loads`` + envelope unwrapping): the
  practical limit of a synchronous Python HTTP client; target: this SDK at most 1.2 times
  its median;
- raw httpx (``httpx.Client.post`` + ``json.loads`` + unwrapping), what this SDK is built on;
- this SDK: ``Client.query_store``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from benchmarks._fixtures import (
    SMALL_PARAMS,
    SMALL_QUERY,
    SMALL_SQL,
    STORE_ID,
    fast_server,
    raw_query,
    unwrap_body,
)
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    calibrate,
    compare,
    cpu_figures,
    interleave,
    results_from,
    timed,
)
from benchmarks._machine import version_of

TITLE = "Sync limit: `Client.query_store` vs urllib3 and raw httpx, against a minimal server"
TARGET_URLLIB3 = 1.2
TARGET_HTTPX = 1.05


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 7."""
    import httpx
    import urllib3

    from durable_stores_client import Client

    result = ScenarioResult(id=7, title=TITLE)
    cpu: dict[str, list[float]] = {}
    path = f"/stores/{STORE_ID}/query"
    with fast_server() as url:
        split = urlsplit(url)
        pool = urllib3.HTTPConnectionPool(split.hostname or "127.0.0.1", split.port, maxsize=1)
        raw = httpx.Client(base_url=url)
        sdk = Client(base_url=url)
        try:

            def urllib3_query() -> Any:
                answer = pool.request(
                    "POST",
                    path,
                    body=json.dumps(SMALL_QUERY).encode(),
                    headers={"content-type": "application/json"},
                )
                return unwrap_body(answer.status, answer.data)

            contenders = [
                Contender(
                    "urllib3",
                    f"urllib3 {version_of('urllib3')} HTTPConnectionPool.request + json.loads "
                    "+ unwrap",
                    timed(urllib3_query),
                ),
                Contender(
                    "httpx",
                    "raw httpx.Client.post + json.loads + unwrap",
                    timed(lambda: raw_query(raw, STORE_ID)),
                ),
                Contender(
                    "sdk",
                    "Client.query_store",
                    timed(lambda: sdk.query_store(STORE_ID, sql=SMALL_SQL, params=SMALL_PARAMS)),
                ),
            ]
            expected = urllib3_query()["rows"]
            if list(sdk.query_store(STORE_ID, sql=SMALL_SQL, params=SMALL_PARAMS).rows) != (
                expected
            ) or (raw_query(raw, STORE_ID)["rows"] != expected):
                raise RuntimeError("the SDK, raw httpx and urllib3 disagree")
            inner = calibrate(contenders[0].run, settings.sample_seconds)
            samples = interleave(
                contenders, inner=inner, rounds=settings.rounds, warmup=settings.warmup, cpu=cpu
            )
        finally:
            sdk.close()
            raw.close()
            pool.close()
    result.contenders = results_from(contenders, samples, unit="s", per_sample=inner)
    sdk_result = result.contender("sdk")
    result.comparisons.append(
        compare(
            "Sync limit: SDK / urllib3",
            sdk_result,
            result.contender("urllib3"),
            target=TARGET_URLLIB3,
            op="<=",
        )
    )
    result.comparisons.append(
        compare(
            "Sync limit: SDK / raw httpx",
            sdk_result,
            result.contender("httpx"),
            target=TARGET_HTTPX,
            op="<=",
        )
    )
    result.figures["server"] = "benchmarks._fastserve (a minimal asyncio server) in a process"
    result.figures.update(cpu_figures(cpu, "urllib3"))
    return result
