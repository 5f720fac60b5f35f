"""What a check works with: requests, expectations, set-up steps and clean-up, in one place.

`CheckContext` puts together the pieces that each do one job: the HTTP driver
(`_wire`), the assertion vocabulary (`_expect`), the clean-up ledger (`_cleanup`)
and the client factory (`_clients`). Its own job is naming (stores, tables, keys
unique to the run; requests as a report shows them) and the set-up steps checks share.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._cleanup import CheckCleanup, StoreLedger
from ._clients import ClientFactory
from ._expect import MISSING, Diffs, decode, expect_error, expect_success, setup_data, show
from ._model import CheckFailed, CheckSkipped, Difference, not_executable_reason
from ._wire import Wire, store_path

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import httpx

    from .. import AsyncClient, Client
    from ._target import Target

__all__ = ["CheckContext", "Diffs", "StoreLedger", "show"]


def _uuid7() -> str:
    """A random UUIDv7 (an id no server has made)."""
    value = uuid.uuid4().int & ~(0xF << 76) & ~(0x3 << 62)  # clear version and variant
    value |= (0x7 << 76) | (0b10 << 62)
    return str(uuid.UUID(int=value))


class CheckContext:
    """What a check uses to talk to the server: requests, expectations, clean-up.

    One context serves one check. Every store created through it (by `create_store`,
    by any ``POST /stores`` sent with `request`, or registered with `track`) is
    deleted when the check ends, whatever its outcome.

    Attributes:
        target: The server under test.
        prefix: The run's unique store name prefix (``contract-<random>-``).
        wire: The HTTP driver (`request` and `raw` go through it).
        unknown_id: A well-formed id of no store (shown as ``{unknown-id}``).
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
        self.wire = Wire(target, http)
        self._check_id = check_id
        self._cleanup = CheckCleanup(ledger)
        self._clients = ClientFactory(target, self._cleanup)
        self._counter = 0
        self.unknown_id = _uuid7()
        self._labels: dict[str, str] = {self.unknown_id: "{unknown-id}"}

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

    store_path = staticmethod(store_path)

    def label(self, method: str, path: str) -> str:
        """How a request is named in a report: ids become ``{id}``, ``{unknown-id}``."""
        for raw, placeholder in self._labels.items():
            path = path.replace(quote(raw, safe=""), placeholder)
        return f"{method} {path}"

    def _request_label(self, response: httpx.Response) -> str:
        return self.label(response.request.method, response.request.url.raw_path.decode())

    # -- requests ---------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = MISSING,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one request; the API key is added unless ``auth`` is false.

        A successful ``POST /stores`` is recorded so the store is deleted later. The 501
        of an engine the server cannot run skips the check.
        """
        response = self.wire.request(
            method, path, json=json, content=content, headers=headers, auth=auth
        )
        cannot_run = not_executable_reason(response.status_code, response.text)
        if cannot_run is not None:
            raise CheckSkipped(cannot_run)
        if method.upper() == "POST" and path.rstrip("/") == "/stores" and response.is_success:
            body = decode(response)
            record = body.get("data", body) if isinstance(body, dict) else None
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                self.track(record["id"])
        return response

    def raw(
        self, method: str, path: str, *, headers: Mapping[str, str], body: bytes, half_close: bool
    ) -> httpx.Response:
        """Send a request exactly as written (see `Wire.raw`); skip when the target cannot."""
        response = self.wire.raw(method, path, headers=headers, body=body, half_close=half_close)
        if response is None:
            self.skip("needs a plain http:// server to half-close the connection on")
        assert response is not None
        return response

    # -- clean-up -----------------------------------------------------------------

    def track(self, store_id: str) -> None:
        """Delete this store when the check ends (for stores made through `Client`)."""
        if self._cleanup.track(store_id):
            self._labels.setdefault(store_id, "{id}" if len(self._labels) == 1 else "{id2}")

    def defer(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` when the check ends, before its stores are deleted."""
        self._cleanup.defer(cleanup)

    def close(self) -> None:
        """Run deferred clean-ups, then delete every store this check created."""
        self._cleanup.close(self.wire)

    # -- expectations (see `_expect`) ------------------------------------------------

    def diffs(self, response: httpx.Response | None = None, *, request: str = "") -> Diffs:
        """A fresh `Diffs` named after ``response``'s request (or ``request``)."""
        return Diffs(self._request_label(response) if response is not None else request)

    def expect_success(
        self,
        response: httpx.Response,
        status: int | None = 200,
        *,
        data: Any = MISSING,
        fields: Mapping[str, Any] | None = None,
    ) -> Any:
        """Require ``status`` (None: any 2xx) and the success envelope; return ``data``.

        A wrong status is reported alone (with the body's gist), since the rest of
        the answer then says little. Checks about something else than the status
        of a create pass None, so that only the check of that status fails for it.
        Given ``data``, the answer's ``data`` must equal it; given ``fields``, each
        key of ``data`` named there must hold its value (reported as ``data.<key>``).
        """
        label = self._request_label(response)
        return expect_success(response, status, label, data=data, fields=fields)

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
        label = self._request_label(response)
        return expect_error(response, status, label, message, prefix=prefix)

    def fail(self, what: str, expected: str, actual: Any, *, request: str = "") -> None:
        """Fail the check with one difference (``actual`` is shown as JSON)."""
        raise CheckFailed(request, [Difference(what, expected, show(actual))])

    @staticmethod
    def skip(reason: str) -> None:
        """Skip the check, saying why."""
        raise CheckSkipped(reason)

    # -- set-up helpers (lenient: they fail only when the step cannot go on) ------

    def _setup(self, response: httpx.Response, step: str) -> Any:
        return setup_data(response, step, self._request_label(response))

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
        record = self._setup(self.request("POST", "/stores", json=payload), "create a store")
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise CheckFailed(
                "set-up (create a store) POST /stores",
                [Difference("data", "a store record with an id", show(record))],
            )
        return record

    def sql(
        self, store_id: str, operation: str, sql: str, params: list[Any] | None = None
    ) -> httpx.Response:
        """Send ``sql`` (with ``params`` when given) to a store's ``query`` or ``execute``."""
        body: dict[str, Any] = {"sql": sql}
        if params is not None:
            body["params"] = params
        return self.request("POST", store_path(store_id, operation), json=body)

    def execute(self, store_id: str, sql: str, params: list[Any] | None = None) -> Any:
        """Run a statement as set-up through ``/execute``; return ``data``."""
        return self._setup(self.sql(store_id, "execute", sql, params), "execute")

    def command(self, store_id: str, *command: str) -> Any:
        """Run a Redis command as set-up; return ``data``."""
        body = {"command": list(command)}
        return self._setup(
            self.request("POST", store_path(store_id, "command"), json=body), "command"
        )

    def redis_key(self, store_id: str, hint: str) -> str:
        """A Redis key unique to this run, deleted from the store when the check ends."""
        key = f"{self.prefix}{hint}-{secrets.token_hex(3)}"
        path = store_path(store_id, "command")
        self.defer(lambda: self.request("POST", path, json={"command": ["DEL", key]}))
        return key

    def table(self, store_id: str, columns: str) -> str:
        """Create a table unique to this run in a SQL store; it is dropped at the end."""
        name = self.unique("t")
        self.execute(store_id, f"CREATE TABLE {name} ({columns})")
        path = store_path(store_id, "execute")
        self.defer(lambda: self.request("POST", path, json={"sql": f"DROP TABLE {name}"}))
        return name

    # -- the public clients (see `_clients`) ------------------------------------------

    def client(self, **options: Any) -> Client:
        """A `durable_stores_client.Client` for this target (closed when the check ends)."""
        return self._clients.client(**options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` for this target; the caller closes it (``async with``)."""
        return self._clients.async_client(**options)
