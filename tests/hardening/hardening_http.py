"""Raw HTTP/1.1 over a plain socket, for poking the fake's network front end with bytes no
well-behaved client would send. Loopback only, every read bounded by a deadline."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: Text that must never reach a client: a Python traceback or a source location in one.
LEAK_MARKERS = (b"Traceback (most recent call last)", b'File "/', b'.py", line ')


@dataclass
class RawResponse:
    """One HTTP/1.x response as read off the socket."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        """The first header with that name (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Exchange:
    """What came back on one connection: the responses in order, and how it ended."""

    responses: list[RawResponse] = field(default_factory=list)
    #: True when the server closed the connection (EOF or reset) before our deadline.
    closed: bool = False
    #: True when the deadline passed with the connection still open and silent.
    timed_out: bool = False
    #: Bytes that arrived but do not form an HTTP response (an HTTP/0.9 answer, garbage).
    stray: bytes = b""


def host_port(url: str) -> tuple[str, int]:
    """The (host, port) of a base URL, refusing anything but loopback."""
    parts = urlsplit(url)
    assert parts.hostname in {"127.0.0.1", "localhost", "::1"}, url
    assert parts.port is not None, url
    return parts.hostname, parts.port


def connect(url: str, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to the server behind ``url`` (loopback only)."""
    host, port = host_port(url)
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _Reader:
    """Buffered reads from a socket with one overall deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.eof = False
        self.timed_out = False

    def _fill(self) -> bool:
        if self.eof or self.timed_out:
            return False
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.timed_out = True
            return False
        self.sock.settimeout(min(remaining, 1.0))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return self._fill()
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            self.eof = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def read_until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self._fill():
                return None
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def read_exactly(self, n: int) -> bytes | None:
        while len(self.buffer) < n:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_to_eof(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def _parse_head(head: bytes) -> tuple[int, str, list[tuple[str, str]]]:
    lines = head.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    assert version.startswith(b"HTTP/1."), f"not an HTTP/1.x status line: {lines[0]!r}"
    code, _, reason = rest.partition(b" ")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(b":")
        assert sep, f"malformed response header line: {line!r}"
        headers.append((name.decode("latin-1").strip(), value.decode("latin-1").strip()))
    return int(code), reason.decode("latin-1"), headers


def read_exchange(
    sock: socket.socket, *, deadline: float, max_responses: int = 4, head_request: bool = False
) -> Exchange:
    """Read responses until the server closes, goes silent past ``deadline`` or sent enough."""
    reader = _Reader(sock, deadline)
    result = Exchange()
    while len(result.responses) < max_responses:
        head = reader.read_until(b"\r\n\r\n")
        if head is None:
            result.stray = reader.buffer
            result.closed = reader.eof
            result.timed_out = reader.timed_out
            return result
        if not head.startswith(b"HTTP/1."):
            result.stray = head + reader.buffer
            result.closed = reader.eof
            return result
        status, reason, headers = _parse_head(head[:-4])
        response = RawResponse(status, reason, headers, b"", raw_head=head)
        length = response.header("content-length")
        if head_request or status in {204, 304} or 100 <= status < 200:
            body: bytes | None = b""
        elif length is not None:
            body = reader.read_exactly(int(length))
            assert body is not None, f"connection ended inside a {status} response body"
        else:
            body = reader.read_to_eof()
        response.body = body
        result.responses.append(response)
        if (response.header("connection") or "").lower() == "close":
            rest = reader.read_to_eof()
            result.stray = rest
            result.closed = True
            return result
    return result


def send_and_read(
    url: str,
    data: bytes | Iterable[bytes],
    *,
    shutdown_write: bool = True,
    timeout: float = 10.0,
    pause: float = 0.0,
    max_responses: int = 4,
) -> Exchange:
    """Send ``data`` (bytes, or chunks ``pause`` seconds apart), then read what comes back.

    With ``shutdown_write`` the client half-closes after sending, so a server waiting for more
    bytes sees end-of-file instead of waiting for ever. Send errors (the server closing early)
    are tolerated: whatever the server managed to answer is still read.
    """
    chunks = [data] if isinstance(data, bytes) else list(data)
    deadline = time.monotonic() + timeout
    with connect(url) as sock:
        try:
            for index, chunk in enumerate(chunks):
                if index and pause:
                    time.sleep(pause)
                sock.sendall(chunk)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass
        return read_exchange(sock, deadline=deadline, max_responses=max_responses)


def send_big_and_read(url: str, head: bytes, body_size: int, *, timeout: float = 30.0) -> Exchange:
    """Send ``head`` then ``body_size`` bytes of body from a writer thread while reading answers.

    The server may answer (413) and close before the body is fully sent; reading concurrently
    makes sure that answer is seen instead of being lost behind a failed ``sendall``.
    """
    deadline = time.monotonic() + timeout
    with connect(url) as sock:
        sock.sendall(head)

        def write_body() -> None:
            block = b"x" * 65536
            left = body_size
            try:
                while left > 0 and time.monotonic() < deadline:
                    n = min(left, len(block))
                    sock.sendall(block[:n])
                    left -= n
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        writer = threading.Thread(target=write_body, daemon=True)
        writer.start()
        try:
            return read_exchange(sock, deadline=deadline, max_responses=2)
        finally:
            writer.join(timeout=max(0.0, deadline - time.monotonic()) + 1)


def request_bytes(
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    version: str = "HTTP/1.1",
) -> bytes:
    """A well-framed request (Content-Length from the body unless ``headers`` sets one)."""
    lines = [f"{method} {path} {version}", "Host: 127.0.0.1"]
    all_headers = dict(headers or {})
    if body is not None:
        if content_type is not None:
            all_headers.setdefault("Content-Type", content_type)
        all_headers.setdefault("Content-Length", str(len(body)))
    all_headers.setdefault("Connection", "close")
    lines.extend(f"{name}: {value}" for name, value in all_headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON constant {token!r}")


def strict_json(data: bytes) -> Any:
    """Decode JSON the way a strict peer would: UTF-8 only, no NaN/Infinity, no duplicate keys."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
        return dict(pairs)

    return json.loads(
        data.decode("utf-8"), parse_constant=_refuse_constant, object_pairs_hook=no_duplicates
    )


def assert_no_leak(blob: bytes) -> None:
    """No traceback text or source path in anything a client can see."""
    for marker in LEAK_MARKERS:
        assert marker not in blob, f"server leaked {marker!r} to the client: {blob[:300]!r}"


def assert_envelope(response: RawResponse) -> Any:
    """The response is JSON in the contract's envelope; returns the decoded body."""
    assert_no_leak(response.raw_head + response.body)
    content_type = response.header("content-type") or ""
    assert content_type.split(";")[0].strip() == "application/json", (
        f"{response.status} answered with content type {content_type!r}: {response.body[:200]!r}"
    )
    document = strict_json(response.body)
    assert isinstance(document, dict), document
    if document.get("success") is True:
        assert "error" not in document, document
        assert "data" in document, document
    else:
        assert document.get("success") is False, document
        assert isinstance(document.get("error"), str), document
        assert document["error"].strip(), document
        assert "data" not in document, document
    return document


def assert_error_envelope(response: RawResponse, statuses: Iterable[int] = range(400, 500)) -> str:
    """A 4xx (or one of ``statuses``) in the failure envelope; returns the error message."""
    allowed = set(statuses)
    assert response.status in allowed, (
        f"expected one of {sorted(allowed)[:6]}..., got {response.status}: {response.body[:300]!r}"
    )
    document = assert_envelope(response)
    assert document["success"] is False, document
    message: str = document["error"]
    return message
