"""Building requests: validated bodies, paths with percent-encoded ids, headers.

Every public operation turns its arguments into a :class:`PreparedCall` here,
before any I/O, so bad input raises a clear :class:`TypeError` or
:class:`ValueError` and nothing is sent. Both clients send what these
functions build.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import attrs

from ._models import (
    CommandResult,
    ExecuteResult,
    QueryResult,
    Store,
    StoreKind,
    stores_from_list,
)
from ._retry import OperationKind

__all__ = [
    "PreparedCall",
    "command_arguments",
    "command_store",
    "create_body",
    "create_store",
    "delete_store",
    "encode_json",
    "execute_store",
    "get_store",
    "list_stores",
    "query_store",
    "request_headers",
    "store_path",
    "trim_like_server",
]

_KIND_VALUES = {kind.value for kind in StoreKind}

#: What the server's ``str::trim`` removes from a store name: Unicode
#: ``White_Space``. Python's ``str.strip()`` also removes U+001C..U+001F, which
#: the server keeps.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_READ = OperationKind.READ
_WRITE = OperationKind.WRITE


#: What a call returns: the result type of its ``decode_data``.
ResultT = TypeVar("ResultT")


@attrs.define(eq=False, repr=False)  # no repr: a body may hold credentials
class PreparedCall(Generic[ResultT]):
    """One operation, ready to send (and re-send on retries), typed by its result.

    The clients' ``_send`` returns ``ResultT``, so each operation's result
    annotation is checked against its decoder.

    Attributes:
        operation: The client method's name, for messages and logs.
        kind: How safe it is to repeat.
        method: The HTTP method.
        path: The path below the base URL, ids percent-encoded.
        body: The JSON body as bytes, or None.
        decode_data: Builds the result from the answer's ``data`` (a model's
            ``from_dict``; :func:`no_result` for ``delete_store``, whose
            ``data`` is ignored).
    """

    operation: str
    kind: OperationKind
    method: str
    path: str
    body: bytes | None = attrs.field(kw_only=True)
    decode_data: Callable[[Any], ResultT] = attrs.field(kw_only=True)


def no_result(data: object) -> None:
    """The ``decode_data`` of an operation that returns nothing (its ``data`` is ignored)."""


#: The request bodies' encoder, made once: ``json.dumps`` with options makes one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_json(value: Any, what: str) -> bytes:
    """Encode a request body as compact UTF-8 JSON.

    Args:
        value: The body.
        what: The argument's name, for the error message.

    Raises:
        TypeError: ``value`` holds something JSON cannot represent.
        ValueError: ``value`` holds NaN or infinity, or a circular reference.
    """
    try:
        text = _ENCODER.encode(value)
    except TypeError as exc:
        raise TypeError(f"{what} must be JSON-serializable: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{what} must be valid JSON: {exc}") from None
    return text.encode("utf-8")


def store_path(operation: str, store_id: object, suffix: str = "") -> str:
    """Return ``/stores/<id><suffix>`` with the id percent-encoded as one segment.

    Every character outside ``A-Z a-z 0-9 - _ ~`` is encoded, including ``/``
    and ``.``, so an id like ``../x`` or ``a/b`` can never reach another route.

    Args:
        operation: The method the user called, named in the errors.
        store_id: The store's id.
        suffix: ``""``, ``"/query"``, ``"/execute"`` or ``"/command"``.

    Raises:
        TypeError: ``store_id`` is not a string.
        ValueError: ``store_id`` is empty or only whitespace.
    """
    if type(store_id) is not str:
        # A Store or a store handle: both carry the id the call wants.
        hint = " (pass store.id)" if isinstance(getattr(store_id, "id", None), str) else ""
        raise TypeError(
            f"{operation}() store_id must be a str, got {type(store_id).__name__}{hint}"
        )
    if not store_id.strip():
        raise ValueError(f"{operation}() store_id must be a non-empty string, such as store.id")
    return f"/stores/{quote(store_id, safe='').replace('.', '%2E')}{suffix}"


def request_headers(base_headers: dict[str, str] | None, has_body: bool) -> dict[str, str] | None:
    """Return the headers to pass with one call.

    A POST gets ``Content-Type: application/json`` and a fresh uuid4
    ``Idempotency-Key``; the caller builds the request once, so every retry of
    the call re-sends the same key.

    Args:
        base_headers: The client's fixed headers (not modified), or None when
            the ``httpx`` client already sends them as its default headers
            (merging fewer headers into each request is measurably faster).
        has_body: Whether the call sends a JSON body (POST).

    Returns:
        The headers, or None when there is nothing to add.
    """
    if not has_body:
        return base_headers
    headers = {} if base_headers is None else base_headers.copy()
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = idempotency_key()
    return headers


def idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` for one call (a uuid4), re-sent on its retries."""
    return str(uuid.uuid4())


def _merge(
    operation: str, payload: Mapping[str, Any] | None, fields: dict[str, Any]
) -> dict[str, Any]:
    if payload is None:
        return fields
    if fields:
        names = ", ".join(sorted(fields))
        raise TypeError(
            f"{operation}() takes either a payload mapping or keyword fields, not both "
            f"(got a payload and {names})"
        )
    if not isinstance(payload, Mapping):
        raise TypeError(
            f"{operation}() payload must be a mapping (a JSON object), got {type(payload).__name__}"
        )
    return dict(payload)


def list_stores() -> PreparedCall[list[Store]]:
    """Prepare ``GET /stores``."""
    return PreparedCall(
        "list_stores", _READ, "GET", "/stores", body=None, decode_data=stores_from_list
    )


def get_store(store_id: object) -> PreparedCall[Store]:
    """Prepare ``GET /stores/{id}``."""
    path = store_path("get_store", store_id)
    return PreparedCall("get_store", _READ, "GET", path, body=None, decode_data=Store.from_dict)


def delete_store(store_id: object) -> PreparedCall[None]:
    """Prepare ``DELETE /stores/{id}``."""
    path = store_path("delete_store", store_id)
    return PreparedCall(
        "delete_store", OperationKind.DELETE, "DELETE", path, body=None, decode_data=no_result
    )


def trim_like_server(text: str) -> str:
    """``text`` trimmed as the server trims names and SQL (Rust's ``str::trim``).

    Removes leading and trailing Unicode ``White_Space`` and nothing else, so
    a name compares equal to the one the server stored for it.
    """
    return text.strip(_WHITE_SPACE)


#: The create fields with their own keyword; ``extra_fields`` may not repeat them.
_CREATE_FIELDS = ("name", "kind", "config", "sandbox")


def create_body(
    operation: str,
    payload: Mapping[str, Any] | None,
    *,
    name: object = None,
    kind: object = None,
    config: object = None,
    sandbox: object = None,
    extra_fields: object = None,
) -> dict[str, Any]:
    """Validate and return the body of a create (``create_store``, ``ensure_store``, ``store``).

    The fields come either as one ``payload`` mapping or as the keywords
    (None means "not given"); ``extra_fields`` adds fields this client does not
    know yet, sent as they are. ``name`` must be a non-blank string and
    ``kind`` one of ``sqlite``, ``postgres``, ``mysql``, ``redis`` (a
    :class:`StoreKind` works); ``sandbox`` a string and ``config`` any JSON value
    (usually a mapping) when given (None is left out).

    Args:
        operation: The method the user called, named in every error.

    Raises:
        TypeError: Both a payload and fields, a wrong type, or a missing field.
        ValueError: A blank name or an unknown kind.
    """
    fields = {
        key: value
        for key, value in zip(_CREATE_FIELDS, (name, kind, config, sandbox), strict=True)
        if value is not None
    }
    if extra_fields is not None:
        if not isinstance(extra_fields, Mapping):
            raise TypeError(
                f"{operation}() extra_fields must be a mapping of field names to JSON values, "
                f"got {type(extra_fields).__name__}"
            )
        for key in extra_fields:
            if not isinstance(key, str):
                raise TypeError(
                    f"{operation}() extra_fields keys must be str, got {type(key).__name__}"
                )
            if key in _CREATE_FIELDS:
                raise TypeError(
                    f"{operation}() takes {key} as its own argument ({key}=...), "
                    "not in extra_fields"
                )
        fields.update(extra_fields)
    body = _merge(operation, payload, fields)
    name = body.get("name")
    kind = body.get("kind")
    if name is None or kind is None:
        missing = " and ".join(key for key in ("name", "kind") if body.get(key) is None)
        raise TypeError(f"{operation}() needs {missing}, e.g. name='notes', kind='sqlite'")
    if not isinstance(name, str):
        raise TypeError(f"{operation}() store name must be a str, got {type(name).__name__}")
    if not trim_like_server(name):  # blank as the server sees it
        raise ValueError(f"{operation}() store name must not be blank")
    if isinstance(kind, StoreKind):
        body["kind"] = kind.value
    elif not isinstance(kind, str):
        raise TypeError(
            f"{operation}() store kind must be a str or StoreKind, got {type(kind).__name__}"
        )
    elif kind not in _KIND_VALUES:
        raise ValueError(
            f"{operation}() store kind must be one of {', '.join(sorted(_KIND_VALUES))}; "
            f"got {kind!r}"
        )
    if "sandbox" in body:
        if body["sandbox"] is None:
            del body["sandbox"]
        elif not isinstance(body["sandbox"], str):
            raise TypeError(
                f"{operation}() store sandbox must be a str, got {type(body['sandbox']).__name__}"
            )
    if "config" in body:
        # Any JSON value: the server keeps a config that is not an object as given
        # (a sqlite store's is replaced by the default path).
        config = body["config"]
        if config is None:
            del body["config"]
        else:
            if isinstance(config, Mapping) and not isinstance(config, dict):
                body["config"] = config = dict(config)
            encode_json(config, f"{operation}() store config")
    return body


def create_store(body: dict[str, Any]) -> PreparedCall[Store]:
    """Prepare ``POST /stores`` with a body from :func:`create_body`."""
    encoded = encode_json(body, "create_store() payload")
    return PreparedCall(
        "create_store", _WRITE, "POST", "/stores", body=encoded, decode_data=Store.from_dict
    )


def _sql_body(operation: str, sql: object, params: object) -> bytes:
    if isinstance(sql, Mapping):
        if params is not None:
            raise TypeError(
                f"{operation}() takes either a payload mapping or sql and params, not both"
            )
        body = dict(sql)
        sql = body.get("sql")
        params = body.get("params")
    else:
        body = {"sql": sql}
        if params is not None:
            body["params"] = params
    if not isinstance(sql, str):
        raise TypeError(
            f"{operation}() needs sql as a str (or a payload mapping), got {type(sql).__name__}"
        )
    if not trim_like_server(sql):
        raise ValueError(f"{operation}() sql must not be blank")
    if params is not None:
        if isinstance(params, (str, bytes, bytearray)) or not isinstance(params, Sequence):
            raise TypeError(
                f"{operation}() params must be a list of positional values, "
                f"got {type(params).__name__}"
            )
        if type(params) is not list:
            body["params"] = list(params)
    return encode_json(body, f"{operation}() params")


def query_store(store_id: object, sql: object, params: object) -> PreparedCall[QueryResult]:
    """Prepare ``POST /stores/{id}/query``.

    Args:
        store_id: The store's id.
        sql: The statement, or the whole request body as a mapping
            (``{"sql": ..., "params": [...]}``).
        params: Positional values for the placeholders, or None.

    Raises:
        TypeError: Both a payload and ``params``; ``sql`` not a str;
            ``params`` not a list or tuple.
        ValueError: Blank ``sql`` or a bad ``store_id``.
    """
    path = store_path("query_store", store_id, "/query")
    body = _sql_body("query_store", sql, params)
    return PreparedCall(
        "query_store", _READ, "POST", path, body=body, decode_data=QueryResult.from_dict
    )


def execute_store(store_id: object, sql: object, params: object) -> PreparedCall[ExecuteResult]:
    """Prepare ``POST /stores/{id}/execute`` (same arguments and checks as :func:`query_store`)."""
    path = store_path("execute_store", store_id, "/execute")
    body = _sql_body("execute_store", sql, params)
    return PreparedCall(
        "execute_store", _WRITE, "POST", path, body=body, decode_data=ExecuteResult.from_dict
    )


def command_store(store_id: object, command: object) -> PreparedCall[CommandResult]:
    """Prepare ``POST /stores/{id}/command``.

    Arguments are converted the way redis-py converts them: an int or float to
    its ``str()`` form (``5`` to ``"5"``, ``1.5`` to ``"1.5"``), bytes to the
    text they encode in UTF-8. The contract carries only JSON strings, so
    bytes that are not UTF-8 cannot be sent, and bool (ambiguous: ``"True"`` or
    ``"1"``?) is refused as redis-py refuses it.

    Args:
        store_id: The store's id.
        command: The command and its arguments, or the whole request body as
            a mapping (``{"command": [...]}``).

    Raises:
        TypeError: ``command`` not a list (or tuple) of str, int, float or
            UTF-8 bytes.
        ValueError: An empty ``command`` or a bad ``store_id``.
    """
    path = store_path("command_store", store_id, "/command")
    if isinstance(command, Mapping):
        body = dict(command)
        command = body.get("command")
    else:
        body = {"command": command}
    if isinstance(command, (str, bytes, bytearray)) or not isinstance(command, Sequence):
        raise TypeError(
            "command_store() needs command as a list of strings, e.g. ['GET', 'key']; "
            f"got {type(command).__name__}"
        )
    if not command:
        raise ValueError("command_store() command must not be empty, e.g. ['PING']")
    body["command"] = command_arguments("command_store", command)
    encoded = encode_json(body, "command_store() payload")
    return PreparedCall(
        "command_store", _WRITE, "POST", path, body=encoded, decode_data=CommandResult.from_dict
    )


def command_arguments(operation: str, command: Sequence[object]) -> list[str]:
    """Return ``command`` as the contract's list of strings (see :func:`command_store`).

    Raises:
        TypeError: An item that is not str, int, float or UTF-8 bytes.
    """
    if type(command) is list and all(type(part) is str for part in command):
        return command  # the common case, checked in one pass
    converted: list[str] = []
    for index, part in enumerate(command):
        if isinstance(part, str):
            converted.append(part)
        elif isinstance(part, bool):
            raise TypeError(
                f"{operation}() command item {index} is bool; pass a str, int or float "
                "(for example '1' or '0'), as redis-py requires"
            )
        elif isinstance(part, (int, float)):
            # int()/float() first: an IntEnum's str() is its member name on 3.10.
            converted.append(repr(float(part)) if isinstance(part, float) else str(int(part)))
        elif isinstance(part, (bytes, bytearray)):
            try:
                converted.append(bytes(part).decode("utf-8"))
            except UnicodeDecodeError:
                raise TypeError(
                    f"{operation}() command item {index} is bytes that are not UTF-8; the "
                    "contract sends command arguments as JSON strings, so binary values must "
                    "be encoded as text first (base64, for example)"
                ) from None
        else:
            raise TypeError(
                f"{operation}() command items must be str, int, float or bytes; item {index} "
                f"is {type(part).__name__}"
            )
    return converted
