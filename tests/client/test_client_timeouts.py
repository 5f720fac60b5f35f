"""The time limit of one attempt: ``timeout`` bounds an attempt as a whole, not only each
network operation, so a server that trickles its answer byte by byte cannot hold a call.

A real socket server on 127.0.0.1 does the trickling (mocked transports cannot: they
answer at once). No test measures time: each checks an outcome that differs with and
without the limit (without it, the trickled answer arrives whole and the call succeeds).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from assertions import exactly
from client_support import STORE_ID, STORE_RECORD, Either, ok
from hostile_server import Answer, HostileServer

from durable_stores_client import APITimeoutError, AsyncClient, Client

pytestmark = pytest.mark.slow  # real waits: trickled answers and timeouts

#: Seconds between two trickled bytes.
INTERVAL = 0.01
#: Bodies are padded (JSON allows trailing spaces) to at least this many bytes.
BODY_BYTES = 100
#: The attempt limit the tests use: far shorter than a whole trickled head or
#: body (about a hundred bytes at INTERVAL), far longer than a loopback connect.
LIMIT = 0.3


def trickled(body: Any, trickle: str = "body") -> Answer:
    """An answer sent one byte at a time, INTERVAL apart, after reading the request.

    ``trickle`` is ``"body"`` (status line and headers at once, then the body byte
    by byte) or ``"head"`` (the status line and headers byte by byte, then the body
    at once).
    """
    payload = json.dumps(body).encode().ljust(BODY_BYTES)
    head_out = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(payload)
    )
    slow, fast = (payload, head_out) if trickle == "body" else (head_out, payload)

    def answer(connection: socket.socket, head: bytes, read_body: Callable[[], bytes]) -> None:
        read_body()
        if trickle == "body":
            connection.sendall(fast)
        for index in range(len(slow)):
            connection.sendall(slow[index : index + 1])
            time.sleep(INTERVAL)
        if trickle != "body":
            connection.sendall(fast)

    return answer


@pytest.fixture
def trickle(hostile: Callable[[Answer], HostileServer]) -> Callable[..., HostileServer]:
    """Make servers that trickle ``body`` (closed after the test)."""
    return lambda body, trickle="body": hostile(trickled(body, trickle))


@pytest.mark.parametrize("trickle_what", ["body", "head"])
async def test_a_trickled_answer_outlives_the_time_limit_of_an_attempt(
    make_api: Any, trickle: Any, trickle_what: str
) -> None:
    server = trickle(ok([]), trickle_what)
    api: Either = make_api(base_url=server.url, timeout=LIMIT, max_retries=0)
    with pytest.raises(APITimeoutError) as info:
        await api.list_stores()
    text = str(info.value)
    assert "list_stores failed: GET" in text
    assert f"no complete answer within {LIMIT:g} s, the time limit of one attempt" in text
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert server.requests == [("GET", "/stores")]


@pytest.mark.parametrize("trickle_what", ["body", "head"])
@pytest.mark.parametrize(
    "timeout",
    [httpx.Timeout(LIMIT, read=None), httpx.Timeout(None)],  # an unlimited phase: no overall limit
)
async def test_without_an_overall_limit_the_trickled_answer_arrives(
    make_api: Any, trickle: Any, trickle_what: str, timeout: httpx.Timeout
) -> None:
    # What the tests above rely on: the answer is complete and valid when waited for;
    # no single network operation waits longer than LIMIT for its next byte.
    server = trickle(ok([]), trickle_what)
    api: Either = make_api(base_url=server.url, timeout=timeout, max_retries=0)
    assert await api.list_stores() == []


async def test_a_read_over_the_time_limit_is_retried(
    make_api: Any, trickle: Any, waits: list[float]
) -> None:
    server = trickle(ok(STORE_RECORD))
    api: Either = make_api(base_url=server.url, timeout=LIMIT, max_retries=2)
    message = (
        f"get_store failed: GET {server.url}/stores/{STORE_ID} timed out after 3 attempts "
        f"(ReadTimeout: no complete answer within {LIMIT:g} s, the time limit of one attempt)"
    )
    with pytest.raises(APITimeoutError, match=exactly(message)):
        await api.get_store(STORE_ID)
    assert server.requests == [("GET", f"/stores/{STORE_ID}")] * 3
    assert waits == [0.5, 1.0]  # the backoff of the first two retries


async def test_a_write_over_the_time_limit_is_never_retried(
    make_api: Any, trickle: Any, waits: list[float]
) -> None:
    # The server got the write and may have applied it: like any read timeout.
    server = trickle(ok({"rows_affected": 1, "last_insert_rowid": 1}))
    api: Either = make_api(base_url=server.url, timeout=LIMIT, max_retries=2)
    with pytest.raises(APITimeoutError):
        await api.execute_store(STORE_ID, sql="INSERT INTO t VALUES (1)")
    assert server.requests == [("POST", f"/stores/{STORE_ID}/execute")]
    assert waits == []


#: Phase limits shorter than LIMIT, yet far longer than the INTERVAL between two bytes.
SHORTER = 2 * LIMIT / 3


@pytest.mark.parametrize(
    "timeout",
    [
        httpx.Timeout(LIMIT),
        httpx.Timeout(SHORTER, read=LIMIT),
        httpx.Timeout(SHORTER, connect=LIMIT),
        httpx.Timeout(connect=SHORTER, read=SHORTER, write=LIMIT, pool=SHORTER),
    ],
)
async def test_the_attempt_limit_is_the_largest_phase_limit(
    make_api: Any, trickle: Any, timeout: httpx.Timeout
) -> None:
    server = trickle(ok([]))
    api: Either = make_api(base_url=server.url, timeout=timeout, max_retries=0)
    with pytest.raises(APITimeoutError) as info:
        await api.list_stores()
    assert f"no complete answer within {LIMIT:g} s, the time limit of one attempt" in str(
        info.value
    )


def test_every_client_keeps_its_timeout(
    client_class: type[Client] | type[AsyncClient],
) -> None:
    client = client_class("http://127.0.0.1:1")
    assert client.timeout == httpx.Timeout(30.0, connect=5.0)
    assert client_class("http://127.0.0.1:1", timeout=2.5).timeout == httpx.Timeout(2.5)
    assert client_class("http://127.0.0.1:1", timeout=None).timeout == httpx.Timeout(None)
    assert client.with_options(timeout=7).timeout == httpx.Timeout(7)
    assert client.with_options(max_retries=0).timeout == client.timeout


async def test_with_options_sets_the_time_limit_of_an_attempt(make_api: Any, trickle: Any) -> None:
    server = trickle(ok([]))
    unlimited = httpx.Timeout(LIMIT, read=None)  # one unlimited phase: no overall limit
    api: Either = make_api(base_url=server.url, timeout=unlimited, max_retries=0)
    limited = Either(api.client.with_options(timeout=LIMIT))
    with pytest.raises(APITimeoutError) as info:
        await limited.list_stores()
    assert f"no complete answer within {LIMIT:g} s" in str(info.value)
    assert await api.list_stores() == []  # the client it came from still waits it out


@pytest.mark.parametrize(
    "hooks",
    [{}, {"response": [lambda response: None]}],
    ids=["httpcore pool called directly", "through send"],
)
def test_a_brought_pool_cuts_a_trickled_body_off_at_the_time_limit(
    trickle: Any, hooks: dict[str, Any]
) -> None:
    # A pool you bring keeps its own network backend: the limit is checked as the body
    # arrives, on both of the client's ways of calling it.
    server = trickle(ok([]))
    with (
        httpx.Client(event_hooks=hooks) as http,
        Client(server.url, http_client=http, timeout=LIMIT, max_retries=0) as client,
        pytest.raises(APITimeoutError) as info,
    ):
        client.list_stores()
    assert f"no complete answer within {LIMIT:g} s, the time limit of one attempt" in str(
        info.value
    )
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
