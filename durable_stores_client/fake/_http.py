"""The network front end: a real HTTP/1.1 server (keep-alive, one thread per connection)."""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from ._answers import INVALID_CONTENT_LENGTH, RawResponse, failure, parse_content_length
from ._handler import MAX_BODY_BYTES, Handler
from ._request_log import logger

# Bodies this far over the limit are drained (so the client reads the 413
# instead of a reset connection); beyond it the connection is closed.
_DRAIN_LIMIT = 4 * MAX_BODY_BYTES
_CHUNK = 1 << 16


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _BodyError(Exception):
    def __init__(self, status: int, message: str, *, close: bool) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "durable-stores-fake"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def __getattr__(self, name: str) -> Any:
        # Every method (GET, POST, PATCH, BREW, ...) goes to the one handler,
        # which answers 404 for routes and methods the contract lacks.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the fake's request log is FakeServer.requests

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed HTTP (bad request line, huge headers): still the envelope, and a
        # 4xx: http.server's 505 for an unsupported version is the client's mistake.
        self.close_connection = True
        status = 400 if code >= 500 else code
        self._write(failure(status, message or _phrase(code)), close=True)

    def _dispatch(self) -> None:
        oversized = False
        try:
            body = self._read_body()
        except _BodyError as exc:
            if exc.status != 413:
                self.close_connection = True
                self._write(failure(exc.status, exc.message), close=True)
                return
            body, oversized = b"", True
            if exc.close:
                self.close_connection = True
        except (OSError, ValueError):
            self.close_connection = True
            return
        # The target as sent: http.server folds a leading "//" in self.path, which the
        # in-process front ends do not see, so the three front ends would drift.
        target = self.requestline.split()[1]
        headers = {name.lower(): value for name, value in self.headers.items()}
        exchange = self.server.fake_handler.prepare(
            self.command, target, headers, body, oversized=oversized
        )
        if exchange.delay and not self._wait(exchange.delay):
            exchange.abandon()
            self.close_connection = True
            return
        if exchange.disconnect:
            exchange.abandon()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(exchange.respond(), close=self.close_connection)

    def _read_body(self) -> bytes:
        headers = self.headers
        lengths = headers.get_all("content-length") or []
        encoding = headers.get("transfer-encoding")
        if len(set(lengths)) > 1 or (lengths and encoding is not None):
            # Ambiguous framing (a request-smuggling classic): refuse and hang up.
            raise _BodyError(400, "conflicting Content-Length / Transfer-Encoding", close=True)
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _BodyError(400, f"unsupported Transfer-Encoding: {encoding}", close=True)
            return self._read_chunked()
        length_header = headers.get("content-length")
        if length_header is None:
            return b""
        length = parse_content_length(length_header)
        if length is None:
            raise _BodyError(400, INVALID_CONTENT_LENGTH, close=True)
        if length > MAX_BODY_BYTES:
            if length > _DRAIN_LIMIT:
                raise _BodyError(413, "", close=True)
            self._discard(length)
            raise _BodyError(413, "", close=False)
        body = self.rfile.read(length)
        if len(body) != length:
            # The client stopped sending (half-closed) before its Content-Length: the
            # handler answers that (SHORT_BODY), then the connection closes.
            self.close_connection = True
        return body

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:
                raise ValueError("the client closed the connection mid-body")
            length -= len(chunk)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise _BodyError(400, "malformed chunked body", close=True)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "malformed chunked body", close=True) from None
            if size < 0:
                raise _BodyError(400, "malformed chunked body", close=True)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            total += size
            if total > _DRAIN_LIMIT:
                raise _BodyError(413, "", close=True)
            if total > MAX_BODY_BYTES:
                self._discard(size)
                parts.clear()
            else:
                chunk = self.rfile.read(size)
                if len(chunk) != size:
                    raise ValueError("the client closed the connection mid-body")
                parts.append(chunk)
            self.rfile.readline(1024)  # the CRLF after the chunk
        if total > MAX_BODY_BYTES:
            raise _BodyError(413, "", close=False)
        return b"".join(parts)

    def _wait(self, delay: float) -> bool:
        """Sleep ``delay`` seconds; False as soon as the client hangs up."""
        deadline = time.monotonic() + delay
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            try:
                readable, _, _ = select.select([self.connection], [], [], remaining)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return False
            except (OSError, ValueError):
                return False
            if readable:  # pipelined bytes, not a hang-up: just wait the rest
                time.sleep(max(0.0, deadline - time.monotonic()))
                return True

    def _write(self, response: RawResponse, *, close: bool) -> None:
        body = response.body
        head = [f"HTTP/1.1 {response.status} {_phrase(response.status)}\r\n"]
        head.extend(f"{name}: {value}\r\n" for name, value in response.headers)
        head.append(f"Content-Length: {len(body)}\r\n")
        if close:
            head.append("Connection: close\r\n")
        elif self.request_version == "HTTP/1.0":
            head.append("Connection: keep-alive\r\n")  # 1.0 closes unless told otherwise
        head.append("\r\n")
        if self.command == "HEAD":
            body = b""  # a HEAD answer has headers only, or the connection desyncs
        try:
            self.wfile.write("".join(head).encode("latin-1") + body)
        except OSError:
            self.close_connection = True


class _Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    block_on_close = False  # close_all() joins our own connection threads, bounded
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: Handler) -> None:
        self.fake_handler = handler
        self._connections: set[socket.socket] = set()
        self._fake_threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A bug in the front end itself: log it, never print to the terminal.
        logger.exception("unexpected error serving %s", client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn), which
        # can stall on machines without DNS; the fake does not need it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run_connection,
            args=(request, client_address),
            name="durable-stores-fake-connection",
            daemon=True,
        )
        with self._lock:
            self._fake_threads.add(thread)
        thread.start()

    def _run_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._fake_threads.discard(threading.current_thread())

    def close_all(self, timeout: float) -> None:
        """Hang up every open connection and wait (bounded) for their threads."""
        with self._lock:
            connections = list(self._connections)
            threads = list(self._fake_threads)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class HTTPFrontEnd:
    """The fake over real HTTP, served from a background thread."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self._server = _Server((host, port), handler)
        bound_host = str(self._server.server_address[0])
        bound_port = int(self._server.server_address[1])
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to this long
            name="durable-stores-fake-server",
            daemon=True,
        )

    def start(self) -> None:
        """Start accepting connections."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, hang up open connections, release the port."""
        self._server.shutdown()
        self._thread.join(timeout)
        self._server.server_close()
        self._server.close_all(timeout)
