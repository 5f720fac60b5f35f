"""Scenario 3: a large result, 100,000 rows x 5 columns, from response bytes to rows.

The body is the contract's query envelope, compact JSON as the server writes it, built once.

- baseline: ``json.loads(body)``, the least any Python caller must do;
- the limits: ``orjson.loads(body)`` and msgspec's decoder, the fastest Python JSON decoders;
- this SDK: ``Client.query_store`` on an httpx ``MockTransport`` that answers those very bytes,
  so the SDK's real decoding path runs (httpx response, envelope checks, ``QueryResult``),
  plus request building, which is a few µs against a decode of tens of ms; measured on both
  of its decoding paths: with msgspec (the ``speedups`` extra; target at most 0.6 times
  ``json.loads``) and with ``json.loads`` (at most 1.25 times).

Also reported: the peak memory each side allocates while decoding (``tracemalloc``), as a
multiple of the body size, and the peak resident memory (``VmHWM``, Linux) each adds in a
fresh process. The target, peak memory within 1.5 times ``json.loads``'s, is why the SDK uses
msgspec rather than orjson: orjson parses into a document of its own first, which both
figures show.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
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
from benchmarks._stats import Summary

if TYPE_CHECKING:
    from collections.abc import Callable

TITLE = "Large result (100,000 rows x 5 columns): bytes to `QueryResult` vs `json.loads`"
TARGET_JSON_PATH = 1.25
TARGET_ORJSON_PATH = 0.6
TARGET_PEAK_RSS = 1.5
ROWS = 100_000
BASE_URL = "http://durable-stores.bench"
SQL = "SELECT id, name, email, score, active FROM items"
RSS_SAMPLES = 3


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


def sdk_client(body: bytes) -> Any:
    """A ``Client`` whose every request is answered with ``body``."""
    import httpx

    from durable_stores_client import Client

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    return Client(base_url=BASE_URL, transport=httpx.MockTransport(answer), max_retries=0)


def json_path(operation: Callable[[], Any]) -> Callable[[], Any]:
    """``operation`` with the SDK decoding by ``json.loads`` even when orjson is installed."""
    from durable_stores_client import _json

    def run() -> Any:
        saved = _json.fast_loads()
        _json._fast = None
        try:
            return operation()
        finally:
            _json._fast = saved

    return run


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 3."""
    import msgspec
    import orjson

    from durable_stores_client import _json

    rows = settings.scaled(ROWS, minimum=100)
    body = body_for(rows)
    decoder = msgspec.json.Decoder()
    expected = json.loads(body)["data"]["rows"]
    with sdk_client(body) as sdk:

        def query() -> Any:
            return sdk.query_store(STORE_ID, sql=SQL)

        for decode in (query, json_path(query)):
            decoded = decode()
            if decoded.row_count != rows or list(decoded.rows) != expected:
                raise RuntimeError("the SDK decoded the large result wrongly")
            del decoded
        if _json.fast_loads() is None:
            raise RuntimeError("msgspec is installed but the SDK does not use it")
        contenders = [
            Contender("json", "json.loads(body)", timed(lambda: json.loads(body))),
            Contender("orjson", "orjson.loads(body)", timed(lambda: orjson.loads(body))),
            Contender(
                "msgspec",
                "msgspec.json.Decoder().decode(body)",
                timed(lambda: decoder.decode(body)),
            ),
            Contender(
                "sdk",
                "Client.query_store on a MockTransport answering the body (msgspec)",
                timed(query),
            ),
            Contender(
                "sdk_json",
                "the same, decoding with json.loads (no speedups extra)",
                timed(json_path(query)),
            ),
        ]
        rounds = settings.rounds if settings.quick else max(12, settings.rounds // 2)
        samples = interleave(contenders, inner=1, rounds=rounds, warmup=1)
        peaks = {
            "sdk": peak_bytes(query),
            "sdk_json": peak_bytes(json_path(query)),
        }
    peaks["json.loads"] = peak_bytes(lambda: json.loads(body))
    peaks["orjson.loads"] = peak_bytes(lambda: orjson.loads(body))
    peaks["msgspec"] = peak_bytes(lambda: decoder.decode(body))

    result = ScenarioResult(
        id=3, title=TITLE, contenders=results_from(contenders, samples, unit="s", per_sample=1)
    )
    baseline = result.contender("json")
    result.comparisons.append(
        compare(
            "Large result: SDK (msgspec) / json.loads",
            result.contender("sdk"),
            baseline,
            target=TARGET_ORJSON_PATH,
            op="<=",
        )
    )
    result.comparisons.append(
        compare(
            "Large result: SDK (json.loads) / json.loads",
            result.contender("sdk_json"),
            baseline,
            target=TARGET_JSON_PATH,
            op="<=",
        )
    )
    result.figures["rows"] = rows
    result.figures["body_bytes"] = len(body)
    result.figures["time_over_json_loads"] = {
        key: round(result.contender(key).summary.median / baseline.summary.median, 3)
        for key in ("orjson", "msgspec")
    }
    result.figures["peak_alloc_bytes"] = peaks
    result.figures["peak_alloc_over_body"] = {
        key: round(value / len(body), 2) for key, value in peaks.items()
    }
    rss = peak_rss(rows)
    if rss and rss["json.loads"] > 0:
        result.figures["peak_rss_bytes_median_of_3"] = rss
        result.figures["peak_rss_over_json_loads"] = {
            key: round(value / rss["json.loads"], 3) for key, value in rss.items()
        }
        result.figures["peak_rss_target"] = f"SDK (msgspec) within {TARGET_PEAK_RSS}x json.loads"
    else:
        result.notes.append(
            "peak resident memory: not measured (needs Linux's /proc, and a body large "
            "enough to raise json.loads' peak)"
        )
    return result


_RSS_CHILD = """
import gc, json, sys
from benchmarks.scenario_large import body_for, json_path, sdk_client, SQL
from benchmarks._fixtures import STORE_ID

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

body = body_for(int(sys.argv[1]))
side = sys.argv[2]
sdk = sdk_client(body)
query = lambda: sdk.query_store(STORE_ID, sql=SQL)
if side == "json.loads":
    operation = lambda: json.loads(body)
elif side == "orjson.loads":
    import orjson
    operation = lambda: orjson.loads(body)
else:
    operation = json_path(query) if side == "sdk_json" else query
# Every side warms up alike (imports, caches, the allocator's arenas) outside the peak.
query()
json_path(query)()
operation()
gc.collect()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = status("VmRSS:")
kept = operation()
print(status("VmHWM:") - before)
"""


def peak_rss(rows: int) -> dict[str, int] | None:
    """Median peak resident memory each side adds, each in a fresh process (Linux only)."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    sides = ("json.loads", "orjson.loads", "sdk", "sdk_json")
    measured: dict[str, list[float]] = {side: [] for side in sides}
    root = str(Path(__file__).resolve().parents[1])
    for _ in range(RSS_SAMPLES):
        for side in sides:
            out = subprocess.run(
                [sys.executable, "-c", _RSS_CHILD, str(rows), side],
                capture_output=True,
                text=True,
                check=True,
                cwd=root,
                timeout=300,
            )
            measured[side].append(float(out.stdout.strip()))
    return {side: int(Summary.of(values).median) for side, values in measured.items()}
