"""The sync client's own pool sends a request's head and body in one socket send.

httpcore writes them in two; the pool ``Client`` makes for itself holds the head back
and sends it with the body (``_deadline_backend._DeadlineStream``), as ``http.client`` does.
These tests record httpcore's socket writes and the bytes that reach a loopback server:
one send per request, the same bytes as a pool without the change, and the attempt's
time limit still bounding a send to a server that does not read.
"""

from __future__ import annotations

import re
from typing import Any

import httpcore
import pytest
from client_support import STORE_ID
from hostile_server import HostileServer
from recording_server import RecordingServer

from durable_stores_client import (
    APITimeoutError,
    Client,
    ProtocolError,
    _deadline,
    _deadline_backend,
)

sync_backend = pytest.importorskip("httpcore._backends.sync")


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every non-empty write httpcore's sync socket stream makes."""
    writes: list[bytes] = []
    real = sync_backend.SyncStream.write

    def write(self: Any, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            writes.append(buffer)
        real(self, buffer, timeout)

    monkeypatch.setattr(sync_backend.SyncStream, "write", write)
    return writes


def _normalized(wire: bytes) -> bytes:
    return re.sub(rb"(?im)^(idempotency-key:) [^\r]+", rb"\1 <key>", wire)


def test_a_request_with_a_body_goes_out_in_one_send(
    server: RecordingServer, sends: list[bytes]
) -> None:
    with Client(server.url, api_key="k-1") as client:
        assert client.query_store(STORE_ID, "SELECT ?", [1]).scalar() == 1
        assert client.query_store(STORE_ID, "SELECT ?", [2]).scalar() == 1  # kept alive
    assert len(sends) == 2
    assert sends == server.requests  # head and body together, byte for byte
    assert sends[0].startswith(b"POST ")
    assert sends[0].endswith(b'"params":[1]}')


def test_a_request_without_a_body_goes_out_alone(
    server: RecordingServer, sends: list[bytes]
) -> None:
    with Client(server.url) as client, pytest.raises(ProtocolError):
        client.get_store(STORE_ID)  # the query envelope is no store: the bytes matter
    assert sends == server.requests
    assert sends[0].startswith(b"GET ")
    assert sends[0].endswith(b"\r\n\r\n")


def test_the_bytes_are_those_of_a_pool_sending_head_and_body_apart(
    server: RecordingServer, sends: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Client(server.url, api_key="k-1") as client:
        client.query_store(STORE_ID, "SELECT ?", [1])
    monkeypatch.setattr(_deadline, "install", lambda http: None)  # httpcore's own streams
    with Client(server.url, api_key="k-1") as client:
        client.query_store(STORE_ID, "SELECT ?", [1])
    together, apart = server.requests
    assert _normalized(together) == _normalized(apart)
    assert len(sends) == 3  # one send, then httpcore's two
    assert sends[1] + sends[2] == apart


def test_a_large_body_to_a_server_that_does_not_read_ends_at_the_time_limit() -> None:
    server = HostileServer(lambda connection, head, read_body: server.closed.wait(30))
    try:
        with (
            Client(server.url, timeout=0.5, max_retries=0) as client,
            pytest.raises(APITimeoutError),
        ):
            client.query_store(STORE_ID, "SELECT ?", ["x" * (8 * 1024 * 1024)])
    finally:
        server.close()


def test_a_held_head_is_sent_before_any_read() -> None:
    written: list[bytes] = []

    class Recorder(httpcore.NetworkStream):
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            written.append(b"<read>")
            return b""

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            written.append(buffer)

        def close(self) -> None:
            written.append(b"<close>")

    stream = _deadline_backend._DeadlineStream(Recorder())
    stream.write(b"HEAD-ONLY")
    stream.read(10)
    stream.write(b"HEAD")
    stream.write(b"BODY")
    stream.write(b"")  # httpcore's end of the request: the body is out already
    stream.read(10)
    stream.write(b"NEVER SENT")  # a head held back when the connection closes
    stream.close()
    assert written == [b"HEAD-ONLY", b"<read>", b"HEADBODY", b"", b"<read>", b"<close>"]
