"""The issue's verdict on a target: the median of several full runs' ratios.

    python -m benchmarks --json run1.json   # three times, on an otherwise idle machine
    python -m benchmarks.median_of_runs run1.json run2.json run3.json

Prints a markdown table: each comparison's ratio in every run (with its IQR, the noise
indicator), the median of those ratios, its target and whether the median meets it, then
each run's load average at its start and end, so a reader can tell an idle run from a
busy one. A comparison missing from a run, or without a ratio (``--quick``), is left out
of its median. Exit status 0, or 2 when a file is not a benchmark run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main", "median_table"]


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"{path}: not readable as JSON ({error})") from None
    if not isinstance(doc, dict) or "scenarios" not in doc:
        raise SystemExit(f"{path}: not a `python -m benchmarks --json` file")
    return doc


def _loads(doc: dict[str, Any]) -> str:
    start = doc.get("machine", {}).get("load_average_start") or ["?"]
    end = doc.get("load_average_end") or ["?"]
    return f"{start[0]} → {end[0]}"


def median_table(runs: Sequence[dict[str, Any]]) -> str:
    """The markdown table of every comparison's ratio per run and their median."""
    order: list[tuple[int, str]] = []
    found: dict[tuple[int, str], list[dict[str, Any] | None]] = {}
    for index, doc in enumerate(runs):
        for scenario in doc["scenarios"]:
            for comparison in scenario.get("comparisons", []):
                key = (scenario["id"], comparison["label"])
                if key not in found:
                    order.append(key)
                    found[key] = [None] * len(runs)
                found[key][index] = comparison
    heads = " | ".join(f"run {n}" for n in range(1, len(runs) + 1))
    lines = [
        f"| # | comparison | {heads} | median | target | met |",
        "|---|---|" + "---|" * len(runs) + "---|---|---|",
    ]
    for key in sorted(order, key=lambda k: k[0]):
        cells: list[str] = []
        ratios: list[float] = []
        target = "-"
        op = ""
        goal = 0.0
        for comparison in found[key]:
            if comparison is None or comparison.get("ratio") is None:
                cells.append("-")
                continue
            ratio = float(comparison["ratio"])
            ratios.append(ratio)
            iqr = comparison.get("paired_ratio_iqr")
            cells.append(f"{ratio:.3f}" + (f" ({iqr:.2f})" if iqr is not None else ""))
            if comparison.get("target") is not None:
                op = comparison["op"]
                goal = float(comparison["target"])
                target = f"{'≤' if op == '<=' else '≥'} {goal:g}"
        median = statistics.median(ratios) if ratios else None
        met = "-"
        if median is not None and op:
            met = "yes" if (median <= goal if op == "<=" else median >= goal) else "**no**"
        shown = "-" if median is None else f"**{median:.3f}**"
        lines.append(f"| {key[0]} | {key[1]} | {' | '.join(cells)} | {shown} | {target} | {met} |")
    loads = "; ".join(f"run {n}: {_loads(doc)}" for n, doc in enumerate(runs, 1))
    lines += [
        "",
        "Each ratio with the IQR of its round-by-round ratios. "
        f"Load average (1 min) at start → end: {loads}.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the median table of the runs named on the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.median_of_runs",
        description="The median of several full benchmark runs' ratios, with each run's.",
    )
    parser.add_argument("runs", nargs="+", type=Path, help="files from python -m benchmarks --json")
    args = parser.parse_args(argv)
    try:
        runs = [_load(path) for path in args.runs]
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 2
    print(median_table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
