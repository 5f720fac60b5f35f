"""httpcore's connection pool, with its request assignment made linear and correct.

Every request a pool sends, and every answer it finishes, runs httpcore's
``_assign_requests_to_connections``: close what is closed, expired or surplus, then hand
each queued request a connection. In httpcore 1.0.9 that pass costs the square of the
pool's size and gets three things wrong (all four known upstream, unfixed in a release):

- it counts *all* connections where it means the idle ones
  (``len([c.is_idle() for c in connections])``), so once a pool holds more connections than
  ``max_keepalive_connections`` (httpx's default: 20), every connection that goes idle is
  closed on the next pass: 30 tasks making 4 calls each on one pool opened 102
  connections for the 120 calls (encode/httpcore#1035, #1000);
- it recounts those connections for every connection, and rebuilds the list of available
  and idle connections for every queued request: at concurrency 50, about 1,040 ``is_idle``
  calls per request and 59% of the calls' time (cProfile, ``docs/benchmarks.md``);
- it may close a connection it has already handed to a queued request (as surplus, or to
  make room), which, once that request has started on it, leaves it waiting for its read
  timeout (encode/httpcore#1110);
- it keeps, for good, a connection made for a request that was cancelled before it
  started connecting (a timeout while waiting for the pool): it is neither idle, closed
  nor expired, so each such cancellation takes one of ``max_connections`` away until the
  pool waits forever (12 runs of 120 calls with random cancellations on a pool of 4
  left 6 such connections; encode/httpcore#1093, fixed the same way in #1094, and in
  pydantic's fork, pydantic/httpx2#983).

:func:`install` gives the pools a client makes for itself (never a pool you bring) the pass
below, which walks the connections and the requests once each, counts idle connections,
never closes or re-assigns a connection a request holds, closes one no request will use,
and polls connections for expiry only when a request waits for one. Everything else
(connecting, keep-alive, waiting for a connection, the pool's locks) stays httpcore's.

It is installed only where httpcore's pool is the one this was written against (the
attributes it reads exist, HTTP/1.1 only) and otherwise left alone; the tests in
``tests/client/test_client_core_pool.py`` fail if a new httpcore changes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpcore

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

__all__ = ["AsyncLinearConnectionPool", "LinearConnectionPool", "assign", "install"]

#: What the pass reads of httpcore's pool: install() leaves a pool without them alone.
_POOL_ATTRIBUTES = (
    "_connections",
    "_requests",
    "_max_connections",
    "_max_keepalive_connections",
    "_http2",
    "_optional_thread_lock",
    "create_connection",
)


def assign(pool: Any) -> list[Any]:
    """Assign the pool's queued requests to connections; return the connections to close.

    The pool's pass, in one walk over its connections and one over its requests (httpcore
    calls it under the pool's lock, and closes what it returns outside it):

    1. closed connections leave the pool; expired ones (keep-alive expired, or the server
       hung up: a socket poll each) leave it and are closed, checked when a request waits
       for a connection (httpcore checks on every pass, also right after an answer ended,
       when the connection has just been used);
    2. a connection a request holds (queued for it or running on it) is never closed here
       and never given to a second request; one that no request holds and that is not
       idle was made for a request that gave up before connecting, and is closed;
    3. idle connections beyond ``max_keepalive_connections`` are closed, the oldest first;
    4. each queued request, in the order they came, takes the first idle connection for
       its origin, else a new connection while the pool is under ``max_connections``, else
       the place of an idle connection to another origin (closed), else waits.

    For an HTTP/1.1-only pool, where a connection serves one request at a time.
    """
    requests: Sequence[Any] = pool._requests
    held = {id(request.connection) for request in requests if request.connection is not None}
    queued = any(request.connection is None for request in requests)
    closing: list[Any] = []
    kept: list[Any] = []
    idle: list[Any] = []
    for connection in pool._connections:
        if connection.is_closed():
            continue
        if id(connection) in held:
            # Checked when it was handed out; closing it now, outside the lock, could
            # close it under a request that has started on it (encode/httpcore#1110).
            kept.append(connection)
        elif not connection.is_idle():
            # Held by no request, yet neither idle nor closed: made for a request that gave
            # up (cancelled, timed out) before it started connecting. No one will use it,
            # and httpcore 1.0.9 keeps it for good, one of max_connections lost each time.
            closing.append(connection)
        elif queued and connection.has_expired():
            closing.append(connection)
        else:
            kept.append(connection)
            idle.append(connection)
    surplus = len(idle) - pool._max_keepalive_connections
    if surplus > 0:
        closing.extend(idle[:surplus])
        del idle[:surplus]
    size = len(kept) - max(surplus, 0)

    for request in requests:
        if request.connection is not None:
            continue
        origin = request.request.url.origin
        for index, connection in enumerate(idle):
            if connection.can_handle_request(origin) and connection.is_available():
                del idle[index]
                request.assign_to_connection(connection)
                break
        else:
            if size < pool._max_connections:
                size += 1
            elif idle:
                # Room for a new connection: close an idle one to another origin, the oldest.
                closing.append(idle.pop(0))
            else:
                continue
            connection = pool.create_connection(origin)
            kept.append(connection)
            request.assign_to_connection(connection)
    if closing:
        gone = {id(connection) for connection in closing}
        kept = [connection for connection in kept if id(connection) not in gone]
    pool._connections[:] = kept
    return closing


class LinearConnectionPool(httpcore.ConnectionPool):
    """httpcore's ``ConnectionPool`` with :func:`assign` as its assignment pass."""

    def _assign_requests_to_connections(self) -> list[Any]:
        return assign(self)


class AsyncLinearConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's ``AsyncConnectionPool`` with :func:`assign` as its assignment pass."""

    def _assign_requests_to_connections(self) -> list[Any]:
        return assign(self)


def install(http: httpx.Client | httpx.AsyncClient) -> None:
    """Give the httpcore pools of a client-made httpx client the linear pass.

    Reaches into httpx's transports (``_pool``) as :mod:`._deadline_backend` does. A pool
    of another class, for HTTP/2 or without the attributes :func:`assign` reads is left
    as it is, and so is one already in use.
    """
    transports: list[object] = [http._transport, *http._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if type(pool) is httpcore.ConnectionPool:
            linear: type = LinearConnectionPool
        elif type(pool) is httpcore.AsyncConnectionPool:
            linear = AsyncLinearConnectionPool
        else:
            continue
        if not all(hasattr(pool, name) for name in _POOL_ATTRIBUTES):
            continue  # pragma: no cover - a future httpcore
        if pool._http2 or pool._connections or pool._requests:
            continue
        pool.__class__ = linear
