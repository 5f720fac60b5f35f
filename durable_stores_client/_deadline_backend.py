"""The network backend behind :mod:`._deadline`: httpcore streams bounded by the deadline.

Imported only when a :class:`~durable_stores_client.Client` makes its own pool
(:func:`._deadline.install`), so that ``import durable_stores_client`` does not import
httpcore.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpcore

from ._deadline import _bounded, over_time_limit_text

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

    import httpx

__all__ = ["DeadlineBackend", "install_backend"]


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


def install_backend(http: httpx.Client) -> None:
    """Make the pools of a client-made ``httpx.Client`` honour attempt deadlines.

    Reaches into httpx's transport (``_pool``) and httpcore's pool
    (``_network_backend``, read by each new connection): httpx offers no public way
    to give its default transport a network backend. A transport without them is left
    as it is; ``tests/client/test_client_hostile.py`` fails if a new httpx moves them.
    """
    transports: list[object] = [http._transport, *http._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, DeadlineBackend
        ):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
