"""The envelope the fake answers with: ``RawResponse``, ``success``, ``failure``, ``BadRequest``."""

from __future__ import annotations

import json
from typing import Any

_JSON = "application/json"

#: The envelope's ``error`` for an unknown route or method.
NOT_FOUND = "Not found"
#: The envelope's ``error`` for a store id that names no store.
STORE_NOT_FOUND = "Store not found"


#: The largest answer body the fake builds, well below the client's default
#: ``max_response_bytes`` (256 MiB), so a test meets the fake's clear 400 first.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: The end of the 400 for an answer over :data:`MAX_ANSWER_BYTES`.
ANSWER_TOO_LARGE = (
    f"the answer would exceed the fake's limit of {MAX_ANSWER_BYTES} bytes (64 MiB); "
    "ask for fewer rows or smaller values"
)


class RawResponse:
    """An answer: status, headers (without Content-Length) and body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class BadRequest(Exception):
    """Client input the contract answers with a 4xx (400 unless ``status`` says otherwise)."""

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
    """A success envelope; a 400 (:class:`BadRequest`) when it would exceed the answer limit."""
    body = _dumps(data)
    if len(body) > MAX_ANSWER_BYTES:
        raise BadRequest(ANSWER_TOO_LARGE)
    return RawResponse(status, [("content-type", _JSON)], b'{"success":true,"data":' + body + b"}")


def failure(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> RawResponse:
    """A failure envelope."""
    return RawResponse(
        status,
        [("content-type", _JSON), *(headers or ())],
        _dumps({"success": False, "error": message}),
    )
