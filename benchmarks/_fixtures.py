"""Shared set-up: the small table every scenario queries, and the raw-httpx baseline.

Set-up goes through plain httpx on purpose, so a scenario's fixtures never depend on the
code being measured.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

COLUMNS = ("id", "name", "email", "score", "active")
"""The five columns of the benchmark table."""

CREATE_TABLE = (
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
    " score REAL NOT NULL, active INTEGER NOT NULL)"
)
INSERT_ROW = "INSERT INTO items (id, name, email, score, active) VALUES (?, ?, ?, ?, ?)"
SMALL_SQL = "SELECT id, name, email, score, active FROM items WHERE id = ?"
SMALL_PARAMS: list[Any] = [1]
SMALL_QUERY: dict[str, Any] = {"sql": SMALL_SQL, "params": SMALL_PARAMS}
STORE_ID = "019abc12-1234-7def-89ab-0123456789ab"
"""A store id for servers that answer any path (the minimal server, mock transports)."""


def row_values(i: int) -> list[Any]:
    """The values of row ``i`` in column order."""
    return [i, f"user-{i}", f"user{i}@example.com", i * 0.5, i % 2]


def unwrap(response: httpx.Response) -> Any:
    """The baseline's decoding: ``json.loads`` of the body, then the envelope's ``data``.

    This is what a hand-written caller of raw httpx does at a minimum, and what the
    SDK's decoding is measured against.
    """
    return unwrap_body(response.status_code, response.content)


def unwrap_body(status: int, content: bytes) -> Any:
    """:func:`unwrap` for any HTTP library: ``json.loads`` of the body, then ``data``."""
    body = json.loads(content)
    if status >= 400 or body.get("success") is not True:
        raise RuntimeError(f"{status}: {body.get('error')!r}")
    return body["data"]


def create_store(http: httpx.Client, name: str = "bench", rows: int = 1) -> str:
    """Create a SQLite store holding the ``items`` table with ``rows`` rows; return its id."""
    store = unwrap(http.post("/stores", json={"name": name, "kind": "sqlite"}))
    store_id = str(store["id"])
    unwrap(http.post(f"/stores/{store_id}/execute", json={"sql": CREATE_TABLE}))
    for i in range(1, rows + 1):
        unwrap(
            http.post(
                f"/stores/{store_id}/execute", json={"sql": INSERT_ROW, "params": row_values(i)}
            )
        )
    return store_id


def raw_query(http: httpx.Client, store_id: str) -> Any:
    """One small query the way raw httpx does it: post, ``json.loads``, unwrap."""
    return unwrap(http.post(f"/stores/{store_id}/query", json=SMALL_QUERY))


async def raw_query_async(http: httpx.AsyncClient, store_id: str) -> Any:
    """The async twin of :func:`raw_query`."""
    return unwrap(await http.post(f"/stores/{store_id}/query", json=SMALL_QUERY))


@contextlib.contextmanager
def http_fake(mode: Literal["process", "thread"]) -> Iterator[str]:
    """A fresh fake server over real HTTP on 127.0.0.1; yields its base URL.

    ``"process"`` (the default) runs ``FakeServer().serve()`` in a child interpreter so the
    server does not compete with the client for this interpreter's GIL; ``"thread"`` runs it
    in a background thread here, as tests usually do.
    """
    if mode == "thread":
        from durable_stores_client.fake import FakeServer

        with FakeServer().serve(host="127.0.0.1", port=0) as url:
            yield str(url)
        return
    with child_server("benchmarks._serve") as url:
        yield url


@contextlib.contextmanager
def fast_server() -> Iterator[str]:
    """The benchmarks' own minimal HTTP server (``benchmarks._fastserve``) in a child process.

    It answers every request with the small query's envelope at a few µs of CPU, so what
    the limit scenarios measure is the client; yields its base URL.
    """
    with child_server("benchmarks._fastserve") as url:
        yield url


@contextlib.contextmanager
def child_server(module: str) -> Iterator[str]:
    """Run ``python -m module`` (prints its URL, serves until stdin closes); yield the URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the {module} child did not start (printed {url!r})")
        yield url
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
