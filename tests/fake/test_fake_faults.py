"""Fault injection through the real clients, in-process and over HTTP (retries in fake.requests)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from assertions import exactly
from fake_helpers import err, ok, open_front_end
from waiting import wait_for

from durable_stores_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
)
from durable_stores_client.fake import FakeServer

WAITS: list[float] = []


async def _no_async_sleep(seconds: float) -> None:
    WAITS.append(seconds)


INSTANT = RetryPolicy(sleep=WAITS.append, async_sleep=_no_async_sleep, random=lambda: 1.0)


@contextlib.contextmanager
def sdk_client(front_end: str, fake: FakeServer, **options: Any) -> Iterator[Client]:
    """A real Client on the fake, in-process or over HTTP."""
    options.setdefault("retry_policy", INSTANT)
    if front_end == "http":
        with fake.serve() as url, Client(base_url=url, **options) as client:
            yield client
    else:
        with fake.client(**options) as client:
            yield client


SDK_FRONT_ENDS = ("transport", "http")


def settled(fake: FakeServer, count: int) -> list[Any]:
    """The recorded requests once ``count`` are in.

    Over HTTP the server notices a client hanging up during a delay on its
    own thread, so that request may be recorded after later ones.
    """
    wait_for(lambda: len(fake.requests) >= count, what=f"{count} requests to be recorded")
    return fake.requests


@pytest.fixture(params=SDK_FRONT_ENDS)
def sdk_front_end(request: pytest.FixtureRequest) -> str:
    WAITS.clear()
    return str(request.param)


def test_read_retries_through_503_with_retry_after(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake) as client:
        store = client.create_store(name="s", kind="sqlite")
        fake.inject("query", status=503, times=2, retry_after=3)
        assert client.query_store(store.id, sql="SELECT 1 AS one").scalar() == 1
    queries = [r for r in fake.requests if r.operation == "query"]
    assert [r.status for r in queries] == [503, 503, 200]
    assert [r.fault for r in queries] == [True, True, False]
    # one call: the same idempotency key on every attempt
    assert len({r.idempotency_key for r in queries}) == 1
    assert WAITS == [3.0, 3.0]


def test_faults_exhaust_retries_and_raise(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake, max_retries=2) as client:
        fake.inject("list", status=500, times=5, message="boom")
        with pytest.raises(InternalServerError) as info:
            client.list_stores()
        assert info.value.status_code == 500
        assert info.value.message == "boom"
        assert [r.status for r in fake.requests] == [500, 500, 500]
        # two 500s are left; faults are consumed first in, first out
        fake.inject("list", status=429, retry_after=1)
        with pytest.raises(RateLimitError):
            client.list_stores()
        assert [r.status for r in fake.requests[3:]] == [500, 500, 429]
        assert client.list_stores() == []


def test_writes_retry_on_429_and_503_only(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake) as client:
        fake.inject("create", status=429, retry_after=0)
        store = client.create_store(name="s", kind="sqlite")
        assert [r.status for r in fake.requests] == [429, 201]
        fake.inject("execute", status=500)
        with pytest.raises(InternalServerError):
            client.execute_store(store.id, sql="CREATE TABLE t (x)")
        execs = [r for r in fake.requests if r.operation == "execute"]
        assert [r.status for r in execs] == [500]  # a write is never retried on 500
    # faults never touch state
    assert len(fake.stores) == 1


def test_rate_limit_error_carries_the_status(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake, max_retries=0) as client:
        fake.inject("*", status=429, retry_after=2, message="slow down")
        with pytest.raises(RateLimitError) as info:
            client.get_store("x")
        assert info.value.message == "slow down"


def test_disconnect_on_read_is_retried_on_write_is_not(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake) as client:
        fake.inject("list", disconnect=True)
        assert client.list_stores() == []
        assert [(r.operation, r.status) for r in fake.requests] == [("list", None), ("list", 200)]
        fake.inject("create", disconnect=True)
        with pytest.raises(APIConnectionError):
            client.create_store(name="s", kind="sqlite")
    creates = [r for r in fake.requests if r.operation == "create"]
    assert [r.status for r in creates] == [None]
    assert fake.stores == []


def test_delay_beyond_the_read_timeout_times_out_without_applying(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake, timeout=0.2, max_retries=0) as client:
        store = client.create_store(name="s", kind="sqlite")
        fake.inject("execute", delay=30)
        with pytest.raises(APITimeoutError):
            client.execute_store(store.id, sql="CREATE TABLE t (x)")
        # the call was not applied, and the fake keeps serving
        assert client.execute_store(store.id, sql="CREATE TABLE t (x)").rows_affected == 0
    execs = [r for r in settled(fake, 3) if r.operation == "execute"]
    assert sorted(execs, key=lambda r: r.status or 0)[0].status is None
    assert {r.status for r in execs} == {None, 200}


def test_short_delay_then_normal_answer(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake) as client:
        fake.inject("create", delay=0.01)
        assert client.create_store(name="s", kind="redis").name == "s"
    assert [r.status for r in fake.requests] == [201]


def test_read_timeout_is_retried_for_reads(sdk_front_end: str) -> None:
    fake = FakeServer()
    with sdk_client(sdk_front_end, fake, timeout=0.1, max_retries=1) as client:
        fake.inject("list", delay=30)
        assert client.list_stores() == []
    assert sorted(r.status or 0 for r in settled(fake, 2)) == [0, 200]


async def test_async_client_sees_the_same_faults() -> None:
    fake = FakeServer()
    WAITS.clear()
    async with fake.async_client(retry_policy=INSTANT, timeout=0.1) as client:
        store = await client.create_store(name="s", kind="sqlite")
        fake.inject("get", status=503, retry_after=0.5)
        assert (await client.get_store(store.id)).id == store.id
        fake.inject("get", disconnect=True)
        assert (await client.get_store(store.id)).id == store.id
        fake.inject("execute", delay=5)
        with pytest.raises(APITimeoutError):
            await client.execute_store(store.id, sql="CREATE TABLE t (x)")
    statuses = [(r.operation, r.status) for r in fake.requests]
    assert statuses == [
        ("create", 201),
        ("get", 503),
        ("get", 200),
        ("get", None),
        ("get", 200),
        ("execute", None),
    ]
    assert WAITS[0] == 0.5


async def test_async_client_over_http_sees_faults() -> None:
    fake = FakeServer()
    with fake.serve() as url:
        async with AsyncClient(base_url=url, retry_policy=INSTANT) as client:
            fake.inject("list", status=502)
            assert await client.list_stores() == []
    assert [r.status for r in fake.requests] == [502, 200]


def test_faults_through_patch_and_raw_httpx(front_end: str) -> None:
    fake = FakeServer()
    with open_front_end(front_end, fake, timeout=0.2) as http:
        fake.inject("*", status=418, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
        response = http.get("/stores")
        err(response, 418, "I'm a Teapot (injected by the fake server)")
        assert response.headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"
        fake.inject("create", disconnect=True)
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/stores", json={"name": "x", "kind": "sqlite"})
        fake.inject("list", delay=30)
        with pytest.raises(httpx.ReadTimeout):
            http.get("/stores")
        # health is never faulted, faults are used up, state is untouched
        fake.inject("*", status=500)
        assert ok(http.get("/health")) == "ok"
        err(http.get("/stores"), 500)
        assert ok(http.get("/stores")) == []


def test_faults_match_in_order_and_only_their_operation(fake: FakeServer) -> None:
    fake.inject("query", status=400, message="first")
    fake.inject("*", status=503, times=2)
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        err(http.get("/stores"), 503)
        err(http.post("/stores/x/query", json={"sql": "SELECT 1"}), 400, "first")
        err(http.get("/stores/x"), 503, "Service Unavailable (injected by the fake server)")
        err(http.get("/stores/x"), 404, "Store not found")


_STATUS_ONLY = "retry_after= and message= only apply to a status fault"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"operation": "drop"},
            "unknown operation 'drop': use one of list, create, get, delete, query, execute, "
            "command or '*'",
        ),
        ({"operation": "list"}, "inject needs at least one of status=, delay= or disconnect=True"),
        (
            {"operation": "list", "status": 200},
            "status must be an HTTP error status (400-599), got 200",
        ),
        (
            {"operation": "list", "status": 600},
            "status must be an HTTP error status (400-599), got 600",
        ),
        (
            {"operation": "list", "status": True},
            "status must be an HTTP error status (400-599), got True",
        ),
        (
            {"operation": "list", "status": 500, "times": 0},
            "times must be a positive integer, got 0",
        ),
        (
            {"operation": "list", "status": 500, "times": 1.5},
            "times must be a positive integer, got 1.5",
        ),
        (
            {"operation": "list", "delay": -1},
            "delay must be a finite number of seconds >= 0, got -1",
        ),
        (
            {"operation": "list", "delay": float("nan")},
            "delay must be a finite number of seconds >= 0, got nan",
        ),
        (
            {"operation": "list", "status": 500, "disconnect": True},
            "a fault either answers a status or disconnects, not both",
        ),
        ({"operation": "list", "disconnect": True, "retry_after": 1}, _STATUS_ONLY),
        ({"operation": "list", "delay": 1, "message": "x"}, _STATUS_ONLY),
        (
            {"operation": "list", "status": 503, "retry_after": -1},
            "retry_after must be a finite number >= 0, got -1",
        ),
        (
            {"operation": "list", "status": 503, "retry_after": [1]},
            "retry_after must be seconds (a number) or an HTTP date string, got [1]",
        ),
    ],
)
def test_inject_refuses_inconsistent_arguments(
    fake: FakeServer, kwargs: dict[str, Any], message: str
) -> None:
    operation = kwargs.pop("operation")
    with pytest.raises(ValueError, match=exactly(message)):
        fake.inject(operation, **kwargs)


def test_reset_clears_faults_stores_and_requests(fake: FakeServer) -> None:
    with fake.client() as client:
        client.create_store(name="s", kind="sqlite")
    fake.inject("list", status=500)
    fake.reset()
    assert fake.stores == []
    assert fake.requests == []
    with fake.client() as client:
        assert client.list_stores() == []


async def test_async_httpx_under_patch_and_transport_honour_delays() -> None:
    fake = FakeServer()
    url = "http://patched-async.test"
    with fake.patch(url):
        async with httpx.AsyncClient(base_url=url, timeout=0.2) as http:
            fake.inject("list", delay=0.01)
            assert (await http.get("/stores")).json() == {"success": True, "data": []}
            fake.inject("list", delay=30)
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/stores")
            fake.inject("list", disconnect=True)
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/stores")
    async with httpx.AsyncClient(
        base_url="http://t", transport=fake.async_transport(), timeout=0.2
    ) as http:
        fake.inject("list", delay=0.01)
        assert (await http.get("/stores")).status_code == 200
    assert [r.status for r in fake.requests] == [200, None, None, 200]


async def test_a_sync_client_under_patch_inside_a_running_loop_honours_delays() -> None:
    """patch() routes by the call (sync or async), not by whether an event loop runs."""
    fake = FakeServer()
    url = "http://patched-sync-in-loop.test"
    with fake.patch(url), Client(base_url=url, timeout=0.2, max_retries=0) as client:
        fake.inject("list", delay=0.01)
        assert client.list_stores() == []
        fake.inject("create", delay=0.01)
        assert client.create_store(name="s", kind="sqlite").name == "s"
        fake.inject("list", delay=30)
        with pytest.raises(APITimeoutError):
            client.list_stores()
    assert [r.status for r in fake.requests] == [200, 201, None]
