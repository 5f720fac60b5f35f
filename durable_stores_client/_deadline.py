"""The time limit of one synchronous attempt, enforced on every socket operation.

A blocking socket cannot be interrupted, and httpx's limits apply to each network
operation: a server that reads a large request slowly, sends ``100 Continue`` forever or
trickles its answer byte by byte never trips them.
:class:`~._deadline_backend.DeadlineBackend` wraps the
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
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["attempt_deadline", "install", "over_time_limit_text"]

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


def install(http: httpx.Client | httpx.AsyncClient) -> None:
    """Make the pools of a client-made ``httpx.Client`` honour attempt deadlines.

    An ``httpx.AsyncClient`` is left alone: ``AsyncClient`` cancels the attempt instead.
    The wrapping lives in :mod:`._deadline_backend`, imported here, when a client makes
    its pool: it subclasses httpcore's classes, and importing httpcore (which imports trio
    too, when trio is installed) cost ``import durable_stores_client`` 90 ms more than
    ``import httpx`` (scenario 6 of ``python -m benchmarks``); httpx itself imports httpcore
    only when it makes a pool, as here.
    """
    if not isinstance(http, httpx.Client):
        return
    # Kept for speed: the backend imports httpcore, about 50 ms of import time (-X importtime,
    # 2026-11-30; docs/benchmarks.md, scenario 6), needed only once a Client makes its pool.
    from ._deadline_backend import install_backend  # noqa: PLC0415 - import time, above

    install_backend(http)
