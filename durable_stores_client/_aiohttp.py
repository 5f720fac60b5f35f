"""The aiohttp connection pool ``AsyncClient(http_backend="aiohttp")`` makes for itself.

httpcore's async pool scans all its connections several times per request, which at 50
requests in flight costs more than everything else a call does (``docs/benchmarks.md``,
scenario 8). aiohttp's pool does not, so an ``AsyncClient`` can run on it, through the
``httpx-aiohttp`` transport (the ``aiohttp`` extra), as openai-python offers too. It is an
``httpx.AsyncClient`` like the default pool, so requests, answers, errors, the size limit
and the time limits are the same; a new one is made per process and per event loop as for
the default pool.

The client's own requests skip httpx's objects on this pool: the request builder makes a
:class:`Wire` (method, URL, the headers an ``httpx.Request`` would carry, body), sent on
aiohttp's session directly, and the answer is a :class:`Head` read from aiohttp's stream;
an ``httpx.Request`` or ``httpx.Response`` is made only for an error that carries one.
aiohttp itself bounds the attempt (its total timeout is the attempt's time limit). The
request is the same as through ``httpx.AsyncClient.send`` (tests compare the bytes on the
wire); an encoded answer is read through httpx's decoders, cut into pieces, as on the
default pool. aiohttp's errors become the httpx errors httpcore raises for the same
failure (:data:`_ERRORS`), so retries and the client's errors are the same as on the
default pool.

aiohttp runs on asyncio only: under another async library (trio) a call raises
:class:`~durable_stores_client.ClientContextError` before anything is sent.

This module imports ``httpx_aiohttp`` (and aiohttp): it is imported only when a client
asks for the aiohttp pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import math
import time
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

from ._deadline import over_time_limit_text
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
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

__all__ = ["Head", "Wire", "make_pool", "read_raw"]

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


#: What :func:`_raise_mapped` turns into httpx's errors.
_MAPPED = (aiohttp.ClientError, asyncio.TimeoutError)


def _raise_mapped(
    error: BaseException, request: Callable[[], httpx.Request], limit: float | None
) -> NoReturn:
    """Raise aiohttp's ``error`` as httpx's (:data:`_ERRORS`), carrying ``request()``.

    With the attempt's time ``limit`` (aiohttp's ``ClientTimeout.total``), the bare
    ``TimeoutError`` aiohttp raises when it passes becomes the ``httpx.ReadTimeout`` the
    client raises for an attempt over its limit on the default pool. Otherwise ``error``
    itself is raised again.
    """
    if isinstance(error, aiohttp.ClientError):
        for theirs, ours in _ERRORS:  # pragma: no branch - ClientError is last
            if isinstance(error, theirs):
                raise ours(str(error) or type(error).__name__, request=request()) from error
    if limit is None or not isinstance(error, asyncio.TimeoutError):
        raise error
    raise httpx.ReadTimeout(over_time_limit_text(limit), request=request()) from error


@contextlib.contextmanager
def _mapped_errors(
    request: Callable[[], httpx.Request], limit: float | None = None
) -> Iterator[None]:
    """Raise aiohttp's errors as httpx's (:func:`_raise_mapped`), carrying ``request()``.

    The request paths of a :class:`Wire` catch :data:`_MAPPED` themselves instead: a
    generator context manager costs about 1 µs per use.
    """
    try:
        yield
    except _MAPPED as error:
        _raise_mapped(error, request, limit)


class _Stream(httpx.AsyncByteStream):
    """aiohttp's answer body as an httpx stream (an encoded answer, or through ``send``)."""

    __slots__ = ("_answer", "_limit", "_request")

    def __init__(
        self, answer: ClientResponse, request: httpx.Request, limit: float | None = None
    ) -> None:
        self._answer = answer
        self._request = request
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body's pieces as they arrive."""
        with _mapped_errors(lambda: self._request, self._limit):
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        """Release the connection (closed unless the body was read to its end)."""
        with _mapped_errors(lambda: self._request, self._limit):
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


# Kept for speed: making an httpx.Request for aiohttp to send (aiohttp reads its headers
# back as text), an httpx.Response for each answer, and an anyio cancel scope per attempt
# (aiohttp's own total timeout does that job here) cost a fifth of the client's work: at 50
# queries in flight against the benchmarks' minimal server, 809k instructions per query
# before, 639k with a Wire (callgrind; aiohttp alone: 459k; docs/benchmarks.md, scenario 8);
# with the read-timer and coroutine steps below, 603k on the final tree (main at 94ff45b,
# where the base had moved from 597k to 614k with changes elsewhere).
# The bytes on the wire are the same (tests compare them).
class Wire:
    """One call's request as the client sends it on aiohttp, without an ``httpx.Request``.

    The client's request builder makes it for a pool of its own, with the headers an
    ``httpx.Request`` would carry, in the same order (``Host`` first); the
    ``httpx.Request`` that an error carries is made only when one is raised.
    """

    __slots__ = (
        "_body",
        "_headers",
        "_request",
        "_timeout",
        "_transport",
        "limit",
        "method",
        "url",
    )

    def __init__(
        self,
        transport: _AsyncioOnlyTransport,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        body: bytes | None,
        timeout: dict[str, float | None],
        limit: float | None,
    ) -> None:
        self._transport = transport
        self.method = method
        self.url = url
        self._headers = headers
        self._body = body
        self._timeout = timeout
        #: The attempt's time limit, which aiohttp enforces (``ClientTimeout.total``).
        self.limit = limit
        self._request: httpx.Request | None = None

    def request(self) -> httpx.Request:
        """The ``httpx.Request`` of this request (made once, on first use)."""
        request = self._request
        if request is None:
            request = self._request = httpx.Request(
                self.method, self.url, headers=self._headers, content=self._body
            )
        return request

    async def open(self) -> Head:
        """Send the request and return the answer's head; the body is read by :func:`read_raw`."""
        started = time.perf_counter()
        try:
            answer = await self._transport._open(
                self.method,
                self.url,
                self._headers,
                data=self._body,
                timeout=self._timeout,
                limit=self.limit,
            )
        except _MAPPED as error:
            _raise_mapped(error, self.request, self.limit)
        return Head(answer, self, started)


class Head:
    """An answer on the aiohttp pool, read without an ``httpx.Response`` (a ``BareAnswer``).

    ``content`` is empty until the client has read the body (:func:`read_raw`);
    :meth:`response` makes the ``httpx.Response`` an error keeps.
    """

    __slots__ = ("_answer", "_started", "_wire", "content", "headers", "status_code")

    def __init__(self, answer: ClientResponse, wire: Wire, started: float) -> None:
        self._answer = answer
        self._wire = wire
        self._started = started
        self.status_code = answer.status
        self.headers = answer.headers
        self.content = b""

    #: The answer's HTTP version (aiohttp's pool speaks HTTP/1.1).
    http_version = "HTTP/1.1"

    @property
    def sets_cookie(self) -> bool:
        """Whether a ``Set-Cookie`` came (the pool's cookie jar takes it)."""
        return "set-cookie" in self.headers

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._answer.reason or ""

    @property
    def method(self) -> str:
        """The request's method."""
        return self._wire.method

    @property
    def url(self) -> str:
        """The request's URL."""
        return self._wire.url

    def response(self) -> httpx.Response:
        """This answer as an ``httpx.Response`` with its request, its body as read so far."""
        response = _response(
            self._answer, self._wire.request(), httpx.ByteStream(b""), self._started
        )
        response._content = self.content
        return response

    def streaming(self) -> httpx.Response:
        """This answer as an ``httpx.Response`` whose body is still to be read."""
        request = self._wire.request()
        stream = _Stream(self._answer, request, self._wire.limit)
        return _response(self._answer, request, stream, self._started)

    def read(self, add: Callable[[bytes], None]) -> Awaitable[None]:
        """Hand each piece of the body to ``add`` as it arrives (:func:`read_raw`); await it."""
        return read_raw(self, add)

    def close(self) -> None:
        """Release the connection (closed unless the body was read to its end)."""
        self._answer.release()


class _AsyncioOnlyTransport(httpx_aiohttp.AiohttpTransport):
    """httpx-aiohttp's pool (its session and connector), refusing clearly to run outside asyncio.

    ``httpx.AsyncClient.send`` and the client's direct path for an ``httpx.Request``
    (:func:`._direct.send_async`) call :meth:`handle_async_request`; the client's own
    requests come as a :class:`Wire` (:meth:`wire`) and skip httpx's objects altogether.
    Both send with :meth:`_open`, so they send the same request and raise the same errors.
    """

    _timeouts: tuple[object, float | None, ClientTimeout] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on aiohttp's pool (asyncio only)."""
        started = time.perf_counter()
        with _mapped_errors(lambda: request):
            answer = await self._open(
                request.method,
                str(request.url),
                request.headers,
                data=request.content or None,
                timeout=request.extensions.get("timeout", {}),
                server_hostname=request.extensions.get("sni_hostname"),
            )
        return _response(answer, request, _Stream(answer, request), started)

    def wire(self, *arguments: Any, **options: Any) -> Wire:
        """``Wire(self, *arguments, **options)``: a :class:`Wire` on this pool.

        A method rather than a ``functools.partialmethod``, which makes a partial per call.
        """
        return Wire(self, *arguments, **options)

    def _open(
        self,
        method: str,
        url: str,
        headers: Any,
        *,
        data: bytes | None,
        timeout: dict[str, float | None],
        limit: float | None = None,
        server_hostname: str | None = None,
    ) -> Awaitable[ClientResponse]:
        """Send a request on aiohttp's pool; awaited, its answer's head (asyncio only).

        A plain function returning aiohttp's awaitable: one coroutine less per call, which with
        :meth:`Head.read` (no import statement per answer) took 614k -> 603k instructions
        per query at 50 in flight (callgrind). The
        arguments to aiohttp are httpx-aiohttp's for a pool without a proxy (ours has
        none), and the attempt's time ``limit`` as aiohttp's total (it then raises a bare
        ``TimeoutError``, from here or while the body is read). The caller maps aiohttp's
        errors (:func:`_mapped_errors`).
        """
        _check_asyncio()
        session = self.client
        if not isinstance(session, ClientSession):
            session = self.client = self.get_client()
        cached = self._timeouts
        if cached is not None and cached[0] is timeout and cached[1] == limit:
            client_timeout = cached[2]
        else:  # the builder passes the same dict on every call: made once
            read = timeout.get("read")
            # Kept for speed: aiohttp re-arms a timer on every chunk it receives for a read
            # limit. When the read limit is the attempt's limit (a plain float timeout, the
            # default), the total bounds every read as tightly: 6.5% fewer instructions per
            # query at 50 in flight (639k -> 597k, callgrind, docs/benchmarks.md scenario 8).
            if limit is not None and read == limit:
                read = None
            client_timeout = ClientTimeout(
                total=limit,
                sock_connect=timeout.get("connect"),
                sock_read=read,
                connect=timeout.get("pool"),
                # aiohttp rounds a timeout of 5 s or more up to a whole second; the
                # attempt's limit (and each phase's) is kept exact, as on the default pool.
                ceil_threshold=math.inf,
            )
            self._timeouts = (timeout, limit, client_timeout)
        return session.request(
            method=method,
            url=url,
            headers=headers,
            data=data,
            allow_redirects=False,
            auto_decompress=False,
            compress=False,
            timeout=client_timeout,
            server_hostname=server_hostname,
        )


def _response(
    answer: ClientResponse, request: httpx.Request, stream: httpx.AsyncByteStream, started: float
) -> httpx.Response:
    """aiohttp's answer as an ``httpx.Response`` (as httpx-aiohttp makes it)."""
    extensions: dict[str, Any] = {"http_version": _HTTP_1_1}
    if answer.reason:
        extensions["reason_phrase"] = answer.reason.encode()
    response = httpx.Response(
        status_code=answer.status,
        headers=answer.raw_headers,
        stream=stream,
        request=request,
        extensions=extensions,
    )
    response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
    return response


async def read_raw(head: Head, add: Callable[[bytes], None]) -> None:
    """Hand each piece of the answer's body, as it arrives, to ``add`` (which may raise).

    aiohttp returns the connection to its pool at the end of the body. aiohttp's errors
    become httpx's (:data:`_ERRORS`), carrying the request.
    """
    content = head._answer.content
    wire = head._wire
    try:
        while chunk := await content.readany():
            add(chunk)
    except _MAPPED as error:
        _raise_mapped(error, wire.request, wire.limit)


def make_pool(timeout: httpx.Timeout, headers: dict[str, str]) -> httpx.AsyncClient:
    """A new ``httpx.AsyncClient`` on aiohttp's connection pool."""
    return httpx.AsyncClient(transport=_AsyncioOnlyTransport(), timeout=timeout, headers=headers)
