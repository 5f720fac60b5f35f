"""``durable-stores contract``: verify a Durable Stores server against the wire contract.

Runs the contract suite (`durable_stores_client.contract`) against ``--base-url``,
prints one table row per check as it finishes and a summary line, and optionally
writes JSON and JUnit XML reports. Exit status: 0 when every required check passed
(every check with ``--strict``), 1 otherwise or when the server cannot be reached,
2 on a usage error, 130 when interrupted (after deleting the stores it created).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ._common import UsageError, global_options_parent

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from ..contract import Check, CheckResult, Report, Target

_KINDS_HELP = "sqlite,postgres,mysql,redis"


def register(subparsers: Any) -> None:
    """Add the ``contract`` command."""
    parser = subparsers.add_parser(
        "contract",
        help="check a Durable Stores server against the wire contract",
        description=(
            "Run the contract suite against a Durable Stores server: every route, status "
            "code, envelope, error message and value mapping of the contract, one named "
            "check each. Stores it creates are named contract-<random>-... and deleted "
            "afterwards, also on failure and Ctrl-C. Exit status: 0 when every required "
            "check passed (every check with --strict), 1 otherwise, 2 on usage errors."
        ),
        parents=[global_options_parent()],
    )
    parser.add_argument(
        "--kinds",
        metavar="KINDS",
        default="sqlite,redis",
        help=f"comma-separated store kinds to cover, of {_KINDS_HELP} (default: sqlite,redis); "
        "checks needing other kinds are skipped",
    )
    parser.add_argument(
        "--store-config",
        metavar="KIND=JSON",
        action="append",
        default=[],
        help='engine config for stores of KIND, e.g. redis=\'{"host": "127.0.0.1", '
        '"port": 6379}\' (repeatable; a real server needs it for postgres, mysql, redis)',
    )
    parser.add_argument(
        "--sandbox",
        metavar="NAME",
        help="a sandbox that exists on the server: check that a store tied to it is created "
        "and keeps it (stores.create.sandbox-existing is skipped without it)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on recommended clauses too (the contract's known deviations)",
    )
    parser.add_argument(
        "--include-large",
        action="store_true",
        help="also run the heavy checks: 16 MiB bodies at and over the limit, 201 stores listed",
    )
    parser.add_argument(
        "--select",
        metavar="PATTERN",
        action="append",
        default=[],
        help="run only checks whose id matches PATTERN (glob, or an id prefix such as "
        "'redis'); repeatable",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        dest="list_checks",
        help="list the checks (id, level, kinds, clause) and exit without running them",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        help="also write the report as JSON to FILE (-o json prints it instead of the table; "
        "-o jsonl prints one JSON line per check)",
    )
    parser.add_argument(
        "--junit", metavar="FILE", help="also write the report as JUnit XML to FILE"
    )
    parser.set_defaults(handler=run)


def _base_url(args: argparse.Namespace) -> str:
    return str(
        getattr(args, "base_url", None)
        or os.environ.get("DURABLE_STORES_BASE_URL")
        or os.environ.get("AGENTKERNEL_BASE_URL")
        or "http://localhost:18888"
    )


def _api_key(args: argparse.Namespace) -> str | None:
    value = (
        getattr(args, "api_key", None)
        or os.environ.get("DURABLE_STORES_API_KEY")
        or os.environ.get("AGENTKERNEL_API_KEY")
    )
    return str(value) if value else None


def _report_path(text: str | None, option: str) -> Path | None:
    if text is None:
        return None
    path = Path(text)
    if not path.parent.is_dir():
        raise UsageError(f"{option} {text}: directory {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise UsageError(f"{option} {text}: is a directory; give a file name")
    return path


def run(args: argparse.Namespace) -> int:
    """Run the suite as the options say and return the exit status."""
    # The suite loads only when the command runs, so `durable-stores --help` stays fast.
    from ..contract import ContractRunner, select_checks  # noqa: PLC0415 - CLI import-time test

    try:
        checks = select_checks(args.select)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.list_checks:
        width = max(len(c.id) for c in checks)
        print("\n".join(check.describe(width) for check in checks), file=sys.stdout)
        return 0
    target = _target(args)
    json_path = _report_path(args.json, "--json")
    junit_path = _report_path(args.junit, "--junit")
    problem = _unreachable(target.base_url, target.timeout)
    if problem is not None:
        print(
            f"durable-stores contract: error: cannot reach {target.base_url}: {problem}\n"
            "  (is a Durable Stores server running there? Set --base-url.)",
            file=sys.stderr,
        )
        return 1

    stream = _Stream(getattr(args, "output", None) or "table", args.strict, checks)
    runner = ContractRunner(target, include_large=args.include_large)
    try:
        with runner:
            report = runner.run(checks, strict=args.strict, on_result=stream.show)
    except KeyboardInterrupt:
        partial = stream.partial_report(target)
        _write_reports(partial, json_path, junit_path)
        left = len(runner.leftover_ids)
        note = f"{left} store(s) could not be deleted" if left else "deleted the stores it created"
        print(
            f"\ndurable-stores contract: interrupted after {len(partial.results)} checks; {note}",
            file=sys.stderr,
        )
        return 130
    _write_reports(report, json_path, junit_path)
    stream.finish(report)
    if runner.leftover_ids:
        print(
            "durable-stores contract: warning: could not delete stores "
            f"{', '.join(runner.leftover_ids)}",
            file=sys.stderr,
        )
    return report.exit_code


def _target(args: argparse.Namespace) -> Target:
    """The server to verify, from ``--base-url``, ``--kinds``, ``--store-config`` and the rest."""
    from ..contract import Target, parse_kinds, parse_store_config  # noqa: PLC0415 - the same

    try:
        kinds = parse_kinds(args.kinds)
        configs: dict[str, dict[str, Any]] = {}
        for item in args.store_config:
            kind, config = parse_store_config(item)
            if kind not in kinds:
                raise ValueError(
                    f"--store-config given for {kind}, but {kind} is not in --kinds "
                    f"({','.join(sorted(kinds))})"
                )
            configs[kind] = config
        return Target(
            _base_url(args),
            api_key=_api_key(args),
            kinds=kinds,
            store_config=configs,
            timeout=getattr(args, "timeout", None) or 30.0,
            sandbox=args.sandbox,
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None


class _Stream:
    """Prints each result as it comes (a table line, or a JSON line), then the end."""

    def __init__(self, output: str, strict: bool, checks: Sequence[Check]) -> None:
        from ..contract import Report  # noqa: PLC0415 - the same

        self._report = Report
        self.output = output
        self.strict = strict
        self.results: list[CheckResult] = []
        self._width = max([len("ID"), *(len(c.id) for c in checks)])
        if output == "table":
            self._print(Report.table_header(self._width))

    @staticmethod
    def _print(line: str) -> None:
        print(line, file=sys.stdout, flush=True)

    def show(self, result: CheckResult) -> None:
        """Print one result as soon as it is known."""
        self.results.append(result)
        if self.output == "table":
            self._print(self._report.table_line(result, self._width, strict=self.strict))
        elif self.output == "jsonl":
            self._print(self._report.json_line(result, strict=self.strict))

    def partial_report(self, target: Target) -> Report:
        """The report of the checks that ran before an interruption."""
        return self._report(
            results=tuple(self.results),
            base_url=target.base_url,
            kinds=tuple(sorted(target.kinds)),
            strict=self.strict,
        )

    def finish(self, report: Report) -> None:
        """Print the end: the whole JSON report, the summary line, or its JSON line."""
        if self.output == "json":
            sys.stdout.write(report.to_json())
        elif self.output == "jsonl":
            self._print(report.summary_json_line())
        else:
            self._print(f"\n{report.summary()}")


def _unreachable(base_url: str, timeout: float) -> str | None:
    """Why the server cannot be reached at all (a connection error), or None."""
    try:
        httpx.get(f"{base_url}/health", timeout=timeout)
    except httpx.TransportError as exc:
        return str(exc) or type(exc).__name__
    return None


def _write_reports(report: Report, json_path: Path | None, junit_path: Path | None) -> None:
    if json_path is not None:
        json_path.write_text(report.to_json(), encoding="utf-8")
    if junit_path is not None:
        junit_path.write_text(report.to_junit_xml(), encoding="utf-8")
