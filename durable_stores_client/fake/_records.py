"""The fake's public value classes: store records and recorded requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from .._redaction import redact_json

if TYPE_CHECKING:
    from collections.abc import Mapping


def _masked_repr(value: object) -> str:
    return repr(redact_json(value))


@attrs.frozen
class StoreRecord:
    """A store as the fake holds it, exactly as the wire shows it.

    Attributes:
        id: The store id (a lowercase UUIDv7 unless the fake was given ``ids``).
        name: The store name, trimmed.
        kind: ``"sqlite"``, ``"postgres"``, ``"mysql"`` or ``"redis"``.
        sandbox: The sandbox name, or ``None`` when the store has none (the wire
            omits the field then).
        config: The engine config as stored: any JSON value, usually an object
            (for ``sqlite`` without a ``path``, including a config that is not an
            object, the default path the fake filled in). Credentials are masked
            in the repr, never in the value itself.
        created_at: RFC 3339 timestamp string, as on the wire.
        updated_at: RFC 3339 timestamp string, as on the wire.
    """

    id: str
    name: str
    kind: str
    sandbox: str | None
    config: Any = attrs.field(repr=_masked_repr)
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        """Return the record as the JSON object the fake puts on the wire."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        if self.sandbox is not None:
            data["sandbox"] = self.sandbox
        data["config"] = self.config
        data["created_at"] = self.created_at
        data["updated_at"] = self.updated_at
        return data


@attrs.frozen
class RecordedRequest:
    """One request the fake received, in the order it arrived.

    Attributes:
        method: The HTTP method, upper case.
        path: The request path as sent (still percent-encoded), without the
            query string.
        operation: The contract operation the route maps to (``"list"``,
            ``"create"``, ``"get"``, ``"delete"``, ``"query"``, ``"execute"``,
            ``"command"``, ``"health"``), or ``None`` for an unknown route.
        store_id: The decoded store id from the path, or ``None``.
        body: The request body parsed as JSON, or ``None`` when the body was
            empty or not valid JSON. Values under credential keys (names
            containing ``password``, ``secret`` or ``token``, at any depth) are
            masked as ``"***"``, so the log is safe to print or dump; the
            store's record (``FakeServer.stores``) keeps the real config.
        status: The status the fake answered, or ``None`` when no answer was
            sent (an injected disconnect, or a client that gave up during an
            injected delay).
        headers: Request headers with lowercase names; ``Authorization`` and
            other credential headers are masked.
        idempotency_key: The ``Idempotency-Key`` header, or ``None``.
        fault: True when an injected fault answered this request.
    """

    method: str
    path: str
    operation: str | None
    store_id: str | None
    body: Any = attrs.field(repr=_masked_repr)
    status: int | None
    headers: Mapping[str, str] = attrs.field(repr=False)
    idempotency_key: str | None = None
    fault: bool = False
