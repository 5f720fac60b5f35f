"""The envelope the fake answers with: ``RawResponse``, ``success``, ``failure``, ``BadRequest``."""

from __future__ import annotations

import json
from typing import Any

_JSON = "application/json"

#: The envelope's ``error`` for an unknown route or method.
NOT_FOUND = "Not found"
#: The envelope's ``error`` for a store id that names no store.
STORE_NOT_FOUND = "Store not found"
#: The envelope's ``error`` for a ``Content-Length`` that is not a non-negative integer.
INVALID_CONTENT_LENGTH = "Invalid Content-Length header"
#: The envelope's ``error`` for a body that ended before its ``Content-Length``.
SHORT_BODY = "Invalid JSON: body shorter than its Content-Length"


def framing_problem(content_length: str | None, received: int) -> str | None:
    """Why a body does not match its ``Content-Length`` header, or None when it does.

    A header that is not a non-negative integer is refused; a body shorter than the
    header says (the client stopped sending) is refused. Without the header (a
    chunked body, or none) there is nothing to compare.
    """
    if content_length is None:
        return None
    length = parse_content_length(content_length)
    if length is None:
        return INVALID_CONTENT_LENGTH
    return SHORT_BODY if received < length else None


def parse_content_length(value: str) -> int | None:
    """A ``Content-Length`` value as a number of bytes; None unless ASCII digits only."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() else None


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
