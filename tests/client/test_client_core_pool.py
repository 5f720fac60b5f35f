"""The pools a client makes keep their connections at concurrency, and never close a held one.

httpcore 1.0.9's pool counts all its connections as idle ones, so beyond
``max_keepalive_connections`` (httpx's default, 20) connections in the pool every connection
that goes idle is closed: at 30 calls in flight nearly every call opened a connection. It
may also close a connection it has handed to a queued request. ``_core_pool`` gives the pools
a client makes a linear pass without either; these tests show the connections a server sees
through the public API, and the pass's decisions on stand-in connections.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpcore
import httpx
import pytest
from client_support import STORE_ID
from concurrency import in_threads
from httpcore._sync.connection_pool import PoolRequest  # httpcore's own, as the pool makes them
from recording_server import RecordingServer
from waiting import wait_for

from durable_stores_client import AsyncClient, Client
from durable_stores_client._core_pool import (
    _POOL_ATTRIBUTES,
    AsyncLinearConnectionPool,
    LinearConnectionPool,
    assign,
    install,
)

IN_FLIGHT = 30  # above httpx's 20 kept-alive connections, under its 100 connections
CALLS_EACH = 4


@pytest.fixture
def slow_server() -> Any:
    """A keep-alive server that holds each answer back, so calls overlap."""
    recording = RecordingServer(delay=0.02)
    yield recording
    recording.close()


def test_threads_sharing_a_client_keep_their_connections(slow_server: RecordingServer) -> None:
    with Client(slow_server.url, api_key="k") as client:

        def work(_: int) -> list[int]:
            return [client.query_store(STORE_ID, "SELECT 1").scalar() for _ in range(CALLS_EACH)]

        outcomes = in_threads(work, IN_FLIGHT)
    assert outcomes == [[1] * CALLS_EACH] * IN_FLIGHT
    assert len(slow_server.requests) == IN_FLIGHT * CALLS_EACH
    # One connection per call in flight at most; httpcore's own pass opened about one per call.
    assert slow_server.accepted <= IN_FLIGHT


async def test_tasks_sharing_a_client_keep_their_connections(slow_server: RecordingServer) -> None:
    answers: list[int] = []
    async with AsyncClient(slow_server.url, api_key="k") as client:

        async def work() -> None:
            for _ in range(CALLS_EACH):
                answers.append((await client.query_store(STORE_ID, "SELECT 1")).scalar())

        async with anyio.create_task_group() as group:
            for _ in range(IN_FLIGHT):
                group.start_soon(work)
    assert answers == [1] * (IN_FLIGHT * CALLS_EACH)
    assert slow_server.accepted <= IN_FLIGHT


async def test_idle_connections_beyond_the_keepalive_limit_are_closed(
    slow_server: RecordingServer,
) -> None:
    async with AsyncClient(slow_server.url, api_key="k") as client:
        async with anyio.create_task_group() as group:
            for _ in range(IN_FLIGHT):
                group.start_soon(client.query_store, STORE_ID, "SELECT 1")
        opened = slow_server.accepted
        assert opened == IN_FLIGHT  # all at once: one connection each
        # Once all are idle, httpx's default keeps 20 alive and closes the rest.
        wait_for(
            lambda: slow_server.ended == opened - 20,
            what=f"{opened - 20} idle connections closed (ended: {slow_server.ended})",
        )
        # The 20 kept are used again: no new connection for the next calls.
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(client.query_store, STORE_ID, "SELECT 1")
        assert slow_server.accepted == opened


def test_the_pool_a_client_makes_has_the_linear_pass() -> None:
    with Client("http://127.0.0.1:9", api_key="k") as client:
        assert type(client._pool._http._transport._pool) is LinearConnectionPool  # type: ignore[attr-defined]


async def test_the_pool_an_async_client_makes_has_the_linear_pass() -> None:
    async with AsyncClient("http://127.0.0.1:9", api_key="k") as client:
        assert type(client._pool._http._transport._pool) is AsyncLinearConnectionPool  # type: ignore[attr-defined]


def test_a_pool_you_bring_is_left_as_it_is() -> None:
    with httpx.Client() as http, Client("http://127.0.0.1:9", api_key="k", http_client=http):
        assert type(http._transport._pool) is httpcore.ConnectionPool  # type: ignore[attr-defined]


def test_httpcore_still_has_what_the_pass_replaces() -> None:
    """Fails when a new httpcore renames what the linear pass overrides or reads."""
    for stock in (httpcore.ConnectionPool, httpcore.AsyncConnectionPool):
        assert "_assign_requests_to_connections" in vars(stock)
        pool = stock()
        assert all(hasattr(pool, name) for name in _POOL_ATTRIBUTES)


# The pass's decisions, on stand-in connections (httpcore's own request objects).


@dataclass(eq=False)
class Connection:
    """A stand-in HTTP/1.1 connection: its state and origin."""

    state: str = "idle"  # "new", "idle", "active", "closed", "expired"
    host: bytes = b"a.example"

    def is_closed(self) -> bool:
        return self.state == "closed"

    def has_expired(self) -> bool:
        return self.state == "expired"

    def is_idle(self) -> bool:
        return self.state in ("idle", "expired")  # expiry is an idle connection's

    def is_available(self) -> bool:
        return self.state in ("idle", "expired")

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin.host == self.host


@dataclass
class Pool:
    """The attributes of httpcore's pool that the pass reads."""

    _connections: list[Connection] = field(default_factory=list)
    _requests: list[Any] = field(default_factory=list)
    _max_connections: int = 3
    _max_keepalive_connections: int = 2
    created: list[Connection] = field(default_factory=list)

    def create_connection(self, origin: httpcore.Origin) -> Connection:
        made = Connection("new", origin.host)
        self.created.append(made)
        return made


def request(pool: Pool, host: str = "a.example", holding: Connection | None = None) -> Any:
    made = PoolRequest(httpcore.Request("GET", f"http://{host}/"))
    if holding is not None:
        made.assign_to_connection(holding)
    pool._requests.append(made)
    return made


def test_a_queued_request_takes_the_oldest_idle_connection_for_its_origin() -> None:
    other, first, second = Connection(host=b"b.example"), Connection(), Connection()
    pool = Pool([other, first, second], _max_keepalive_connections=5)
    one, two = request(pool), request(pool)
    assert assign(pool) == []
    assert (one.connection, two.connection) == (first, second)  # never both on one
    assert pool.created == []


def test_a_held_idle_connection_is_neither_closed_nor_given_to_another() -> None:
    held = Connection()  # assigned, its request not yet started on it: still idle
    pool = Pool([held], _max_keepalive_connections=0, _max_connections=1)
    request(pool, holding=held)
    waiting = request(pool)
    assert assign(pool) == []  # httpcore 1.0.9 closes it as surplus (encode/httpcore#1110)
    assert pool._connections == [held]
    assert waiting.connection is None  # waits: the pool is full


def test_surplus_idle_connections_are_closed_oldest_first() -> None:
    idle = [Connection() for _ in range(4)]
    busy = [Connection("active") for _ in range(3)]
    pool = Pool([*idle, *busy], _max_keepalive_connections=2, _max_connections=10)
    for connection in busy:
        request(pool, holding=connection)
    assert assign(pool) == idle[:2]
    assert pool._connections == [*idle[2:], *busy]


def test_many_busy_connections_do_not_close_idle_ones_within_the_limit() -> None:
    """httpcore 1.0.9 closes these: it counts the busy connections as idle ones."""
    idle = [Connection() for _ in range(2)]
    busy = [Connection("active") for _ in range(5)]
    pool = Pool([*busy, *idle], _max_keepalive_connections=2, _max_connections=10)
    for connection in busy:
        request(pool, holding=connection)
    assert assign(pool) == []
    assert pool._connections == [*busy, *idle]


def test_closed_and_expired_connections_leave_the_pool_when_a_request_waits() -> None:
    closed, expired, kept = Connection("closed"), Connection("expired"), Connection()
    pool = Pool([closed, expired, kept])
    waiting = request(pool)
    assert assign(pool) == [expired]  # a closed one needs no closing
    assert pool._connections == [kept]
    assert waiting.connection is kept


def test_expiry_is_not_polled_when_no_request_waits() -> None:
    """Right after an answer ends nothing waits: the next request's pass checks expiry."""
    closed, expired = Connection("closed"), Connection("expired")
    pool = Pool([closed, expired])
    assert assign(pool) == []
    assert pool._connections == [expired]
    request(pool)
    assert assign(pool) == [expired]


def test_a_full_pool_makes_room_by_closing_an_idle_connection_to_another_origin() -> None:
    elsewhere = Connection(host=b"b.example")
    busy = [Connection("active"), Connection("active")]
    pool = Pool([elsewhere, *busy], _max_connections=3)
    for connection in busy:
        request(pool, holding=connection)
    queued = request(pool)
    assert assign(pool) == [elsewhere]
    assert queued.connection is pool.created[0]
    assert pool._connections == [*busy, pool.created[0]]


def test_new_connections_up_to_the_limit_then_requests_wait() -> None:
    pool = Pool(_max_connections=2)
    first, second, third = request(pool), request(pool), request(pool)
    assert assign(pool) == []
    assert (first.connection, second.connection) == tuple(pool.created)
    assert third.connection is None
    assert pool._connections == pool.created


@pytest.mark.parametrize(
    "make", [lambda: httpx.Client(http2=False), lambda: httpx.AsyncClient(http2=False)]
)
def test_install_leaves_a_pool_in_use_alone(make: Callable[[], Any]) -> None:
    http = make()
    pool = http._transport._pool
    pool._connections.append(Connection())
    install(http)
    assert type(pool) in (httpcore.ConnectionPool, httpcore.AsyncConnectionPool)
    pool._connections.clear()
    install(http)
    assert type(pool) in (LinearConnectionPool, AsyncLinearConnectionPool)
    if isinstance(http, httpx.Client):
        http.close()  # an AsyncClient that never connected holds nothing


# Many calls through a small pool, some cancelled while queued, connecting or reading.


def _small_pool(make: Callable[..., Any]) -> Any:
    http = make(limits=httpx.Limits(max_connections=4, max_keepalive_connections=2))
    install(http)
    return http


@pytest.mark.parametrize("seed", range(6))
async def test_a_small_pool_under_cancellations_serves_every_call_and_keeps_its_limits(
    slow_server: RecordingServer, seed: int
) -> None:
    chance = random.Random(seed)
    slow_server.delay = 0.005
    served: list[int] = []
    cancelled: list[int] = []
    async with _small_pool(httpx.AsyncClient) as http:
        pool = http._transport._pool
        assert type(pool) is AsyncLinearConnectionPool

        async def call(index: int) -> None:
            with anyio.move_on_after(chance.choice([0.001, 0.01, 0.03, 10])) as scope:
                answer = await http.post(
                    f"{slow_server.url}/stores/{STORE_ID}/query", content=b"{}"
                )
                served.append(answer.json()["data"]["row_count"])
                assert len(pool._connections) <= 4
            if scope.cancelled_caught:
                cancelled.append(index)

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for index in range(120):
                    group.start_soon(call, index)
        assert len(served) + len(cancelled) == 120
        assert served  # both kinds happened
        assert cancelled
        assert served == [1] * len(served)
        assert pool._requests == []  # nothing left waiting or holding a connection
        assert len(pool._connections) <= 2  # idle ones beyond the keep-alive limit closed
        # None left half-made by a cancelled call, holding a place for good (httpcore's own
        # pass keeps those: encode/httpcore#1093).
        assert all(connection.is_idle() for connection in pool._connections)
        # The pool still works after all that.
        assert (await http.get(slow_server.url)).status_code == 200


def test_a_small_sync_pool_shared_by_threads_keeps_its_limits(slow_server: RecordingServer) -> None:
    slow_server.delay = 0.002
    with _small_pool(httpx.Client) as http:
        pool = http._transport._pool
        assert type(pool) is LinearConnectionPool

        def work(_: int) -> list[int]:
            statuses = []
            for _ in range(10):
                statuses.append(http.get(slow_server.url).status_code)
                assert len(pool._connections) <= 4
            return statuses

        assert in_threads(work, 16) == [[200] * 10] * 16
        assert pool._requests == []
        assert len(pool._connections) <= 2


def test_a_connection_no_request_will_use_is_closed() -> None:
    """Made for a request cancelled before it connected: httpcore 1.0.9 keeps it for good."""
    orphan, busy = Connection("new"), Connection("active")
    pool = Pool([orphan, busy], _max_connections=2)
    request(pool, holding=busy)
    waiting = request(pool)
    assert assign(pool) == [orphan]
    assert waiting.connection is pool.created[0]  # its place went to the waiting request
    assert pool._connections == [busy, pool.created[0]]
