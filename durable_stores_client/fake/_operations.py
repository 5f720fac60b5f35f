"""Dispatch: one function per operation of the contract, found by name in :data:`OPERATION_TABLE`.

Each operation gets a :class:`Call` (the state, the store id from the path, the
raw body) and returns the answer, or raises :class:`BadRequest` (or an engine's
or the state's error, mapped to its status by :func:`dispatch`). A call that
parses the body keeps it in :attr:`Call.parsed` for the request log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ._answers import STORE_NOT_FOUND, BadRequest, RawResponse, failure, success
from ._bodies import (
    command_request,
    create_request,
    parse_object,
    reject_duplicate_fields,
    sql_request,
)
from ._engines import EngineError, EngineNotExecutable, StoreClosed
from ._state import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._profiles import Profile
    from ._state import State, Store

#: Kinds answered by ``query`` / ``execute``, and by ``command``.
SQL_KINDS = frozenset({"sqlite", "postgres", "mysql"})
COMMAND_KINDS = frozenset({"redis"})

#: ``Call.parsed`` before any operation looked at the body.
UNPARSED: Any = object()


class Call:
    """What an operation works on: the state, the path's store id and the request body.

    ``profile`` is the face the fake shows (`_profiles`): the contract's, or the
    agentkernel server's as it is today.
    """

    __slots__ = ("body", "parsed", "profile", "state", "store_id")

    def __init__(self, state: State, store_id: str | None, body: bytes, profile: Profile) -> None:
        self.profile = profile
        self.state = state
        self.store_id = store_id
        self.body = body
        #: The body as parsed for the request log (:data:`UNPARSED` until an
        #: operation parses it; None when it could not be).
        self.parsed: Any = UNPARSED

    def json_object(self, operation: str) -> dict[str, Any]:
        """The body as a JSON object with no duplicate route fields (kept for the log)."""
        self.parsed = None
        self.parsed = parse_object(self.body)
        reject_duplicate_fields(self.body, operation)
        return cast("dict[str, Any]", self.parsed)

    def store(self) -> Store:
        """The path's store, or a 404."""
        store = self.state.get(self.store_id or "")
        if store is None:
            raise BadRequest(STORE_NOT_FOUND, 404)
        return store


def list_stores(call: Call) -> RawResponse:
    """``GET /stores``: the newest records first, up to the list cap."""
    call.parsed = None
    return success(200, [r.to_dict() for r in call.state.list_records()])


def get_store(call: Call) -> RawResponse:
    """``GET /stores/{id}``."""
    call.parsed = None
    return success(200, call.store().record.to_dict())


def delete_store(call: Call) -> RawResponse:
    """``DELETE /stores/{id}``."""
    call.parsed = None
    if not call.state.delete(call.store_id or ""):
        raise BadRequest(STORE_NOT_FOUND, 404)
    return success(200, "deleted")


def create_store(call: Call) -> RawResponse:
    """``POST /stores``: 201 with the record; a taken name is a 409 (agentkernel: a 500)."""
    name, kind, sandbox, config = create_request(call.json_object("create"))
    call.profile.check_sandbox(sandbox)
    try:
        record = call.state.create(name, kind, sandbox, config)
    except ConflictError as exc:
        raise call.profile.duplicate_name(str(exc)) from None
    return success(201, record.to_dict())


def _require_sql(store: Store, verb: str) -> None:
    if store.record.kind not in SQL_KINDS:
        raise BadRequest(
            f"{store.record.kind} stores do not support SQL {verb}; use the command endpoint"
        )


def query(call: Call) -> RawResponse:
    """``POST /stores/{id}/query``: a read-only statement's rows."""
    sql, params = sql_request(call.json_object("query"))
    store = call.store()
    _require_sql(store, "queries")
    return success(200, call.profile.query(store, sql, params))


def execute(call: Call) -> RawResponse:
    """``POST /stores/{id}/execute``: a statement's rows affected."""
    sql, params = sql_request(call.json_object("execute"))
    store = call.store()
    _require_sql(store, "execute")
    return success(200, call.profile.execute(store, sql, params))


def command(call: Call) -> RawResponse:
    """``POST /stores/{id}/command``: one Redis command's reply."""
    words = command_request(call.json_object("command"))
    store = call.store()
    if store.record.kind not in COMMAND_KINDS:
        raise BadRequest(
            f"store kind '{store.record.kind}' does not support the command endpoint; "
            "use query or execute"
        )
    return success(200, call.profile.command(store, words))


#: Every operation the router names (``health`` is answered before auth, in the handler).
OPERATION_TABLE: dict[str, Callable[[Call], RawResponse]] = {
    "list": list_stores,
    "create": create_store,
    "get": get_store,
    "delete": delete_store,
    "query": query,
    "execute": execute,
    "command": command,
}


def dispatch(operation: str, call: Call) -> RawResponse:
    """Run ``operation``; refusals become their error envelopes."""
    try:
        return OPERATION_TABLE[operation](call)
    except BadRequest as exc:
        return failure(exc.status, exc.message)
    except EngineError as exc:
        return failure(400, str(exc))
    except EngineNotExecutable as exc:
        return failure(501, str(exc))
    except ConflictError as exc:
        return failure(409, str(exc))
    except StoreClosed:
        return failure(404, STORE_NOT_FOUND)
