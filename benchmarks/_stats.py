"""Robust summaries of timing samples: median, quartiles, MAD, and ratios of medians."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Summary:
    """Median and spread of a list of samples (all in the same unit).

    Attributes:
        median: the middle sample.
        q1: first quartile.
        q3: third quartile.
        iqr: interquartile range, ``q3 - q1``.
        mad: median absolute deviation from the median.
        minimum: the smallest sample.
        maximum: the largest sample.
        count: how many samples.
    """

    median: float
    q1: float
    q3: float
    iqr: float
    mad: float
    minimum: float
    maximum: float
    count: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        """Summarise ``samples`` (at least one)."""
        if not samples:
            raise ValueError("cannot summarise an empty list of samples")
        values = sorted(samples)
        median = statistics.median(values)
        if len(values) >= 2:
            q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        else:
            q1 = q3 = values[0]
        mad = statistics.median(abs(v - median) for v in values)
        return cls(
            median=median,
            q1=q1,
            q3=q3,
            iqr=q3 - q1,
            mad=mad,
            minimum=values[0],
            maximum=values[-1],
            count=len(values),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def paired_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two interleaved sample lists (same length)."""
    return [n / d for n, d in zip(numerator, denominator, strict=True) if d > 0]
