"""The aiohttp connection pool ``AsyncClient(http_backend="aiohttp")`` makes for itself.

httpcore's async pool scans all its connections several times per request, which at 50
requests in flight costs more than everything else a call does (``docs/benchmarks.md``,
scenario 8). aiohttp's pool does not, so an ``AsyncClient`` can run on it, through the
``httpx-aiohttp`` transport (the ``aiohttp`` extra), as openai-python offers too. It is an
``httpx.AsyncClient`` like the default pool, so requests, answers, errors, the size limit
and the time limits are the same; a new one is made per process and per event loop as for
the default pool.

The client sends on it directly (:meth:`_AsyncioOnlyTransport.open_raw`, when
:func:`._direct.route` says ``send`` adds nothing, as for the default pool) and reads an
answer without a ``Content-Encoding`` from aiohttp's own stream (:func:`read_raw`), not
through httpx's stream wrappers and decoders, which took 16% of the client's time at 50
calls in flight (``docs/benchmarks.md``, scenario 8). The request is the same either way
(tests compare the bytes on the wire); an encoded answer is read through httpx's
decoders, cut into pieces, as on the default pool. aiohttp's errors become the httpx
errors httpcore raises for the same failure (:data:`_ERRORS`), so retries and the
client's errors are the same as on the default pool.

aiohttp runs on asyncio only: under another async library (trio) a call raises
:class:`~durable_stores_client.ClientContextError` before anything is sent.

This module imports ``httpx_aiohttp`` (and aiohttp): it is imported only when a client
asks for the aiohttp pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from typing import TYPE_CHECKING, Any

import httpx

from ._exceptions import ClientContextError

try:
    import aiohttp
    import httpx_aiohttp
    from aiohttp import ClientResponse, ClientSession, ClientTimeout
except ImportError as missing:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        'http_backend="aiohttp" needs the aiohttp extra: '
        "pip install 'durable-stores-client[aiohttp]'"
    ) from missing

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

__all__ = ["Raw", "make_pool", "read_raw"]

#: aiohttp's answer, and when its request started (for the response's elapsed time).
Raw = tuple[ClientResponse, float]

_HTTP_1_1 = b"HTTP/1.1"


#: aiohttp's errors as httpx's, the first that fits: what the retry rules and the client's
#: errors are written for, as httpcore raises them. Only a connection that was never made
#: is "not sent" (retried for writes too); a server hanging up after the request went out
#: may have applied it. (httpx-aiohttp's own map makes both a ``ConnectTimeout``, and
#: lets a malformed answer's ``ClientResponseError`` through unmapped.)
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
)


@contextlib.contextmanager
def _mapped_errors(request: httpx.Request) -> Iterator[None]:
    """Raise aiohttp's errors as httpx's (:data:`_ERRORS`), carrying ``request``."""
    try:
        yield
    except aiohttp.ClientError as error:
        for theirs, ours in _ERRORS:  # pragma: no branch - ClientError is last
            if isinstance(error, theirs):
                raise ours(str(error) or type(error).__name__, request=request) from error
        raise  # pragma: no cover


class _Stream(httpx.AsyncByteStream):
    """aiohttp's answer body as an httpx stream (an encoded answer, or through ``send``)."""

    __slots__ = ("_answer", "_request")

    def __init__(self, answer: ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body's pieces as they arrive."""
        with _mapped_errors(self._request):
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        """Release the connection (closed unless the body was read to its end)."""
        with _mapped_errors(self._request):
            await self._answer.__aexit__(None, None, None)


def _check_asyncio() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise ClientContextError(
            'nothing was sent: http_backend="aiohttp" runs on asyncio only, and this '
            "call runs under another async library (trio?); leave out http_backend to "
            "use the default pool, which runs on both"
        ) from None


class _AsyncioOnlyTransport(httpx_aiohttp.AiohttpTransport):
    """httpx-aiohttp's pool (its session and connector), refusing clearly to run outside asyncio.

    Both ways of sending (``httpx.AsyncClient.send`` and the client's direct path) go
    through :meth:`open_raw`, so they send the same request and raise the same errors.
    """

    _timeouts: tuple[object, ClientTimeout] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on aiohttp's pool (asyncio only)."""
        response, _ = await self.open_raw(request)
        return response

    async def open_raw(self, request: httpx.Request) -> tuple[httpx.Response, Raw]:
        """Send ``request`` as :meth:`handle_async_request` does; also return aiohttp's answer.

        The arguments to aiohttp are httpx-aiohttp's for a pool without a proxy (ours has
        none). aiohttp's errors become httpx's (:data:`_ERRORS`), carrying the request.
        """
        _check_asyncio()
        started = time.perf_counter()
        session = self.client
        if not isinstance(session, ClientSession):
            session = self.client = self.get_client()
        timeout = request.extensions.get("timeout", {})
        cached = self._timeouts
        if cached is not None and cached[0] is timeout:
            client_timeout = cached[1]
        else:  # the builder passes the same dict on every call: made once
            client_timeout = ClientTimeout(
                sock_connect=timeout.get("connect"),
                sock_read=timeout.get("read"),
                connect=timeout.get("pool"),
            )
            self._timeouts = (timeout, client_timeout)
        data: bytes | None = request.content or None
        with _mapped_errors(request):
            answer = await session.request(
                method=request.method,
                url=str(request.url),
                headers=request.headers,
                data=data,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=client_timeout,
                server_hostname=request.extensions.get("sni_hostname"),
            ).__aenter__()
        extensions: dict[str, Any] = {"http_version": _HTTP_1_1}
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode()
        response = httpx.Response(
            status_code=answer.status,
            headers=answer.raw_headers,
            stream=_Stream(answer, request),
            request=request,
            extensions=extensions,
        )
        return response, (answer, started)


async def read_raw(raw: Raw, response: httpx.Response, add: Callable[[bytes], None]) -> None:
    """Hand each piece of the answer's body, as it arrives, to ``add`` (which may raise).

    aiohttp returns the connection to its pool at the end of the body; the response then
    knows its elapsed time, as httpx's own stream would set it. aiohttp's errors become
    httpx's (:data:`_ERRORS`), carrying the request.
    """
    answer, started = raw
    content = answer.content
    with _mapped_errors(response.request):
        while chunk := await content.readany():
            add(chunk)
    response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)


def make_pool(timeout: httpx.Timeout, headers: dict[str, str]) -> httpx.AsyncClient:
    """A new ``httpx.AsyncClient`` on aiohttp's connection pool."""
    return httpx.AsyncClient(transport=_AsyncioOnlyTransport(), timeout=timeout, headers=headers)
