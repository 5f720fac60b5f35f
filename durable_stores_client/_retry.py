"""Retry decisions and backoff, shared by the sync and async clients.

Which failures are retried depends on whether the operation is safe to repeat:

* Reads (``list_stores``, ``get_store``, ``query_store``) and ``delete_store``
  retry on connection errors, timeouts and the statuses 408, 429, 500, 502,
  503 and 504.
* Writes (``create_store``, ``execute_store``, ``command_store``) retry only
  when the request cannot have been applied: the connection was never made
  (``httpx.ConnectError``, ``httpx.ConnectTimeout``, ``httpx.PoolTimeout``) or
  the server answered 429 or 503. A read timeout after a write was sent is
  never retried.

Between attempts the client sleeps ``min(initial * 2**n, maximum)`` seconds
(``n`` counts retries from 0), scaled by a jitter factor between 0.5 and 1.
When the answer carries ``retry-after-ms`` or ``Retry-After`` (seconds or an
HTTP date), that wait is used instead, without jitter; a wait over
``max_retry_after`` (60 s) means the client gives up and raises at once.

:class:`RetryPolicy` holds those numbers and the two seams tests use to run
instantly: ``sleep`` / ``async_sleep`` and ``random``.
"""

from __future__ import annotations

import email.utils
import enum
import math
import random as _random_module
import time
from typing import TYPE_CHECKING, Any

import anyio
import attrs
import httpx

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

__all__ = [
    "RETRYABLE_STATUSES",
    "UNAPPLIED_STATUSES",
    "OperationKind",
    "RetryPolicy",
    "counts_as_deleted",
    "may_retry_exception",
    "may_retry_status",
    "parse_retry_after",
    "was_not_applied",
]

#: Statuses after which reads and deletes are retried.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses that mean the request was not applied: writes may retry on these.
UNAPPLIED_STATUSES = frozenset({429, 503})
#: Transport errors that mean the request never reached the server.
_UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Transport errors reads and deletes retry on.
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How long to wait between retries, and how to wait.

    Pass one as ``retry_policy=`` to :class:`~durable_stores_client.Client`,
    :class:`~durable_stores_client.AsyncClient` or ``with_options``. The number
    of retries is the client's ``max_retries``; this only shapes the waits.

    Tests make retries instant and deterministic by replacing the seams::

        waits = []

        async def no_sleep(seconds):
            waits.append(seconds)

        policy = RetryPolicy(sleep=waits.append, async_sleep=no_sleep, random=lambda: 1.0)

    Attributes:
        initial: The first backoff, in seconds (0.5).
        maximum: The cap on a backoff, in seconds (8).
        max_retry_after: The longest ``Retry-After`` the client waits for, in
            seconds (60); a longer one makes it give up and raise.
        sleep: Blocks for a number of seconds (the sync client; ``time.sleep``).
        async_sleep: Awaitable sleep (the async client; ``anyio.sleep``, so
            retries wait under asyncio and trio alike).
        random: Returns a float in [0, 1) for jitter (``random.random``); the
            backoff is scaled by ``0.5 + random() / 2``.
    """

    initial: float = 0.5
    maximum: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Any] = time.sleep
    async_sleep: Callable[[float], Awaitable[Any]] = anyio.sleep
    random: Callable[[], float] = _random_module.random

    def backoff(self, retry: int) -> float:
        """Return the jittered wait before retry number ``retry`` (counting from 0).

        Args:
            retry: How many retries came before this one.

        Returns:
            ``min(initial * 2**retry, maximum) * (0.5 + random() / 2)`` seconds.
        """
        base = min(self.initial * 2.0 ** min(retry, 62), self.maximum)
        return base * (0.5 + float(self.random()) / 2)

    def delay(self, retry: int, headers: Mapping[str, str] | None) -> float | None:
        """Return how long to wait before retrying, or None to give up.

        Args:
            retry: How many retries came before this one.
            headers: The failed answer's headers, or None when there was no
                answer.

        Returns:
            The server's ``retry-after-ms`` / ``Retry-After`` wait when given
            (None when it is over ``max_retry_after``), else :meth:`backoff`.
        """
        if headers is not None:
            wait = parse_retry_after(headers)
            if wait is not None:
                return wait if wait <= self.max_retry_after else None
        return self.backoff(retry)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Read the server's requested wait from ``retry-after-ms`` or ``Retry-After``.

    Args:
        headers: Response headers (case-insensitive lookups, e.g. ``httpx.Headers``;
            a plain dict must use lowercase names).
        now: The current POSIX time, for HTTP-date values (default: now).

    Returns:
        Seconds to wait (0 or more), or None when neither header holds a
        usable value.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis)
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(value / 1000.0, 0.0)
    text = headers.get("retry-after")
    if text is None:
        return None
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # pragma: no cover - parsedate gives aware for "GMT"
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


class OperationKind(enum.Enum):
    """How safe an operation is to repeat."""

    READ = "read"
    """Repeating changes nothing (list, get, query)."""
    DELETE = "delete"
    """Repeating is harmless; a repeat may find the store already gone."""
    WRITE = "write"
    """Repeating could apply the change twice (create, execute, command)."""


def was_not_applied(error: BaseException | None, status: int | None) -> bool:
    """Tell whether a failed attempt certainly did not reach or change the server.

    Args:
        error: The transport error, or None when there was an answer.
        status: The answer's status, or None when there was no answer.

    Returns:
        True for connection failures before sending and for 429 / 503 answers.
    """
    if error is not None:
        return isinstance(error, _UNSENT_ERRORS)
    return status in UNAPPLIED_STATUSES


def may_retry_exception(kind: OperationKind, error: BaseException) -> bool:
    """Tell whether a transport error may be retried for this kind of operation."""
    if kind is OperationKind.WRITE:
        return isinstance(error, _UNSENT_ERRORS)
    return isinstance(error, _RETRYABLE_ERRORS)


def may_retry_status(kind: OperationKind, status: int) -> bool:
    """Tell whether an error status may be retried for this kind of operation."""
    if kind is OperationKind.WRITE:
        return status in UNAPPLIED_STATUSES
    return status in RETRYABLE_STATUSES


def counts_as_deleted(kind: OperationKind, status: int, ambiguous: bool) -> bool:
    """Tell whether a final answer means the store is gone although it is an error.

    A 404 to a delete that was retried after an attempt that may have reached the
    server (``ambiguous``): that attempt may have deleted the store, which is gone
    either way, so the delete succeeded.

    Args:
        kind: The operation's kind.
        status: The final answer's status.
        ambiguous: Whether an earlier attempt failed after possibly reaching the
            server (see :func:`was_not_applied`).
    """
    return status == 404 and ambiguous and kind is OperationKind.DELETE
