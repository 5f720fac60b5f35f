"""Which connection pool a call uses: one per process and, for ``AsyncClient``, per event loop.

A keep-alive connection belongs to the process that opened it and, for an async pool,
to the event loop it was opened in. After ``os.fork()`` parent and child would share
its socket and read each other's answers; in another event loop (``asyncio.run`` per
call, a test framework's loop per test) its streams belong to a loop that may be closed.
So before every call the client asks :class:`Pool` for the pool of the running process
and loop:

* a pool the client made for itself is replaced by a new one, made the same way, the
  first time a call runs in another process or loop (the old one is left alone: its
  connections are the parent's, or its loop's);
* a pool given with ``http_client=`` cannot be replaced: the call raises
  :class:`~durable_stores_client.ClientContextError` before anything is sent.

:class:`Pool` also knows whether its client was closed: a call on a closed client (or a
``with_options`` child of one), and a call whose attempt fails because the pool was
closed under it, raise :class:`~durable_stores_client.ClientClosedError`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._exceptions import ClientClosedError, ClientContextError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._requests import PreparedCall

__all__ = ["Pool", "current_event_loop"]

Http = TypeVar("Http", httpx.Client, httpx.AsyncClient)

#: Counts forks: a child process sees a different value than its parent had.
_forks = 0


def _count_fork() -> None:
    global _forks  # noqa: PLW0603 - the one process-wide fact a fork changes
    _forks += 1


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_count_fork)

#: A pool not yet used in any event loop.
_NO_LOOP = object()


def current_event_loop() -> object:
    """Return the running asyncio loop or trio run (its token), or None outside both.

    Looks only at libraries already imported: neither can be running otherwise.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    return None


class Pool(Generic[Http]):
    """The pool of a client and of the clients derived from it with ``with_options``.

    Args:
        http: The first pool.
        make: Makes a new pool like it (None: the pool was given, ``http_client=``).
        per_loop: Whether the pool belongs to an event loop (``httpx.AsyncClient``).
    """

    __slots__ = ("_forks", "_http", "_loop", "_make", "_per_loop", "closed", "owned")

    _http: Http
    _make: Callable[[], Http] | None

    def __init__(self, http: Http, make: Callable[[], Http] | None, *, per_loop: bool) -> None:
        self._http = http
        self._make = make
        self._per_loop = per_loop
        self._forks = _forks
        self._loop: object = _NO_LOOP
        #: Whether the client made the pool (and so closes it).
        self.owned = make is not None
        #: Whether the client that owns this (the parent of ``with_options`` children) is closed.
        self.closed = False

    def current(self, call: PreparedCall[Any]) -> Http:
        """Return the pool for a call here, or raise before anything is sent.

        Raises:
            ClientClosedError: The client is closed.
            ClientContextError: A given pool, in another process or event loop.
        """
        if self.closed:
            raise self.closed_error(call)
        if self._forks != _forks:
            self._replace(call, "in a process forked from the one that made the client")
            self._forks = _forks
            self._loop = _NO_LOOP
        if self._per_loop:
            loop = current_event_loop()
            if loop is not self._loop:
                if self._loop is not _NO_LOOP:
                    self._replace(call, "in another event loop than its first call")
                self._loop = loop
        return self._http

    def _replace(self, call: PreparedCall[Any], where: str) -> None:
        make = self._make
        if make is None:
            raise ClientContextError(
                f"{call.operation} was not sent: the client is used {where}, and its "
                f"connection pool (the http_client= given) belongs there; its connections "
                "cannot be shared. Make the client (and its httpx client) in the process and "
                "event loop that use it, or leave out http_client= so the client makes a "
                "pool of its own in each"
            )
        self._http = make()

    def closed_error(self, call: PreparedCall[Any]) -> ClientClosedError:
        """The error for a call on (or during the closing of) a closed client."""
        return ClientClosedError(
            f"{call.operation} failed: the client was closed (a client derived with "
            "with_options stops with the client it came from); if the call was in flight, "
            "a write may have been applied. Make a new client"
        )

    def close(self) -> Http | None:
        """Mark the client closed; return the pool to close, if the client made it here.

        A pool made in another process or event loop is left to that one.
        """
        self.closed = True
        if not self.owned or self._forks != _forks:
            return None
        if self._per_loop and self._loop not in (_NO_LOOP, current_event_loop()):
            return None
        return self._http
