"""Interleaved measurement of contenders, and the result records every scenario returns.

Each scenario names a few *contenders* (this SDK, the raw-httpx baseline, ...), each a
callable that runs ``n`` operations and returns the elapsed seconds. :func:`interleave`
warms them all up, then runs them in rounds, A B then B A alternately, so slow drift on a
shared machine (another process waking up, thermal changes) lands on every contender alike.
Ratios are of medians measured in the same run, never against a stored figure.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from benchmarks._stats import Summary, paired_ratios

MIN_RATIO_SAMPLES = 10
"""The fewest samples per side a ratio is computed from: fewer (``--quick``'s 5) give a
median that moves by more than most targets' margins from run to run, so no ratio is given."""

RunN = Callable[[int], float]
"""Run an operation ``n`` times; return the elapsed wall-clock seconds."""


@dataclass(frozen=True)
class Settings:
    """How hard to measure: the knobs ``--quick``, ``--scale`` and ``--rounds`` set.

    Attributes:
        quick: the CI mode (few rounds, short samples).
        scale: multiplies data sizes and operation counts (1.0 = the issue's sizes).
        rounds: measured rounds per contender.
        warmup: unmeasured rounds first.
        sample_seconds: aim for one sample to last about this long (for fast operations).
        server: ``"process"`` runs the HTTP fake in a child process, ``"thread"`` in this one.
    """

    quick: bool
    scale: float
    rounds: int
    warmup: int
    sample_seconds: float
    server: Literal["process", "thread"]

    def scaled(self, n: int, minimum: int = 1) -> int:
        """``n`` times the scale, at least ``minimum``."""
        return max(minimum, round(n * self.scale))


@dataclass
class Contender:
    """One side of a comparison.

    Attributes:
        key: short id used in comparisons and JSON (``"sdk"``, ``"httpx"``, ...).
        label: what exactly runs, for the table.
        run: the measured callable.
    """

    key: str
    label: str
    run: RunN


def calibrate(run: RunN, target_seconds: float, limit: int = 1 << 20) -> int:
    """How many operations make one sample last about ``target_seconds``."""
    n = 1
    while n < limit:
        elapsed = run(n)
        if elapsed >= target_seconds / 2:
            return max(1, min(limit, round(n * target_seconds / max(elapsed, 1e-9))))
        n *= 4 if elapsed < target_seconds / 20 else 2
    return limit


def interleave(
    contenders: Sequence[Contender],
    *,
    inner: int,
    rounds: int,
    warmup: int,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per operation for each contender, one sample per round.

    Every round runs each contender once for ``inner`` operations; even rounds go in the
    given order, odd rounds in reverse (A B, B A, ...). A full garbage collection runs
    before each sample so one contender's garbage is not collected on another's clock.

    When ``cpu`` is given, it receives this process's CPU seconds per operation for each
    sample too: what the client side costs, whatever else the machine is doing.
    """
    for _ in range(warmup):
        for contender in contenders:
            contender.run(inner)
    samples: dict[str, list[float]] = {c.key: [] for c in contenders}
    if cpu is not None:
        cpu.update({c.key: [] for c in contenders})
    for index in range(rounds):
        order = contenders if index % 2 == 0 else list(reversed(contenders))
        for contender in order:
            gc.collect()
            started = time.process_time()
            samples[contender.key].append(contender.run(inner) / inner)
            if cpu is not None:
                cpu[contender.key].append((time.process_time() - started) / inner)
    return samples


def cpu_figures(cpu: dict[str, list[float]], baseline: str) -> dict[str, Any]:
    """Median client CPU µs per operation of each contender, and its ratio to ``baseline``."""
    medians = {key: Summary.of(values).median for key, values in cpu.items()}
    return {
        "client_cpu_us_per_op": {key: round(value * 1e6, 1) for key, value in medians.items()},
        "client_cpu_ratio_to_" + baseline: {
            key: round(value / medians[baseline], 3)
            for key, value in medians.items()
            if key != baseline and medians[baseline] > 0
        },
    }


def timed(operation: Callable[[], object]) -> RunN:
    """Make a :data:`RunN` out of a single-operation callable."""

    def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            operation()
        return time.perf_counter() - start

    return run


@dataclass
class ContenderResult:
    """Samples and their summary for one contender (``unit`` says what a sample measures)."""

    key: str
    label: str
    unit: str
    samples: list[float]
    per_sample: int = 1

    @property
    def summary(self) -> Summary:
        """Median and spread of the samples."""
        return Summary.of(self.samples)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "operations_per_sample": self.per_sample,
            "summary": self.summary.to_dict(),
            "samples": self.samples,
        }


@dataclass
class Comparison:
    """A ratio of medians with its target.

    Attributes:
        label: what is compared (``"SDK / raw httpx"``).
        numerator: contender key on top.
        denominator: contender key below.
        ratio: median(numerator) / median(denominator); None when either side has fewer
            than :data:`MIN_RATIO_SAMPLES` samples (too few for a stable median).
        target: the bound from the issue.
        op: ``"<="`` (time ratios: lower is better) or ``">="`` (throughput ratios).
        spread: IQR of the round-by-round ratios (a noise indicator), when paired.
        unit: what the ratio is of (``"time"`` or ``"throughput"``, or ``"ms"`` for differences).
        best: the same ratio of each side's best sample (minimum time, maximum throughput),
            less sensitive to other work on a shared machine; for reference only.
    """

    label: str
    numerator: str
    denominator: str
    ratio: float | None
    target: float
    op: Literal["<=", ">="]
    spread: float | None = None
    unit: str = "time"
    best: float | None = None
    samples: int | None = None

    @property
    def met(self) -> bool | None:
        """Whether the ratio is within its target (None: no ratio, too few samples)."""
        if self.ratio is None:
            return None
        return self.ratio <= self.target if self.op == "<=" else self.ratio >= self.target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "ratio": self.ratio,
            "target": self.target,
            "op": self.op,
            "met": self.met,
            "paired_ratio_iqr": self.spread,
            "best_sample_ratio": self.best,
            "unit": self.unit,
            "samples": self.samples,
        }


def compare(
    label: str,
    numerator: ContenderResult,
    denominator: ContenderResult,
    *,
    target: float,
    op: Literal["<=", ">="],
    unit: str = "time",
) -> Comparison:
    """Ratio of the two medians, with the IQR of the paired per-round ratios.

    With fewer than :data:`MIN_RATIO_SAMPLES` samples on either side there is no ratio
    (nor spread, nor best): the comparison then only records its target and sample count.
    """
    samples = min(len(numerator.samples), len(denominator.samples))
    ratio: float | None = None
    best: float | None = None
    spread: float | None = None
    if samples >= MIN_RATIO_SAMPLES:
        ratio = numerator.summary.median / denominator.summary.median
        if op == "<=":
            best = numerator.summary.minimum / denominator.summary.minimum
        else:
            best = numerator.summary.maximum / denominator.summary.maximum
        if len(numerator.samples) == len(denominator.samples) and len(numerator.samples) >= 2:
            spread = Summary.of(paired_ratios(numerator.samples, denominator.samples)).iqr
    return Comparison(
        label=label,
        numerator=numerator.key,
        denominator=denominator.key,
        ratio=ratio,
        target=target,
        op=op,
        spread=spread,
        unit=unit,
        best=best,
        samples=samples,
    )


@dataclass
class ScenarioResult:
    """Everything one scenario measured.

    Attributes:
        id: the scenario number (1-6 from issue 6, 7-8 from issue 13, 9 from issue 11).
        title: one line.
        status: ``"ok"``, ``"skipped"`` or ``"error"``.
        contenders: measured sides, in display order.
        comparisons: ratios with targets.
        figures: other numbers worth reporting (memory, absolute throughput, ...).
        notes: plain-language remarks (what was not measured and why, ...).
        error: the failure, when ``status == "error"``.
        seconds: wall-clock time the scenario took.
    """

    id: int
    title: str
    status: Literal["ok", "skipped", "error"] = "ok"
    contenders: list[ContenderResult] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def contender(self, key: str) -> ContenderResult:
        """The contender with that key."""
        for result in self.contenders:
            if result.key == key:
                return result
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "seconds": self.seconds,
            "contenders": [c.to_dict() for c in self.contenders],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "figures": self.figures,
            "notes": self.notes,
            "error": self.error,
        }


def results_from(
    contenders: Sequence[Contender],
    samples: dict[str, list[float]],
    *,
    unit: str,
    per_sample: int,
) -> list[ContenderResult]:
    """Pair interleaved samples back with their contenders."""
    return [
        ContenderResult(
            key=c.key, label=c.label, unit=unit, samples=samples[c.key], per_sample=per_sample
        )
        for c in contenders
    ]
