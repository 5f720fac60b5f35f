"""Engines behind the fake's stores: SQLite, PostgreSQL, MySQL, Redis, and the emulation.

Every engine is thread-safe on its own (each serializes its store's calls
through a per-store lock) and reports failures as :class:`EngineError`
carrying the exact message the client gets with a 400; an engine this runtime
cannot run at all raises :class:`EngineNotExecutable` (a 501). SQL engines
answer ``query``/``execute``, command engines ``command``; all of them ``close``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "NOT_EXECUTABLE",
    "CommandEngine",
    "EngineError",
    "EngineNotExecutable",
    "SqlEngine",
    "StoreClosed",
]

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


class SqlEngine(Protocol):
    """A store answering ``query`` and ``execute`` (sqlite, postgres, mysql)."""

    def query(self, sql: str, params: Sequence[Any]) -> dict[str, Any]: ...

    def execute(self, sql: str, params: Sequence[Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class CommandEngine(Protocol):
    """A store answering ``command`` (redis)."""

    def command(self, args: Sequence[str]) -> dict[str, Any]: ...

    def close(self) -> None: ...
