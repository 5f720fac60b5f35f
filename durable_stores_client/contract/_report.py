"""A run's report: verdict, table, summary line, JSON and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import attrs

from ._model import CheckResult, Level, Outcome

__all__ = ["Report", "format_row", "result_dict", "result_label", "row_cells"]


def result_label(result: CheckResult, *, strict: bool = False) -> str:
    """How a result reads in a table: ``pass``, ``FAIL``, ``warn`` or ``skip``.

    A recommended clause that is not met reads ``warn`` unless the run is strict.
    """
    if result.outcome is Outcome.PASSED:
        return "pass"
    if result.outcome is Outcome.SKIPPED:
        return "skip"
    if result.check.level is Level.RECOMMENDED and not strict:
        return "warn"
    return "FAIL"


@attrs.frozen
class Report:
    """The results of one run of the contract suite.

    Attributes:
        results: One result per check, in catalogue order.
        base_url: The server the run verified.
        kinds: The store kinds the run covered.
        strict: Whether recommended clauses count as required for the verdict.
        duration: Seconds the run took.
    """

    results: tuple[CheckResult, ...]
    base_url: str
    kinds: tuple[str, ...] = ()
    strict: bool = False
    duration: float = 0.0

    def _with(self, outcome: Outcome) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.outcome is outcome)

    @property
    def passed(self) -> tuple[CheckResult, ...]:
        """The results that passed."""
        return self._with(Outcome.PASSED)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The results that failed, required or recommended."""
        return self._with(Outcome.FAILED)

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        """The results that were skipped (each with its reason)."""
        return self._with(Outcome.SKIPPED)

    @property
    def failed_ids(self) -> frozenset[str]:
        """The ids of every failed check."""
        return frozenset(r.check.id for r in self.failed)

    def counts_against(self, result: CheckResult) -> bool:
        """Whether ``result`` makes the run fail (a required failure; any, when strict)."""
        if result.outcome is not Outcome.FAILED:
            return False
        return self.strict or result.check.level is Level.REQUIRED

    @property
    def ok(self) -> bool:
        """True when every required check passed (every check, when strict)."""
        return not any(self.counts_against(r) for r in self.results)

    @property
    def exit_code(self) -> int:
        """The command line's exit status for this report: 0 if `ok`, else 1."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        """One line: counts, target, duration and the verdict."""
        failures = sum(1 for r in self.failed if self.counts_against(r))
        warnings = len(self.failed) - failures
        parts = [f"{len(self.passed)} passed", f"{failures} failed"]
        if warnings:
            parts.append(f"{warnings} warned")
        parts.append(f"{len(self.skipped)} skipped")
        mode = ", strict" if self.strict else ""
        verdict = "OK" if self.ok else "FAILED"
        return (
            f"contract: {', '.join(parts)} of {len(self.results)} checks against "
            f"{self.base_url} (kinds: {', '.join(self.kinds) or 'none'}{mode}) "
            f"in {self.duration:.2f}s: {verdict}"
        )

    # -- one result at a time, as a run streams them --------------------------------

    @staticmethod
    def table_header(id_width: int) -> str:
        """The table's header line, its id column ``id_width`` wide."""
        return format_row(("ID", "LEVEL", "RESULT", "DETAIL"), id_width)

    @staticmethod
    def table_line(result: CheckResult, id_width: int, *, strict: bool = False) -> str:
        """One result as a table line (see `format_table`)."""
        return format_row(row_cells(result, strict=strict), id_width)

    @staticmethod
    def json_line(result: CheckResult, *, strict: bool = False) -> str:
        """One result as a line of JSON (the keys of `to_dict`'s ``results``)."""
        return json.dumps(result_dict(result, strict=strict), ensure_ascii=False)

    def summary_json_line(self) -> str:
        """The summary and the verdict as a line of JSON: ``{"summary": ..., "ok": ...}``."""
        return json.dumps({"summary": self.summary(), "ok": self.ok}, ensure_ascii=False)

    def format_table(self, *, include_passed: bool = True) -> str:
        """The results as a text table (id, level, result, detail) and the summary line."""
        rows = [r for r in self.results if include_passed or r.outcome is not Outcome.PASSED]
        width = max([len("ID"), *(len(r.check.id) for r in rows)])
        lines = [self.table_header(width)]
        lines.extend(self.table_line(r, width, strict=self.strict) for r in rows)
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (no API key, no store config)."""
        return {
            "base_url": self.base_url,
            "kinds": list(self.kinds),
            "strict": self.strict,
            "ok": self.ok,
            "duration_seconds": round(self.duration, 3),
            "summary": {
                "total": len(self.results),
                "passed": len(self.passed),
                "failed": len(self.failed),
                "failed_required": sum(1 for r in self.failed if r.check.level is Level.REQUIRED),
                "failed_recommended": sum(
                    1 for r in self.failed if r.check.level is Level.RECOMMENDED
                ),
                "skipped": len(self.skipped),
            },
            "results": [result_dict(r, strict=self.strict) for r in self.results],
        }

    def to_json(self) -> str:
        """The report as a JSON document (see `to_dict`)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_junit_xml(self) -> str:
        """The report as JUnit XML: one ``testcase`` per check.

        Failures that count against the run are ``<failure>`` elements; a
        recommended clause that is not met (without strict) passes with its detail
        in ``<system-out>`` as a warning; skips are ``<skipped>``.
        """
        suite = ET.Element(
            "testsuite",
            {
                "name": "durable-stores-contract",
                "tests": str(len(self.results)),
                "failures": str(sum(1 for r in self.results if self.counts_against(r))),
                "errors": "0",
                "skipped": str(len(self.skipped)),
                "time": f"{self.duration:.3f}",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("base_url", self.base_url),
            ("kinds", ",".join(self.kinds)),
            ("strict", str(self.strict).lower()),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        for result in self.results:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": f"contract.{result.check.area}",
                    "name": result.check.id,
                    "time": f"{result.duration:.4f}",
                },
            )
            if result.outcome is Outcome.SKIPPED:
                ET.SubElement(case, "skipped", {"message": result.detail})
            elif self.counts_against(result):
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"message": result.detail, "type": result.check.level.value},
                )
                failure.text = "\n".join(
                    [result.check.clause, *(str(d) for d in result.differences)]
                )
            elif result.outcome is Outcome.FAILED:
                out = ET.SubElement(case, "system-out")
                out.text = f"WARNING: recommended clause not met: {result.detail}"
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def result_dict(result: CheckResult, *, strict: bool = False) -> dict[str, Any]:
    """One result as JSON-ready data."""
    return {
        "id": result.check.id,
        "clause": result.check.clause,
        "level": result.check.level.value,
        "kinds": sorted(result.check.kinds),
        "outcome": result.outcome.value,
        "result": result_label(result, strict=strict),
        "detail": result.detail,
        "differences": [
            {"what": d.what, "expected": d.expected, "actual": d.actual} for d in result.differences
        ],
        "duration_seconds": round(result.duration, 4),
    }


def row_cells(result: CheckResult, *, strict: bool = False) -> tuple[str, str, str, str]:
    """The four table cells of one result."""
    return (
        result.check.id,
        result.check.level.value,
        result_label(result, strict=strict),
        result.detail,
    )


def format_row(cells: tuple[str, str, str, str], id_width: int) -> str:
    """One table line, columns aligned."""
    check_id, level, label, detail = cells
    return f"{check_id:<{id_width}}  {level:<11}  {label:<6}  {detail}".rstrip()
