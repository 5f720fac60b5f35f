"""The envelope the fake answers with: ``RawResponse``, ``success``, ``failure``, ``BadRequest``."""

from __future__ import annotations

import json
from typing import Any

_JSON = "application/json"

#: The envelope's ``error`` for an unknown route or method.
NOT_FOUND = "Not found"
#: The envelope's ``error`` for a store id that names no store.
STORE_NOT_FOUND = "Store not found"


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
