"""Scenario 1: a small query in-process, through the fake's httpx transport.

Both contenders talk to the same fake through ``fake.transport()``, so the fake's own work
(routing, SQLite) is identical on both sides and the ratio shows what the SDK adds:

- baseline: ``httpx.Client.post`` + ``json.loads`` + envelope unwrapping;
- this SDK: ``Client.query_store`` returning a ``QueryResult``.

Target: median ratio at most 1.15.
"""

from __future__ import annotations

from benchmarks._fixtures import SMALL_PARAMS, SMALL_SQL, create_store, raw_query
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    calibrate,
    compare,
    interleave,
    results_from,
    timed,
)

TITLE = "In-process small query (fake transport): `Client.query_store` vs raw httpx"
TARGET = 1.15
BASE_URL = "http://durable-stores.bench"


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 1."""
    import httpx

    from durable_stores_client import Client
    from durable_stores_client.fake import FakeServer

    fake = FakeServer()
    with (
        httpx.Client(base_url=BASE_URL, transport=fake.transport()) as raw,
        Client(base_url=BASE_URL, transport=fake.transport()) as sdk,
    ):
        store_id = create_store(raw)
        expected = raw_query(raw, store_id)
        got = sdk.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS)
        if list(got.rows) != expected["rows"]:
            raise RuntimeError(f"the SDK and raw httpx disagree: {got.rows!r} != {expected!r}")

        contenders = [
            Contender(
                "httpx",
                "raw httpx.Client.post + json.loads + unwrap",
                timed(lambda: raw_query(raw, store_id)),
            ),
            Contender(
                "sdk",
                "Client.query_store",
                timed(lambda: sdk.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS)),
            ),
        ]
        inner = calibrate(contenders[0].run, settings.sample_seconds)
        samples = interleave(
            contenders, inner=inner, rounds=settings.rounds, warmup=settings.warmup
        )
    result = ScenarioResult(
        id=1, title=TITLE, contenders=results_from(contenders, samples, unit="s", per_sample=inner)
    )
    sdk_result, raw_result = result.contender("sdk"), result.contender("httpx")
    result.comparisons.append(
        compare("In-process: SDK / raw httpx", sdk_result, raw_result, target=TARGET, op="<=")
    )
    result.figures["sdk_overhead_us_per_query"] = round(
        (sdk_result.summary.median - raw_result.summary.median) * 1e6, 2
    )
    return result
