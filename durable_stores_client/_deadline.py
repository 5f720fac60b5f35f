"""The time limit of one synchronous attempt, enforced on every socket operation.

A blocking socket cannot be interrupted, and httpx's limits apply to each network
operation: a server that reads a large request slowly, sends ``100 Continue`` forever or
trickles its answer byte by byte never trips them. :class:`DeadlineBackend` wraps the
network backend of the pool a :class:`~durable_stores_client.Client` makes for itself, so
connecting, every write and every read waits at most for what is left of the attempt's
deadline, and fails with the attempt's timeout once it has passed. The deadline is set for
the running thread (a context variable) by :func:`attempt_deadline` around one attempt.

A pool you bring (``http_client=``, ``transport=``) keeps its own backend; there the
client checks the deadline as the body arrives instead (``_GuardedStream``).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator

__all__ = ["DeadlineBackend", "attempt_deadline", "install", "over_time_limit_text"]

#: (deadline on the monotonic clock, the attempt's limit in seconds) of the running attempt.
_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "durable_stores_attempt_deadline", default=None
)


def over_time_limit_text(limit: float) -> str:
    """The text of the timeout raised for an attempt that outlived its time limit."""
    return f"no complete answer within {limit:g} s, the time limit of one attempt"


@contextlib.contextmanager
def attempt_deadline(started: float, limit: float | None) -> Iterator[None]:
    """Bound every socket operation of this thread's attempt by ``started + limit``."""
    if limit is None:
        yield
        return
    token = _DEADLINE.set((started + limit, limit))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> tuple[float | None, float | None]:
    """Return the operation's timeout within the deadline, and the limit when it bounds it."""
    current = _DEADLINE.get()
    if current is None:
        return timeout, None
    deadline, limit = current
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error(over_time_limit_text(limit))
    if timeout is None or timeout > remaining:
        return remaining, limit
    return timeout, None


#: The largest request head :class:`_DeadlineStream` holds back to send with the body.
_HOLD_AT_MOST = 65536


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes end at the running attempt's deadline.

    It also sends a request's head and the start of its body in one socket send, as
    ``http.client`` (under urllib3) does: httpcore writes them in two, and on loopback
    each send wakes the server, which then reads the head alone. The first write after a
    read (or on a new connection), the head, is held back, at most
    :data:`_HOLD_AT_MOST` bytes, and sent with the next write: the body, or the empty
    write httpcore makes at the end of every request (``h11``'s end of message), so a
    request without a body goes out alone, as before. The bytes are the same, in the same
    order; a read sends anything still held first.
    """

    __slots__ = ("_fresh", "_held", "_stream")

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._held: bytes | None = None
        #: Whether the next write starts a request (nothing written since the last read).
        self._fresh = True

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, waiting at most until the deadline."""
        self._fresh = True
        held = self._held
        if held is not None:  # httpcore always writes the end of the request first
            self._held = None
            self._write(held, timeout)
        bounded, limit = _bounded(timeout, httpcore.ReadTimeout)
        try:
            return self._stream.read(max_bytes, bounded)
        except httpcore.ReadTimeout:
            if limit is None:
                raise
            raise httpcore.ReadTimeout(over_time_limit_text(limit)) from None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write (or hold back a request's head), waiting at most until the deadline."""
        if self._fresh:
            self._fresh = False
            if buffer and len(buffer) <= _HOLD_AT_MOST:
                self._held = buffer
                return
        held = self._held
        if held is not None:
            self._held = None
            buffer = held + buffer
        self._write(buffer, timeout)

    def _write(self, buffer: bytes, timeout: float | None) -> None:
        bounded, limit = _bounded(timeout, httpcore.WriteTimeout)
        try:
            self._stream.write(buffer, bounded)
        except httpcore.WriteTimeout:
            if limit is None:
                raise
            raise httpcore.WriteTimeout(over_time_limit_text(limit)) from None

    def close(self) -> None:
        """Close the connection (a head still held back is never sent)."""
        self._held = None
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Start TLS, within the deadline; the TLS stream is bounded too."""
        bounded, _ = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        """Pass through (the socket, the TLS object, addresses)."""
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's network backend: connections honour the attempt's deadline."""

    __slots__ = ("_backend",)

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect within the deadline."""
        bounded, _ = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect within the deadline."""
        bounded, _ = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's connect retries)."""
        self._backend.sleep(seconds)


def install(http: httpx.Client | httpx.AsyncClient) -> None:
    """Make the pools of a client-made ``httpx.Client`` honour attempt deadlines.

    An ``httpx.AsyncClient`` is left alone: ``AsyncClient`` cancels the attempt instead.

    Reaches into httpx's transport (``_pool``) and httpcore's pool
    (``_network_backend``, read by each new connection): httpx offers no public way
    to give its default transport a network backend. A transport without them is left
    as it is; ``tests/client/test_client_hostile.py`` fails if a new httpx moves them.
    """
    if not isinstance(http, httpx.Client):
        return
    transports: list[object] = [http._transport, *http._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, DeadlineBackend
        ):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
