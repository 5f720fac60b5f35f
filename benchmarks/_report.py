"""Rendering a run: the markdown table for stdout, and the JSON document for ``--json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks._harness import MIN_RATIO_SAMPLES
from benchmarks._machine import describe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from benchmarks._harness import Comparison, ContenderResult, ScenarioResult

SCHEMA_VERSION = 1


def format_value(value: float, unit: str) -> str:
    """A figure with a readable unit (seconds are scaled to ns, µs, ms or s)."""
    if unit == "s":
        for scale, name in ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms")):
            if abs(value) < scale:
                return f"{value / scale * 1e3:.4g} {name}"
        return f"{value:.4g} s"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.4g} {unit}"


def _ratio_cell(comparison: Comparison) -> str:
    if comparison.ratio is None:
        return f"- ({comparison.samples} samples: too few for a ratio)"
    value = f"{comparison.ratio:+.1f} ms" if comparison.unit == "ms" else f"{comparison.ratio:.3f}"
    if comparison.spread is not None:
        spread = (
            f"{comparison.spread:.1f} ms" if comparison.unit == "ms" else f"{comparison.spread:.3f}"
        )
        value += f" (IQR {spread}"
        if comparison.best is not None:
            value += f"; best {comparison.best:.3f}"
        value += ")"
    return value


def _met_cell(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "**no**"


def _target_cell(comparison: Comparison) -> str:
    op = "≤" if comparison.op == "<=" else "≥"
    suffix = " ms" if comparison.unit == "ms" else ""
    target = f"+{comparison.target:g}" if comparison.unit == "ms" else f"{comparison.target:g}"
    return f"{op} {target}{suffix}"


def _median_cell(result: ContenderResult) -> str:
    return format_value(result.summary.median, result.unit)


def targets_table(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """One row per comparison: both medians, the ratio, its target, met or not."""
    lines = [
        "| # | comparison | this SDK (median) | baseline (median) | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios:
        if scenario.status != "ok":
            reason = scenario.error or "; ".join(scenario.notes) or scenario.status
            lines.append(f"| {scenario.id} | {scenario.title} | - | - | - | - | {reason} |")
            continue
        for comparison in scenario.comparisons:
            numerator = scenario.contender(comparison.numerator)
            denominator = scenario.contender(comparison.denominator)
            lines.append(
                f"| {scenario.id} | {comparison.label} | {_median_cell(numerator)} "
                f"| {_median_cell(denominator)} | {_ratio_cell(comparison)} "
                f"| {_target_cell(comparison)} | {_met_cell(comparison.met)} |"
            )
    return lines


def _figure_lines(figures: dict[str, Any], indent: str = "") -> list[str]:
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            lines.append(f"{indent}- {key}:")
            lines.extend(_figure_lines(value, indent + "  "))
        else:
            shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
            lines.append(f"{indent}- {key}: {shown}")
    return lines


def scenario_section(scenario: ScenarioResult) -> list[str]:
    """Per-contender medians and spreads, then figures and notes."""
    lines = [f"### {scenario.id}. {scenario.title}", ""]
    if scenario.status == "error":
        lines += [f"Error: `{scenario.error}`", ""]
    if scenario.contenders:
        lines += [
            "| contender | median | IQR | MAD | min | samples x ops |",
            "|---|---|---|---|---|---|",
        ]
        for result in scenario.contenders:
            s = result.summary
            lines.append(
                f"| {result.label} | {format_value(s.median, result.unit)} "
                f"| {format_value(s.iqr, result.unit)} | {format_value(s.mad, result.unit)} "
                f"| {format_value(s.minimum, result.unit)} | {s.count} x {result.per_sample} |"
            )
        lines.append("")
    if scenario.figures:
        lines += _figure_lines(scenario.figures)
        lines.append("")
    for note in scenario.notes:
        lines.append(f"> {note}")
    if scenario.notes:
        lines.append("")
    return lines


def markdown(run: dict[str, Any], scenarios: Sequence[ScenarioResult]) -> str:
    """The whole report as markdown."""
    machine = run["machine"]
    lines = [
        f"## durable-stores-client benchmarks ({run['mode']} mode, scale {run['scale']:g})",
        "",
        f"Machine: {describe(machine)}.",
        f"Load average (1/5/15 min) at start {machine['load_average_start']}, "
        f"at end {run.get('load_average_end')}; run took {run['seconds']:.1f} s.",
        "",
        *targets_table(scenarios),
        "",
        "Ratios are of medians measured in the same run (this SDK over the baseline); the"
        " IQR is that of the round-by-round ratios, a noise indicator. No ratio is given from"
        f" fewer than {MIN_RATIO_SAMPLES} samples a side (`--quick`).",
        "",
    ]
    for scenario in scenarios:
        lines += scenario_section(scenario)
    return "\n".join(lines).rstrip() + "\n"


def document(run: dict[str, Any], scenarios: Sequence[ScenarioResult]) -> dict[str, Any]:
    """The JSON document written by ``--json``."""
    return {
        "schema_version": SCHEMA_VERSION,
        **run,
        "scenarios": [s.to_dict() for s in scenarios],
        # None when some comparison had too few samples for a ratio (``--quick``).
        "targets_met": None
        if any(c.met is None for s in scenarios for c in s.comparisons)
        else all(c.met for s in scenarios for c in s.comparisons),
    }
