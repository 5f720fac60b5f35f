"""``python -m benchmarks --quick`` end to end, at a tiny scale: every scenario reports figures.

Checks the JSON document's structure and that each scenario measured something; never how
fast anything was (no timing thresholds in tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # runs the benchmarks end to end

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--scale",
            "0.01",
            "--rounds",
            "2",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout, json.loads(out.read_text(encoding="utf-8"))


def test_json_states_the_machine_and_versions(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, doc = quick_run
    assert doc["schema_version"] == 1
    assert doc["mode"] == "quick"
    machine = doc["machine"]
    for key in ("cpu_model", "cpu_count", "python", "os"):
        assert machine[key]
    assert machine["versions"]["httpx"]
    assert machine["versions"]["durable-stores-client"]
    assert "agentkernel-sdk" in machine["versions"]


def test_every_scenario_reported_figures(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, doc = quick_run
    scenarios = {s["id"]: s for s in doc["scenarios"]}
    assert sorted(scenarios) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for number, scenario in scenarios.items():
        assert scenario["status"] == "ok", (number, scenario["error"])
        assert scenario["contenders"], number
        for contender in scenario["contenders"]:
            summary = contender["summary"]
            assert summary["count"] == len(contender["samples"]) >= 2
            assert summary["median"] > 0 or number == 6
            assert summary["q1"] <= summary["median"] <= summary["q3"]


def test_every_target_is_listed_without_a_ratio_from_few_samples(
    quick_run: tuple[str, dict[str, Any]],
) -> None:
    _, doc = quick_run
    comparisons = {
        s["id"]: [(c["label"], c["op"], c["target"]) for c in s["comparisons"]]
        for s in doc["scenarios"]
    }
    assert comparisons[1] == [("In-process: SDK / raw httpx", "<=", 1.15)]
    assert ("Loopback: SDK / raw httpx", "<=", 1.05) in comparisons[2]
    assert comparisons[3] == [
        ("Large result: SDK (msgspec) / json.loads", "<=", 0.6),
        ("Large result: SDK (json.loads) / json.loads", "<=", 1.25),
    ]
    assert comparisons[4] == [("Fan-out throughput: SDK / raw httpx", ">=", 0.95)]
    assert comparisons[5] == []
    assert comparisons[6] == [("SDK import minus httpx import (ms)", "<=", 30.0)]
    assert ("Sync limit: SDK / urllib3", "<=", 1.2) in comparisons[7]
    assert (
        "Async limit, concurrency 50: SDK (httpcore) / raw httpx",
        ">=",
        0.95,
    ) in comparisons[8]
    assert comparisons[9] == []
    # Two samples a side (--rounds 2) are too few for a stable median: no ratio, no verdict.
    for scenario in doc["scenarios"]:
        for comparison in scenario["comparisons"]:
            assert comparison["ratio"] is None
            assert comparison["met"] is None
            assert comparison["samples"] == 2
    assert doc["targets_met"] is None


def test_scenario_specific_figures(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, doc = quick_run
    scenarios = {s["id"]: s for s in doc["scenarios"]}
    loopback = scenarios[2]
    if doc["machine"]["versions"]["agentkernel-sdk"] is None:
        assert loopback["figures"]["agentkernel_sdk"] == "not installed"
        assert any("not installed" in note for note in loopback["notes"])
    else:
        assert "agentkernel" in {c["key"] for c in loopback["contenders"]}
    large = scenarios[3]["figures"]
    assert large["rows"] >= 100
    assert large["body_bytes"] > 0
    assert large["peak_alloc_bytes"]["sdk"] > 0
    rates = scenarios[5]["figures"]["operations_per_second"]
    assert len(rates) == 6
    assert all(rate > 0 for rate in rates.values())
    assert scenarios[6]["figures"]["heavy_modules_imported"] == []
    # timed with the package's bytecode written, as a wheel's install writes it
    assert scenarios[6]["figures"]["package_bytecode_files"] >= 20
    engines = scenarios[9]["figures"]
    assert set(engines["postgres_to_sqlite_ratio"]) == {"create", "execute", "query"}
    assert all(ratio > 0 for ratio in engines["postgres_to_sqlite_ratio"].values())
    assert engines["embedded_cluster_start_s"] > 0


def test_stdout_is_a_markdown_report(quick_run: tuple[str, dict[str, Any]]) -> None:
    stdout, _ = quick_run
    assert stdout.startswith("## durable-stores-client benchmarks (quick mode")
    assert "| # | comparison | this SDK (median) | baseline (median) | ratio | target | met |" in (
        stdout
    )
    for number in range(1, 10):
        assert f"### {number}. " in stdout
    assert "(2 samples: too few for a ratio)" in stdout
