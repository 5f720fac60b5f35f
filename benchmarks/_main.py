"""Command line of the benchmark harness.

Runs the chosen scenarios one after the other, prints the markdown report and optionally
writes the JSON document. Exit status 0 when every scenario produced figures (missed
targets do not fail the run: CI runs ``--quick`` to keep the harness working, with no
thresholds); 1 when a scenario crashed; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._harness import ScenarioResult, Settings
from benchmarks._machine import load_average, machine_info
from benchmarks._report import document, markdown

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SCENARIOS: dict[int, str] = {
    1: "benchmarks.scenario_inprocess",
    2: "benchmarks.scenario_loopback",
    3: "benchmarks.scenario_large",
    4: "benchmarks.scenario_fanout",
    5: "benchmarks.scenario_fake",
    6: "benchmarks.scenario_import",
    7: "benchmarks.scenario_limits_sync",
    8: "benchmarks.scenario_limits_async",
    9: "benchmarks.scenario_engines",
}
"""Scenario number (1-6 as in issue 6, 7-8 as in issue 13, 9 as in issue 11) -> module with
``TITLE`` and ``run(settings)``."""


def _scenario_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,3,6, got {text!r}") from None
    unknown = [i for i in ids if i not in SCENARIOS]
    if unknown or not ids:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {unknown or text!r}; choose from {sorted(SCENARIOS)}"
        )
    return ids


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser (also documents every option)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure durable-stores-client against raw httpx, json.loads and the agentkernel "
            "SDK (when installed), interleaved in one run. Prints a markdown table."
        ),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds in total, for CI (smaller data, fewer rounds; no thresholds)",
    )
    p.add_argument("--json", metavar="FILE", type=Path, help="also write the results as JSON")
    p.add_argument(
        "--only",
        metavar="N[,N...]",
        type=_scenario_ids,
        help="run only these scenarios (1-8, see docs/benchmarks.md)",
    )
    p.add_argument(
        "--scale",
        type=_positive_float,
        help="multiply data sizes and operation counts (default 1 in full mode, 0.1 in quick)",
    )
    p.add_argument(
        "--rounds",
        type=_positive_int,
        help="measured rounds per contender (default 25 in full mode, 5 in quick)",
    )
    p.add_argument(
        "--server",
        choices=["process", "thread"],
        default="process",
        help="run the HTTP fake in a child process (default) or in a thread of this one",
    )
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings for the parsed arguments."""
    quick = bool(args.quick)
    return Settings(
        quick=quick,
        scale=args.scale if args.scale is not None else (0.1 if quick else 1.0),
        rounds=args.rounds if args.rounds is not None else (5 if quick else 25),
        warmup=1 if quick else 3,
        sample_seconds=0.02 if quick else 0.1,
        server=args.server,
    )


def run_scenario(number: int, settings: Settings) -> ScenarioResult:
    """Run one scenario; a crash becomes an ``"error"`` result instead of ending the run."""
    title = f"scenario {number}"
    start = time.perf_counter()
    try:
        module = importlib.import_module(SCENARIOS[number])
        title = str(getattr(module, "TITLE", title))
        runner: Callable[[Settings], ScenarioResult] = module.run
        result = runner(settings)
    except Exception as exc:  # a broken scenario must not hide the others' figures
        result = ScenarioResult(
            id=number, title=title, status="error", error=f"{type(exc).__name__}: {exc}"
        )
        result.notes.append(traceback.format_exc(limit=-3).strip().splitlines()[-1])
    result.seconds = time.perf_counter() - start
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; return the process exit status."""
    args = parser().parse_args(argv)
    settings = settings_from(args)
    ids = args.only or sorted(SCENARIOS)
    started = datetime.datetime.now(datetime.timezone.utc)
    info = machine_info()
    start = time.perf_counter()
    scenarios = []
    for number in ids:
        scenarios.append(run_scenario(number, settings))
    run: dict[str, Any] = {
        "mode": "quick" if settings.quick else "full",
        "scale": settings.scale,
        "rounds": settings.rounds,
        "server": settings.server,
        "started_at": started.isoformat(),
        "seconds": time.perf_counter() - start,
        "machine": info,
        "load_average_end": load_average(),
    }
    print(markdown(run, scenarios), end="")
    if args.json is not None:
        args.json.write_text(
            json.dumps(document(run, scenarios), indent=2) + "\n", encoding="utf-8"
        )
    return 1 if any(s.status == "error" for s in scenarios) else 0
