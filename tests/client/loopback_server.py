"""What the client tests' socket servers share: a listener on 127.0.0.1 that serves each
connection in its own thread, and the reading of a request's head and body.

A subclass sets its own attributes, then calls ``super().__init__()`` (which starts
accepting) and implements ``_serve(connection)``.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class LoopbackServer:
    """Accepts connections on a free loopback port until closed; ``url`` reaches it.

    ``accepted`` counts the connections accepted so far, ``ended`` those whose serving
    has returned (the client hung up, for a keep-alive server).
    """

    def __init__(self) -> None:
        self.accepted = 0
        self.ended = 0
        self._count_lock = threading.Lock()
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
            self.accepted += 1
            threading.Thread(target=self._serve_counted, args=(connection,), daemon=True).start()

    def _serve_counted(self, connection: socket.socket) -> None:
        try:
            self._serve(connection)
        finally:
            with self._count_lock:
                self.ended += 1

    def _serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop accepting connections and end the accepting thread."""
        # close() alone does not wake a thread blocked in accept() on Linux.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)


def read_head(connection: socket.socket, received: bytes = b"") -> tuple[bytes, bytes] | None:
    """Read up to the blank line that ends a request head: ``(head, what came after it)``,
    or ``None`` when the client hung up first."""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    return head, rest


def content_length(head: bytes) -> int:
    """The request's Content-Length (0 without one)."""
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return length


def read_body(connection: socket.socket, start: bytes, length: int) -> bytes:
    """Read on from ``start`` until ``length`` bytes (or the client hangs up)."""
    body = start
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return body
