"""Before/after in one run: this tree's client against the client of another git revision.

    python -m benchmarks.compare_revision REV [--rounds N] [--quick]

The package at ``REV`` is exported with ``git archive`` into a temporary folder under
another name (``durable_stores_client_at_<rev>``), so both versions load into one
interpreter and run interleaved with raw httpx, against the same fake (this tree's):

- in-process: the small query through ``fake.transport()`` (scenario 1);
- loopback: the same over HTTP against ``FakeServer().serve()`` in a child process (scenario 2);
- async fan-out: 1,000 queries at concurrency 50 over loopback (scenario 4);
- the same loopback query and fan-out against the benchmarks' minimal server
  (``_fastserve``, scenarios 7 and 8), where the clients' own costs are what differs.

Only the client is compared (``Client``/``AsyncClient`` and what they import, all by
relative imports), so the figures show what a client change did, on the same machine, at
the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._fixtures import (
    SMALL_PARAMS,
    SMALL_SQL,
    STORE_ID,
    create_store,
    fast_server,
    http_fake,
    raw_query,
    raw_query_async,
)
from benchmarks._harness import (
    Contender,
    ContenderResult,
    calibrate,
    compare,
    interleave,
    results_from,
    timed,
)
from benchmarks._report import format_value
from benchmarks.scenario_fanout import CONCURRENCY, QUERIES, fan_out

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "http://durable-stores.bench"


def export_package(revision: str, into: Path) -> tuple[ModuleType, str]:
    """Import ``durable_stores_client`` as it was at ``revision``, under another name."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = into / "package.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "archive", "--format=tar", sha, "durable_stores_client"],
            cwd=ROOT,
            check=True,
            stdout=out,
        )
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(into, filter="data")
        except TypeError:  # Python without extraction filters (3.10 before 3.10.12)
            tar.extractall(into)
    name = f"durable_stores_client_at_{sha}"
    (into / "durable_stores_client").rename(into / name)
    sys.path.insert(0, str(into))
    return importlib.import_module(name), sha


def _row(label: str, result: ContenderResult) -> str:
    s = result.summary
    return (
        f"| {label} | {result.label} | {format_value(s.median, result.unit)} "
        f"| {format_value(s.iqr, result.unit)} | {format_value(s.minimum, result.unit)} |"
    )


def _ratios(label: str, results: list[ContenderResult], op: str) -> list[str]:
    """Each client over raw httpx, then the client now over the client at the revision."""
    raw, before, now = results
    lines = []
    for result, base in ((before, raw), (now, raw), (now, before)):
        comparison = compare(
            label, result, base, target=1.0, op="<=" if op == "<=" else ">=", unit="time"
        )
        ratio = "-" if comparison.ratio is None else f"{comparison.ratio:.3f}"
        lines.append(
            f"| {label} | {result.label} / {base.label} | {ratio} "
            f"| {comparison.spread or 0:.3f} | {comparison.best or 0:.3f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print markdown tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_revision")
    parser.add_argument("revision", help="git revision whose client to compare (e.g. HEAD~3)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="short samples, few rounds")
    args = parser.parse_args(argv)
    rounds = 4 if args.quick else args.rounds
    sample = 0.02 if args.quick else 0.1

    import httpx

    import durable_stores_client as current
    from durable_stores_client.fake import FakeServer

    with tempfile.TemporaryDirectory(prefix="durable-stores-rev-") as folder:
        old, sha = export_package(args.revision, Path(folder))
        sections: list[tuple[str, list[ContenderResult], str]] = []

        fake = FakeServer()
        transport = fake.transport()
        with httpx.Client(base_url=BASE_URL, transport=transport) as raw:
            store_id = create_store(raw)
            clients = [
                old.Client(base_url=BASE_URL, transport=transport),
                current.Client(base_url=BASE_URL, transport=transport),
            ]
            results = _sync_round(raw, clients, store_id, sha, rounds=rounds, sample=sample)
            sections.append(("in-process", results, "<="))
            for client in clients:
                client.close()

        with http_fake("process") as url:
            with httpx.Client(base_url=url) as setup:
                store_id = create_store(setup)
            sections += _over_http(
                url, store_id, [old, current], sha, where="", rounds=rounds, sample=sample
            )

        # The limits view: the benchmarks' minimal server, whose few µs per request leave
        # the clients' own costs to compare (issue 13's "times today's throughput").
        with fast_server() as url:
            sections += _over_http(
                url,
                STORE_ID,
                [old, current],
                sha,
                where=", minimal server",
                rounds=rounds,
                sample=sample,
            )

    print(f"## Client at {sha} (before) vs this tree (after), interleaved in one run\n")
    print("| scenario | contender | median | IQR | min |")
    print("|---|---|---|---|---|")
    for label, results, _ in sections:
        for result in results:
            print(_row(label, result))
    print("\n| scenario | ratio | median ratio | IQR of ratios | best-sample ratio |")
    print("|---|---|---|---|---|")
    for label, results, op in sections:
        print("\n".join(_ratios(label, results, op)))
    return 0


def _over_http(
    url: str,
    store_id: str,
    packages: list[ModuleType],
    sha: str,
    *,
    where: str,
    rounds: int,
    sample: float,
) -> list[tuple[str, list[ContenderResult], str]]:
    """The loopback query and the async fan-out of both clients against the server at ``url``."""
    import httpx

    with httpx.Client(base_url=url) as raw:
        clients = [package.Client(base_url=url) for package in packages]
        results = _sync_round(raw, clients, store_id, sha, rounds=rounds, sample=sample)
        for client in clients:
            client.close()
    fanout = _fan_out_round(url, store_id, packages, sha, rounds)
    return [("loopback" + where, results, "<="), ("async fan-out" + where, fanout, ">=")]


def _sync_round(
    raw: Any, clients: list[Any], store_id: str, sha: str, *, rounds: int, sample: float
) -> list[ContenderResult]:
    contenders = [Contender("httpx", "raw httpx", timed(lambda: raw_query(raw, store_id)))]
    for key, client in zip((f"at-{sha}", "now"), clients, strict=True):

        def query(client: Any = client) -> Any:
            return client.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS)

        label = f"Client at {sha}" if key != "now" else "Client now"
        contenders.append(Contender(key, label, timed(query)))
    inner = calibrate(contenders[0].run, sample)
    samples = interleave(contenders, inner=inner, rounds=rounds, warmup=2)
    return results_from(contenders, samples, unit="s", per_sample=inner)


def _fan_out_round(
    url: str, store_id: str, packages: list[ModuleType], sha: str, rounds: int
) -> list[ContenderResult]:
    import httpx

    loop = asyncio.new_event_loop()
    try:

        async def open_clients() -> list[Any]:
            return [httpx.AsyncClient(base_url=url)] + [
                package.AsyncClient(base_url=url) for package in packages
            ]

        raw, old, now = loop.run_until_complete(open_clients())

        def runner(query: Callable[[], Awaitable[Any]]) -> Callable[[int], float]:
            def run_n(n: int) -> float:
                start = loop.time()
                for _ in range(n):
                    loop.run_until_complete(fan_out(query, QUERIES, CONCURRENCY))
                return loop.time() - start

            return run_n

        contenders = [
            Contender("httpx", "raw httpx", runner(lambda: raw_query_async(raw, store_id))),
            Contender(
                f"at-{sha}",
                f"AsyncClient at {sha}",
                runner(lambda: old.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS)),
            ),
            Contender(
                "now",
                "AsyncClient now",
                runner(lambda: now.query_store(store_id, sql=SMALL_SQL, params=SMALL_PARAMS)),
            ),
        ]
        samples = interleave(contenders, inner=1, rounds=rounds, warmup=1)

        async def close() -> None:
            for client in (raw, old, now):
                await client.aclose()

        loop.run_until_complete(close())
    finally:
        loop.close()
    throughput = {key: [QUERIES / s for s in values] for key, values in samples.items()}
    return results_from(contenders, throughput, unit="queries/s", per_sample=QUERIES)


if __name__ == "__main__":
    sys.exit(main())
