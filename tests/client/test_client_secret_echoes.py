"""A server that echoes the request's ``Authorization`` line into a broken answer.

h11 quotes the status or header line it cannot parse (``illegal status line:
bytearray(b'...')``), and httpx chains h11's error below its own: before, the key was masked
in ``str(exc)`` but shown by ``exc.__cause__``, by ``traceback.format_exception(exc)`` (so by
``logger.exception()``) and by httpcore's DEBUG trace. Now the connection error, every
exception chained below it, the formatted traceback, the log and the pickle keep it out.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
import traceback
from collections.abc import Callable

import pytest
from hostile_server import HostileServer

from durable_stores_client import APIConnectionError, AsyncClient, Client

#: Not a b64token (``:``, ``!``, ``#``): only a literal search could mask it in text.
API_KEY = "sk-ECHO:live!key#4242"
#: What must not show anywhere: the key, and its tail (an echo that mangled its start).
LEAKS = (API_KEY, "live!key#4242")

ANSWERS: dict[str, Callable[[bytes], bytes]] = {
    "status-line": lambda auth: b"HTTP/1.1 200 " + auth + b"\x00\r\nContent-Length: 0\r\n\r\n",
    "bare-status-line": lambda auth: auth + b"\r\n\r\n",
    "header-line": lambda auth: b"HTTP/1.1 200 OK\r\n" + auth + b"\x00\r\n\r\n",
    "header-name": lambda auth: b"HTTP/1.1 200 OK\r\n" + auth.replace(b":", b"") + b"\r\n\r\n",
}


def echoing(mode: str) -> HostileServer:
    def answer(connection: socket.socket, head: bytes, _read_body: Callable[[], bytes]) -> None:
        lines = head.split(b"\r\n")
        auth = next(line for line in lines if line.lower().startswith(b"authorization"))
        connection.sendall(ANSWERS[mode](auth))

    return HostileServer(answer)


def texts_of(error: BaseException) -> list[str]:
    """Everything a user could see of ``error``: text, repr, traceback, chain, pickle."""
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts.append(repr(pickle.dumps(error)))
    link: BaseException | None = error
    while link is not None:
        texts += [str(link), repr(link), repr(link.args)]
        link = link.__cause__ or link.__context__
    return texts


@pytest.mark.parametrize("mode", sorted(ANSWERS))
def test_the_echoed_key_stays_out_of_the_error_its_chain_and_the_logs(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's loggers included
    server = echoing(mode)
    errors: list[APIConnectionError] = []
    try:
        with (
            Client(server.url, api_key=API_KEY, max_retries=0) as client,
            pytest.raises(APIConnectionError) as caught,
        ):
            client.list_stores()
        errors.append(caught.value)

        async def flow() -> None:
            async with AsyncClient(server.url, api_key=API_KEY, max_retries=0) as client:
                with pytest.raises(APIConnectionError) as caught:
                    await client.list_stores()
                errors.append(caught.value)

        asyncio.run(flow())
    finally:
        server.close()
    assert server.heads, "the server never saw a request"
    for error in errors:
        assert error.__cause__ is not None, "the httpx error stays chained as the cause"
        assert "illegal" in str(error), f"the error still says what was wrong: {error}"
        for text in texts_of(error):
            for leak in LEAKS:
                assert leak not in text, f"{leak!r} leaked: {text[:400]}"
    for record in caplog.records:
        for leak in LEAKS:
            assert leak not in record.getMessage(), f"{leak!r} leaked in log {record.name}"
