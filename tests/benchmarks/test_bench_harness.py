"""The harness's own logic: statistics, interleaving, ratios, rendering, the command line.

No timing thresholds here: only what the harness computes from given samples.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from benchmarks import _main
from benchmarks._harness import (
    MIN_RATIO_SAMPLES,
    Contender,
    ContenderResult,
    ScenarioResult,
    compare,
    cpu_figures,
    interleave,
)
from benchmarks._report import document, format_value, markdown
from benchmarks._stats import Summary, paired_ratios


def test_summary_median_quartiles_and_mad() -> None:
    summary = Summary.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert summary.median == 3.0
    assert (summary.q1, summary.q3) == (2.0, 4.0)
    assert summary.iqr == 2.0
    assert summary.mad == 1.0
    assert (summary.minimum, summary.maximum, summary.count) == (1.0, 5.0, 5)


def test_summary_of_one_sample_has_no_spread() -> None:
    summary = Summary.of([7.0])
    assert (summary.median, summary.iqr, summary.mad) == (7.0, 0.0, 0.0)


def test_summary_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        Summary.of([])


def test_paired_ratios_are_round_by_round() -> None:
    assert paired_ratios([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]


@pytest.mark.slow  # real timed rounds
def test_interleave_warms_up_then_alternates_order_each_round() -> None:
    calls: list[tuple[str, int]] = []

    def contender(key: str, seconds: float) -> Contender:
        def run(n: int) -> float:
            calls.append((key, n))
            return seconds * n

        return Contender(key, key, run)

    samples = interleave(
        [contender("a", 0.002), contender("b", 0.004)], inner=10, rounds=4, warmup=1
    )
    order = [key for key, _ in calls]
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]
    assert all(n == 10 for _, n in calls)
    assert samples["a"] == pytest.approx([0.002] * 4)
    assert samples["b"] == pytest.approx([0.004] * 4)


def _result(key: str, samples: list[float], unit: str = "s") -> ContenderResult:
    return ContenderResult(key=key, label=key, unit=unit, samples=samples)


def test_compare_is_a_ratio_of_medians_with_its_target() -> None:
    sdk = _result("sdk", [1.1, 1.15, 1.2, 1.2, 1.25, 1.3] * 2)
    base = _result("httpx", [1.0] * 12)
    comparison = compare("SDK / httpx", sdk, base, target=1.15, op="<=")
    assert comparison.ratio == pytest.approx(1.2)
    assert not comparison.met
    assert comparison.spread == pytest.approx(0.1)
    assert comparison.best == pytest.approx(1.1)  # best (minimum) sample against best
    assert compare("x", sdk, base, target=1.25, op="<=").met
    throughput = compare("x", base, sdk, target=0.95, op=">=")
    assert throughput.ratio == pytest.approx(1 / 1.2)
    assert throughput.best == pytest.approx(1.0 / 1.3)  # best = highest throughput
    assert not compare("x", base, sdk, target=0.95, op=">=").met


def test_compare_gives_no_ratio_from_too_few_samples() -> None:
    few = MIN_RATIO_SAMPLES - 1
    comparison = compare(
        "SDK / httpx",
        _result("sdk", [2.0] * few),
        _result("httpx", [1.0] * 50),
        target=1.15,
        op="<=",
    )
    assert comparison.ratio is None
    assert comparison.met is None
    assert comparison.samples == few
    assert comparison.spread is None
    assert comparison.best is None
    enough = compare(
        "SDK / httpx",
        _result("sdk", [2.0] * MIN_RATIO_SAMPLES),
        _result("httpx", [1.0] * MIN_RATIO_SAMPLES),
        target=1.15,
        op="<=",
    )
    assert enough.ratio == pytest.approx(2.0)
    assert enough.met is False


def test_format_value_scales_seconds() -> None:
    assert format_value(0.000_000_5, "s") == "500 ns"
    assert format_value(0.000_085, "s") == "85 µs"
    assert format_value(0.0123, "s") == "12.3 ms"
    assert format_value(2.5, "s") == "2.5 s"
    assert format_value(12_345.6, "ops/s") == "12,346 ops/s"


def _run_info() -> dict[str, object]:
    machine = {
        "cpu_model": "Test CPU",
        "cpu_count": 2,
        "cpus_usable": 2,
        "os": "TestOS",
        "python": "3.11.0",
        "python_implementation": "CPython",
        "versions": {
            "httpx": "0.28.1",
            "durable-stores-client": "0.1.0",
            "agentkernel-sdk": None,
        },
        "load_average_start": [0.1, 0.1, 0.1],
    }
    return {"mode": "quick", "scale": 0.1, "seconds": 1.0, "machine": machine}


def test_markdown_marks_missed_targets_and_failed_scenarios() -> None:
    ok = ScenarioResult(
        id=1,
        title="one",
        contenders=[
            _result("sdk", [2.0] * MIN_RATIO_SAMPLES),
            _result("httpx", [1.0] * MIN_RATIO_SAMPLES),
        ],
    )
    ok.comparisons.append(
        compare("SDK / httpx", ok.contenders[0], ok.contenders[1], target=1.15, op="<=")
    )
    broken = ScenarioResult(id=2, title="two", status="error", error="RuntimeError: boom")
    text = markdown(_run_info(), [ok, broken])
    assert (
        "| 1 | SDK / httpx | 2 s | 1 s | 2.000 (IQR 0.000; best 2.000) | ≤ 1.15 | **no** |" in text
    )
    assert "RuntimeError: boom" in text
    assert "agentkernel-sdk not installed" in text
    doc = document(_run_info(), [ok, broken])
    assert doc["targets_met"] is False
    assert [s["status"] for s in doc["scenarios"]] == ["ok", "error"]
    json.dumps(doc)  # serialisable as it is


@pytest.mark.parametrize(
    "argv",
    [["--only", "10"], ["--only", "x"], ["--scale", "0"], ["--rounds", "0"], ["--server", "x"]],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _main.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_crashing_scenario_is_reported_and_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(settings: object) -> ScenarioResult:
        raise RuntimeError("the fake went away")

    module = types.ModuleType("benchmarks.scenario_crash")
    module.TITLE = "crashes"  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.scenario_crash", module)
    monkeypatch.setitem(_main.SCENARIOS, 1, "benchmarks.scenario_crash")
    assert _main.main(["--quick", "--only", "1"]) == 1
    out = capsys.readouterr().out
    assert "RuntimeError: the fake went away" in out
    assert "crashes" in out


def _in_a_git_checkout() -> bool:
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            check=False,
        )
    except OSError:  # no git at all
        return False
    return done.returncode == 0


@pytest.mark.skipif(
    not _in_a_git_checkout(), reason="needs the git history (an unpacked sdist has none)"
)
def test_compare_revision_loads_another_revision_beside_this_one(tmp_path: Path) -> None:
    import durable_stores_client
    from benchmarks.compare_revision import export_package

    package, sha = export_package("HEAD", tmp_path)
    try:
        assert package.__name__ == f"durable_stores_client_at_{sha}"
        assert Path(package.__file__).is_relative_to(tmp_path)
        assert package.Client is not durable_stores_client.Client
        assert package._client.Client is package.Client  # its own modules, not this tree's
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(package.__name__)]:
            del sys.modules[name]


@pytest.mark.slow  # real timed rounds
def test_interleave_can_record_cpu_time_per_operation() -> None:
    def busy(n: int) -> float:
        deadline = time.process_time() + 0.002 * n
        while time.process_time() < deadline:
            pass
        return 0.002 * n

    def idle(n: int) -> float:
        return 0.002 * n  # pretends to wait on a server: no CPU here

    cpu: dict[str, list[float]] = {}
    interleave(
        [Contender("busy", "busy", busy), Contender("idle", "idle", idle)],
        inner=2,
        rounds=3,
        warmup=0,
        cpu=cpu,
    )
    assert len(cpu["busy"]) == len(cpu["idle"]) == 3
    assert min(cpu["busy"]) >= 0.0019
    assert max(cpu["idle"]) < 0.001
    figures = cpu_figures({"httpx": [0.0002, 0.0004], "sdk": [0.0001, 0.0003]}, "httpx")
    assert figures["client_cpu_us_per_op"] == {"httpx": 300.0, "sdk": 200.0}
    assert figures["client_cpu_ratio_to_httpx"] == {"sdk": pytest.approx(0.667, abs=1e-3)}
