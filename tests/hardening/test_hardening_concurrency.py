"""Concurrency through the fake's network front end: 8 threads and 200 asyncio tasks writing to
one SQLite store at the same time lose no row, duplicate none, and never see
``database is locked`` (or any 5xx). Retries are off (``max_retries=0``), so a write that needed
a second attempt would show up as a failure instead of being papered over.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hardening_report import ReliabilityFigures

from durable_stores_client import AsyncClient, Client, ConflictError, DurableStoresError
from durable_stores_client.fake import FakeServer

SECTION = "concurrency"
THREADS = 8
ROWS_PER_THREAD = 60
TASKS = 200
ROWS_PER_TASK = 3


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
