"""Where a client may be used: across ``os.fork()``, across event loops, and after close.

A keep-alive connection belongs to one process and (async) one event loop: a client that
made its own pool makes a new one in a forked child and in each event loop; a pool given
with ``http_client=`` cannot be replaced, so the call raises ``ClientContextError`` before
sending. A closed client (and its ``with_options`` children) raises ``ClientClosedError``,
also for a call in flight when it was closed. A real socket server tells the connections
apart: it answers every request with a store named after the client's port.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import anyio
import attrs
import httpx
import pytest
import respx
import trio
from client_support import BASE_URL, STORE_ID, Either, fail, ok, record
from concurrency import in_threads
from hostile_server import HostileServer
from loopback_server import read_head

from durable_stores_client import (
    AsyncClient,
    Client,
    ClientClosedError,
    ClientContextError,
    DurableStoresError,
    RetryPolicy,
)

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


class PortServer:
    """Answers every request with a store named ``port <the client's port>``, keeping the
    connection alive (GET requests only); counts the requests it got."""

    def __init__(self, hostile: Callable[..., HostileServer]) -> None:
        self.requests = 0
        self.url = hostile(self.answer).url

    def answer(self, connection: socket.socket, head: bytes, read_body: Any) -> None:
        port = connection.getpeername()[1]
        body = json.dumps(ok(record(name=f"port {port}"))).encode()
        answer = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body) + body
        )
        while True:
            self.requests += 1
            connection.sendall(answer)
            if read_head(connection) is None:
                return


def run_in_child(work: Callable[[], Any]) -> Any:
    """Fork; run ``work`` in the child; return what it returned (or the name of what it
    raised) through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running the parent's clean-up
        try:
            try:
                result: Any = work()
            except Exception as error:
                result = {"raised": type(error).__name__, "text": str(error)}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@needs_fork
def test_a_forked_child_never_uses_the_parents_connection(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    with Client(server.url) as client:
        parent = client.get_store(STORE_ID).name
        child = run_in_child(lambda: [client.get_store(STORE_ID).name for _ in range(3)])
        assert client.get_store(STORE_ID).name == parent, "the parent keeps its connection"
    assert len(set(child)) == 1, "the child reuses its own new connection"
    assert child[0] != parent


@needs_fork
def test_a_forked_child_with_a_given_pool_gets_a_typed_error_before_sending(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    with httpx.Client() as http, Client(server.url, http_client=http) as client:
        client.get_store(STORE_ID)
        child = run_in_child(lambda: client.get_store(STORE_ID).name)
        client.get_store(STORE_ID)
    assert child["raised"] == "ClientContextError"
    assert "get_store was not sent" in child["text"]
    assert "leave out http_client=" in child["text"]
    assert server.requests == 2, "the child sent nothing"


def test_an_async_client_works_in_one_event_loop_after_another(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    client = AsyncClient(server.url)
    names = [asyncio.run(client.get_store(STORE_ID)).name for _ in range(3)]
    asyncio.run(client.aclose())
    assert len(set(names)) == 3, "a new pool (and connection) in each loop"
    with pytest.raises(ClientClosedError):
        asyncio.run(client.get_store(STORE_ID))


def test_an_async_client_in_two_live_loops_answers_in_each(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    client = AsyncClient(server.url)

    async def calls() -> list[str]:
        return [(await client.get_store(STORE_ID)).name for _ in range(5)]

    results = in_threads(lambda _: asyncio.run(calls()), 2)
    for result in results:
        assert isinstance(result, list), result
        assert all(name.startswith("port ") for name in result)


def test_an_async_client_with_a_given_pool_refuses_another_loop_before_sending(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    http = httpx.AsyncClient()
    client = AsyncClient(server.url, http_client=http)
    asyncio.run(client.get_store(STORE_ID))
    with pytest.raises(ClientContextError, match="another event loop") as info:
        asyncio.run(client.execute_store(STORE_ID, "INSERT INTO t VALUES (1)"))
    assert "execute_store was not sent" in str(info.value)
    assert server.requests == 1, "nothing was sent"


@attrs.frozen
class Family:
    """A client on a PortServer and a child made from it with ``with_options``."""

    server: PortServer
    parent: Either
    child: Either


@pytest.fixture
def family(make_api: Callable[..., Either], hostile: Callable[..., HostileServer]) -> Family:
    server = PortServer(hostile)
    api = make_api(base_url=server.url)
    return Family(server, api, Either(api.client.with_options(max_retries=0)))


async def test_every_call_after_close_raises_client_closed(family: Family) -> None:
    server, api, child = family.server, family.parent, family.child
    await api.get_store(STORE_ID)
    await api.close()
    await api.close()  # idempotent
    for client in (api, child):
        with pytest.raises(ClientClosedError, match="get_store failed: the client was closed"):
            await client.get_store(STORE_ID)
    assert server.requests == 1


async def test_closing_a_derived_client_leaves_the_parent_working(family: Family) -> None:
    api, child = family.parent, family.child
    await child.close()
    assert (await api.get_store(STORE_ID)).name.startswith("port ")
    assert (await child.get_store(STORE_ID)).name.startswith("port ")


async def test_a_call_in_flight_when_the_client_closes_raises_client_closed(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    got = threading.Event()
    release = threading.Event()

    def hang_up_when_released(connection: socket.socket, head: bytes, read_body: Any) -> None:
        got.set()
        release.wait(10)  # then close the connection without an answer

    server = hostile(hang_up_when_released)
    api = make_api(base_url=server.url, max_retries=2)
    outcome: list[BaseException] = []

    async def call() -> None:
        try:
            if api.is_async:
                await api.get_store(STORE_ID)
            else:
                await anyio.to_thread.run_sync(api.client.get_store, STORE_ID)
        except Exception as error:
            outcome.append(error)

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        await anyio.to_thread.run_sync(got.wait, 10)
        await api.close()
        release.set()
    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, DurableStoresError), repr(error)
    assert isinstance(error, ClientClosedError), repr(error)
    assert len(server.heads) == 1, "no retry on a closed client"


def test_an_async_client_moves_from_asyncio_to_trio(
    hostile: Callable[..., HostileServer],
) -> None:
    server = PortServer(hostile)
    client = AsyncClient(server.url)
    first = asyncio.run(client.get_store(STORE_ID)).name
    second = trio.run(client.get_store, STORE_ID).name
    trio.run(client.aclose)
    assert first != second, "a new pool in the trio run"


async def test_the_default_retry_sleep_works_under_every_backend(
    router: respx.MockRouter, anyio_backend: str
) -> None:
    # The default async sleep was asyncio.sleep: under trio a retry raised at once.
    route = router.get("/stores").mock(
        side_effect=[httpx.Response(503, json=fail("busy")), httpx.Response(200, json=ok([]))]
    )
    policy = RetryPolicy(initial=0.001, maximum=0.001)
    async with AsyncClient(BASE_URL, retry_policy=policy) as client:
        assert await client.list_stores() == []
    assert route.call_count == 2
