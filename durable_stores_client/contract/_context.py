"""What a check works with: wire-level requests, expectations, and stores it must clean up."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import AsyncClient, Client
from .._redaction import redact_json
from ._model import CheckFailed, CheckSkipped, Difference, not_executable_reason

if TYPE_CHECKING:
    import httpx

    from ._target import Target

__all__ = ["CheckContext", "Diffs", "StoreLedger", "show"]

#: Marks a field that is absent from a JSON object (as opposed to ``null``).
OMITTED = "omitted"

_MAX_SHOWN = 160
_NO_BODY = object()
#: Marks a key absent from a JSON object (shown as `OMITTED`).
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


def show(value: Any) -> str:
    """Render a JSON value on one short line, with secret-looking config values masked."""
    text = json.dumps(redact_json(value), ensure_ascii=False, default=repr)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return text


def _excerpt(response: httpx.Response) -> str:
    text = response.content[:_MAX_SHOWN].decode("utf-8", "replace")
    content_type = response.headers.get("content-type", "no content type")
    ellipsis = "…" if len(response.content) > _MAX_SHOWN else ""
    return f"a non-JSON body ({content_type}): {text!r}{ellipsis}"


def _decode(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return _NO_BODY


def _uuid7() -> str:
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= secrets.randbits(12) << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))


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
            self.add(what, show(expected), OMITTED if actual is _MISSING else show(actual))
        return same

    def field(self, what: str, data: Any, key: str, expected: Any) -> bool:
        """Compare ``data[key]`` with ``expected``; a missing key shows as omitted."""
        actual = data.get(key, _MISSING) if isinstance(data, Mapping) else _MISSING
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
            self.add(what, expected, OMITTED if actual is _MISSING else show(actual))
        return condition

    def raise_if_any(self) -> None:
        """Fail the check with every recorded difference."""
        if self.items:
            raise CheckFailed(self.request, self.items)


class StoreLedger:
    """Every store a run created, so that all of them are deleted afterwards."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def add(self, store_id: str) -> None:
        """Remember a store the run created."""
        if store_id not in self.ids:
            self.ids.append(store_id)

    def discard(self, store_id: str) -> None:
        """Forget a store that is gone."""
        if store_id in self.ids:
            self.ids.remove(store_id)


class CheckContext:
    """What a check uses to talk to the server: requests, expectations, clean-up.

    One context serves one check. Every store created through it (by `create_store`,
    by any ``POST /stores`` sent with `request`, or registered with `track`) is
    deleted when the check ends, whatever its outcome.

    Attributes:
        target: The server under test.
        prefix: The run's unique store name prefix (``contract-<random>-``).
    """

    def __init__(
        self,
        target: Target,
        http: httpx.Client,
        *,
        prefix: str,
        check_id: str,
        ledger: StoreLedger,
    ):
        self.target = target
        self.prefix = prefix
        self._http = http
        self._check_id = check_id
        self._ledger = ledger
        self._created: list[str] = []
        self._cleanups: list[Callable[[], object]] = []
        self._labels: dict[str, str] = {}
        self._counter = 0
        self.unknown_id = _uuid7()
        self._labels[self.unknown_id] = "{unknown-id}"

    # -- naming -----------------------------------------------------------------

    def name(self, hint: str = "") -> str:
        """A store name unique to this run, starting with the run's prefix."""
        self._counter += 1
        slug = self._check_id.replace(".", "-")
        return f"{self.prefix}{slug}{'-' + hint if hint else ''}-{self._counter}"

    def unique(self, hint: str) -> str:
        """An identifier (table name, Redis key) unique to this run; ``[a-z0-9_]`` only."""
        self._counter += 1
        return f"contract_{secrets.token_hex(4)}_{hint}_{self._counter}"

    # -- requests ---------------------------------------------------------------

    @staticmethod
    def store_path(store_id: str, operation: str | None = None) -> str:
        """``/stores/{id}`` (id percent-encoded) or ``/stores/{id}/{operation}``."""
        path = f"/stores/{quote(store_id, safe='')}"
        return f"{path}/{operation}" if operation else path

    def label(self, method: str, path: str) -> str:
        """How a request is named in a report: ids become ``{id}``, ``{unknown-id}``."""
        for raw, placeholder in self._labels.items():
            path = path.replace(quote(raw, safe=""), placeholder)
        return f"{method} {path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _MISSING,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one request; the API key is added unless ``auth`` is false.

        A successful ``POST /stores`` is recorded so the store is deleted later. The 501
        of an engine the server cannot run skips the check.
        """
        all_headers: dict[str, str] = {}
        if json is not _MISSING:
            content = _json_bytes(json)
            all_headers["content-type"] = "application/json"
        if auth and self.target.api_key is not None:
            all_headers["authorization"] = f"Bearer {self.target.api_key}"
        all_headers.update(headers or {})
        response = self._http.request(method, path, content=content, headers=all_headers)
        response.read()
        skip = not_executable_reason(response.status_code, response.text)
        if skip is not None:
            raise CheckSkipped(skip)
        if method.upper() == "POST" and path.rstrip("/") == "/stores":
            self._remember_created(response)
        return response

    def _remember_created(self, response: httpx.Response) -> None:
        if not response.is_success:
            return
        body = _decode(response)
        record = body.get("data", body) if isinstance(body, dict) else None
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            self.track(record["id"])

    def track(self, store_id: str) -> None:
        """Delete this store when the check ends (for stores made through `Client`)."""
        if store_id not in self._created:
            self._created.append(store_id)
            self._labels.setdefault(store_id, "{id}" if len(self._labels) == 1 else "{id2}")
            self._ledger.add(store_id)

    def defer(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` when the check ends, before its stores are deleted."""
        self._cleanups.append(cleanup)

    # -- expectations -----------------------------------------------------------

    def _request_label(self, response: httpx.Response) -> str:
        return self.label(response.request.method, response.request.url.raw_path.decode())

    def diffs(self, response: httpx.Response | None = None, *, request: str = "") -> Diffs:
        """A fresh `Diffs` named after ``response``'s request (or ``request``)."""
        return Diffs(self._request_label(response) if response is not None else request)

    def expect_success(self, response: httpx.Response, status: int | None = 200) -> Any:
        """Require ``status`` (None: any 2xx) and the success envelope; return ``data``.

        A wrong status is reported alone (with the body's gist), since the rest of
        the answer then says little. Checks about something else than the status
        of a create pass None, so that only the check of that status fails for it.
        """
        diffs = self.diffs(response)
        body = _decode(response)
        wrong = not response.is_success if status is None else response.status_code != status
        if wrong:
            diffs.add("status", str(status or "2xx"), _status_text(response, body))
            diffs.raise_if_any()
        if not isinstance(body, dict):
            shown = _excerpt(response) if body is _NO_BODY else show(body)
            diffs.add("envelope", '{"success": true, "data": ...}', shown)
            diffs.raise_if_any()
        diffs.field("envelope success", body, "success", True)
        diffs.require("data" in body, "envelope data", "present", _MISSING)
        diffs.require("error" not in body, "envelope error", OMITTED, body.get("error"))
        diffs.raise_if_any()
        return body["data"]

    def expect_error(
        self,
        response: httpx.Response,
        status: int,
        message: str | None = None,
        *,
        prefix: str | None = None,
    ) -> str:
        """Require ``status``, the failure envelope and (if given) the exact message.

        Returns the error message.
        """
        diffs = self.diffs(response)
        body = _decode(response)
        if response.status_code != status:
            diffs.add(
                "status", _expected_error(status, message, prefix), _status_text(response, body)
            )
            diffs.raise_if_any()
        if not isinstance(body, dict):
            shown = _excerpt(response) if body is _NO_BODY else show(body)
            diffs.add("envelope", '{"success": false, "error": "..."}', shown)
            diffs.raise_if_any()
        diffs.field("envelope success", body, "success", False)
        error = body.get("error", _MISSING)
        diffs.require(isinstance(error, str), "envelope error", "a message string", error)
        diffs.require("data" not in body, "envelope data", OMITTED, body.get("data"))
        if isinstance(error, str):
            if message is not None:
                diffs.equal("error message", message, error)
            if prefix is not None:
                diffs.require(
                    error.startswith(prefix),
                    "error message",
                    f"starting with {show(prefix)}",
                    error,
                )
        diffs.raise_if_any()
        return error if isinstance(error, str) else ""

    def fail(self, what: str, expected: str, actual: Any, *, request: str = "") -> None:
        """Fail the check with one difference (``actual`` is shown as JSON)."""
        raise CheckFailed(request, [Difference(what, expected, show(actual))])

    @staticmethod
    def skip(reason: str) -> None:
        """Skip the check, saying why."""
        raise CheckSkipped(reason)

    # -- set-up helpers (lenient: they fail only when the step cannot go on) ------

    def _setup_data(self, response: httpx.Response, step: str) -> Any:
        body = _decode(response)
        if response.is_success and isinstance(body, dict) and body.get("success") is True:
            return body.get("data")
        diffs = Diffs(f"set-up ({step}) {self._request_label(response)}")
        diffs.add("answer", "a 2xx success envelope", _status_text(response, body))
        diffs.raise_if_any()
        return None  # pragma: no cover - raise_if_any raised

    def create_store(
        self,
        kind: str = "sqlite",
        *,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        sandbox: str | None = None,
    ) -> dict[str, Any]:
        """Create a store for a check to use (any 2xx will do) and return its record.

        The engine config defaults to the run's ``store_config`` for ``kind``.
        """
        payload: dict[str, Any] = {"name": name or self.name(kind), "kind": kind}
        store_config = dict(config) if config is not None else self.target.config_for(kind)
        if store_config:
            payload["config"] = store_config
        if sandbox is not None:
            payload["sandbox"] = sandbox
        response = self.request("POST", "/stores", json=payload)
        record = self._setup_data(response, "create a store")
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise CheckFailed(
                "set-up (create a store) POST /stores",
                [Difference("data", "a store record with an id", show(record))],
            )
        return record

    def execute(self, store_id: str, sql: str, params: list[Any] | None = None) -> Any:
        """Run a statement as set-up through ``/execute``; return ``data``."""
        body: dict[str, Any] = {"sql": sql}
        if params is not None:
            body["params"] = params
        response = self.request("POST", self.store_path(store_id, "execute"), json=body)
        return self._setup_data(response, "execute")

    def command(self, store_id: str, *command: str) -> Any:
        """Run a Redis command as set-up; return ``data``."""
        response = self.request(
            "POST", self.store_path(store_id, "command"), json={"command": list(command)}
        )
        return self._setup_data(response, "command")

    def redis_key(self, store_id: str, hint: str) -> str:
        """A Redis key unique to this run, deleted from the store when the check ends."""
        key = f"{self.prefix}{hint}-{secrets.token_hex(3)}"

        def delete_key() -> None:
            self.request(
                "POST", self.store_path(store_id, "command"), json={"command": ["DEL", key]}
            )

        self.defer(delete_key)
        return key

    def table(self, store_id: str, columns: str) -> str:
        """Create a table unique to this run in a SQL store; it is dropped at the end."""
        name = self.unique("t")
        self.execute(store_id, f"CREATE TABLE {name} ({columns})")

        def drop() -> None:
            self.request(
                "POST", self.store_path(store_id, "execute"), json={"sql": f"DROP TABLE {name}"}
            )

        self.defer(drop)
        return name

    # -- the public clients -------------------------------------------------------

    def _client_settings(self) -> dict[str, Any]:
        """The client options both clients share: the target's, and no retries."""
        return {
            "base_url": self.target.base_url,
            "api_key": self.target.api_key,
            "timeout": self.target.timeout,
            "max_retries": 0,
        }

    def client(self, **options: Any) -> Client:
        """A `durable_stores_client.Client` for this target (closed when the check ends)."""
        settings = self._client_settings()
        if self.target.transport is not None:
            settings["transport"] = self.target.transport
        client = Client(**{**settings, **options})
        self.defer(client.close)
        return client

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` for this target; the caller closes it (``async with``)."""
        settings = self._client_settings()
        if self.target.transport is not None:
            if self.target.async_transport is None:
                self.skip("the target has a transport but no async_transport for AsyncClient")
            settings["transport"] = self.target.async_transport
        return AsyncClient(**{**settings, **options})

    # -- the end ------------------------------------------------------------------

    def close(self) -> None:
        """Run deferred clean-ups, then delete every store this check created."""
        with _quietly():
            for cleanup in reversed(self._cleanups):
                with _quietly():
                    cleanup()
            self._cleanups.clear()
            for store_id in list(self._created):
                with _quietly():
                    response = self.request("DELETE", self.store_path(store_id))
                    if response.is_success or response.status_code == 404:
                        self._ledger.discard(store_id)
            self._created.clear()


def _quietly() -> contextlib.suppress:
    # Clean-up is best effort: a store left behind here is caught by the final sweep.
    return contextlib.suppress(Exception)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _status_text(response: httpx.Response, body: Any) -> str:
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
