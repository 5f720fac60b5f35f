"""Guarantees of the request path against a hostile server, for both clients.

Any transport the clients use must keep these: a bounded body (``max_response_bytes``,
counted decoded, memory bounded by it), and one time limit for the whole attempt (sending
the request, any number of ``100 Continue``, the answer). Each test checks an outcome
that differs with and without the guarantee; none measures time.
"""

from __future__ import annotations

import functools
import gzip
import json
import socket
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_support import STORE_ID, Either, ok
from hostile_server import HostileServer

from durable_stores_client import (
    APIConnectionError,
    APITimeoutError,
    ProtocolError,
    ResponseTooLargeError,
)

MiB = 1024 * 1024


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """64 MiB of JSON-ish spaces, gzipped to about 64 KiB."""
    return gzip.compress(b" " * (64 * MiB), compresslevel=9)


def send_gzip_bomb(connection: socket.socket, head: bytes, read_body: Any) -> None:
    body = gzip_bomb()
    connection.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n" % len(body) + body
    )


def make_endless_chunks(server_closed: Callable[[], bool]) -> Any:
    def send(connection: socket.socket, head: bytes, read_body: Any) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        piece = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        while not server_closed():
            connection.sendall(piece)  # OSError once the client hangs up

    return send


@pytest.mark.slow  # inflates a large gzip bomb
async def test_a_gzip_bomb_raises_response_too_large_with_memory_bounded_by_the_limit(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    server = hostile(send_gzip_bomb)
    gzip_bomb()  # built before measuring
    api = make_api(base_url=server.url, max_response_bytes=MiB, max_retries=0)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError) as info:
            await api.list_stores()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = info.value
    assert isinstance(error, ProtocolError)
    assert error.limit == MiB
    assert error.status_code == 200
    assert error.excerpt == ""
    assert "over max_response_bytes (1,048,576 bytes decoded)" in str(error)
    assert "content-encoding gzip" in str(error)
    # The body decodes to 64 MiB: reading stopped near the 1 MiB limit.
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


async def test_an_endless_chunked_body_raises_response_too_large(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    closed: list[bool] = []
    server = hostile(make_endless_chunks(lambda: bool(closed)))
    api = make_api(base_url=server.url, max_response_bytes=4 * MiB, max_retries=2)
    try:
        with pytest.raises(ResponseTooLargeError) as info:
            await api.get_store(STORE_ID)
    finally:
        closed.append(True)
    assert info.value.limit == 4 * MiB
    assert len(server.heads) == 1, "never retried: the server did answer"


async def test_an_answer_at_the_limit_is_read_whole(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    body = json.dumps(ok([])).encode()

    def answer(connection: socket.socket, head: bytes, read_body: Any) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body) + body
        )

    server = hostile(answer)
    api = make_api(base_url=server.url, max_response_bytes=len(body))
    assert await api.list_stores() == []
    small = api.client.with_options(max_response_bytes=len(body) - 1)
    with pytest.raises(ResponseTooLargeError):
        await Either(small).list_stores()


@pytest.mark.parametrize("value", [0, -1])
def test_max_response_bytes_must_be_positive(client_class: Any, value: int) -> None:
    with pytest.raises(ValueError, match="max_response_bytes must be 1 or more"):
        client_class("http://127.0.0.1:1", max_response_bytes=value)


@pytest.mark.parametrize("value", [1.5, "1", True, None])
def test_max_response_bytes_must_be_an_int(client_class: Any, value: object) -> None:
    with pytest.raises(TypeError, match="max_response_bytes must be an int"):
        client_class("http://127.0.0.1:1", max_response_bytes=value)


#: The attempt limit of the time-limit tests: far shorter than what the servers below
#: take to give a complete answer (seconds), far longer than a loopback exchange.
LIMIT = 0.3


def make_endless_continue(server_closed: Callable[[], bool]) -> Any:
    """``100 Continue`` every 10 ms for 3 s, then hang up without an answer (a call
    without a limit on the whole attempt gets APIConnectionError, not a timeout)."""

    def send(connection: socket.socket, head: bytes, read_body: Any) -> None:
        read_body()
        for _ in range(300):
            if server_closed():
                return
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.01)

    return send


def slow_reader(connection: socket.socket, head: bytes, read_body: Any) -> None:
    """Read the request body 64 KiB every 10 ms (16 MiB: about 2.5 s), then answer."""
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    received = head.partition(b"\r\n\r\n")[2]
    got = len(received)
    while got < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        got += len(chunk)
        time.sleep(0.01)
    body = json.dumps(ok({"rows_affected": 1, "last_insert_rowid": 1})).encode()
    connection.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body) + body
    )


async def test_an_endless_100_continue_ends_at_the_time_limit_of_the_attempt(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    closed: list[bool] = []
    server = hostile(make_endless_continue(lambda: bool(closed)))
    api = make_api(base_url=server.url, timeout=LIMIT, max_retries=0)
    try:
        with pytest.raises(APITimeoutError) as info:
            await api.list_stores()
    finally:
        closed.append(True)
    assert "the time limit of one attempt" in str(info.value)


async def test_without_a_limit_the_endless_continue_outlasts_every_phase_limit(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    # What the test above relies on: no single read waits longer than LIMIT, so only the
    # limit of the whole attempt stops the call before the server hangs up.
    server = hostile(make_endless_continue(lambda: False))
    api = make_api(base_url=server.url, timeout=httpx.Timeout(LIMIT, read=None), max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        await api.list_stores()
    assert not isinstance(info.value, APITimeoutError)


@pytest.mark.slow  # waits for a real time limit
async def test_sending_a_request_to_a_slow_reader_ends_at_the_time_limit_of_the_attempt(
    make_api: Callable[..., Either], hostile: Callable[..., HostileServer]
) -> None:
    server = hostile(slow_reader)
    api = make_api(base_url=server.url, timeout=LIMIT, max_retries=2)
    big = "x" * (16 * MiB)
    with pytest.raises(APITimeoutError) as info:
        await api.execute_store(STORE_ID, sql="INSERT INTO t VALUES (?)", params=[big])
    assert "the time limit of one attempt" in str(info.value)
    assert len(server.heads) == 1, "a write that may have been applied is never retried"
