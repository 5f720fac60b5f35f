"""Scenario 5: the fake server itself, in absolute figures.

Inserts per second (``execute`` of a one-row ``INSERT`` with parameters) and queries per
second (the small one-row ``query``), driven by a raw ``httpx.Client`` so that the client
side costs as little as possible:

- in-process through ``fake.transport()``, stores in memory (the default);
- in-process with ``data_dir`` (each store a SQLite file, WAL, ``synchronous=NORMAL``);
- over loopback HTTP against ``fake.serve()``, one keep-alive connection.

No target: these figures depend on the machine, which the report states.
"""

from __future__ import annotations

import itertools
import tempfile

from benchmarks._fixtures import INSERT_ROW, create_store, http_fake, raw_query, row_values, unwrap
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    calibrate,
    interleave,
    results_from,
    timed,
)

TITLE = "The fake itself: inserts/s and queries/s, in-process and over HTTP"


def _pair(label: str, http: object, store_id: str) -> list[Contender]:
    import httpx

    assert isinstance(http, httpx.Client)
    ids = itertools.count(1_000_000)

    def insert() -> None:
        unwrap(
            http.post(
                f"/stores/{store_id}/execute",
                json={"sql": INSERT_ROW, "params": row_values(next(ids))},
            )
        )

    def query() -> None:
        raw_query(http, store_id)

    return [
        Contender(f"{label}-insert", f"{label}: insert (execute)", timed(insert)),
        Contender(f"{label}-query", f"{label}: query (1 row)", timed(query)),
    ]


def _measure(contenders: list[Contender], settings: Settings) -> dict[str, list[float]]:
    inner = calibrate(contenders[0].run, settings.sample_seconds)
    rounds = settings.rounds if settings.quick else max(5, settings.rounds // 2)
    samples = interleave(contenders, inner=inner, rounds=rounds, warmup=settings.warmup)
    return {key: [1.0 / s for s in values] for key, values in samples.items()}


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 5."""
    import httpx

    from durable_stores_client.fake import FakeServer

    base = "http://durable-stores.bench"
    contenders: list[Contender] = []
    rates: dict[str, list[float]] = {}

    def in_process(label: str, fake: FakeServer) -> None:
        with httpx.Client(base_url=base, transport=fake.transport()) as http:
            pair = _pair(label, http, create_store(http))
            rates.update(_measure(pair, settings))
            contenders.extend(pair)

    in_process("in-process (memory)", FakeServer())
    with tempfile.TemporaryDirectory(prefix="durable-stores-bench-") as data_dir:
        in_process("in-process (data_dir)", FakeServer(data_dir=data_dir))
    with http_fake(settings.server) as url, httpx.Client(base_url=url) as http:
        pair = _pair("HTTP", http, create_store(http))
        rates.update(_measure(pair, settings))
        contenders.extend(pair)

    result = ScenarioResult(
        id=5,
        title=TITLE,
        contenders=results_from(contenders, rates, unit="ops/s", per_sample=1),
    )
    result.figures["operations_per_second"] = {
        c.label: round(result.contender(c.key).summary.median) for c in contenders
    }
    result.figures["server"] = f"FakeServer().serve() in a {settings.server}"
    return result
