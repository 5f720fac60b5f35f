"""The assertion vocabulary of checks: an answer compared with the contract, field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._redaction import redact_json
from ._model import CheckFailed, Difference

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MISSING",
    "OMITTED",
    "Diffs",
    "expect_error",
    "expect_success",
    "listed",
    "setup_data",
    "show",
]

#: Marks a field that is absent from a JSON object (as opposed to ``null``).
OMITTED = "omitted"
#: Marks a key absent from a JSON object (shown as `OMITTED`); also "no JSON body given".
MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()

_MAX_SHOWN = 160
_NO_BODY = object()


def show(value: Any) -> str:
    """Render a JSON value on one short line, with secret-looking config values masked."""
    text = json.dumps(redact_json(value), ensure_ascii=False, default=repr)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return text


def decode(response: httpx.Response) -> Any:
    """The JSON body of ``response``, or a marker when it is not JSON."""
    try:
        return json.loads(response.content)
    except ValueError:
        return _NO_BODY


def _excerpt(response: httpx.Response) -> str:
    text = response.content[:_MAX_SHOWN].decode("utf-8", "replace")
    content_type = response.headers.get("content-type", "no content type")
    ellipsis = "…" if len(response.content) > _MAX_SHOWN else ""
    return f"a non-JSON body ({content_type}): {text!r}{ellipsis}"


class Diffs:
    """Differences collected while comparing one answer with the contract.

    Use `equal` and `require` for each field, then `raise_if_any` to fail the check
    with every difference at once.
    """

    def __init__(self, request: str):
        self.request = request
        self.items: list[Difference] = []

    def add(self, what: str, expected: str, actual: str) -> None:
        """Record one difference."""
        self.items.append(Difference(what, expected, actual))

    def equal(self, what: str, expected: Any, actual: Any) -> bool:
        """Record a difference unless ``actual == expected`` (same JSON type too)."""
        same = actual == expected and type(actual) is type(expected)
        if not same:
            self.add(what, show(expected), OMITTED if actual is MISSING else show(actual))
        return same

    def field(self, what: str, data: Any, key: str, expected: Any) -> bool:
        """Compare ``data[key]`` with ``expected``; a missing key shows as omitted."""
        actual = data.get(key, MISSING) if isinstance(data, Mapping) else MISSING
        return self.equal(what, expected, actual)

    def fields(self, what: str, data: Any, expected: Mapping[str, Any]) -> bool:
        """Compare the contract's keys of a result object; keys a server adds are fine.

        Forward compatibility: a newer server may add fields to ``data`` (as to store
        records); only the keys in ``expected`` are the contract's.
        """
        if not isinstance(data, Mapping):
            self.add(what, show(dict(expected)), show(data))
            return False
        same = [self.field(f"{what}.{key}", data, key, value) for key, value in expected.items()]
        return all(same)

    def require(self, condition: bool, what: str, expected: str, actual: Any) -> bool:
        """Record a difference unless ``condition`` holds (``expected`` is prose)."""
        if not condition:
            self.add(what, expected, OMITTED if actual is MISSING else show(actual))
        return condition

    def raise_if_any(self) -> None:
        """Fail the check with every recorded difference."""
        if self.items:
            raise CheckFailed(self.request, self.items)


def _envelope(
    response: httpx.Response, request: str, wrong_status: str | None, shape: str
) -> tuple[Diffs, dict[str, Any]]:
    """The answer's envelope and the differences so far; fails at once when the status
    is wrong (``wrong_status``: the status expected) or the body is not an object
    (``shape``: the envelope expected)."""
    diffs = Diffs(request)
    body = decode(response)
    if wrong_status is not None:
        diffs.add("status", wrong_status, status_text(response, body))
        diffs.raise_if_any()
    if not isinstance(body, dict):
        shown = _excerpt(response) if body is _NO_BODY else show(body)
        diffs.add("envelope", shape, shown)
        diffs.raise_if_any()
    return diffs, body


def expect_success(
    response: httpx.Response,
    status: int | None,
    request: str,
    *,
    data: Any = MISSING,
    fields: Mapping[str, Any] | None = None,
) -> Any:
    """Require ``status`` (None: any 2xx) and the success envelope; return ``data``.

    ``request`` names the request in a failure (``POST /stores/{id}/query``).
    Given ``data``, the answer's ``data`` must equal it (same JSON types); given
    ``fields``, each of its keys in ``data`` must hold its value (``data.<key>``).
    Those differences are reported together, after the envelope's.
    """
    wrong = not response.is_success if status is None else response.status_code != status
    expected = str(status or "2xx") if wrong else None
    diffs, body = _envelope(response, request, expected, '{"success": true, "data": ...}')
    diffs.field("envelope success", body, "success", True)
    diffs.require("data" in body, "envelope data", "present", MISSING)
    diffs.require("error" not in body, "envelope error", OMITTED, body.get("error"))
    diffs.raise_if_any()
    answered = body["data"]
    if data is not MISSING:
        diffs.equal("data", data, answered)
    for key, value in (fields or {}).items():
        diffs.field(f"data.{key}", answered, key, value)
    diffs.raise_if_any()
    return answered


def expect_error(
    response: httpx.Response,
    status: int,
    request: str,
    message: str | None = None,
    *,
    prefix: str | None = None,
) -> str:
    """Require ``status``, the failure envelope and (if given) the exact message or prefix.

    Returns the error message.
    """
    expected = None
    if response.status_code != status:
        expected = _expected_error(status, message, prefix)
    diffs, body = _envelope(response, request, expected, '{"success": false, "error": "..."}')
    diffs.field("envelope success", body, "success", False)
    error = body.get("error", MISSING)
    diffs.require(isinstance(error, str), "envelope error", "a message string", error)
    diffs.require("data" not in body, "envelope data", OMITTED, body.get("data"))
    if isinstance(error, str):
        if message is not None:
            diffs.equal("error message", message, error)
        if prefix is not None:
            starts = error.startswith(prefix)
            diffs.require(starts, "error message", f"starting with {show(prefix)}", error)
    diffs.raise_if_any()
    return error if isinstance(error, str) else ""


def listed(data: Any, key: str) -> list[Any]:
    """Each store record's ``key`` in a listing's ``data``; none when it is not an array."""
    if not isinstance(data, list):
        return []
    return [record.get(key) for record in data if isinstance(record, dict)]


def setup_data(response: httpx.Response, step: str, request: str) -> Any:
    """``data`` of a set-up step's answer (any 2xx success will do), or fail naming the step."""
    body = decode(response)
    if response.is_success and isinstance(body, dict) and body.get("success") is True:
        return body.get("data")
    diffs = Diffs(f"set-up ({step}) {request}")
    diffs.add("answer", "a 2xx success envelope", status_text(response, body))
    diffs.raise_if_any()
    return None  # pragma: no cover - raise_if_any raised


def status_text(response: httpx.Response, body: Any) -> str:
    """The status and the gist of the body, as a report shows what came back."""
    if isinstance(body, dict):
        if body.get("success") is False and isinstance(body.get("error"), str):
            return f"{response.status_code} {show(body['error'])}"
        return f"{response.status_code} {show(body)}"
    if body is _NO_BODY:
        return f"{response.status_code} with {_excerpt(response)}"
    return f"{response.status_code} {show(body)}"


def _expected_error(status: int, message: str | None, prefix: str | None) -> str:
    if message is not None:
        return f"{status} {show(message)}"
    if prefix is not None:
        return f"{status} {show(prefix + '...')}"
    return str(status)
