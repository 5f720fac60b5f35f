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

#: answer(connection, request head, read_body) -> None
Answer = Callable[[socket.socket, bytes, Callable[[], bytes]], None]


class HostileServer:
    """Serves every connection with ``answer`` until closed; records each request head."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.heads: list[bytes] = []
        self.closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                received += chunk
            head, _, start = received.partition(b"\r\n\r\n")
            self.heads.append(head)
            length = 0
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)

            def read_body() -> bytes:
                body = start
                while len(body) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                return body

            with contextlib.suppress(OSError):  # the client gave up and hung up
                self.answer(connection, head, read_body)

    def close(self) -> None:
        """Stop accepting, tell running answers to stop, end the accepting thread."""
        self.closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)
