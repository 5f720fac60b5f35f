"""The one handler every front end adapts: (method, target, headers, body) -> answer.

A front end calls :meth:`Handler.prepare` with the raw request, honours the
returned :class:`Exchange`'s ``delay`` and ``disconnect`` (the only fault
directives that need I/O), then calls :meth:`Exchange.respond` for the answer
(or :meth:`Exchange.abandon` when it drops the request). Routing, auth, the
body-size limit, JSON validation, idempotency, the envelope and the request
log all live here, so the front ends cannot drift.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from .._redaction import MASK, SECRET_KEY_MARKERS, is_secret_key
from ._engines import EngineError, StoreClosed
from ._engines.redis import RedisEngine
from ._engines.sqlite import SqliteEngine
from ._records import RecordedRequest
from ._state import KINDS, MAX_IDEMPOTENCY_KEYS, ConflictError, Fault, IdempotencyEntry, State

logger = logging.getLogger("durable_stores_client.fake")

#: The largest request body the fake accepts, as on the server.
MAX_BODY_BYTES = 16 * 1024 * 1024
BODY_TOO_LARGE = f"Request body exceeds the maximum size of {MAX_BODY_BYTES} bytes"

_JSON = "application/json"
_SQL_OPERATIONS = frozenset({"query", "execute"})
_POST_OPERATIONS = {"query": "query", "execute": "execute", "command": "command"}
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_KIND_LIST = ", ".join(f"`{k}`" for k in KINDS)


#: Request headers as the handler takes them: lowercase names (front ends
#: decode names and values as latin-1, as HTTP/1.1 does).
Headers = Mapping[str, str]


class RawResponse:
    """An answer: status, headers (without Content-Length) and body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class BadRequest(Exception):
    """Client input the contract answers with a 4xx."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _dumps(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: fall back to \u escapes
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def success(status: int, data: Any) -> RawResponse:
    """A success envelope."""
    return RawResponse(
        status, [("content-type", _JSON)], b'{"success":true,"data":' + _dumps(data) + b"}"
    )


def failure(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> RawResponse:
    """A failure envelope."""
    return RawResponse(
        status,
        [("content-type", _JSON), *(headers or ())],
        _dumps({"success": False, "error": message}),
    )


NOT_FOUND = "Not found"
_HEALTH = success(200, "ok")


def _route(method: str, path: str) -> tuple[str | None, str | None]:
    """Map a method and path to (operation, store id); operation None means 404."""
    if path == "/stores":
        if method == "GET":
            return "list", None
        if method == "POST":
            return "create", None
        return None, None
    if path == "/health":
        return ("health", None) if method == "GET" else (None, None)
    if not path.startswith("/stores/"):
        return None, None
    segment, slash, action = path[8:].partition("/")
    if not segment:
        return None, None
    store_id = unquote(segment, errors="replace") if "%" in segment else segment
    if not slash:
        if method == "GET":
            return "get", store_id
        if method == "DELETE":
            return "delete", store_id
        return None, store_id
    if method == "POST" and action in _POST_OPERATIONS:
        return _POST_OPERATIONS[action], store_id
    return None, store_id


#: What the server's ``str::trim`` removes: Unicode ``White_Space``. Python's
#: ``str.strip()`` also removes U+001C..U+001F, which the server keeps.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def _trim(text: str) -> str:
    """``text`` trimmed as the server trims it (Rust's ``str::trim``)."""
    return text.strip(_WHITE_SPACE)


def _describe(value: Any) -> str:
    """serde-like description of a JSON value, for ``invalid type`` messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    if isinstance(value, list):
        return "sequence"
    return "map"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


#: How deeply JSON may nest, as serde_json (the server's parser) allows.
MAX_JSON_DEPTH = 128
_TOO_DEEP = f"Invalid JSON: recursion limit exceeded (nested deeper than {MAX_JSON_DEPTH} levels)"


def _too_deep(body: bytes, value: Any) -> bool:
    # Cheap first: a body with few brackets cannot nest deeply.
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) is dict:
            children: Any = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(body: bytes) -> Any:
    """Parse a request body as strict JSON, or raise :class:`BadRequest`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"Invalid JSON: the request body is not valid UTF-8 (byte {exc.start})"
        ) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise BadRequest(f"Invalid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(_TOO_DEEP) from None
    if _too_deep(body, value):
        raise BadRequest(_TOO_DEEP)
    return value


def _parse_object(body: bytes) -> dict[str, Any]:
    value = parse_json(body)
    if type(value) is not dict:
        raise BadRequest(f"Invalid JSON: invalid type: {_describe(value)}, expected a JSON object")
    return value


#: The fields each POST route's body is decoded into (serde refuses duplicates of these).
_BODY_FIELDS = {
    "create": ("name", "kind", "sandbox", "config"),
    "query": ("sql", "params"),
    "execute": ("sql", "params"),
    "command": ("command",),
}


def _reject_duplicate_fields(body: bytes, operation: str) -> None:
    """Refuse a body naming one of the route's fields twice, as serde's derive does.

    Python's json keeps the last value silently. The bytes are searched first, so
    only a body that might repeat a field (or has a ``\\u`` escape) is decoded again.
    """
    fields = _BODY_FIELDS[operation]
    # Field names are lowercase ASCII: only a \\u escape can spell one differently.
    if b"\\u" not in body and not any(body.count(b'"%s"' % f.encode()) > 1 for f in fields):
        return
    pairs = json.loads(body.decode("utf-8"), object_pairs_hook=lambda items: items)
    seen: set[str] = set()
    for key, _value in pairs:
        if key in fields and key in seen:
            raise BadRequest(f"Invalid JSON: duplicate field `{key}`")
        seen.add(key)


def _field_type_error(field: str, value: Any, expected: str) -> BadRequest:
    return BadRequest(
        f"Invalid JSON: invalid type: {_describe(value)}, expected {expected} at field `{field}`"
    )


def _required_str(obj: dict[str, Any], field: str) -> str:
    if field not in obj:
        raise BadRequest(f"Invalid JSON: missing field `{field}`")
    value = obj[field]
    if type(value) is not str:
        raise _field_type_error(field, value, "a string")
    return value


def _sql_request(obj: dict[str, Any]) -> tuple[str, list[Any]]:
    sql = _required_str(obj, "sql")
    params = obj.get("params")
    if params is None:
        params = []
    elif type(params) is not list:
        raise _field_type_error("params", params, "a sequence")
    if not _trim(sql):
        raise BadRequest("sql is required")
    return sql, params


def _command_request(obj: dict[str, Any]) -> list[str]:
    if "command" not in obj:
        raise BadRequest("Invalid JSON: missing field `command`")
    command = obj["command"]
    if type(command) is not list:
        raise _field_type_error("command", command, "a sequence of strings")
    for index, item in enumerate(command):
        if type(item) is not str:
            raise _field_type_error(f"command[{index}]", item, "a string")
    if not command:
        raise BadRequest("command must not be empty")
    return command


def _create_request(obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
    name = _required_str(obj, "name")
    kind = _required_str(obj, "kind")
    if kind not in KINDS:
        raise BadRequest(f"Invalid JSON: unknown variant `{kind}`, expected one of {_KIND_LIST}")
    sandbox = obj.get("sandbox")
    if sandbox is not None and type(sandbox) is not str:
        raise _field_type_error("sandbox", sandbox, "a string")
    config = obj.get("config")
    if config is None:
        config = {}
    elif type(config) is not dict:
        raise _field_type_error("config", config, "a JSON object")
    name = _trim(name)
    if not name:
        raise BadRequest("name is required")
    return name, kind, sandbox, config


@functools.lru_cache(maxsize=1024)
def _is_secret_header(name: str) -> bool:
    # Remembered per (lowercase) name: every request records its headers, and the same
    # few names come back each time (this check was a fifth of the handler's own time).
    return name in _SECRET_HEADERS or is_secret_key(name)


def _masked_headers(headers: Headers) -> dict[str, str]:
    return {name: MASK if _is_secret_header(name) else value for name, value in headers.items()}


_SECRET_MARKERS = tuple(marker.encode() for marker in SECRET_KEY_MARKERS)


def _mask_secrets(value: Any) -> Any:
    if type(value) is dict:
        return {
            key: MASK if is_secret_key(key) else _mask_secrets(item) for key, item in value.items()
        }
    if type(value) is list:
        return [_mask_secrets(item) for item in value]
    return value


def _logged(raw: bytes, value: Any) -> Any:
    """A parsed body as the request log keeps it: values under credential keys masked.

    Bodies parse at most MAX_JSON_DEPTH deep, so the copy's recursion is bounded.
    A body whose bytes name no credential marker (nor a ``\\u`` escape that could
    spell one) is kept as is, without a copy.
    """
    if type(value) is not dict and type(value) is not list:
        return value
    lowered = raw.lower()
    if b"\\u" not in lowered and not any(marker in lowered for marker in _SECRET_MARKERS):
        return value
    return _mask_secrets(value)


def _body_for_log(body: bytes) -> Any:
    if not body:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return None if _too_deep(body, value) else value


class Exchange:
    """One request on its way through the handler.

    Attributes:
        delay: Seconds the front end must wait before answering (an injected
            delay), honouring the client's timeout.
        disconnect: The front end must drop the connection without an answer
            (then call :meth:`abandon`).
    """

    __slots__ = (
        "_handler",
        "body",
        "delay",
        "disconnect",
        "fault",
        "headers",
        "method",
        "operation",
        "oversized",
        "path",
        "store_id",
    )

    def __init__(
        self,
        handler: Handler,
        *,
        method: str,
        path: str,
        headers: Headers,
        body: bytes,
        operation: str | None,
        store_id: str | None,
        fault: Fault | None,
        oversized: bool,
    ) -> None:
        self._handler = handler
        self.oversized = oversized
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.operation = operation
        self.store_id = store_id
        self.fault = fault
        self.delay = fault.delay if fault is not None else 0.0
        self.disconnect = fault is not None and fault.disconnect

    def respond(self) -> RawResponse:
        """Produce the answer (and record the request)."""
        return self._handler._respond(self)

    def abandon(self) -> None:
        """Record that no answer was sent (disconnect, or the client gave up)."""
        self._handler._record(self, None, _body_for_log(self.body))


class Handler:
    """The fake's request handler over one :class:`State`."""

    def __init__(self, state: State) -> None:
        self.state = state

    def prepare(
        self, method: str, target: str, headers: Headers, body: bytes, *, oversized: bool = False
    ) -> Exchange:
        """Route a request and pick up an injected fault for its operation.

        ``oversized`` tells that the body was over the size limit and was not
        kept (a front end that refuses to buffer it passes ``b""``).
        """
        path = target.partition("?")[0]
        if path[:1] != "/":  # absolute-form target: http://host:port/path
            scheme_end = path.find("://")
            slash = path.find("/", scheme_end + 3) if scheme_end != -1 else -1
            path = path[slash:] if slash != -1 else "/"
        operation, store_id = _route(method, path)
        fault = None
        if operation is not None and operation != "health" and self.state.faults:
            fault = self.state.take_fault(operation)
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
        )

    # -- internals --------------------------------------------------------

    def _record(self, exchange: Exchange, status: int | None, body: Any) -> None:
        headers = exchange.headers
        self.state.log.append(
            RecordedRequest(
                method=exchange.method,
                path=exchange.path,
                operation=exchange.operation,
                store_id=exchange.store_id,
                body=_logged(exchange.body, body),
                status=status,
                headers=_masked_headers(headers),
                idempotency_key=headers.get("idempotency-key"),
                fault=exchange.fault is not None
                and (exchange.fault.status is not None or exchange.fault.disconnect),
            )
        )

    def _respond(self, exchange: Exchange) -> RawResponse:
        parsed: Any = None
        try:
            fault = exchange.fault
            if fault is not None and fault.status is not None:
                parsed = _body_for_log(exchange.body)
                extra = [("retry-after", fault.retry_after)] if fault.retry_after else None
                response = failure(fault.status, fault.error_message(), extra)
            else:
                response, parsed = self._guarded(exchange)
        except Exception as exc:  # the bug path: never a traceback to the client
            logger.exception(
                "internal error in the fake server handling %s %s", exchange.method, exchange.path
            )
            response = failure(500, f"internal error in fake server: {type(exc).__name__}")
        self._record(exchange, response.status, parsed)
        return response

    def _guarded(self, exchange: Exchange) -> tuple[RawResponse, Any]:
        operation = exchange.operation
        if operation is None:
            return failure(404, NOT_FOUND), _body_for_log(exchange.body)
        if operation == "health":
            return _HEALTH, None
        state = self.state
        headers = exchange.headers
        if state.api_key is not None:
            problem = _auth_problem(headers.get("authorization"), state.api_key)
            if problem is not None:
                return failure(401, problem), _body_for_log(exchange.body)
        body = exchange.body
        if exchange.oversized or len(body) > MAX_BODY_BYTES:
            return failure(413, BODY_TOO_LARGE), None
        if exchange.method != "POST":
            return self._dispatch(operation, exchange.store_id, body)
        key = headers.get("idempotency-key")
        if key is None:
            return self._dispatch(operation, exchange.store_id, body)
        return self._idempotent(key, exchange, operation, body)

    def _idempotent(
        self, key: str, exchange: Exchange, operation: str, body: bytes
    ) -> tuple[RawResponse, Any]:
        state = self.state
        fingerprint = (exchange.method, exchange.path, hashlib.sha256(body).digest())
        with state.lock:
            entry = state.idempotency.get(key)
            if entry is None:
                entry = IdempotencyEntry(fingerprint)
                state.idempotency[key] = entry
                earlier = None
            elif entry.fingerprint != fingerprint:
                earlier = failure(
                    409,
                    "Idempotency-Key was already used with a different request; "
                    "use a new key for a new request",
                )
            elif entry.response is None:
                earlier = failure(409, "a request with this Idempotency-Key is still in progress")
            else:
                state.idempotency.move_to_end(key)
                first: RawResponse = entry.response
                earlier = RawResponse(
                    first.status, [*first.headers, ("idempotent-replayed", "true")], first.body
                )
        if earlier is not None:  # the body is parsed for the log outside the lock
            return earlier, _body_for_log(body)
        try:
            response, parsed = self._dispatch(operation, exchange.store_id, body)
        except BaseException:
            with state.lock:
                if state.idempotency.get(key) is entry:
                    del state.idempotency[key]
            raise
        with state.lock:
            if response.status < 500:
                entry.response = response
                while len(state.idempotency) > MAX_IDEMPOTENCY_KEYS:
                    state.idempotency.popitem(last=False)
            elif state.idempotency.get(key) is entry:
                del state.idempotency[key]
        return response, parsed

    def _dispatch(
        self, operation: str, store_id: str | None, body: bytes
    ) -> tuple[RawResponse, Any]:
        state = self.state
        parsed: Any = None
        try:
            if operation == "list":
                return success(200, [r.to_dict() for r in state.list_records()]), None
            if operation == "get":
                store = state.get(store_id or "")
                if store is None:
                    return failure(404, "Store not found"), None
                return success(200, store.record.to_dict()), None
            if operation == "delete":
                if not state.delete(store_id or ""):
                    return failure(404, "Store not found"), None
                return success(200, "deleted"), None
            parsed = _parse_object(body)
            _reject_duplicate_fields(body, operation)
            if operation == "create":
                name, kind, sandbox, config = _create_request(parsed)
                record = state.create(name, kind, sandbox, config)
                return success(201, record.to_dict()), parsed
            if operation in _SQL_OPERATIONS:
                sql, params = _sql_request(parsed)
                store = state.get(store_id or "")
                if store is None:
                    return failure(404, "Store not found"), parsed
                engine = store.engine
                if not isinstance(engine, SqliteEngine):
                    verb = "queries" if operation == "query" else "execute"
                    return failure(
                        400,
                        f"redis stores do not support SQL {verb}; use the command endpoint",
                    ), parsed
                if operation == "query":
                    return success(200, engine.query(sql, params)), parsed
                return success(200, engine.execute(sql, params)), parsed
            # command
            command = _command_request(parsed)
            store = state.get(store_id or "")
            if store is None:
                return failure(404, "Store not found"), parsed
            redis_engine = store.engine
            if not isinstance(redis_engine, RedisEngine):
                return failure(
                    400,
                    f"store kind '{store.record.kind}' does not support the command endpoint; "
                    "use query or execute",
                ), parsed
            return success(200, redis_engine.command(command)), parsed
        except BadRequest as exc:
            return failure(exc.status, exc.message), parsed
        except EngineError as exc:
            return failure(400, str(exc)), parsed
        except ConflictError as exc:
            return failure(409, str(exc)), parsed
        except StoreClosed:
            return failure(404, "Store not found"), parsed


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
