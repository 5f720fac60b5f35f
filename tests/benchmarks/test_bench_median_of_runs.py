"""``python -m benchmarks.median_of_runs``: the median of several runs' ratios, per target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.median_of_runs import main


def _run(ratio: float | None, load: float, *, iqr: float = 0.1) -> dict[str, Any]:
    comparison: dict[str, Any] = {
        "label": "Sync limit: SDK / urllib3",
        "ratio": ratio,
        "target": 1.2,
        "op": "<=",
        "paired_ratio_iqr": iqr,
    }
    return {
        "machine": {"load_average_start": [load, 0.1, 0.1]},
        "load_average_end": [load + 0.5, 0.1, 0.1],
        "scenarios": [{"id": 7, "comparisons": [comparison]}],
    }


def _files(tmp_path: Path, *runs: dict[str, Any]) -> list[str]:
    paths = []
    for index, run in enumerate(runs):
        path = tmp_path / f"run{index}.json"
        path.write_text(json.dumps(run), encoding="utf-8")
        paths.append(str(path))
    return paths


def test_the_median_of_the_runs_decides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path, _run(1.30, 0.2), _run(1.10, 0.3), _run(1.15, 0.4))
    assert main(files) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| 7 "))
    assert row == (
        "| 7 | Sync limit: SDK / urllib3 | 1.300 (0.10) | 1.100 (0.10) | 1.150 (0.10) "
        "| **1.150** | ≤ 1.2 | yes |"
    )
    assert "run 1: 0.2 → 0.7; run 2: 0.3 → 0.8; run 3: 0.4 → 0.9" in out


def test_a_run_without_a_ratio_is_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _files(tmp_path, _run(1.30, 0.2), _run(None, 0.3), _run(1.25, 0.4))
    assert main(files) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| 7 "))
    assert "| - |" in row
    assert row.endswith("| **1.275** | ≤ 1.2 | **no** |")


def test_a_file_that_is_not_a_run_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"something": 1}', encoding="utf-8")
    assert main([str(path)]) == 2
    assert "not a `python -m benchmarks --json` file" in capsys.readouterr().err
