"""Child process for the limit scenarios: a minimal HTTP/1.1 server, until stdin closes.

It answers every request with the same one-row query envelope (what ``FakeServer`` answers
the benchmarks' small query), keeping connections alive, at a few µs of server CPU per
request, so the client's cost is what a measurement shows (the fake costs ~150 µs per
request, which hides client costs). Requests must carry ``Content-Length`` (every contender
sends one); ``Expect: 100-continue`` is answered. Prints the base URL once listening; the
parent closes our stdin to stop us.
"""

from __future__ import annotations

import asyncio
import sys

BODY = (
    b'{"success":true,"data":{"columns":["id","name","email","score","active"],'
    b'"rows":[{"id":1,"name":"user-1","email":"user1@example.com","score":0.5,"active":1}],'
    b'"row_count":1}}'
)
"""The answer to every request: ``FakeServer``'s answer to the benchmarks' small query."""

RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


def content_length(head: bytes) -> int:
    """The ``Content-Length`` of a request head (0 without one)."""
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line[15:].strip())
    return 0


class Answer(asyncio.Protocol):
    """One connection: answer each complete request in the buffer, in order."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Answer every request the buffer now holds whole."""
        assert self.transport is not None
        buffer = self.buffer + data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            total = end + 4 + content_length(head)
            if len(buffer) < total:
                if not self.continued and b"100-continue" in head.lower():
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.continued = True
                break
            buffer = buffer[total:]
            self.continued = False
            self.transport.write(RESPONSE)
        self.buffer = buffer


async def serve() -> None:
    """Listen on 127.0.0.1 (any free port), print the base URL, serve until stdin closes."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Answer, "127.0.0.1", 0, backlog=256)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(serve())
