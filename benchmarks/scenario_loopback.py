"""Scenario 2: a small query over loopback HTTP against ``FakeServer().serve()``.

Three contenders, interleaved, each with its own keep-alive connection to the same server:

- raw httpx: ``httpx.Client.post`` + ``json.loads`` + envelope unwrapping (target: SDK at
  most 1.05 times its median);
- the agentkernel project's own SDK (``agentkernel-sdk``, ``AgentKernel.query_store``), only
  when it is importable here; the harness installs nothing (target: SDK at most 1.00 times
  its median);
- this SDK: ``Client.query_store``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from benchmarks._fixtures import (
    SMALL_PARAMS,
    SMALL_QUERY,
    SMALL_SQL,
    create_store,
    http_fake,
    raw_query,
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

TITLE = "Loopback HTTP small query: `Client.query_store` vs raw httpx and agentkernel-sdk"
TARGET_HTTPX = 1.05
TARGET_AGENTKERNEL = 1.00


def agentkernel_available() -> bool:
    """Whether the agentkernel SDK can be imported in this interpreter."""
    return importlib.util.find_spec("agentkernel") is not None


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 2."""
    import httpx

    from durable_stores_client import Client

    result = ScenarioResult(id=2, title=TITLE)
    cpu: dict[str, list[float]] = {}
    with http_fake(settings.server) as url:
        with httpx.Client(base_url=url) as setup:
            store_id = create_store(setup)
        closers: list[Any] = []
        try:
            raw = httpx.Client(base_url=url)
            closers.append(raw)
            sdk = Client(base_url=url)
            closers.append(sdk)
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
            if agentkernel_available():
                from agentkernel import AgentKernel  # type: ignore[import-not-found,unused-ignore]

                kernel = AgentKernel(base_url=url)
                closers.append(kernel)
                kernel_rows = kernel.query_store(store_id, dict(SMALL_QUERY))["rows"]
                if kernel_rows != raw_query(raw, store_id)["rows"]:
                    raise RuntimeError("agentkernel-sdk and raw httpx disagree")
                contenders.insert(
                    1,
                    Contender(
                        "agentkernel",
                        f"agentkernel-sdk {version_of('agentkernel-sdk')} AgentKernel.query_store",
                        timed(lambda: kernel.query_store(store_id, dict(SMALL_QUERY))),
                    ),
                )
            else:
                result.notes.append(
                    "agentkernel-sdk: not installed in this interpreter, so not measured "
                    "(install it, e.g. `pip install -e '.[bench]'`, and run again)"
                )
            if (
                list(sdk.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS).rows)
                != (raw_query(raw, store_id)["rows"])
            ):
                raise RuntimeError("the SDK and raw httpx disagree")
            inner = calibrate(contenders[0].run, settings.sample_seconds)
            samples = interleave(
                contenders, inner=inner, rounds=settings.rounds, warmup=settings.warmup, cpu=cpu
            )
        finally:
            for client in closers:
                client.close()
    result.contenders = results_from(contenders, samples, unit="s", per_sample=inner)
    sdk_result = result.contender("sdk")
    result.comparisons.append(
        compare(
            "Loopback: SDK / raw httpx",
            sdk_result,
            result.contender("httpx"),
            target=TARGET_HTTPX,
            op="<=",
        )
    )
    if any(c.key == "agentkernel" for c in result.contenders):
        result.comparisons.append(
            compare(
                "Loopback: SDK / agentkernel-sdk",
                sdk_result,
                result.contender("agentkernel"),
                target=TARGET_AGENTKERNEL,
                op="<=",
            )
        )
    result.figures["server"] = f"FakeServer().serve() in a {settings.server}"
    if settings.server == "process":
        result.figures.update(cpu_figures(cpu, "httpx"))
    result.figures["agentkernel_sdk"] = version_of("agentkernel-sdk") or "not installed"
    return result
