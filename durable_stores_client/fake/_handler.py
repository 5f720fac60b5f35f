"""The one handler every front end adapts: (method, target, headers, body) -> answer.

A front end calls :meth:`Handler.prepare` with the raw request, honours the
returned :class:`Exchange`'s ``delay`` and ``disconnect`` (the only fault
directives that need I/O), then calls :meth:`Exchange.respond` for the answer
(or :meth:`Exchange.abandon` when it drops the request).

This module is the pipeline, in order: route (``_routes``), injected fault, the
body's framing (a malformed ``Content-Length``, a body shorter than it), auth, the
body-size limit, the idempotency cache (``_idempotency``), the operation
(``_operations``, which validates bodies with ``_bodies``), and the request log
(``_request_log``, also the debug line per request); an unexpected error becomes a
500. Every step lives in one place, so the front ends cannot drift.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._answers import NOT_FOUND, RawResponse, failure, framing_problem, success
from ._idempotency import IDEMPOTENT_OPERATIONS, fingerprint
from ._operations import UNPARSED, Call, dispatch
from ._profiles import make_profile
from ._request_log import lenient_body, log_request, logger, recorded_request
from ._routes import request_path, route

if TYPE_CHECKING:
    from ._profiles import Profile
    from ._state import Fault, State

#: The largest request body the fake accepts, as on the server.
MAX_BODY_BYTES = 16 * 1024 * 1024
BODY_TOO_LARGE = f"Request body exceeds the maximum size of {MAX_BODY_BYTES} bytes"

_HEALTH = success(200, "ok")

#: Request headers as the handler takes them: lowercase names (front ends
#: decode names and values as latin-1, as HTTP/1.1 does).
Headers = Mapping[str, str]


@attrs.define(eq=False, repr=False)  # no repr: headers and body may hold credentials
class Exchange:
    """One request on its way through the handler.

    Attributes:
        delay: Seconds the front end must wait before answering (an injected
            delay), honouring the client's timeout.
        disconnect: The front end must drop the connection without an answer
            (then call :meth:`abandon`).
    """

    _handler: Handler
    method: str = attrs.field(kw_only=True)
    path: str = attrs.field(kw_only=True)
    headers: Headers = attrs.field(kw_only=True)
    body: bytes = attrs.field(kw_only=True)
    operation: str | None = attrs.field(kw_only=True)
    store_id: str | None = attrs.field(kw_only=True)
    fault: Fault | None = attrs.field(kw_only=True)
    oversized: bool = attrs.field(kw_only=True)
    #: The kind of the path's store when the request arrived (for the debug line
    #: only: looked up when that line is on).
    store_kind: str | None = attrs.field(kw_only=True)
    started: float = attrs.field(init=False, factory=time.perf_counter)
    delay: float = attrs.field(init=False)
    disconnect: bool = attrs.field(init=False)
    #: The body for the request log; UNPARSED: parse it leniently when recording.
    parsed: Any = attrs.field(init=False, default=UNPARSED)

    @delay.default
    def _delay(self) -> float:
        return self.fault.delay if self.fault is not None else 0.0

    @disconnect.default
    def _disconnect(self) -> bool:
        return self.fault is not None and self.fault.disconnect

    def respond(self) -> RawResponse:
        """Produce the answer (and record the request)."""
        return self._handler._respond(self)

    def abandon(self) -> None:
        """Record that no answer was sent (disconnect, or the client gave up)."""
        self.parsed = UNPARSED
        self._handler._record(self, None)


class Handler:
    """The fake's request handler over one :class:`State`, showing one :class:`Profile`."""

    def __init__(self, state: State, profile: Profile | None = None) -> None:
        self.state = state
        self.profile = profile if profile is not None else make_profile()

    def prepare(
        self, method: str, target: str, headers: Headers, body: bytes, *, oversized: bool = False
    ) -> Exchange:
        """Route a request and pick up an injected fault for its operation.

        ``oversized`` tells that the body was over the size limit and was not
        kept (a front end that refuses to buffer it passes ``b""``).
        """
        path = request_path(target)
        operation, store_id = route(method, path)
        fault = None
        if operation is not None and operation != "health" and self.state.faults:
            fault = self.state.take_fault(operation)
        store_kind = None
        if store_id is not None and logger.isEnabledFor(logging.DEBUG):
            store = self.state.get(store_id)
            store_kind = store.record.kind if store is not None else None
        return Exchange(
            self,
            method=method,
            path=path,
            headers=headers,
            body=body,
            operation=operation,
            store_id=store_id,
            fault=fault,
            oversized=oversized,
            store_kind=store_kind,
        )

    # -- internals --------------------------------------------------------

    def _record(self, exchange: Exchange, status: int | None) -> None:
        parsed = exchange.parsed
        if parsed is UNPARSED:
            parsed = lenient_body(exchange.body)
        fault = exchange.fault
        self.state.log.append(
            recorded_request(
                method=exchange.method,
                path=exchange.path,
                operation=exchange.operation,
                store_id=exchange.store_id,
                headers=exchange.headers,
                raw_body=exchange.body,
                parsed_body=parsed,
                status=status,
                fault=fault is not None and (fault.status is not None or fault.disconnect),
            )
        )
        if logger.isEnabledFor(logging.DEBUG):
            kind = exchange.store_kind
            if kind is None and exchange.operation == "create" and isinstance(parsed, dict):
                kind = parsed.get("kind") if isinstance(parsed.get("kind"), str) else None
            log_request(
                method=exchange.method,
                path=exchange.path,
                status=status,
                elapsed_ms=(time.perf_counter() - exchange.started) * 1000,
                store_kind=kind,
                api_key=self.state.api_key,
            )

    def _respond(self, exchange: Exchange) -> RawResponse:
        try:
            response = self._answer(exchange)
        except Exception as exc:  # the bug path: never a traceback to the client
            logger.exception(
                "internal error in the fake server handling %s %s", exchange.method, exchange.path
            )
            exchange.parsed = None
            response = failure(500, f"internal error in fake server: {type(exc).__name__}")
        self._record(exchange, response.status)
        return response

    def _answer(self, exchange: Exchange) -> RawResponse:
        fault = exchange.fault
        if fault is not None and fault.status is not None:
            extra = [("retry-after", fault.retry_after)] if fault.retry_after else None
            return failure(fault.status, fault.error_message(), extra)
        headers = exchange.headers
        if not exchange.oversized:
            problem = framing_problem(headers.get("content-length"), len(exchange.body))
            if problem is not None:
                exchange.parsed = None
                return failure(400, problem)
        operation = exchange.operation
        if operation is None:
            return failure(404, NOT_FOUND)
        if operation == "health":
            exchange.parsed = None
            return _HEALTH
        state = self.state
        if state.api_key is not None:
            problem = _auth_problem(headers.get("authorization"), state.api_key)
            if problem is not None:
                return failure(401, problem)
        body = exchange.body
        if exchange.oversized or len(body) > MAX_BODY_BYTES:
            exchange.parsed = None
            return failure(413, BODY_TOO_LARGE)
        key = headers.get("idempotency-key") if operation in IDEMPOTENT_OPERATIONS else None
        if not self.profile.honours_idempotency_keys:
            key = None  # agentkernel has no idempotency: the header is ignored
        if key is None:
            return self._run(exchange, operation)
        return state.idempotency.answer(
            key,
            fingerprint(exchange.method, exchange.path, body),
            lambda: self._run(exchange, operation),
        )

    def _run(self, exchange: Exchange, operation: str) -> RawResponse:
        call = Call(self.state, exchange.store_id, exchange.body, self.profile)
        try:
            return dispatch(operation, call)
        finally:
            exchange.parsed = call.parsed


def _auth_problem(value: str | None, api_key: str) -> str | None:
    if value is None:
        return "Missing Authorization header"
    if not value.startswith("Bearer "):
        return "Invalid authorization format. Use: Bearer <api_key>"
    # Front ends decode header bytes as latin-1, so this gives back the bytes sent.
    token = value[7:].encode("latin-1", "replace")
    if not hmac.compare_digest(token, api_key.encode("utf-8")):
        return "Invalid bearer token"
    return None
