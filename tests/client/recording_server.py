"""A keep-alive loopback HTTP/1.1 server that records each request's bytes (the client tests').

It answers every request with a one-row query envelope (or, for an error status, an error
envelope), optionally with extra header lines; ``delay`` holds each answer back.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

ENVELOPE = b'{"success":true,"data":{"columns":["one"],"rows":[{"one":1}],"row_count":1}}'


class RecordingServer:
    """Keep-alive HTTP/1.1 on loopback: records each request's bytes, answers an envelope."""

    def __init__(
        self,
        extra_headers: bytes = b"",
        status: bytes = b"200 OK",
        *,
        body: bytes | None = None,
        delay: float = 0.0,
    ) -> None:
        self.requests: list[bytes] = []
        self.body = body
        self.delay = delay
        self.extra_headers = extra_headers
        self.status = status
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        with connection, contextlib.suppress(OSError):
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                length = int(match.group(1)) if match else 0
                while len(rest) < length:
                    rest += connection.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                body = self.body
                if body is None:
                    ok = self.status.startswith(b"2")
                    body = ENVELOPE if ok else b'{"success":false,"error":"no"}'
                if self.delay:
                    time.sleep(self.delay)
                connection.sendall(
                    b"HTTP/1.1 "
                    + self.status
                    + b"\r\ncontent-type: application/json\r\n"
                    + self.extra_headers
                    + b"content-length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)
