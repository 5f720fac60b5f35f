"""Engines behind the fake's stores: real SQLite, fakeredis, and the SQL emulation.

Every engine is thread-safe on its own (SQLite engines serialize through a
per-store lock; fakeredis is thread-safe) and reports failures as
:class:`EngineError` carrying the exact message the client gets with a 400; an engine
this runtime cannot run at all raises :class:`EngineNotExecutable` (a 501).
"""

from __future__ import annotations

__all__ = ["NOT_EXECUTABLE", "EngineError", "EngineNotExecutable", "StoreClosed"]

#: CONTRACT.md: the wording of the 501 for an engine a server cannot run.
NOT_EXECUTABLE = "not executable in this runtime yet"


class EngineError(Exception):
    """A store operation failed because of what the client sent: answered 400.

    ``str(error)`` is the complete envelope message.
    """


class EngineNotExecutable(Exception):
    """This runtime cannot run the store's engine (the fake without fakeredis): answered 501.

    ``str(error)`` is the complete envelope message; it contains :data:`NOT_EXECUTABLE`.
    """


class StoreClosed(Exception):
    """The store was deleted (or the fake reset) while a call was on its way."""
