"""Request bodies: strict JSON, and each POST route's fields, refused with serde-like messages.

The server decodes bodies with serde, so the fake words its refusals the same
way (``Invalid JSON: missing field `sql```, ``invalid type: integer `1`, expected
a string at field `name```). Every check here looks at the body alone, before
any store is looked up.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .._requests import trim_like_server as trim
from ._answers import BadRequest
from ._state import KINDS

_KIND_LIST = ", ".join(f"`{k}`" for k in KINDS)


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


def too_deep(body: bytes, value: Any) -> bool:
    """Whether ``value`` (parsed from ``body``) nests deeper than :data:`MAX_JSON_DEPTH`."""
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
    if too_deep(body, value):
        raise BadRequest(_TOO_DEEP)
    return value


def parse_object(body: bytes) -> dict[str, Any]:
    """Parse a request body that must be a JSON object."""
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


def reject_duplicate_fields(body: bytes, operation: str) -> None:
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


def sql_request(obj: dict[str, Any]) -> tuple[str, list[Any]]:
    """A query or execute body's ``(sql, params)``."""
    sql = _required_str(obj, "sql")
    params = obj.get("params")
    if params is None:
        params = []
    elif type(params) is not list:
        raise _field_type_error("params", params, "a sequence")
    if not trim(sql):
        raise BadRequest("sql is required")
    return sql, params


def command_request(obj: dict[str, Any]) -> list[str]:
    """A command body's ``command``."""
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


def create_request(obj: dict[str, Any]) -> tuple[str, str, str | None, Any]:
    """A create body's ``(name, kind, sandbox, config)``, the name trimmed.

    ``config`` is any JSON value, as the server takes it (``{}`` when absent or null).
    """
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
    name = trim(name)
    if not name:
        raise BadRequest("name is required")
    return name, kind, sandbox, config
