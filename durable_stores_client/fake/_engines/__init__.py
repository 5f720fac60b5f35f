"""Engines behind the fake's stores: real SQLite, fakeredis, and the SQL emulation.

Every engine is thread-safe on its own (SQLite engines serialize through a
per-store lock; fakeredis is thread-safe) and reports failures as
:class:`EngineError` carrying the exact message the client gets with a 400.
"""

from __future__ import annotations

__all__ = ["EngineError", "StoreClosed"]


class EngineError(Exception):
    """A store operation failed because of what the client sent: answered 400.

    ``str(error)`` is the complete envelope message.
    """


class StoreClosed(Exception):
    """The store was deleted (or the fake reset) while a call was on its way."""
