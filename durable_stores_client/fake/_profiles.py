"""Server profiles: which face the fake shows, the contract's or agentkernel's as it is today.

CONTRACT.md's "Known deviations" table has two columns. The ``contract`` profile
(the default) answers as the right-hand column says: what this project does. The
``agentkernel`` profile reproduces the left-hand column, the agentkernel server
as its handlers behave today, so code tested against the fake does not pass
there and then fail on the real server:

- a duplicate store name: 500 ``failed to create durable store metadata``;
- writes sent to ``/query`` are executed (answered as a result with no rows);
- postgres and mysql ``params`` are ignored (the statement runs without them);
- mysql: ``rows_affected`` is always 0 and every non-NULL value is a string;
- postgres values of a type other than bool, int2/int4/int8, float8,
  text/varchar, json/jsonb are ``null`` (this needs the real postgres engine's
  column types: on the SQLite emulation values stay as they are);
- postgres and mysql take ``columns`` from the first row: ``[]`` with no rows,
  and a repeated column name appears once (each row keeps its last value);
- no idempotency: the ``Idempotency-Key`` header is ignored, a retried write is
  applied twice;
- engine errors name the failing step only, worded as the server words them.

Where the table is silent the two profiles answer alike. Sandboxes: with
``sandboxes=[...]`` both profiles refuse a create naming any other (non-empty)
sandbox with 400 ``sandbox '<name>' does not exist``, as the daemon does;
without the list the contract profile stores any name unchecked and the
agentkernel profile knows no sandbox at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from ._answers import BadRequest
from ._engines import EngineError
from ._engines._values import mysql_value, postgres_value
from ._engines.sqlite import READ_ONLY_MESSAGE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._state import Store

__all__ = ["PROFILES", "Profile", "make_profile"]

#: The profiles a fake can take, the default first.
PROFILES = ("contract", "agentkernel")

#: agentkernel's answer to a duplicate store name (its 409 branch is unreachable).
DUPLICATE_NAME_500 = "failed to create durable store metadata"

#: The postgres types agentkernel maps to JSON; every other type reads ``null``.
_POSTGRES_TYPED = frozenset({"bool", "int2", "int4", "int8", "float8", "text", "varchar"})
_POSTGRES_JSON = frozenset({"json", "jsonb"})


def _repeated(columns: Sequence[str]) -> list[str]:
    return sorted({column for column in columns if columns.count(column) > 1})


def _sandboxes(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"sandboxes must be a list of sandbox names, got {value!r}")
    names = list(value)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a sandbox name must be a non-blank string, got {name!r}")
    return frozenset(names)


@attrs.frozen
class Profile:
    """The face a fake shows (see the module docstring for what each changes).

    Attributes:
        name: ``"contract"`` or ``"agentkernel"``.
        sandboxes: The sandboxes that exist; None: any name is stored unchecked
            (the contract profile only).
    """

    name: str
    sandboxes: frozenset[str] | None

    @property
    def agentkernel(self) -> bool:
        """Whether this is the agentkernel face."""
        return self.name == "agentkernel"

    @property
    def honours_idempotency_keys(self) -> bool:
        """Whether writes with an ``Idempotency-Key`` answer once, then replay."""
        return not self.agentkernel

    # -- create -------------------------------------------------------------

    def check_sandbox(self, sandbox: str | None) -> None:
        """Refuse a sandbox that does not exist (when this profile knows which exist)."""
        if not sandbox or self.sandboxes is None or sandbox in self.sandboxes:
            return
        raise BadRequest(f"sandbox '{sandbox}' does not exist")

    def duplicate_name(self, message: str) -> BadRequest:
        """The answer to a create whose name is taken (``message``: the contract's)."""
        if self.agentkernel:
            return BadRequest(DUPLICATE_NAME_500, 500)
        return BadRequest(message, 409)

    # -- query, execute, command ------------------------------------------------

    def query(self, store: Store, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run ``/query`` on a SQL store as this profile's server does."""
        engine: Any = store.engine
        kind = store.record.kind
        if not self.agentkernel:
            result: dict[str, Any] = engine.query(sql, params)
            repeated = _repeated(result["columns"])
            if repeated:
                raise EngineError(
                    f"query result repeats column names ({', '.join(repeated)}); alias them"
                )
            return result
        params = params if kind == "sqlite" else []
        try:
            if kind != "sqlite" and hasattr(engine, "query_result"):
                return _agentkernel_rows(kind, engine.query_result(sql, params))
            result = engine.query(sql, params)
        except EngineError as exc:
            if str(exc) != READ_ONLY_MESSAGE:
                raise self._step_error(store, "query") from None
            try:  # agentkernel runs a write sent to /query
                engine.execute(sql, params)
            except EngineError:
                raise self._step_error(store, "query") from None
            return {"columns": [], "rows": [], "row_count": 0}
        return _agentkernel_payload(kind, result)

    def execute(self, store: Store, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """Run ``/execute`` on a SQL store as this profile's server does."""
        engine: Any = store.engine
        if not self.agentkernel:
            return dict(engine.execute(sql, params))
        kind = store.record.kind
        try:
            result = dict(engine.execute(sql, params if kind == "sqlite" else []))
        except EngineError:
            raise self._step_error(store, "execute") from None
        if kind == "mysql":
            result["rows_affected"] = 0
        return result

    def command(self, store: Store, words: Sequence[str]) -> dict[str, Any]:
        """Run ``/command`` on a redis store as this profile's server does."""
        engine: Any = store.engine
        if not self.agentkernel:
            return dict(engine.command(words))
        try:
            return dict(engine.command(words))
        except EngineError:
            raise EngineError(f"redis command '{words[0]}' failed") from None

    @staticmethod
    def _step_error(store: Store, operation: str) -> EngineError:
        """agentkernel's message for an engine failure: the failing step, no detail."""
        kind = store.record.kind
        if kind != "sqlite":
            return EngineError(f"{kind} {operation} failed")
        if operation == "query":
            return EngineError(f"failed preparing store query for store {store.record.id}")
        return EngineError("failed executing store statement")


def _agentkernel_value(kind: str, column_type: str, value: Any) -> Any:
    """One value of a real engine as agentkernel maps it."""
    if value is None:
        return None
    if kind == "mysql":  # the text protocol: every value as its text
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8", "replace")
        mapped = mysql_value(value)
        return mapped if isinstance(mapped, str) else str(value)
    if column_type in _POSTGRES_TYPED:
        return postgres_value(value)
    if column_type in _POSTGRES_JSON:
        return value
    return None


def _agentkernel_rows(kind: str, result: Any) -> dict[str, Any]:
    """A real engine's raw result (a ``SqlResult``) as agentkernel answers it."""
    rows = []
    for row in result.rows:
        mapped: dict[str, Any] = {}
        for column, column_type, value in zip(result.columns, result.types, row, strict=True):
            mapped[column] = _agentkernel_value(kind, column_type, value)
        rows.append(mapped)
    return {"columns": list(rows[0]) if rows else [], "rows": rows, "row_count": len(rows)}


def _agentkernel_payload(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """An emulated engine's contract payload as agentkernel answers it (as far as it can)."""
    if kind == "sqlite":
        return result
    rows = result["rows"]
    if kind == "mysql":
        rows = [
            {key: value if value is None else _text(value) for key, value in row.items()}
            for row in rows
        ]
    return {"columns": list(rows[0]) if rows else [], "rows": rows, "row_count": len(rows)}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def make_profile(name: str = "contract", sandboxes: Iterable[str] | None = None) -> Profile:
    """The profile ``name`` with the ``sandboxes`` that exist.

    Raises:
        ValueError: An unknown profile name, or a blank sandbox name.
        TypeError: ``sandboxes`` is not a list of names.
    """
    if name not in PROFILES:
        raise ValueError(f"unknown fake profile {name!r}; use one of: {', '.join(PROFILES)}")
    known = _sandboxes(sandboxes)
    if name == "agentkernel" and known is None:
        known = frozenset()
    return Profile(name, known)
