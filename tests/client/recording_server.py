"""A keep-alive loopback HTTP/1.1 server that records each request's bytes (the client tests').

It answers every request with a one-row query envelope (or, for an error status, an error
envelope), optionally with extra header lines; ``delay`` holds each answer back.
"""

from __future__ import annotations

import contextlib
import socket
import time

from loopback_server import LoopbackServer, content_length, read_body, read_head

ENVELOPE = b'{"success":true,"data":{"columns":["one"],"rows":[{"one":1}],"row_count":1}}'


class RecordingServer(LoopbackServer):
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
        super().__init__()

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        with connection, contextlib.suppress(OSError):
            while True:
                read = read_head(connection, buffer)
                if read is None:
                    return
                head, rest = read
                length = content_length(head)
                rest = read_body(connection, rest, length)
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
