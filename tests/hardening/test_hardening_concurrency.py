"""Concurrency through the fake's network front end: 8 threads and 200 asyncio tasks writing to
one SQLite store at the same time lose no row, duplicate none, and never see
``database is locked`` (or any 5xx). Retries are off (``max_retries=0``), so a write that needed
a second attempt would show up as a failure instead of being papered over.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hardening_report import ReliabilityFigures

from durable_stores_client import (
    APIConnectionError,
    APIError,
    AsyncClient,
    Client,
    ConflictError,
    DurableStoresError,
    RetryPolicy,
)
from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # many operations, faults and generated cases

SECTION = "concurrency"
THREADS = 8
ROWS_PER_THREAD = 60
TASKS = 200
ROWS_PER_TASK = 3
SEED = 20260216


@dataclass
class Served:
    fake: FakeServer
    url: str
    store_id: str


@pytest.fixture(params=["file", "memory"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """The fake over HTTP with one SQLite store: a WAL file under data_dir, or in memory."""
    fake = FakeServer(data_dir=tmp_path if request.param == "file" else None)
    with fake.serve() as url, Client(url) as client:
        store = client.create_store(name="shared", kind="sqlite")
        client.execute_store(
            store.id,
            sql="CREATE TABLE rows (id INTEGER PRIMARY KEY, writer TEXT, token TEXT UNIQUE)",
        )
        yield Served(fake, url, store.id)


def test_threads_and_tasks_writing_at_once_lose_and_duplicate_nothing(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS + 1)
    shared = Client(served.url, max_retries=0)

    def writer(number: int) -> None:
        # Half the threads share one client (one pool), half bring their own.
        own = Client(served.url, max_retries=0) if number % 2 else None
        client = own or shared
        try:
            start.wait()
            for row in range(ROWS_PER_THREAD):
                client.execute_store(
                    served.store_id,
                    sql="INSERT INTO rows (writer, token) VALUES (?, ?)",
                    params=[f"thread-{number}", f"t{number}-{row}"],
                )
                if row % 10 == 0:
                    client.query_store(served.store_id, sql="SELECT count(*) AS n FROM rows")
        except BaseException as error:  # collected and asserted on below
            errors.append(error)
        finally:
            if own is not None:
                own.close()

    async def tasks() -> None:
        async with AsyncClient(served.url, max_retries=0) as client:

            async def task(number: int) -> None:
                for row in range(ROWS_PER_TASK):
                    await client.execute_store(
                        served.store_id,
                        sql="INSERT INTO rows (writer, token) VALUES (?, ?)",
                        params=[f"task-{number}", f"a{number}-{row}"],
                    )

            start.wait()
            results = await asyncio.gather(*(task(n) for n in range(TASKS)), return_exceptions=True)
            errors.extend(r for r in results if isinstance(r, BaseException))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        asyncio.run(tasks())
    finally:
        for thread in threads:
            thread.join(timeout=60)
        shared.close()

    assert not errors, [repr(error) for error in errors[:5]]
    with Client(served.url) as client:
        rows = client.query_store(served.store_id, sql="SELECT writer, token FROM rows").rows
    tokens = Counter(row["token"] for row in rows)
    expected = {f"t{n}-{r}" for n in range(THREADS) for r in range(ROWS_PER_THREAD)}
    expected |= {f"a{n}-{r}" for n in range(TASKS) for r in range(ROWS_PER_TASK)}
    duplicated = sum(count - 1 for count in tokens.values() if count > 1)
    lost = len(expected - set(tokens))
    statuses = Counter(entry.status for entry in served.fake.requests)
    server_errors = sum(n for status, n in statuses.items() if status and status >= 500)
    reliability_figures.set(SECTION, threads=THREADS, asyncio_tasks=TASKS)
    reliability_figures.add(SECTION, "writes", len(expected))
    reliability_figures.add(SECTION, "rows_lost", lost)
    reliability_figures.add(SECTION, "rows_duplicated", duplicated)
    reliability_figures.add(SECTION, "server_errors_5xx", server_errors)
    assert lost == 0
    assert duplicated == 0
    assert len(rows) == len(expected)
    # "database is locked" would surface as a 5xx (server_errors) or a failed call (errors).
    assert server_errors == 0, statuses


def test_racing_creators_of_one_name_get_one_store(served: Served) -> None:
    """Eight threads create the same name: one wins, the others get ConflictError; eight more
    ``ensure_store`` the same name and all get that one store."""
    start = threading.Barrier(THREADS)
    created: list[str] = []
    conflicts: list[ConflictError] = []
    ensured: list[str] = []
    other: list[BaseException] = []

    def create() -> None:
        with Client(served.url, max_retries=0) as client:
            start.wait()
            try:
                created.append(client.create_store(name="race", kind="redis").id)
            except ConflictError as error:
                conflicts.append(error)
            except DurableStoresError as error:
                other.append(error)

    def ensure() -> None:
        with Client(served.url, max_retries=0) as client:
            start.wait()
            try:
                ensured.append(client.ensure_store(name="ensured", kind="sqlite").id)
            except DurableStoresError as error:
                other.append(error)

    for target in (create, ensure):
        threads = [threading.Thread(target=target) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not other, other
    assert len(created) == 1
    assert len(conflicts) == THREADS - 1
    assert all(error.status_code == 409 for error in conflicts)
    assert len(ensured) == THREADS
    assert len(set(ensured)) == 1
    with Client(served.url) as client:
        names = Counter(store.name for store in client.list_stores())
    assert names["race"] == 1
    assert names["ensured"] == 1


def test_concurrent_writers_under_random_faults_keep_writes_exactly_once(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    """100 asyncio tasks and 4 threads write while a seeded injector keeps queueing 503s, 429s,
    short delays and dropped connections for any operation. Who gets which fault is up to the
    scheduler, so each call is judged by what it reports: a success is present exactly once, a
    write refused with 503/429 is absent, an ambiguous failure (dropped) is at most once."""
    rng = random.Random(SEED)
    stop = threading.Event()
    injected = Counter[str]()

    def injector() -> None:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.35:
                served.fake.inject("*", status=503, times=rng.choice([1, 2]))
                injected["503"] += 1
            elif roll < 0.6:
                served.fake.inject("*", status=429, retry_after=rng.choice([0, 1]))
                injected["429"] += 1
            elif roll < 0.8:
                served.fake.inject("*", disconnect=True)
                injected["disconnect"] += 1
            else:
                served.fake.inject("*", delay=0.005)
                injected["delay"] += 1
            stop.wait(0.004)

    async def no_sleep(_seconds: float) -> None:
        await asyncio.sleep(0)

    policy = RetryPolicy(sleep=lambda _s: None, async_sleep=no_sleep)
    outcomes: dict[str, str] = {}
    lock = threading.Lock()
    sql = "INSERT INTO rows (writer, token) VALUES (?, ?)"

    def record(token: str, outcome: str) -> None:
        with lock:
            outcomes[token] = outcome

    def judge(error: DurableStoresError) -> str:
        if isinstance(error, APIError) and error.status_code in {429, 503}:
            return "refused"
        assert isinstance(error, APIConnectionError), repr(error)
        return "ambiguous"

    def thread_writer(number: int) -> None:
        with Client(served.url, max_retries=2, retry_policy=policy) as client:
            for row in range(40):
                token = f"ft{number}-{row}"
                try:
                    client.execute_store(served.store_id, sql=sql, params=["thread", token])
                    record(token, "ok")
                except DurableStoresError as error:
                    record(token, judge(error))

    async def task_writers() -> None:
        async with AsyncClient(served.url, max_retries=2, retry_policy=policy) as client:

            async def task(number: int) -> None:
                for row in range(3):
                    token = f"fa{number}-{row}"
                    try:
                        await client.execute_store(served.store_id, sql=sql, params=["task", token])
                        record(token, "ok")
                    except DurableStoresError as error:
                        record(token, judge(error))

            await asyncio.gather(*(task(n) for n in range(100)))

    injecting = threading.Thread(target=injector)
    threads = [threading.Thread(target=thread_writer, args=(n,)) for n in range(4)]
    injecting.start()
    for thread in threads:
        thread.start()
    try:
        asyncio.run(task_writers())
    finally:
        for thread in threads:
            thread.join(timeout=60)
        stop.set()
        injecting.join(timeout=10)
    with Client(served.url, max_retries=0) as client:
        rows = _drain_and_read(client, served)
    present = Counter(row["token"] for row in rows if row["token"].startswith("f"))
    duplicated = sum(n - 1 for n in present.values() if n > 1)
    lost = [t for t, outcome in outcomes.items() if outcome == "ok" and t not in present]
    refused_applied = [t for t, o in outcomes.items() if o == "refused" and t in present]
    phantom = [t for t in present if t not in outcomes or outcomes[t] == "refused"]
    counts = Counter(outcomes.values())
    for name, value in {
        "writes": len(outcomes),
        "faults_queued": sum(injected.values()),
        "ok": counts["ok"],
        "refused": counts["refused"],
        "ambiguous": counts["ambiguous"],
        "writes_lost": len(lost),
        "writes_duplicated": duplicated,
    }.items():
        reliability_figures.add("faults_concurrent", name, value)
    assert len(outcomes) == 4 * 40 + 100 * 3
    assert counts["ok"] > 0
    assert counts["refused"] + counts["ambiguous"] > 0, "no fault ever hit a write"
    assert duplicated == 0
    assert not lost, lost[:5]
    assert not refused_applied, refused_applied[:5]
    assert not phantom, phantom[:5]


def _drain_and_read(client: Client, served: Served) -> list[dict[str, Any]]:
    """Read every row once the injector's leftover faults are used up."""
    for _ in range(5000):
        try:
            return client.query_store(served.store_id, sql="SELECT token FROM rows").rows
        except DurableStoresError:
            continue
    raise AssertionError("faults never drained")
