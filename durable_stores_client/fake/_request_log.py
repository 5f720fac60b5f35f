"""The request log's view of a request: credential headers and body values masked.

Also the one debug line per request on the ``durable_stores_client.fake`` logger
(``DURABLE_STORES_LOG=debug``): method, path, status, time and store kind, which is
what people testing other SDKs against ``durable-stores fake-server`` read. It holds
no headers and no body; the fake's API key is masked should the path spell it.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import TYPE_CHECKING, Any

from .._redaction import MASK, SECRET_KEY_MARKERS, is_secret_key, redact_text
from ._bodies import too_deep
from ._records import RecordedRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_SECRET_MARKERS = tuple(marker.encode() for marker in SECRET_KEY_MARKERS)


@functools.lru_cache(maxsize=1024)
def _is_secret_header(name: str) -> bool:
    # Remembered per (lowercase) name: every request records its headers, and the same
    # few names come back each time. This check was a fifth of the handler's own time;
    # remembered, the handler's time for the SDK's small query went from 26.1 to 23.3 µs
    # (docs/benchmarks.md, "What the benchmarks found").
    return name in _SECRET_HEADERS or is_secret_key(name)


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every credential value masked."""
    return {name: MASK if _is_secret_header(name) else value for name, value in headers.items()}


def _mask_secrets(value: Any) -> Any:
    if type(value) is dict:
        return {
            key: MASK if is_secret_key(key) else _mask_secrets(item) for key, item in value.items()
        }
    if type(value) is list:
        return [_mask_secrets(item) for item in value]
    return value


def masked_body(raw: bytes, value: Any) -> Any:
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


def lenient_body(body: bytes) -> Any:
    """The body for the log when no operation parsed it: its JSON, or None."""
    if not body:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return None if too_deep(body, value) else value


def recorded_request(
    *,
    method: str,
    path: str,
    operation: str | None,
    store_id: str | None,
    headers: Mapping[str, str],
    raw_body: bytes,
    parsed_body: Any,
    status: int | None,
    fault: bool,
) -> RecordedRequest:
    """The log entry of one request, credentials masked."""
    return RecordedRequest(
        method=method,
        path=path,
        operation=operation,
        store_id=store_id,
        body=masked_body(raw_body, parsed_body),
        status=status,
        headers=masked_headers(headers),
        idempotency_key=headers.get("idempotency-key"),
        fault=fault,
    )


#: The fake's logger (the handler logs its own errors there too).
logger = logging.getLogger("durable_stores_client.fake")


def log_request(
    *,
    method: str,
    path: str,
    status: int | None,
    elapsed_ms: float,
    store_kind: str | None,
    api_key: str | None,
) -> None:
    """Log one request at DEBUG: ``POST /stores/<id>/query -> 200 in 0.4 ms (sqlite store)``."""
    path = redact_text(path, (api_key,))
    answer = "no answer" if status is None else str(status)
    kind = f" ({store_kind} store)" if store_kind else ""
    logger.debug(
        "%s %s -> %s in %.1f ms%s",
        method,
        path,
        answer,
        elapsed_ms,
        kind,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "elapsed_ms": elapsed_ms,
            "store_kind": store_kind,
        },
    )
