"""In-process front ends: httpx transports that hand requests to the fake's handler."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import httpx

if TYPE_CHECKING:
    from ._handler import Exchange, Handler

_DISCONNECTED = "Server disconnected without sending a response."


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        value = timeout.get("read")
        return float(value) if value is not None else None
    return None


def _target(request: httpx.Request) -> str:
    return request.url.raw_path.decode("latin-1")


def request_headers(request: httpx.Request) -> dict[str, str]:
    """The request's headers as the handler takes them (lowercase names)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in request.headers.raw
    }


def _response(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    answer = exchange.respond()
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


def _timed_out(exchange: Exchange, request: httpx.Request) -> httpx.ReadTimeout:
    exchange.abandon()
    return httpx.ReadTimeout("timed out", request=request)


def _disconnected(exchange: Exchange, request: httpx.Request) -> httpx.RemoteProtocolError:
    exchange.abandon()
    return httpx.RemoteProtocolError(_DISCONNECTED, request=request)


def _wait(exchange: Exchange, request: httpx.Request) -> tuple[float, bool]:
    """How long to wait for an injected delay, and whether the client times out first."""
    limit = _read_timeout(request)
    if limit is not None and exchange.delay > limit:
        return limit, True
    return exchange.delay, False


def finish_sync(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    """Honour a fault's delay and disconnect, then answer (blocking)."""
    if exchange.delay:
        seconds, times_out = _wait(exchange, request)
        try:
            time.sleep(seconds)
        except BaseException:  # interrupted while waiting: the request was never answered
            exchange.abandon()
            raise
        if times_out:
            raise _timed_out(exchange, request)
    if exchange.disconnect:
        raise _disconnected(exchange, request)
    return _response(exchange, request)


async def finish_async(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    """Honour a fault's delay and disconnect, then answer (awaiting)."""
    if exchange.delay:
        seconds, times_out = _wait(exchange, request)
        try:
            await anyio.sleep(seconds)
        except BaseException:  # cancelled (a caller's deadline, a task cancelled): unanswered
            exchange.abandon()
            raise
        if times_out:
            raise _timed_out(exchange, request)
    if exchange.disconnect:
        raise _disconnected(exchange, request)
    return _response(exchange, request)


class FakeTransport(httpx.BaseTransport):
    """An ``httpx`` transport answering every request from the fake, in-process.

    The request's host is ignored: whatever base URL the client uses, the
    fake answers. An injected ``delay`` longer than the request's read
    timeout sleeps for the timeout and raises ``httpx.ReadTimeout``; an
    injected disconnect raises ``httpx.RemoteProtocolError``.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        body = request.read()
        exchange = self._handler.prepare(
            request.method, _target(request), request_headers(request), body
        )
        return finish_sync(exchange, request)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`FakeTransport`, for ``httpx.AsyncClient`` (asyncio or trio)."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        body = await request.aread()
        exchange = self._handler.prepare(
            request.method, _target(request), request_headers(request), body
        )
        return await finish_async(exchange, request)
