"""Turn the hardening run's figures (JSON) into the table in ``docs/reliability.md``.

Usage (from the repository root)::

    DURABLE_STORES_RELIABILITY_REPORT=reliability.json python -m pytest tests/hardening
    python tests/hardening/reliability_table.py reliability.json --write docs/reliability.md

Without ``--write`` the table is printed. With it, the part of the page between the
``<!-- figures:start -->`` and ``<!-- figures:end -->`` markers is replaced.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

START = "<!-- figures:start -->"
END = "<!-- figures:end -->"


def _get(figures: dict[str, dict[str, Any]], section: str, name: str) -> Any:
    return figures.get(section, {}).get(name, 0)


def rows(figures: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(figure, value, where it comes from) for the table."""
    faults = figures.get("faults", {})
    breakdown = ", ".join(
        f"{name[len('faults_') :]} {value}"
        for name, value in sorted(faults.items())
        if name.startswith("faults_") and name != "faults_injected"
    )
    server_errors = sum(
        int(_get(figures, section, name))
        for section, name in [
            ("fuzz", "server_errors_5xx"),
            ("schemathesis", "server_errors_5xx"),
            ("faults", "server_5xx_not_injected"),
            ("faults_async", "server_5xx_not_injected"),
            ("concurrency", "server_errors_5xx"),
        ]
    )
    malformed = int(_get(figures, "fuzz", "malformed_inputs"))
    negative = int(_get(figures, "schemathesis", "mode_negative"))
    fault_src = "test_hardening_faults.py (sync client)"
    return [
        ("Operations under faults", f"{faults.get('operations', 0):,}", fault_src),
        (
            "Calls given a fault",
            f"{faults.get('calls_with_a_fault', 0):,} ({faults.get('fault_rate', 0):.0%} planned)",
            fault_src,
        ),
        (
            "Faults injected (attempts given one)",
            f"{faults.get('faults_injected', 0):,}",
            breakdown,
        ),
        ("Retries taken", f"{faults.get('retries_taken', 0):,}", fault_src),
        ("Requests sent", f"{faults.get('requests_sent', 0):,}", fault_src),
        ("Writes reported successful", f"{faults.get('writes_reported_ok', 0):,}", fault_src),
        (
            "Writes reported failed, not applied (503/429)",
            f"{faults.get('writes_failed_not_applied', 0):,}",
            "all absent, as they must be",
        ),
        (
            "Writes reported failed, ambiguous (dropped, timed out)",
            f"{faults.get('writes_failed_ambiguous', 0):,}",
            f"applied {faults.get('writes_failed_ambiguous_applied', 0)}, "
            f"absent {faults.get('writes_failed_ambiguous_absent', 0)}",
        ),
        ("**Writes lost**", f"**{faults.get('writes_lost', 0)}**", "reported ok, row missing"),
        ("**Writes duplicated**", f"**{faults.get('writes_duplicated', 0)}**", "a token twice"),
        (
            "Timeouts raised / longest (client timeout)",
            f"{faults.get('timeouts_raised', 0)} / {faults.get('longest_timeout_seconds', 0)} s "
            f"({faults.get('client_timeout_seconds', 0)} s)",
            "APITimeoutError, never retried for writes",
        ),
        *(
            (
                f"{label} under faults: operations / retries / lost / duplicated",
                f"{_get(figures, section, 'operations')} / "
                f"{_get(figures, section, 'retries_taken')} / "
                f"{_get(figures, section, 'writes_lost')} / "
                f"{_get(figures, section, 'writes_duplicated')}",
                "test_hardening_faults.py, same schedule",
            )
            for label, section in [
                ("AsyncClient over HTTP", "faults_async"),
                ("Client, in-process transport", "faults_in_process"),
                ("AsyncClient, in-process transport", "faults_async_in_process"),
            ]
        ),
        (
            "Concurrent writes (8 threads + 200 asyncio tasks, one SQLite store)",
            f"{_get(figures, 'concurrency', 'writes'):,}",
            "test_hardening_concurrency.py (file and in-memory store)",
        ),
        (
            "Concurrent rows lost / duplicated",
            f"{_get(figures, 'concurrency', 'rows_lost')} / "
            f"{_get(figures, 'concurrency', 'rows_duplicated')}",
            "retries off",
        ),
        (
            "Concurrent writers under random faults: writes / ok / refused / ambiguous",
            f"{_get(figures, 'faults_concurrent', 'writes'):,} / "
            f"{_get(figures, 'faults_concurrent', 'ok'):,} / "
            f"{_get(figures, 'faults_concurrent', 'refused')} / "
            f"{_get(figures, 'faults_concurrent', 'ambiguous')}",
            f"lost {_get(figures, 'faults_concurrent', 'writes_lost')}, "
            f"duplicated {_get(figures, 'faults_concurrent', 'writes_duplicated')} "
            "(test_hardening_concurrency.py)",
        ),
        ("Malformed inputs tried (raw socket)", f"{malformed:,}", "test_hardening_socket_fuzz.py"),
        (
            "Generated requests (schemathesis), of which schema-violating",
            f"{_get(figures, 'schemathesis', 'requests'):,}, {negative:,}",
            "test_hardening_schemathesis.py",
        ),
        (
            "Property examples (values round-tripped, stores round-tripped, odd ids)",
            f"{_get(figures, 'properties', 'values_round_tripped'):,}, "
            f"{_get(figures, 'properties', 'stores_round_tripped'):,}, "
            f"{_get(figures, 'properties', 'odd_ids_tried'):,}",
            "test_hardening_properties.py",
        ),
        (
            "Fuzzed answers to the client (typed results, typed errors)",
            f"{_get(figures, 'responses', 'typed_results'):,}, "
            f"{_get(figures, 'responses', 'typed_errors'):,}",
            "test_hardening_responses.py: never an untyped exception",
        ),
        (
            "Requests compared across the fake's three front ends",
            f"{_get(figures, 'frontends', 'requests_compared'):,}",
            "test_hardening_frontends.py: byte-identical answers",
        ),
        (
            "**5xx for client input**",
            f"**{server_errors}**",
            "fuzzer, schemathesis, fault and load runs",
        ),
        (
            "Texts checked for secrets / exceptions checked / leaks",
            f"{_get(figures, 'secrets', 'texts_checked'):,} / "
            f"{_get(figures, 'secrets', 'exceptions_checked')} / "
            f"{_get(figures, 'secrets', 'secret_leaks')}",
            "test_hardening_secrets.py",
        ),
        (
            "Bodies echoing secrets / leaks",
            f"{_get(figures, 'secrets', 'echoed_bodies')} / 0",
            "test_hardening_secrets.py: masked by structure",
        ),
        (
            "Errors pickled / received from worker processes / secrets in pickles",
            f"{_get(figures, 'pickles', 'errors_pickled')} / "
            f"{_get(figures, 'pickles', 'worker_errors_received')} / 0",
            "test_hardening_pickles.py: same class, text and attributes",
        ),
    ]


def table(figures: dict[str, dict[str, Any]]) -> str:
    """The markdown table."""
    lines = ["| Figure | Latest run | Notes |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {note} |" for name, value, note in rows(figures)]
    seed = figures.get("faults", {}).get("seed")
    if seed is not None:
        lines += ["", f"Fault schedule seed: `{seed}`."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a page between the figure markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the JSON the hardening tests wrote")
    parser.add_argument("--write", type=Path, help="a page holding the figure markers")
    args = parser.parse_args(argv)
    figures = json.loads(args.report.read_text(encoding="utf-8"))
    rendered = table(figures)
    if args.write is None:
        print(rendered)
        return 0
    page = args.write.read_text(encoding="utf-8")
    if START not in page or END not in page:
        print(f"{args.write}: no {START} / {END} markers", file=sys.stderr)
        return 1
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    args.write.write_text(f"{head}{START}\n{rendered}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
