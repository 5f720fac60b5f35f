"""A loopback HTTP/1.1 server whose answers are written by the test, byte by byte.

For the request-path guarantees every client (and any transport) must keep against a
hostile server: gzip bombs, endless bodies, endless ``100 Continue``, slow readers. Each
connection runs ``answer(connection, head, read_body)`` in its own thread; ``read_body()``
reads the request body (by its Content-Length) when the scenario wants it. An answer
ends when the client hangs up (``OSError`` on send) or the server is closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from loopback_server import LoopbackServer, content_length, read_body, read_head

#: answer(connection, request head, read_body) -> None
Answer = Callable[[socket.socket, bytes, Callable[[], bytes]], None]


class HostileServer(LoopbackServer):
    """Serves every connection with ``answer`` until closed; records each request head."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.heads: list[bytes] = []
        self.closed = threading.Event()
        super().__init__()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            read = read_head(connection)
            if read is None:
                return
            head, start = read
            self.heads.append(head)
            length = content_length(head)

            def read_rest() -> bytes:
                return read_body(connection, start, length)

            with contextlib.suppress(OSError):  # the client gave up and hung up
                self.answer(connection, head, read_rest)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Each request's method and path, in the order they came."""
        lines = [head.decode("latin-1").split("\r\n", 1)[0] for head in self.heads]
        return [(line.split(" ")[0], line.split(" ")[1]) for line in lines]

    def close(self) -> None:
        """Stop accepting, tell running answers to stop, end the accepting thread."""
        self.closed.set()
        super().close()
