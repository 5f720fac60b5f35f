"""``Client`` and ``AsyncClient``: each only the I/O loop around the shared functions.

Request building (:mod:`._requests`), answer decoding (:mod:`._envelope`) and
retry decisions (:mod:`._retry`, through :class:`_Attempts`) are plain code
shared by both clients; so are settings, pool ownership, ``with_options`` and
the repr (:class:`_BaseClient`). :meth:`Client._send` and
:meth:`AsyncClient._send` mirror each other line by line and differ only in
``await``.

Connection pool ownership: a client that creates its ``httpx`` client (no
``http_client=`` argument) owns it and closes it in ``close()`` / ``aclose()``,
and makes a new one in a forked process and (async) in each event loop
(:mod:`._pool`). A client given ``http_client=`` never closes it. A client made
by ``with_options`` shares its parent's pool and never closes it either; close
the parent when done with both (a derived client raises ``ClientClosedError``
once its parent is closed).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

import anyio
import httpx

from . import _deadline, _direct, _requests
from ._config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    UNCHANGED,
    ClientOptions,
    TimeoutTypes,
    derive_options,
    resolve_options,
)
from ._envelope import (
    Answer,
    as_response,
    connection_error,
    decode,
    too_large_error,
    undecodable_body_error,
)
from ._exceptions import ConflictError, DurableStoresError, NotFoundError, StoreKindConflictError
from ._handles import AsyncStoreHandle, StoreHandle, handle_target
from ._logging import logger, setup_from_env
from ._pool import Pool
from ._redaction import redact_exception_chain
from ._requests import ResultT
from ._retry import (
    RetryPolicy,
    counts_as_deleted,
    may_retry_exception,
    may_retry_status,
    was_not_applied,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping
    from types import TracebackType

    from ._aiohttp import Wire
    from ._models import (
        CommandArgument,
        CommandResult,
        ExecuteResult,
        QueryResult,
        Store,
        StoreKind,
        StoreKindName,
    )
    from ._requests import PreparedCall

__all__ = ["AsyncClient", "Client"]

_ClientT = TypeVar("_ClientT", bound="Client")
_AsyncClientT = TypeVar("_AsyncClientT", bound="AsyncClient")
# Named for how they read in the clients' rendered signatures: with_options
# returns a client of the same class; httpx.Client or httpx.AsyncClient, and
# the transport class that goes with it.
SameClient = TypeVar("SameClient", bound="_BaseClient[Any, Any]")
HttpxClient = TypeVar("HttpxClient", httpx.Client, httpx.AsyncClient)
#: The connection pool a client makes for itself: httpcore's (httpx's default) or aiohttp's.
HttpBackend = Literal["httpcore", "aiohttp"]
HttpxTransport = TypeVar("HttpxTransport", httpx.BaseTransport, httpx.AsyncBaseTransport)

#: Tells httpx to use the timeout its client was built with.
_USE_POOL_TIMEOUT: Any = httpx.USE_CLIENT_DEFAULT
_DEBUG = logging.DEBUG
_INFO = logging.INFO


class _Attempts(Generic[ResultT]):
    """The retry bookkeeping of one call, shared by both clients' loops.

    The loop sends, then asks :meth:`after_answer` or :meth:`after_error` how
    long to sleep before the next attempt; None from :meth:`after_answer` means
    the answer is final and :meth:`finish` turns it into the result or error.
    """

    __slots__ = ("ambiguous", "api_key", "attempt", "call", "limit", "log", "options", "started")

    def __init__(self, call: PreparedCall[ResultT], options: ClientOptions) -> None:
        self.call = call
        self.options = options
        self.api_key = options.api_key
        #: Seconds one attempt may take in all, or None.
        self.limit = options.attempt_limit
        self.attempt = 1
        # Did an earlier attempt fail in a way that may have reached the server?
        self.ambiguous = False
        self.log = logger.isEnabledFor(_INFO)
        self.started = time.perf_counter() if self.log else 0.0

    def after_answer(self, response: Answer) -> float | None:
        """Return the wait before retrying this answer, or None if it is final."""
        status = response.status_code
        if self.log:
            self._log(_DEBUG, "%s %s -> %s (attempt %d, %.1f ms)", status)
        if status < 400:
            return None
        call = self.call
        if not may_retry_status(call.kind, status):
            return None
        delay = self._delay(response.headers, f"HTTP {status}")
        if delay is not None and not was_not_applied(None, status):
            self.ambiguous = True
        return delay

    def after_failure(self, error: Exception, pool: Pool[Any]) -> float:
        """Return the wait before retrying after an attempt raised ``error``, or raise.

        A transport error is judged by :meth:`after_error`; our own errors
        (a body too large or undecodable) propagate. Once the client is
        closed, any failure (httpx's bare ``RuntimeError`` for a closed pool
        among them) is a :class:`ClientClosedError`.
        """
        if pool.closed and not isinstance(error, DurableStoresError):
            redact_exception_chain(error, (self.api_key,))  # chained: mask what it quotes
            raise pool.closed_error(self.call) from error
        if isinstance(error, httpx.RequestError):
            return self.after_error(error)
        raise error

    def after_error(self, error: httpx.RequestError) -> float:
        """Return the wait before retrying after ``error``, or raise the final error."""
        call = self.call
        if self.log:
            self._log(_DEBUG, "%s %s -> %s (attempt %d, %.1f ms)", type(error).__name__)
        if may_retry_exception(call.kind, error):  # only ever true for transport errors
            delay = self._delay(None, type(error).__name__)
            if delay is not None:
                if not was_not_applied(error, None):
                    self.ambiguous = True
                return delay
        failure = connection_error(error, call, self.options.base_url, self.api_key, self.attempt)
        if isinstance(error, httpx.LocalProtocolError):
            # Its text quotes the illegal header, which may be a credential.
            raise failure from None
        raise failure from error

    def check_body_error(self, error: BaseException, response: httpx.Response) -> None:
        """Raise the final error for an answer whose body cannot be decoded.

        The server answered: a body that cannot be decoded (``httpx.DecodingError``)
        is a :class:`ProtocolError`, never retried (a corrupt body is usually
        deterministic, and a write may have been applied). Any other error is
        left to the caller to re-raise.
        """
        if isinstance(error, httpx.DecodingError):
            if self.log:
                self._log(_DEBUG, "%s %s -> %s (attempt %d, %.1f ms)", type(error).__name__)
            failure = undecodable_body_error(response, self.call, error, self.api_key)
            raise failure from error

    def finish(self, response: Answer) -> ResultT:
        """Turn the final answer into the call's result, or raise its error."""
        call = self.call
        if counts_as_deleted(call.kind, response.status_code, self.ambiguous):
            if self.log:
                self._log(
                    _INFO,
                    "%s %s -> %s after an ambiguous attempt: counted as deleted "
                    "(attempt %d, %.1f ms)",
                    404,
                )
            return call.decode_data(None)
        return decode(response, call, self.api_key)

    def _delay(self, headers: Mapping[str, str] | None, why: str) -> float | None:
        retries = self.attempt - 1
        if retries >= self.options.max_retries:
            if self.log and self.options.max_retries:
                self._log(_INFO, "%s %s -> %s: giving up (attempt %d, %.1f ms)", why)
            return None
        delay = self.options.retry_policy.delay(retries, headers)
        if delay is None:
            if self.log:
                self._log(
                    _INFO, "%s %s -> %s: Retry-After too long, giving up (attempt %d, %.1f ms)", why
                )
            return None
        if self.log:
            logger.info(
                "%s %s -> %s: retrying in %.2f s (attempt %d of %d)",
                self.call.method,
                self.call.path,
                why,
                delay,
                self.attempt + 1,
                self.options.max_retries + 1,
            )
        self.attempt += 1
        return delay

    def _log(self, level: int, message: str, outcome: object) -> None:
        if not logger.isEnabledFor(level):
            return
        call = self.call
        elapsed_ms = (time.perf_counter() - self.started) * 1000.0
        logger.log(
            level,
            message,
            call.method,
            call.path,
            outcome,
            self.attempt,
            elapsed_ms,
            extra={
                "method": call.method,
                "path": call.path,
                "status": outcome,
                "attempt": self.attempt,
                "elapsed_ms": elapsed_ms,
            },
        )


def _over_time_limit(limit: float, request: httpx.Request) -> httpx.ReadTimeout:
    """The error for an attempt that outlived its time limit (retried like a read timeout)."""
    return httpx.ReadTimeout(_deadline.over_time_limit_text(limit), request=request)


#: Raw bytes handed to the decoder at a time for an answer with a ``Content-Encoding``:
#: gzip and deflate expand at most about 1,000-fold, so one piece decodes to at most
#: about 4 MiB, and a bomb cannot blow past ``max_response_bytes`` within one network read.
_ENCODED_PIECE = 4096


def _pieces(chunk: bytes) -> Iterator[bytes]:
    """Split a raw chunk of an encoded answer into pieces of at most :data:`_ENCODED_PIECE`."""
    if len(chunk) <= _ENCODED_PIECE:
        yield chunk
        return
    view = memoryview(chunk)
    for start in range(0, len(chunk), _ENCODED_PIECE):
        yield bytes(view[start : start + _ENCODED_PIECE])


def _is_encoded(response: Answer) -> bool:
    """Whether an answer's body has a ``Content-Encoding`` (read through httpx's decoders)."""
    return _direct.has_encoding(response.headers.get("content-encoding"))


class _GuardedStream(httpx.SyncByteStream):
    """A sync answer's raw body: cut into pieces when encoded, and time-limited.

    What bounds a synchronous attempt as a whole when the pool is not the
    client's own (whose sockets honour the deadline themselves): httpx's own
    limits apply to each network operation, so a server that keeps sending a
    byte now and then is never cut off by them. Checked before each chunk is
    handed on.
    """

    __slots__ = ("_deadline", "_encoded", "_limit", "_request", "_stream")

    def __init__(
        self,
        stream: httpx.SyncByteStream,
        deadline: float | None,
        limit: float,
        request: httpx.Request,
        encoded: bool,
    ) -> None:
        self._stream = stream
        self._deadline = deadline
        self._limit = limit
        self._request = request
        self._encoded = encoded

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body's chunks (or pieces) until the deadline passes."""
        deadline = self._deadline
        if deadline is not None and time.monotonic() > deadline:
            raise _over_time_limit(self._limit, self._request)
        for chunk in self._stream:
            if deadline is not None and time.monotonic() > deadline:
                raise _over_time_limit(self._limit, self._request)
            if self._encoded:
                yield from _pieces(chunk)
            else:
                yield chunk

    def close(self) -> None:
        """Close the underlying stream."""
        self._stream.close()


class _PiecesStream(httpx.AsyncByteStream):
    """An async encoded answer's raw body, cut into pieces (see :data:`_ENCODED_PIECE`)."""

    __slots__ = ("_stream",)

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body's pieces."""
        async for chunk in self._stream:
            for piece in _pieces(chunk):
                yield piece

    async def aclose(self) -> None:
        """Close the underlying stream."""
        await self._stream.aclose()


#: What a read response's stream becomes (see :meth:`_Body.finish`).
_READ_STREAM = httpx.ByteStream(b"")


class _Body:
    """An answer's decoded body as it is read, refusing more than ``max_response_bytes``.

    Both clients feed it the decoded chunks (``iter_bytes`` / ``aiter_bytes``),
    so what is counted is what would be kept in memory: a gzip bomb or an
    endless chunked body is cut off at the limit (plus at most one network
    read's worth of decoded bytes) and raises :class:`ResponseTooLargeError`.
    """

    __slots__ = ("_call", "_chunks", "_limit", "_response", "_size")

    def __init__(self, response: Answer, call: PreparedCall[Any], limit: int) -> None:
        self._response = response
        self._call = call
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk``, or raise once the body is over the limit."""
        self._size += len(chunk)
        if self._size > self._limit:
            self._chunks.clear()
            raise too_large_error(as_response(self._response), self._call, self._limit)
        self._chunks.append(chunk)

    def content(self) -> bytes:
        """The whole body read."""
        chunks = self._chunks
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def finish(self) -> httpx.Response:
        """Make the whole body the response's content (what ``read()`` would do) and return it.

        The read response also drops its stream: httpx binds the stream back to the
        response (a reference cycle), which would keep the body in memory after the call
        returns, until the garbage collector runs.
        """
        response = as_response(self._response)
        response._content = self.content()
        response.stream = _READ_STREAM
        return response


# Kept for speed: httpx parses a string URL anew on every request. build_request + send
# on a MockTransport took 84 us a call with a string URL and 72 us with a parsed one
# (docs/benchmarks.md). Without this cache (python -m benchmarks.compare_revision, 30
# rounds, on a loaded 2-core machine) the client's median ratio to raw httpx went from
# 0.715 to 0.725 in process and from 0.885 to 0.956 over loopback.
@functools.lru_cache(maxsize=1024)
def _url(text: str) -> httpx.URL:
    """Parse a request URL once: httpx parses a string URL anew on every request."""
    return httpx.URL(text)


@functools.lru_cache(maxsize=1024)
def _url_text(text: str) -> str:
    """A request URL as httpx writes it (:func:`_url`'s), made once: the aiohttp pool's."""
    return str(_url(text))


#: Headers a request's framing or each call sets: fixed headers naming one of them take
#: httpx's own way of building the request (:func:`_build_raw` would not merge them).
_FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "content-type", "idempotency-key"}
)
#: Methods httpx gives ``Content-Length: 0`` when they have no body.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = b"application/json"


# Kept for speed: building the request from headers encoded once saves httpx's
# normalising them again on every call (three header lists per request: the call's,
# then with Content-Length, then with Host). Measured when the aiohttp pool still sent
# httpx.Requests (it sends a Wire now): at 50 calls in flight client CPU per query went
# from 164 to 148 us; on httpcore's pool, with the request's headers then made only when
# read (_direct.raw_request), building both requests takes 50,000 instructions instead of
# 92,000 (callgrind, sync; docs/benchmarks.md, scenario 8 and "What changed").
def _build_raw(
    method: str,
    url: httpx.URL,
    raw: list[tuple[bytes, bytes]],
    body: bytes | None,
    extensions: dict[str, Any],
) -> httpx.Request:
    """The request ``httpx.Request(method, url, content=body, headers=...)`` builds.

    Its headers in httpx's order: ``Host``, the fixed headers, then for a body
    ``Content-Type``, a fresh ``Idempotency-Key`` (as :func:`_requests.request_headers`
    adds them) and ``Content-Length`` (as httpx adds it). Tests compare the bytes on the
    wire with httpx's own construction.
    """
    if body is None:
        headers = raw
        body = b""
    else:
        headers = [
            *raw,
            (b"Content-Type", _JSON),
            (b"Idempotency-Key", _requests.idempotency_key().encode("ascii")),
            (b"Content-Length", str(len(body)).encode("ascii")),
        ]
    return _direct.raw_request(method, url, headers, body, extensions)


class _RequestBuilder:
    """Builds each call's :class:`httpx.Request` (or, on the aiohttp pool of our own, the
    :class:`._aiohttp.Wire` it sends), the same way for both clients.

    With a pool of our own (no ``http_client=``), which has no base URL, auth,
    params or event hooks, the request is built directly, from headers merged
    once here with the pool's defaults: ``build_request`` would parse the URL
    and merge headers and cookies again on every call, which cost more than
    everything else the SDK does per request: on a ``MockTransport``, 72 µs a
    call through ``build_request`` (parsed URL) and ``send``, 56 µs built
    directly (``docs/benchmarks.md``). The request on the wire is the same. A
    client brought with ``http_client=`` (its defaults, cookies and params
    apply), and ours once a server has set a cookie, go through
    ``build_request``, sending only what differs from the pool's defaults.
    """

    __slots__ = (
        "_direct",
        "_extensions",
        "_headers",
        "_http_headers",
        "_options",
        "_own_framing",
        "_pool_headers",
        "_pool_timeout",
        "_raw",
        "_wire",
        "_wire_headers",
    )

    def __init__(
        self,
        pool_defaults: httpx.Headers,
        options: ClientOptions,
        *,
        owned: bool,
        pool_headers: dict[str, str] | None,
        pool_timeout: httpx.Timeout | None,
        wire: bool = False,
    ) -> None:
        self._http_headers = pool_defaults
        self._options = options
        self._direct = owned
        #: Whether the pool is aiohttp's, which sends a :class:`._aiohttp.Wire` directly.
        self._wire = wire
        #: The fixed headers as httpx hands them to aiohttp (``Host`` first, names in
        #: lower case), made on the first call.
        self._wire_headers: dict[str, str] | None = None
        self._pool_headers = pool_headers
        self._pool_timeout = pool_timeout
        ours = {name.lower() for name in options.base_headers}
        pool_defaults = self._http_headers
        encoding = pool_defaults.encoding
        headers = {
            name.decode(encoding): value.decode(encoding)
            for name, value in pool_defaults.raw
            if name.decode(encoding).lower() not in ours
        }
        headers.update(options.base_headers)
        self._headers = headers
        self._extensions = {"timeout": options.timeout.as_dict()}
        #: The head's fixed headers as httpx would encode them, ``Host`` first (made on
        #: the first call); None until then, or when a header would change what httpx
        #: adds itself (see :func:`_build_raw`).
        self._raw: list[tuple[bytes, bytes]] | None = None
        #: Whether a fixed header names one that httpx or the call sets itself.
        self._own_framing = any(name.lower() in _FRAMING_HEADERS for name in headers)

    def derive(self, options: ClientOptions) -> _RequestBuilder:
        """The builder for a ``with_options`` client sharing the same pool."""
        return _RequestBuilder(
            self._http_headers,
            options,
            owned=self._direct,
            pool_headers=self._pool_headers,
            pool_timeout=self._pool_timeout,
            wire=self._wire,
        )

    def _fixed_raw(self, url: httpx.URL) -> list[tuple[bytes, bytes]] | None:
        """The fixed headers encoded (made once), or None when httpx must build the request."""
        raw = self._raw
        if raw is None and not self._own_framing:
            raw = self._raw = [(b"Host", url.netloc), *httpx.Headers(self._headers).raw]
        return raw

    @overload
    def build(self, call: PreparedCall[Any], http: httpx.Client) -> httpx.Request: ...

    @overload
    def build(self, call: PreparedCall[Any], http: httpx.AsyncClient) -> httpx.Request | Wire: ...

    def build(
        self, call: PreparedCall[Any], http: httpx.Client | httpx.AsyncClient
    ) -> httpx.Request | Wire:
        """The request for ``call`` on ``http`` (built once, re-sent as it is on retries).

        On the aiohttp pool of our own, a :class:`._aiohttp.Wire`: sent without an
        ``httpx.Request``.
        """
        options = self._options
        text = options.base_url + call.path
        url = _url(text)
        has_body = call.body is not None
        if self._direct and not http.cookies and (has_body or call.method not in _BODY_METHODS):
            raw = self._fixed_raw(url)
            if raw is not None:
                if self._wire and (transport := _direct.route(http)) is not None:
                    return self._build_wire(transport, call, _url_text(text), raw)
                return _build_raw(call.method, url, raw, call.body, self._extensions)
            return httpx.Request(
                call.method,
                url,
                content=call.body,
                headers=_requests.request_headers(self._headers, has_body),
                extensions=self._extensions,
            )
        headers = options.base_headers
        timeout = options.timeout
        return http.build_request(
            call.method,
            url,
            content=call.body,
            headers=_requests.request_headers(
                None if headers is self._pool_headers else headers, has_body
            ),
            timeout=_USE_POOL_TIMEOUT if timeout is self._pool_timeout else timeout,
        )

    def _build_wire(
        self, transport: Any, call: PreparedCall[Any], url: str, raw: list[tuple[bytes, bytes]]
    ) -> Wire:
        """The aiohttp pool's request: the headers :func:`_build_raw` builds, as aiohttp gets them.

        Through httpx, aiohttp reads an ``httpx.Request``'s headers back as text, names
        in lower case; these are the same, made without it.
        """
        headers = self._wire_headers
        if headers is None:
            headers = self._wire_headers = dict(httpx.Headers(raw).items())
        body = call.body
        if body is not None:
            headers = {
                **headers,
                "content-type": "application/json",
                "idempotency-key": _requests.idempotency_key(),
                "content-length": str(len(body)),
            }
        wire: Wire = transport.wire(
            call.method,
            url,
            headers,
            body=body,
            timeout=self._extensions["timeout"],
            limit=self._options.attempt_limit,
        )
        return wire


def _find_store(operation: str, stores: list[Store], name: str, kind: str) -> Store | None:
    """Return the store named ``name``, compared as the server stores names (trimmed).

    Raises:
        StoreKindConflictError: That store has another kind.
    """
    wanted = _requests.trim_like_server(name)
    for store in stores:
        if store.name == wanted:
            if store.kind.value != kind:
                raise StoreKindConflictError(
                    name=wanted,
                    kind=kind,
                    existing_kind=store.kind.value,
                    store_id=store.id,
                    operation=operation,
                )
            return store
    return None


class _BaseClient(Generic[HttpxClient, HttpxTransport]):
    """What :class:`Client` and :class:`AsyncClient` share: everything but I/O.

    Settings, the connection pool and who owns it, the request builder, the
    properties, ``with_options`` and the repr. Each subclass adds only its
    I/O loop (``_send``), closing, the context manager protocol and the
    operations, awaitable or not.
    """

    #: The ``httpx`` client class a pool of our own is made of.
    _http_class: type[Any]
    #: The transport class ``transport=`` must be, and what to say otherwise.
    _transport_class: type[Any]
    _other_flavour: str

    _options: ClientOptions
    _pool: Pool[HttpxClient]
    #: Whether this client made the pool's holder (not a ``with_options`` child): it closes it.
    _owner: bool
    _builder: _RequestBuilder

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        http_client: HttpxClient | None = None,
        transport: HttpxTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        http_backend: HttpBackend = "httpcore",
    ) -> None:
        http_class = self._http_class
        transport_class = self._transport_class
        if http_backend not in ("httpcore", "aiohttp"):
            raise ValueError(f'http_backend must be "httpcore" or "aiohttp", got {http_backend!r}')
        if http_backend == "aiohttp":
            if http_class is not httpx.AsyncClient:
                raise ValueError(
                    'http_backend="aiohttp" is for AsyncClient (aiohttp is asyncio-only); '
                    "Client uses httpcore"
                )
            if http_client is not None or transport is not None:
                raise TypeError(
                    'pass http_backend="aiohttp" without http_client= or transport= '
                    "(it makes the client's own pool)"
                )
        if http_client is not None:
            if transport is not None:
                raise TypeError(
                    "pass either http_client= or transport=, not both "
                    "(give the transport to your httpx client instead)"
                )
            if not isinstance(http_client, http_class):
                raise TypeError(
                    f"http_client must be an httpx.{http_class.__qualname__}, "
                    f"got {type(http_client).__name__}"
                )
        if transport is not None and not isinstance(transport, transport_class):
            raise TypeError(
                f"transport must be an httpx.{transport_class.__qualname__} for "
                f"{type(self).__name__} ({self._other_flavour})"
            )
        options = self._options = resolve_options(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            retry_policy=retry_policy,
            max_response_bytes=max_response_bytes,
            # The plain-http warning points at the user's Client(...) call.
            stacklevel=2,
        )
        setup_from_env(stacklevel=2)
        owned = http_client is None
        make: Callable[[], HttpxClient] | None = None
        if http_client is None:

            def make_pool() -> HttpxClient:
                made: HttpxClient
                if http_backend == "aiohttp":
                    from ._aiohttp import make_pool as make_aiohttp_pool  # noqa: PLC0415 - optional extra

                    # Only ever for AsyncClient (checked above): an httpx.AsyncClient.
                    aiohttp_pool: Any = make_aiohttp_pool(options.timeout, options.base_headers)
                    return cast("HttpxClient", aiohttp_pool)
                made = http_class(
                    transport=transport, timeout=options.timeout, headers=options.base_headers
                )
                if transport is None:
                    _deadline.install(made)
                    # Imports httpcore: only once a pool is made (import time, scenario 6).
                    from ._core_pool import install as install_core_pool  # noqa: PLC0415

                    install_core_pool(made)
                return made

            make = make_pool
            http_client = make_pool()
        self._pool = Pool(http_client, make, per_loop=isinstance(http_client, httpx.AsyncClient))
        self._owner = True
        # What the pool was built with: requests using the same need not repeat it.
        self._builder = _RequestBuilder(
            http_client.headers,
            options,
            owned=owned,
            pool_headers=options.base_headers if owned else None,
            pool_timeout=options.timeout if owned else None,
            wire=http_backend == "aiohttp",
        )

    @property
    def base_url(self) -> str:
        """The server's root URL, without a trailing slash."""
        return self._options.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout every request uses."""
        return self._options.timeout

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._options.max_retries

    def with_options(
        self: SameClient,
        *,
        timeout: TimeoutTypes = UNCHANGED,
        max_retries: int = UNCHANGED,
        headers: Mapping[str, str] | None = UNCHANGED,
        retry_policy: RetryPolicy = UNCHANGED,
        max_response_bytes: int = UNCHANGED,
    ) -> SameClient:
        """Return a client with some settings changed that shares this one's connection pool.

        Settings left out keep their value; ``headers`` are merged over the
        current extra headers. The new client, of the same class, does not
        own the pool: closing it does nothing to the pool, and it stops
        working once this client is closed.

        Args:
            timeout: As for the constructor (None: no limit).
            max_retries: As for the constructor.
            headers: Extra headers, merged over the current ones (None adds
                none).
            retry_policy: As for the constructor.
            max_response_bytes: As for the constructor.

        Returns:
            The new client.

        Example:
            >>> patient = client.with_options(timeout=120, max_retries=5)
        """
        derived = object.__new__(type(self))
        derived._options = derive_options(
            self._options,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            retry_policy=retry_policy,
            max_response_bytes=max_response_bytes,
        )
        derived._pool = self._pool
        derived._owner = False
        derived._builder = self._builder.derive(derived._options)
        return derived

    def __repr__(self) -> str:
        """Show the base URL only (never the API key)."""
        return f"{type(self).__name__}(base_url={self._options.base_url!r})"


class Client(_BaseClient[httpx.Client, httpx.BaseTransport]):
    """A synchronous client for the Durable Stores API.

    Example:
        >>> with Client("http://localhost:18888") as client:
        ...     notes = client.store(name="notes", kind="sqlite")
        ...     notes.query("SELECT 1 AS one").scalar()
        1

    Args:
        base_url: The server's root URL. Default: ``DURABLE_STORES_BASE_URL``,
            then ``AGENTKERNEL_BASE_URL``, then ``http://localhost:18888``.
            Credentials in it (``user:password@``) are refused: pass the
            API key as ``api_key``.
        api_key: Sent as ``Authorization: Bearer <api_key>``. Default:
            ``DURABLE_STORES_API_KEY``, then ``AGENTKERNEL_API_KEY``, then none.
            A :class:`UserWarning` is emitted when it would be sent over plain
            http to a host that is not loopback.
        timeout: Seconds, an :class:`httpx.Timeout`, or None for no limit.
            Bounds each phase (connect, pool, each write, each read) as httpx
            does, and each attempt as a whole by the largest phase limit.
            Default: 30 s per attempt, 5 s to connect. Applies to every
            request, also on a client given with ``http_client=``.
        max_retries: Retries after the first attempt (default 2); see
            :class:`RetryPolicy` for what is retried and how long it waits.
        headers: Extra headers for every request (override the defaults).
        http_client (httpx.Client | None): Your own :class:`httpx.Client` (for proxies, TLS,
            limits); it is never closed by this client.
        transport (httpx.BaseTransport | None): An :class:`httpx.BaseTransport` for the
            client's own ``httpx.Client`` (tests: ``httpx.MockTransport``, the fake).
        retry_policy: Backoff timing and the sleep / jitter seams; default
            :class:`RetryPolicy()`.
        max_response_bytes: The longest answer body read, counted after
            decoding (default 256 MiB); a longer one raises
            :class:`ResponseTooLargeError` and reading stops there.
        http_backend: ``"httpcore"`` only (httpx's pool, the default); the
            aiohttp pool is for :class:`AsyncClient`.

    Raises:
        TypeError: An argument has the wrong type, or both ``http_client`` and
            ``transport`` are given.
        ValueError: An argument has an unusable value (for example a base URL
            that is not http or https, or has credentials in it).
    """

    _http_class = httpx.Client
    _transport_class = httpx.BaseTransport
    _other_flavour = "use AsyncClient with an httpx.AsyncBaseTransport"

    def close(self) -> None:
        """Close the client, and its connection pool if it made it (idempotent).

        Later calls, also on clients derived with ``with_options``, raise
        :class:`ClientClosedError`; so do calls in flight. Closing a derived
        client does nothing.
        """
        if self._owner:
            http = self._pool.close()
            if http is not None:
                http.close()

    def __enter__(self: _ClientT) -> _ClientT:
        """Return the client itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        self.close()

    def _send(self, call: PreparedCall[ResultT]) -> ResultT:
        options = self._options
        pool = self._pool
        http = pool.current(call)
        request = self._builder.build(call, http)
        attempts = _Attempts(call, options)
        delay: float | None
        while True:
            try:
                response = self._exchange(http, request, attempts)
            except Exception as error:
                delay = attempts.after_failure(error, pool)
            else:
                delay = attempts.after_answer(response)
                if delay is None:
                    return attempts.finish(response)
            options.retry_policy.sleep(delay)
            pool.current(call)

    def _exchange(
        self, http: httpx.Client, request: httpx.Request, attempts: _Attempts[Any]
    ) -> Answer:
        """One attempt: send, and read the whole answer within the attempt's time limit.

        The pool the client makes for itself honours the deadline on every
        socket operation (:mod:`._deadline`): connecting, sending the request,
        any number of ``100 Continue``, the head and the body. With a pool you
        brought, the limit is checked as the body's chunks arrive.
        """
        limit = attempts.limit
        started = time.monotonic()
        with _deadline.attempt_deadline(started, limit):
            return self._send_and_read(http, request, attempts, started, limit)

    def _send_and_read(
        self,
        http: httpx.Client,
        request: httpx.Request,
        attempts: _Attempts[Any],
        started: float,
        limit: float | None,
    ) -> Answer:
        transport = _direct.route(http)
        if transport is None:
            response = http.send(request, stream=True)
        else:
            pool = _direct.core_pool(transport)
            if pool is not None:  # httpx's own transport: its httpcore pool, no httpx.Response
                head = _direct.send_head(http, pool, request)
                if not head.encoded:
                    return self._read_head(head, attempts, started, limit)
                response = head.streaming()
            else:
                response = _direct.send(http, transport, request)
        return self._read(request, response, attempts, started, limit)

    def _read_head(
        self,
        head: _direct.CoreHead,
        attempts: _Attempts[Any],
        started: float,
        limit: float | None,
    ) -> _direct.CoreHead:
        """Read an unencoded answer's whole body from httpcore's stream (up to the size limit).

        A pool the client made bounds every socket operation by the attempt's deadline; a
        pool you brought is checked as the body arrives, as :class:`_GuardedStream` does.
        """
        body = _Body(head, attempts.call, attempts.options.max_response_bytes)
        add = body.add
        if limit is not None:
            deadline = started + limit
            request = head.request
            if time.monotonic() > deadline:
                head.close()
                raise _over_time_limit(limit, request)

            def add(chunk: bytes) -> None:
                if time.monotonic() > deadline:
                    raise _over_time_limit(limit, request)
                body.add(chunk)

        try:
            head.read(add)
        except BaseException:
            head.close()
            raise
        head.content = body.content()
        return head

    def _read(
        self,
        request: httpx.Request,
        response: httpx.Response,
        attempts: _Attempts[Any],
        started: float,
        limit: float | None,
    ) -> httpx.Response:
        """Read the whole body of the answer to ``request`` (decoded, up to
        ``max_response_bytes``, time-limited)."""
        encoded = _is_encoded(response)
        if limit is not None or encoded:
            stream = cast("httpx.SyncByteStream", response.stream)  # a sync transport's
            deadline = None if limit is None else started + limit
            response.stream = _GuardedStream(stream, deadline, limit or 0.0, request, encoded)
        body = _Body(response, attempts.call, attempts.options.max_response_bytes)
        try:
            if encoded:
                for chunk in response.iter_bytes():
                    body.add(chunk)
            else:
                _direct.read_plain(response, body.add)
        except BaseException as error:
            response.close()
            attempts.check_body_error(error, response)
            raise
        return body.finish()

    def list_stores(self) -> list[Store]:
        """List stores, newest first (the server returns at most 200).

        Returns:
            The stores.

        Raises:
            APIError: The server answered with an error.
            APIConnectionError: No answer (after retries).
            ProtocolError: The answer was not the contract's envelope.
        """
        result: list[Store] = self._send(_requests.list_stores())
        return result

    def create_store(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> Store:
        """Create a store.

        ``create_store(name="notes", kind="sqlite", config={...})``, or the
        whole request body as one mapping:
        ``create_store({"name": "notes", "kind": "sqlite"})``.
        Retried only when the request cannot have been applied.

        Args:
            payload: The request body, instead of the keywords.
            name: The store's name (trimmed by the server).
            kind: ``"sqlite"``, ``"postgres"``, ``"mysql"`` or ``"redis"``
                (or a :class:`StoreKind`).
            config: Engine-specific configuration (see the contract): usually a
                mapping, but any JSON value is sent as given.
            sandbox: The sandbox the store belongs to.
            extra_fields: Fields this client does not know yet (a newer
                server's), sent as they are.

        Returns:
            The new store.

        Raises:
            TypeError: Both a payload and fields, a missing or mistyped field.
            ValueError: A blank name or an unknown kind.
            ConflictError: A store with that name exists.
            BadRequestError: The server rejected the body.
        """
        body = _requests.create_body(
            "create_store",
            payload,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        result: Store = self._send(_requests.create_store(body))
        return result

    def get_store(self, store_id: str) -> Store:
        """Get a store by id.

        Raises:
            NotFoundError: No store has that id.
        """
        result: Store = self._send(_requests.get_store(store_id))
        return result

    def delete_store(self, store_id: str, *, missing_ok: bool = False) -> None:
        """Delete a store by id.

        Retried like a read. When an attempt may have reached the server and
        a retry then finds the store gone (404), the store counts as deleted.

        Args:
            store_id: The store's id.
            missing_ok: Return quietly instead of raising when no store has
                that id.

        Raises:
            NotFoundError: No store has that id (and ``missing_ok`` is false).
        """
        try:
            self._send(_requests.delete_store(store_id))
        except NotFoundError:
            if not missing_ok:
                raise

    def query_store(
        self,
        store_id: str,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> QueryResult:
        """Run a read-only SQL query on a SQL store.

        ``client.query_store(store.id, "SELECT body FROM notes WHERE id = ?", [7])``,
        as with sqlite3; ``sql=`` and ``params=`` work as keywords too.

        Args:
            store_id: The store's id.
            sql: The statement, with ``?`` placeholders (``$1`` / ``%s`` on
                postgres / mysql); or the whole request body as a mapping,
                ``{"sql": ..., "params": [...]}``.
            params: Positional values for the placeholders.

        Returns:
            The columns and rows.

        Raises:
            TypeError: Both a payload mapping and ``params``, or wrong types.
            ValueError: Blank SQL or store id.
            BadRequestError: The SQL failed, or the store is a Redis store.
            NotFoundError: No store has that id.
        """
        result: QueryResult = self._send(_requests.query_store(store_id, sql, params))
        return result

    def execute_store(
        self,
        store_id: str,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> ExecuteResult:
        """Run a SQL statement that changes data on a SQL store.

        ``client.execute_store(store.id, "INSERT INTO notes (body) VALUES (?)", ["hi"])``.
        Retried only when the request cannot have been applied (a read
        timeout raises :class:`APITimeoutError` at once).

        Args:
            store_id: The store's id.
            sql: The statement, or the whole request body as a mapping
                (as for :meth:`query_store`).
            params: Positional values for the placeholders.

        Returns:
            Rows affected and the last inserted row id.

        Raises:
            TypeError: Both a payload mapping and ``params``, or wrong types.
            ValueError: Blank SQL or store id.
            BadRequestError: The statement failed, or the store is a Redis store.
            NotFoundError: No store has that id.
        """
        result: ExecuteResult = self._send(_requests.execute_store(store_id, sql, params))
        return result

    def command_store(
        self,
        store_id: str,
        command: list[CommandArgument] | tuple[CommandArgument, ...] | Mapping[str, Any],
    ) -> CommandResult:
        """Run a Redis command on a Redis store.

        ``client.command_store(store.id, ["INCRBY", "visits", 5])``. Ints and
        floats are sent in their ``str()`` form and UTF-8 bytes as text, as
        redis-py sends them. Retried only when the request cannot have been
        applied.

        Args:
            store_id: The store's id.
            command: The command and its arguments, e.g.
                ``["SET", "greeting", "hello"]``; or the whole request body
                as a mapping, ``{"command": [...]}``.

        Returns:
            The reply.

        Raises:
            TypeError: An argument that is not str, int, float or UTF-8 bytes.
            ValueError: An empty command or a blank store id.
            BadRequestError: The command failed, or the store is a SQL store.
            NotFoundError: No store has that id.
        """
        result: CommandResult = self._send(_requests.command_store(store_id, command))
        return result

    def ensure_store(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> Store:
        """Return the store with this name, creating it if there is none.

        Looks the name up (trimmed) in :meth:`list_stores`; if absent, creates
        the store. If another client creates it first (the create answers
        :class:`ConflictError`), returns that store. Only the 200 newest
        stores are visible to the lookup.

        Args:
            payload: As for :meth:`create_store`.
            name: As for :meth:`create_store`.
            kind: As for :meth:`create_store`.
            config: As for :meth:`create_store` (used only when creating).
            sandbox: As for :meth:`create_store` (used only when creating).
            extra_fields: As for :meth:`create_store` (used only when creating).

        Returns:
            The existing or new store.

        Raises:
            ConflictError: A store with that name exists with another kind.
        """
        body = _requests.create_body(
            "ensure_store",
            payload,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        return self._ensure("ensure_store", body)

    def store(
        self,
        store: Store | None = None,
        /,
        *,
        id: str | None = None,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> StoreHandle:
        """A handle on one store: its operations without repeating ``store.id``.

        ``client.store(name="agent-memory", kind="sqlite")`` gets or creates
        the store by name, as :meth:`ensure_store` does;
        ``client.store(id="...")`` and ``client.store(store)`` bind a store
        you already know, without a request.

        Args:
            store: A :class:`Store`, e.g. from :meth:`list_stores`.
            id: A store's id.
            name: As for :meth:`ensure_store`.
            kind: As for :meth:`ensure_store`.
            config: As for :meth:`ensure_store` (used only when creating).
            sandbox: As for :meth:`ensure_store` (used only when creating).
            extra_fields: As for :meth:`ensure_store` (used only when creating).

        Returns:
            The handle: ``query``, ``execute``, ``command``, ``get``, ``delete``.

        Raises:
            TypeError: None, or more than one, of a store, ``id=`` and ``name=``.
            ConflictError: A store with that name exists with another kind.
        """
        target = handle_target(
            store,
            id=id,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        if target.store_id is not None:
            return StoreHandle(self, target.store_id)
        return StoreHandle(self, self._ensure("store", cast("dict[str, Any]", target.body)).id)

    def _ensure(self, operation: str, body: dict[str, Any]) -> Store:
        name, kind = body["name"], body["kind"]
        found = _find_store(operation, self.list_stores(), name, kind)
        if found is not None:
            return found
        try:
            created: Store = self._send(_requests.create_store(body))
        except ConflictError:
            found = _find_store(operation, self.list_stores(), name, kind)
            if found is None:
                raise
            return found
        return created


class AsyncClient(_BaseClient[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """An asynchronous client for the Durable Stores API.

    The same operations, arguments and behaviour as :class:`Client`, awaited.

    Example:
        >>> async with AsyncClient("http://localhost:18888") as client:
        ...     cache = await client.store(name="cache", kind="redis")
        ...     await cache.command("PING")
        'PONG'

    Args:
        base_url: As for :class:`Client`.
        api_key: As for :class:`Client`.
        timeout: As for :class:`Client`.
        max_retries: As for :class:`Client`.
        headers: As for :class:`Client`.
        http_client (httpx.AsyncClient | None): Your own :class:`httpx.AsyncClient`; never
            closed by this client.
        transport (httpx.AsyncBaseTransport | None): An :class:`httpx.AsyncBaseTransport` for
            the client's own ``httpx.AsyncClient``.
        retry_policy: As for :class:`Client` (its ``async_sleep`` is used).
        max_response_bytes: As for :class:`Client`.
        http_backend: The connection pool the client makes for itself: ``"httpcore"``
            (httpx's, the default) or ``"aiohttp"`` (aiohttp's, through httpx-aiohttp: the
            ``aiohttp`` extra; asyncio only), several times the throughput with many calls
            in flight. Not with ``http_client=`` or ``transport=``.

    Raises:
        TypeError: An argument has the wrong type, or both ``http_client`` and
            ``transport`` are given, or ``http_backend="aiohttp"`` with either.
        ValueError: An argument has an unusable value.
        ImportError: ``http_backend="aiohttp"`` without the ``aiohttp`` extra installed.
    """

    _http_class = httpx.AsyncClient
    _transport_class = httpx.AsyncBaseTransport
    _other_flavour = "use Client with an httpx.BaseTransport"

    async def aclose(self) -> None:
        """Close the client, and its connection pool if it made it (idempotent).

        See :meth:`Client.close`.
        """
        if self._owner:
            http = self._pool.close()
            if http is not None:
                await http.aclose()

    async def __aenter__(self: _AsyncClientT) -> _AsyncClientT:
        """Return the client itself."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        await self.aclose()

    async def _send(self, call: PreparedCall[ResultT]) -> ResultT:
        options = self._options
        pool = self._pool
        http = pool.current(call)
        request = self._builder.build(call, http)
        attempts = _Attempts(call, options)
        delay: float | None
        while True:
            try:
                response = await self._exchange(http, request, attempts)
            except Exception as error:
                delay = attempts.after_failure(error, pool)
            else:
                delay = attempts.after_answer(response)
                if delay is None:
                    return attempts.finish(response)
            await options.retry_policy.async_sleep(delay)
            pool.current(call)

    async def _exchange(
        self, http: httpx.AsyncClient, request: httpx.Request | Wire, attempts: _Attempts[Any]
    ) -> Answer:
        """One attempt: send, and read the whole answer, cancelled at the attempt's time limit."""
        if not isinstance(request, httpx.Request):  # the aiohttp pool's own (._aiohttp.Wire)
            return await self._exchange_wire(http, request, attempts)
        limit = attempts.limit
        if limit is None:
            return await self._send_and_read(http, request, attempts)
        with anyio.move_on_after(limit):
            return await self._send_and_read(http, request, attempts)
        raise _over_time_limit(limit, request)

    async def _send_and_read(
        self, http: httpx.AsyncClient, request: httpx.Request, attempts: _Attempts[Any]
    ) -> Answer:
        transport = _direct.route(http)
        if transport is None:
            response = await http.send(request, stream=True)
        else:
            pool = _direct.core_pool(transport)
            if pool is not None:  # httpx's own transport: its httpcore pool, no httpx.Response
                head = await _direct.send_head_async(http, pool, request)
                if not head.encoded:
                    return await self._read_head(head, attempts)
                response = head.streaming()
            else:
                response = await _direct.send_async(http, transport, request)
        return await self._read(response, attempts)

    async def _read_head(
        self, head: _direct.AsyncCoreHead, attempts: _Attempts[Any]
    ) -> _direct.AsyncCoreHead:
        """Read an unencoded answer's whole body from httpcore's stream (up to the size limit)."""
        body = _Body(head, attempts.call, attempts.options.max_response_bytes)
        try:
            await head.read(body.add)
        except BaseException:
            await head.aclose()
            raise
        head.content = body.content()
        return head

    async def _exchange_wire(
        self, http: httpx.AsyncClient, wire: Wire, attempts: _Attempts[Any]
    ) -> Answer:
        """One attempt on aiohttp's pool, without httpx's request and response objects.

        aiohttp itself ends the attempt at its time limit (its total timeout, which
        :mod:`._aiohttp` raises as the same ``httpx.ReadTimeout``), and the body is read
        straight from its stream, unless it has a ``Content-Encoding``: then it is read
        through httpx's decoders, like any other answer.
        """
        head = await wire.open()
        body = _Body(head, attempts.call, attempts.options.max_response_bytes)
        try:
            _direct.received_head(http, head)
            if _is_encoded(head):
                return await self._read(head.streaming(), attempts)
            await head.read(body.add)
        except BaseException:
            head.close()
            raise
        head.content = body.content()
        return head

    async def _read(self, response: httpx.Response, attempts: _Attempts[Any]) -> httpx.Response:
        """Read an answer's whole body (decoded, up to ``max_response_bytes``)."""
        encoded = _is_encoded(response)
        if encoded:
            stream = cast("httpx.AsyncByteStream", response.stream)  # an async transport's
            response.stream = _PiecesStream(stream)
        body = _Body(response, attempts.call, attempts.options.max_response_bytes)
        try:
            if encoded:
                async for chunk in response.aiter_bytes():
                    body.add(chunk)
            else:
                await _direct.read_plain_async(response, body.add)
        except BaseException as error:
            await response.aclose()
            attempts.check_body_error(error, response)
            raise
        return body.finish()

    async def list_stores(self) -> list[Store]:
        """List stores, newest first (at most 200). See :meth:`Client.list_stores`."""
        result: list[Store] = await self._send(_requests.list_stores())
        return result

    async def create_store(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> Store:
        """Create a store. See :meth:`Client.create_store`."""
        body = _requests.create_body(
            "create_store",
            payload,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        result: Store = await self._send(_requests.create_store(body))
        return result

    async def get_store(self, store_id: str) -> Store:
        """Get a store by id. See :meth:`Client.get_store`."""
        result: Store = await self._send(_requests.get_store(store_id))
        return result

    async def delete_store(self, store_id: str, *, missing_ok: bool = False) -> None:
        """Delete a store by id. See :meth:`Client.delete_store`."""
        try:
            await self._send(_requests.delete_store(store_id))
        except NotFoundError:
            if not missing_ok:
                raise

    async def query_store(
        self,
        store_id: str,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> QueryResult:
        """Run a read-only SQL query. See :meth:`Client.query_store`."""
        result: QueryResult = await self._send(_requests.query_store(store_id, sql, params))
        return result

    async def execute_store(
        self,
        store_id: str,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> ExecuteResult:
        """Run a SQL statement that changes data. See :meth:`Client.execute_store`."""
        result: ExecuteResult = await self._send(_requests.execute_store(store_id, sql, params))
        return result

    async def command_store(
        self,
        store_id: str,
        command: list[CommandArgument] | tuple[CommandArgument, ...] | Mapping[str, Any],
    ) -> CommandResult:
        """Run a Redis command. See :meth:`Client.command_store`."""
        result: CommandResult = await self._send(_requests.command_store(store_id, command))
        return result

    async def ensure_store(
        self,
        payload: Mapping[str, Any] | None = None,
        /,
        *,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> Store:
        """Return the store with this name, creating it if needed.

        See :meth:`Client.ensure_store`.
        """
        body = _requests.create_body(
            "ensure_store",
            payload,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        return await self._ensure("ensure_store", body)

    async def store(
        self,
        store: Store | None = None,
        /,
        *,
        id: str | None = None,
        name: str | None = None,
        kind: StoreKind | StoreKindName | None = None,
        config: Any = None,
        sandbox: str | None = None,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> AsyncStoreHandle:
        """A handle on one store, its operations awaitable. See :meth:`Client.store`.

        ``cache = await client.store(name="cache", kind="redis")``; the ``id=``
        and :class:`Store` forms make no request but are awaited the same way.
        """
        target = handle_target(
            store,
            id=id,
            name=name,
            kind=kind,
            config=config,
            sandbox=sandbox,
            extra_fields=extra_fields,
        )
        if target.store_id is not None:
            return AsyncStoreHandle(self, target.store_id)
        found = await self._ensure("store", cast("dict[str, Any]", target.body))
        return AsyncStoreHandle(self, found.id)

    async def _ensure(self, operation: str, body: dict[str, Any]) -> Store:
        name, kind = body["name"], body["kind"]
        found = _find_store(operation, await self.list_stores(), name, kind)
        if found is not None:
            return found
        try:
            created: Store = await self._send(_requests.create_store(body))
        except ConflictError:
            found = _find_store(operation, await self.list_stores(), name, kind)
            if found is None:
                raise
            return found
        return created
