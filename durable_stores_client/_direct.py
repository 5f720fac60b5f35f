"""Sending a request straight to the pool's transport, without ``httpx.Client.send``'s layers.

Around the transport call, ``httpx.Client.send`` runs layers that do nothing for a pool
without auth, event hooks, redirects to follow, proxies or cookies: the auth flow, the
redirect loop, the hooks, and a pass of the cookie jar over every answer (an ``urllib``
request wrapper each time, ``Set-Cookie`` or not). Client CPU per small query against the
benchmarks' minimal server: 498 µs through ``send``, 352 µs calling the transport
(``docs/benchmarks.md``). :func:`route` says whether a pool is such a pool, and which
transport to call; :func:`send` / :func:`send_async` then do what ``send`` does that can
still matter:

- a transport error carries its request (``httpx.RequestError.request``);
- the answer knows its request, its default encoding and, once read, its elapsed time
  (httpx's own bound stream sets it);
- an answer's ``Set-Cookie`` goes into the pool's cookie jar, as ``send`` would put it (a
  pool with cookies then takes ``send`` again, so they are sent back);
- httpx's ``HTTP Request: ...`` log line, when the ``httpx`` logger is enabled for INFO.

On httpx's own transport (exactly ``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport``,
as in every pool a client makes without ``transport=``; :func:`core_pool`), the
transport's own layer is skipped too: :func:`send_head` / :func:`send_head_async` hand the
transport's httpcore pool an ``httpcore.Request`` made as the transport makes it
(:func:`_core_request`), map httpcore's errors with httpx's own
``map_httpcore_exceptions`` (on the request and while the body is read), and return the
answer as a :class:`CoreHead` / :class:`AsyncCoreHead`: its status, ``Set-Cookie`` and
``Content-Encoding`` read from httpcore's header list, its body from httpcore's stream,
an ``httpx.Response`` made only when needed (an error that carries one, a cookie for the
jar, httpx's log line, an encoded answer: :meth:`CoreHead.streaming`, with
:class:`_CoreStream`, httpx's ``ResponseStream`` and ``BoundSyncStream`` in one).
Without those httpx names (a future httpx), the transport is called as before.

Any other pool (yours with hooks or auth, proxies from the environment, ...) goes through
``send`` as before. The bytes on the wire are the same either way (tests compare them).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn, cast

import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator

    from ._aiohttp import Head

try:  # httpx's own bound streams: they time the answer exactly as send does
    from httpx._client import BoundAsyncStream, BoundSyncStream
except ImportError:  # pragma: no cover - a future httpx: always go through send
    BoundAsyncStream = BoundSyncStream = None  # type: ignore[assignment,misc]

try:  # httpx's own mapping of httpcore's errors, for calling httpcore's pool directly
    from httpx._transports.default import map_httpcore_exceptions
except ImportError:  # pragma: no cover - a future httpx: call its transport instead
    map_httpcore_exceptions = None  # type: ignore[assignment]

__all__ = [
    "AsyncCoreHead",
    "CoreHead",
    "core_pool",
    "has_encoding",
    "raw_request",
    "read_plain",
    "read_plain_async",
    "received_head",
    "route",
    "send",
    "send_async",
    "send_head",
    "send_head_async",
]

_httpx_logger = logging.getLogger("httpx")
_INFO = logging.INFO


def route(http: httpx.Client | httpx.AsyncClient) -> Any:
    """The transport to call for ``http`` directly, or None when ``send`` must run.

    Direct only when ``send`` would add nothing but the bookkeeping :func:`send` does: the
    pool is open, has no auth, no event hooks, no cookies, does not follow redirects, and
    has one transport for every URL (no proxies or other mounts).
    """
    if BoundSyncStream is None or http.is_closed or http.auth is not None:
        return None
    if http.follow_redirects or http.cookies:
        return None
    hooks = http.event_hooks
    if hooks["request"] or hooks["response"]:
        return None
    if getattr(http, "_mounts", True):  # proxies or other mounts: send picks the transport
        return None
    return getattr(http, "_transport", None)


def core_pool(transport: httpx.BaseTransport | httpx.AsyncBaseTransport) -> Any:
    """The httpcore pool of httpx's own transport (sync or async), to call directly, or None."""
    kind = type(transport)
    if (kind is _HTTPTransport or kind is _AsyncHTTPTransport) and (
        map_httpcore_exceptions is not None
    ):
        return transport._pool  # type: ignore[union-attr]
    return None


def send(
    http: httpx.Client, transport: httpx.BaseTransport, request: httpx.Request
) -> httpx.Response:
    """What ``http.send(request, stream=True)`` does, for a pool :func:`route` chose.

    For httpx's own transport the client calls :func:`send_head` instead.
    """
    started = time.perf_counter()
    try:
        response = transport.handle_request(request)
    except httpx.RequestError as error:
        error.request = request
        raise
    stream = cast("httpx.SyncByteStream", response.stream)  # a sync transport's
    response.stream = BoundSyncStream(stream, response=response, start=started)
    _received(http, request, response)
    return response


async def send_async(
    http: httpx.AsyncClient, transport: httpx.AsyncBaseTransport, request: httpx.Request
) -> httpx.Response:
    """What ``await http.send(request, stream=True)`` does, for a pool :func:`route` chose.

    For httpx's own transport the client calls :func:`send_head_async` instead.
    """
    started = time.perf_counter()
    try:
        response = await transport.handle_async_request(request)
    except httpx.RequestError as error:
        error.request = request
        raise
    stream = cast("httpx.AsyncByteStream", response.stream)  # an async transport's
    response.stream = BoundAsyncStream(stream, response=response, start=started)
    _received(http, request, response)
    return response


def received_head(http: httpx.Client | httpx.AsyncClient, head: Head | _CoreHead) -> None:
    """What :func:`send` does with an answer, for one read without an ``httpx.Response``.

    ``head`` is httpcore's answer (:class:`CoreHead`, :class:`AsyncCoreHead`) or the
    aiohttp pool's (:class:`._aiohttp.Head`): a ``Set-Cookie`` goes into the pool's cookie
    jar, and httpx's log line is written as ``send`` writes it.
    """
    if head.sets_cookie:
        http.cookies.extract_cookies(head.response())
    if _httpx_logger.isEnabledFor(_INFO):
        _log_answer(head.method, head.url, head.http_version, head.status_code, head.reason)


def has_encoding(content_encoding: str | None) -> bool:
    """Whether a ``Content-Encoding`` value means the body must be decoded (not ``identity``)."""
    return content_encoding is not None and content_encoding.strip().lower() not in (
        "",
        "identity",
    )


class _RawRequest(httpx.Request):
    """An ``httpx.Request`` made from its headers already encoded, normalised only when read.

    What ``httpx.Request(method, url, headers=raw, stream=ByteStream(body), extensions=)``
    followed by ``read()`` makes, without httpx normalising the header list again on every
    call: :func:`_core_request` hands httpcore ``raw`` itself, and ``headers`` (an
    ``httpx.Headers`` of ``raw``) is made the first time anything reads it (``send``, a
    transport other than httpx's, an error's request).
    """

    def __init__(
        self,
        method: str,
        url: httpx.URL,
        raw: list[tuple[bytes, bytes]],
        body: bytes,
        extensions: dict[str, Any],
    ) -> None:
        # Every attribute httpx.Request.__init__ sets (_REQUEST_FIELDS), headers lazily.
        self.method = method.upper()
        self.url = url
        self.extensions = dict(extensions)
        self.stream = httpx.ByteStream(body)
        self._content = body
        self._raw = _EncodedHeaders(raw)

    def __getattr__(self, name: str) -> Any:
        """Make ``headers`` on first use; any other missing attribute is missing."""
        raw = self.__dict__.get("_raw")
        if name == "headers" and raw is not None:
            headers = self.headers = httpx.Headers(raw)
            return headers
        raise AttributeError(name)

    def __repr__(self) -> str:
        """As ``httpx.Request`` shows itself."""
        return f"<Request({self.method!r}, {str(self.url)!r})>"


class _EncodedHeaders(list[tuple[bytes, bytes]]):
    """A request's encoded header list that shows itself as ``httpx.Headers`` does.

    That is, with credentials masked: the list holds the ``Authorization`` header, and a
    request's attributes can end up shown (``vars(error.response.request)``).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        """``httpx.Headers``' repr of the same headers (credentials masked)."""
        return repr(httpx.Headers(list(self)))


#: The attributes ``httpx.Request.__init__`` sets for a request with a known body.
_REQUEST_FIELDS = frozenset({"method", "url", "headers", "extensions", "stream", "_content"})
#: Whether :class:`_RawRequest` makes what ``httpx.Request`` makes (a newer httpx may not).
_RAW_REQUESTS = set(vars(httpx.Request("POST", "http://localhost/", content=b"-"))) == (
    _REQUEST_FIELDS
)


# Kept for speed: httpx normalises a request's header list anew on every call (each name
# twice, each value once) and copies its URL. Made from the encoded headers, with the
# headers handed to httpcore as they are, a small query against the benchmarks' minimal
# server took 1,153,000 instructions of client CPU instead of 1,191,000 (3.1% fewer;
# valgrind --tool=callgrind, sync; AsyncClient at concurrency 1: 2,123,000 instead of
# 2,157,000); building the request and its httpcore.Request, 50,000 instructions instead
# of 92,000.
def raw_request(
    method: str,
    url: httpx.URL,
    raw: list[tuple[bytes, bytes]],
    body: bytes,
    extensions: dict[str, Any],
) -> httpx.Request:
    """``httpx.Request(method, url, headers=raw, stream=ByteStream(body), extensions=)``, read.

    ``raw`` is the whole head's headers, encoded, ``Host`` and ``Content-Length`` included
    (as ``_client._build_raw`` makes them): nothing is added. The request is an
    ``httpx.Request`` whose ``headers`` are made when first read.
    """
    if not _RAW_REQUESTS:  # pragma: no cover - a future httpx: its own construction
        request = httpx.Request(
            method, url, headers=raw, stream=httpx.ByteStream(body), extensions=extensions
        )
        request.read()  # what content= does: request.content works
        return request
    return _RawRequest(method, url, raw, body, extensions)


def _raw_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    """The request's headers as httpx's transports hand them to httpcore."""
    if type(request) is _RawRequest and "headers" not in request.__dict__:
        raw: list[tuple[bytes, bytes]] = request._raw
        return raw
    return request.headers.raw


#: The attributes of an ``httpx.Response`` :func:`read_plain` keeps as ``iter_bytes`` would.
_RESPONSE_FIELDS = frozenset(
    {"is_closed", "is_stream_consumed", "_num_bytes_downloaded", "_request"}
)
#: Whether :func:`read_plain` may read a body itself (a newer httpx may keep other fields).
_PLAIN_READS = _RESPONSE_FIELDS.issubset(vars(httpx.Response(200, stream=httpx.ByteStream(b""))))


# Kept for speed: for an answer without a Content-Encoding, httpx's iter_bytes stacks five
# generators (iter_bytes, iter_raw, two pass-through chunkers and the identity decoder)
# and two request_context managers over the stream. Read here, a small query against the
# benchmarks' minimal server took 1,086,000 instructions of client CPU instead of
# 1,153,000 (5.8% fewer; valgrind --tool=callgrind, sync; AsyncClient at concurrency 1:
# 2,060,000 instead of 2,125,000).
def read_plain(response: httpx.Response, add: Callable[[bytes], None]) -> None:
    """``for chunk in response.iter_bytes(): add(chunk)``, for an answer without an encoding.

    The same chunks (empty ones skipped, as httpx's chunker does), then the response closed;
    the same flags and byte count on the response, and a transport error raised while
    reading or closing carries the response's request. An encoded answer goes through
    ``iter_bytes``: only it decodes.
    """
    stream = response.stream
    if (
        not _PLAIN_READS
        or response.is_stream_consumed
        or response.is_closed
        or not isinstance(stream, httpx.SyncByteStream)
    ):  # pragma: no cover - a future httpx, or what iter_raw refuses, with its error
        for chunk in response.iter_bytes():
            add(chunk)
        return
    response.is_stream_consumed = True
    try:
        for chunk in stream:
            if chunk:
                response._num_bytes_downloaded += len(chunk)
                add(chunk)
        response.is_closed = True
        stream.close()
    except httpx.RequestError as error:
        request = response._request
        if request is not None:
            error.request = request
        raise


async def read_plain_async(response: httpx.Response, add: Callable[[bytes], None]) -> None:
    """:func:`read_plain` for ``AsyncClient``: ``aiter_bytes``, for an unencoded answer."""
    stream = response.stream
    if (
        not _PLAIN_READS
        or response.is_stream_consumed
        or response.is_closed
        or not isinstance(stream, httpx.AsyncByteStream)
    ):  # pragma: no cover - a future httpx, or what aiter_raw refuses, with its error
        async for chunk in response.aiter_bytes():
            add(chunk)
        return
    response.is_stream_consumed = True
    try:
        async for chunk in stream:
            if chunk:
                response._num_bytes_downloaded += len(chunk)
                add(chunk)
        response.is_closed = True
        await stream.aclose()
    except httpx.RequestError as error:
        request = response._request
        if request is not None:
            error.request = request
        raise


_HTTPTransport = httpx.HTTPTransport
_AsyncHTTPTransport = httpx.AsyncHTTPTransport


#: The attributes ``httpcore.Request.__init__`` sets: what :func:`_core_request` sets itself.
_CORE_REQUEST_FIELDS = frozenset({"method", "url", "headers", "stream", "extensions"})


class _Core:
    """httpcore's classes, looked up when the first request goes to a pool (which imported it)."""

    __slots__ = ("request", "unchecked", "url")

    def __init__(self) -> None:
        # Kept for speed: httpcore (with h11) adds about 50 ms to `import durable_stores_client`
        # (-X importtime, 2026-11-30); the pool that calls here has imported it already.
        import httpcore  # noqa: PLC0415 - import time, measured above

        self.request = httpcore.Request
        self.url = httpcore.URL
        #: Whether a request may skip ``httpcore.Request``'s argument checks: only while its
        #: ``__init__`` sets exactly :data:`_CORE_REQUEST_FIELDS` (a newer httpcore may not).
        probe = httpcore.Request("GET", "http://localhost/")
        self.unchecked = set(vars(probe)) == _CORE_REQUEST_FIELDS


_core: _Core | None = None


# Kept for speed: httpcore.Request's checks go over every header of a request httpx has
# already checked (an abstract-class isinstance and two type checks each). Made without
# them, a small query against the benchmarks' minimal server took 1,188,000 instructions
# of client CPU instead of 1,232,000 (3.5% fewer; valgrind --tool=callgrind, sync; async at
# concurrency 1: 2,157,000 instead of 2,208,000).
def _core_request(request: httpx.Request) -> Any:
    """The ``httpcore.Request`` httpx's transports make of ``request``."""
    global _core  # noqa: PLW0603 - looked up once
    core = _core
    if core is None:
        core = _core = _Core()
    url = request.url
    core_url = core.url(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
    extensions = request.extensions
    if not core.unchecked or "target" in extensions:
        return core.request(
            method=request.method,
            url=core_url,
            headers=_raw_headers(request),
            content=request.stream,
            extensions=extensions,
        )
    made = object.__new__(core.request)
    made.method = request.method.encode("ascii")
    made.url = core_url
    made.headers = _raw_headers(request)
    made.stream = request.stream
    made.extensions = extensions
    return made


def _raise_mapped(error: Exception, request: httpx.Request | None) -> NoReturn:
    """Raise ``error`` as httpx's transports raise it: httpcore's errors as httpx's own."""
    try:
        with map_httpcore_exceptions():
            raise error
    except httpx.RequestError as mapped:
        if request is not None:
            mapped.request = request
        raise


class _CoreStream(httpx.SyncByteStream):
    """An answer's body from httpcore: httpx's ``ResponseStream`` and ``BoundSyncStream`` in one.

    Errors are mapped as httpx maps them; closing sets the response's ``elapsed``.
    """

    __slots__ = ("_response", "_start", "_stream")

    def __init__(self, stream: Iterable[bytes], start: float) -> None:
        self._stream = stream
        self._start = start
        self._response: httpx.Response | None = None

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body's chunks, httpcore's errors mapped."""
        try:
            for chunk in self._stream:  # noqa: UP028 - as httpx's ResponseStream
                yield chunk
        except Exception as error:
            _raise_mapped(error, None)

    def close(self) -> None:
        """Set the response's elapsed time and close httpcore's stream (unmapped, as httpx)."""
        if self._response is not None:
            self._response.elapsed = timedelta(seconds=time.perf_counter() - self._start)
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _AsyncCoreStream(httpx.AsyncByteStream):
    """:class:`_CoreStream` for ``AsyncClient``."""

    __slots__ = ("_response", "_start", "_stream")

    def __init__(self, stream: AsyncIterable[bytes], start: float) -> None:
        self._stream = stream
        self._start = start
        self._response: httpx.Response | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body's chunks, httpcore's errors mapped."""
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as error:
            _raise_mapped(error, None)

    async def aclose(self) -> None:
        """Set the response's elapsed time and close httpcore's stream (unmapped, as httpx)."""
        if self._response is not None:
            self._response.elapsed = timedelta(seconds=time.perf_counter() - self._start)
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


def _received(
    http: httpx.Client | httpx.AsyncClient, request: httpx.Request, response: httpx.Response
) -> None:
    response.request = request
    if "set-cookie" in response.headers:
        http.cookies.extract_cookies(response)
    response.default_encoding = getattr(http, "_default_encoding", "utf-8")
    if _httpx_logger.isEnabledFor(_INFO):
        _log_answer(
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


# Kept for speed, two steps (valgrind --tool=callgrind, client CPU per small query against
# the benchmarks' minimal server; docs/benchmarks.md): httpx's transport layer (its
# httpcore.Request, the error-mapping context manager, ResponseStream under
# BoundSyncStream) skipped, 1,265k -> 1,232k instructions sync, 2,247k -> 2,208k async at
# concurrency 1; then no httpx.Response (its Headers parsed), stream wrappers, Set-Cookie
# lookup or read_plain bookkeeping for an answer that needs none, where a successful call
# reads only the status and the body: sync 1,089k -> 1,038k, async 2,002k -> 1,949k at
# concurrency 1.
def send_head(http: httpx.Client, pool: Any, request: httpx.Request) -> CoreHead:
    """Send ``request`` on httpx's own pool, httpcore's, and return the answer's head.

    What :func:`send` does (errors mapped and carrying their request, a ``Set-Cookie``
    into the pool's cookie jar, httpx's log line), without an ``httpx.Response``: the
    body is read by :meth:`CoreHead.read`.
    """
    started = time.perf_counter()
    core = _core_request(request)
    try:
        answer = pool.handle_request(core)
    except Exception as error:
        _raise_mapped(error, request)
    head = CoreHead(http, request, answer, started)
    try:
        received_head(http, head)
    except BaseException:
        head.close()
        raise
    return head


async def send_head_async(
    http: httpx.AsyncClient, pool: Any, request: httpx.Request
) -> AsyncCoreHead:
    """:func:`send_head` for ``AsyncClient``: the body is read by :meth:`AsyncCoreHead.read`."""
    started = time.perf_counter()
    core = _core_request(request)
    try:
        answer = await pool.handle_async_request(core)
    except Exception as error:
        _raise_mapped(error, request)
    head = AsyncCoreHead(http, request, answer, started)
    try:
        received_head(http, head)
    except BaseException:
        await head.aclose()
        raise
    return head


class _CoreHead:
    """An answer from httpcore's pool, read without an ``httpx.Response`` (a ``BareAnswer``).

    ``content`` is empty until the body has been read; :meth:`response` makes the
    ``httpx.Response`` an error keeps (with its request, the body read so far and its
    ``elapsed``). :class:`CoreHead` and :class:`AsyncCoreHead` read the body.
    """

    __slots__ = (
        "_answer",
        "_elapsed",
        "_headers",
        "_http",
        "_request",
        "_started",
        "content",
        "encoded",
        "sets_cookie",
        "status_code",
    )

    def __init__(
        self,
        http: httpx.Client | httpx.AsyncClient,
        request: httpx.Request,
        answer: Any,
        started: float,
    ) -> None:
        self._http = http
        self._request = request
        self._answer = answer
        self._started = started
        self._elapsed: float | None = None
        self._headers: httpx.Headers | None = None
        self.status_code: int = answer.status
        self.content = b""
        encodings: list[bytes] = []
        sets_cookie = False
        for name, value in answer.headers:
            lower = name.lower()
            if lower == b"content-encoding":
                encodings.append(value)
            elif lower == b"set-cookie":
                sets_cookie = True
        #: Whether a ``Set-Cookie`` came (the pool's cookie jar takes it).
        self.sets_cookie = sets_cookie
        #: Whether the body has a ``Content-Encoding`` (then read through httpx's decoders).
        self.encoded = bool(encodings) and has_encoding(b", ".join(encodings).decode("latin-1"))

    @property
    def request(self) -> httpx.Request:
        """The request this answers."""
        return self._request

    @property
    def method(self) -> str:
        """The request's method."""
        return self._request.method

    @property
    def url(self) -> httpx.URL:
        """The request's URL."""
        return self._request.url

    @property
    def http_version(self) -> str:
        """The answer's HTTP version, as ``httpx.Response.http_version`` reads it."""
        version: bytes = self._answer.extensions.get("http_version", b"HTTP/1.1")
        return version.decode("ascii", errors="ignore")

    @property
    def reason(self) -> str:
        """The reason phrase, as ``httpx.Response.reason_phrase`` reads it."""
        phrase: bytes | None = self._answer.extensions.get("reason_phrase")
        if phrase:
            return phrase.decode("ascii", errors="ignore")
        return httpx.codes.get_reason_phrase(self.status_code)

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (made on first use)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = httpx.Headers(self._answer.headers)
        return headers

    def _ended(self) -> None:
        """Note when the body ended (the ``elapsed`` of a response made afterwards)."""
        if self._elapsed is None:
            self._elapsed = time.perf_counter() - self._started

    def _response(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
        answer = self._answer
        response = httpx.Response(
            answer.status, headers=answer.headers, stream=stream, extensions=answer.extensions
        )
        response.request = self._request
        response.default_encoding = getattr(self._http, "_default_encoding", "utf-8")
        return response

    def response(self) -> httpx.Response:
        """This answer as an ``httpx.Response`` with its request.

        Once the body has been read, as httpx leaves a read response: its content, closed,
        consumed, its bytes counted, its ``elapsed`` set when the body ended. Before (an
        answer over ``max_response_bytes``, whose reading stops), closed with its body
        dropped, as the client leaves an ``httpx.Response`` it stops reading.
        """
        response = self._response(httpx.ByteStream(b""))
        response.is_closed = True
        elapsed = self._elapsed
        if elapsed is None:
            elapsed = time.perf_counter() - self._started
        else:
            content = response._content = self.content
            response.is_stream_consumed = True
            response._num_bytes_downloaded = len(content)
        response.elapsed = timedelta(seconds=elapsed)
        return response


class CoreHead(_CoreHead):
    """``Client``'s answer from httpcore's pool: the body read by :meth:`read`."""

    __slots__ = ()

    def read(self, add: Callable[[bytes], None]) -> None:
        """Hand each chunk of the body to ``add`` (which may raise), then release the connection.

        httpcore's errors are raised as httpx's, carrying the request.
        """
        try:
            for chunk in self._answer.stream:
                if chunk:
                    add(chunk)
        except Exception as error:
            _raise_mapped(error, self._request)
        self.close()

    def close(self) -> None:
        """Release the connection (closed unless the body was read to its end)."""
        self._ended()
        self._answer.stream.close()

    def streaming(self) -> httpx.Response:
        """This answer as an ``httpx.Response`` whose body is still to be read."""
        stream = _CoreStream(self._answer.stream, self._started)
        response = stream._response = self._response(stream)
        return response


class AsyncCoreHead(_CoreHead):
    """``AsyncClient``'s answer from httpcore's pool: the body read by :meth:`read`."""

    __slots__ = ()

    async def read(self, add: Callable[[bytes], None]) -> None:
        """:meth:`CoreHead.read`, awaited."""
        try:
            async for chunk in self._answer.stream:
                if chunk:
                    add(chunk)
        except Exception as error:
            _raise_mapped(error, self._request)
        await self.aclose()

    async def aclose(self) -> None:
        """Release the connection (closed unless the body was read to its end)."""
        self._ended()
        await self._answer.stream.aclose()

    def streaming(self) -> httpx.Response:
        """This answer as an ``httpx.Response`` whose body is still to be read."""
        stream = _AsyncCoreStream(self._answer.stream, self._started)
        response = stream._response = self._response(stream)
        return response


def _log_answer(method: str, url: object, version: str, status: int, reason: str) -> None:
    """httpx's own INFO line for an answer, as ``httpx.Client.send`` writes it."""
    _httpx_logger.info('HTTP Request: %s %s "%s %d %s"', method, url, version, status, reason)
