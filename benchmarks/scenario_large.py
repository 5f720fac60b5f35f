"""Scenario 3: a large result, 100,000 rows x 5 columns, from response bytes to rows.

The body is the contract's query envelope, compact JSON as the server writes it, built once.

- baseline: ``json.loads(body)``, the least any Python caller must do;
- this SDK: ``Client.query_store`` on an httpx ``MockTransport`` that answers those very bytes,
  so the SDK's real decoding path runs (httpx response, envelope checks, ``QueryResult``),
  plus request building, which is a few µs against a decode of tens of ms.

Target: median ratio at most 1.25. Also reported: the peak memory each side allocates
while decoding (``tracemalloc``), as a multiple of the body size.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import TYPE_CHECKING, Any

from benchmarks._fixtures import COLUMNS, STORE_ID, row_values
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    compare,
    interleave,
    results_from,
    timed,
)

if TYPE_CHECKING:
    from collections.abc import Callable

TITLE = "Large result (100,000 rows x 5 columns): bytes to `QueryResult` vs `json.loads`"
TARGET = 1.25
ROWS = 100_000
BASE_URL = "http://durable-stores.bench"


def body_for(rows: int) -> bytes:
    """The success envelope of a ``rows``-row query, compact JSON, UTF-8."""
    data = {
        "columns": list(COLUMNS),
        "rows": [dict(zip(COLUMNS, row_values(i), strict=True)) for i in range(1, rows + 1)],
        "row_count": rows,
    }
    return json.dumps({"success": True, "data": data}, separators=(",", ":")).encode()


def peak_bytes(operation: Callable[[], Any]) -> int:
    """Peak memory traced while ``operation`` runs (its result kept alive to the end)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        kept = operation()
        _, peak = tracemalloc.get_traced_memory()
        del kept
    finally:
        tracemalloc.stop()
    return peak - before


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 3."""
    import httpx

    from durable_stores_client import Client

    rows = settings.scaled(ROWS, minimum=100)
    body = body_for(rows)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    sql = "SELECT id, name, email, score, active FROM items"
    with Client(base_url=BASE_URL, transport=httpx.MockTransport(answer), max_retries=0) as sdk:
        decoded = sdk.query_store(STORE_ID, sql=sql)
        if decoded.row_count != rows or list(decoded.rows) != json.loads(body)["data"]["rows"]:
            raise RuntimeError("the SDK decoded the large result wrongly")
        del decoded
        contenders = [
            Contender("json", "json.loads(body)", timed(lambda: json.loads(body))),
            Contender(
                "sdk",
                "Client.query_store on a MockTransport answering the body",
                timed(lambda: sdk.query_store(STORE_ID, sql=sql)),
            ),
        ]
        rounds = max(3, settings.rounds // 2) if not settings.quick else settings.rounds
        samples = interleave(contenders, inner=1, rounds=rounds, warmup=1)
        sdk_peak = peak_bytes(lambda: sdk.query_store(STORE_ID, sql=sql))
    json_peak = peak_bytes(lambda: json.loads(body))

    result = ScenarioResult(
        id=3, title=TITLE, contenders=results_from(contenders, samples, unit="s", per_sample=1)
    )
    result.comparisons.append(
        compare(
            "Large result: SDK / json.loads",
            result.contender("sdk"),
            result.contender("json"),
            target=TARGET,
            op="<=",
        )
    )
    result.figures["rows"] = rows
    result.figures["body_bytes"] = len(body)
    result.figures["peak_alloc_bytes"] = {"sdk": sdk_peak, "json.loads": json_peak}
    result.figures["peak_alloc_over_body"] = {
        "sdk": round(sdk_peak / len(body), 2),
        "json.loads": round(json_peak / len(body), 2),
    }
    result.figures["sdk_extra_peak_over_json_loads_bytes"] = sdk_peak - json_peak
    return result
