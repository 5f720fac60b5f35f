"""Deliberately broken variants of the fake (httpx transports wrapping its transport), and
the fake-server subprocess the suite runs against over real HTTP.

Each variant breaks one clause of the contract the way a real server might; the
tests assert the contract suite fails exactly the checks about that clause.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from process_support import stop

from durable_stores_client.contract import STORE_KINDS, Target
from durable_stores_client.fake import FakeServer

API_KEY = "contract-test-key-0123456789"
BASE_URL = "http://localhost:18888"

RequestHook = Callable[[httpx.Request], httpx.Request | httpx.Response]
ResponseHook = Callable[[httpx.Request, httpx.Response], httpx.Response]


class Broken(httpx.BaseTransport):
    """Wraps a transport; may rewrite requests (or answer them) and rewrite responses."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        request: RequestHook | None = None,
        response: ResponseHook | None = None,
    ):
        self.inner = inner
        self.on_request = request
        self.on_response = response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.on_request is not None:
            changed = self.on_request(request)
            if isinstance(changed, httpx.Response):
                return changed
            request = changed
        response = self.inner.handle_request(request)
        response.read()
        if self.on_response is not None:
            response = self.on_response(request, response)
        return response


def body_of(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def path_parts(request: httpx.Request) -> list[str]:
    """The raw (still percent-encoded) segments of the request's path."""
    raw = request.url.raw_path.decode("ascii").split("?", 1)[0]
    return [part for part in raw.split("/") if part]


def target_for(transport: httpx.BaseTransport, **options: Any) -> Target:
    settings: dict[str, Any] = {"api_key": API_KEY, "kinds": STORE_KINDS, "transport": transport}
    settings.update(options)
    return Target(BASE_URL, **settings)


# -- the variants -------------------------------------------------------------------------


def create_answers_200(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if request.method == "POST" and request.url.path == "/stores" and response.status_code == 201:
        return answer(200, body_of(response))
    return response


def get_without_envelope(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    parts = path_parts(request)
    if request.method == "GET" and len(parts) == 2 and response.status_code == 200:
        return answer(200, body_of(response)["data"])
    return response


def null_data_on_404(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if response.status_code == 404:
        return answer(404, {**body_of(response), "data": None})
    return response


def duplicate_name_500(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    body = body_of(response)
    if response.status_code == 409 and body.get("error") == "Store name already exists":
        return answer(500, {"success": False, "error": "failed to create durable store metadata"})
    return response


_WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REPLACE")


def query_runs_writes(request: httpx.Request) -> httpx.Request:
    parts = path_parts(request)
    if request.method == "POST" and len(parts) == 3 and parts[2] == "query":
        try:
            sql = json.loads(request.content).get("sql", "")
        except (ValueError, AttributeError):
            return request
        if isinstance(sql, str) and sql.strip().upper().startswith(_WRITES):
            url = request.url.copy_with(raw_path=f"/stores/{parts[1]}/execute".encode())
            return httpx.Request("POST", url, headers=request.headers, content=request.content)
    return request


def rows_as_arrays(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    parts = path_parts(request)
    if len(parts) == 3 and parts[2] == "query" and response.status_code == 200:
        body = body_of(response)
        data = body["data"]
        data["rows"] = [list(row.values()) for row in data["rows"]]
        return answer(200, body)
    return response


def unauthorized_message(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if body_of(response) == {"success": False, "error": "Missing Authorization header"}:
        return answer(401, {"success": False, "error": "Unauthorized"})
    return response


def health_needs_auth(request: httpx.Request) -> httpx.Request | httpx.Response:
    if request.url.path == "/health" and "authorization" not in request.headers:
        return answer(401, {"success": False, "error": "Missing Authorization header"})
    return request


def oldest_first(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if request.method == "GET" and request.url.path == "/stores" and response.status_code == 200:
        body = body_of(response)
        body["data"] = list(reversed(body["data"]))
        return answer(200, body)
    return response


def wrong_method_405(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    parts = path_parts(request)
    known = (
        parts[:1] == ["stores"]
        and len(parts) <= 3
        and (len(parts) < 3 or parts[2] in ("query", "execute", "command"))
    )
    if known and response.status_code == 404 and body_of(response).get("error") == "Not found":
        return answer(405, {"success": False, "error": "Method Not Allowed"})
    return response


def lookup_before_body(fake: FakeServer) -> RequestHook:
    """Answer 404 for an unknown store before looking at the body."""
    known = fake.transport()

    def hook(request: httpx.Request) -> httpx.Request | httpx.Response:
        parts = path_parts(request)
        if request.method == "POST" and len(parts) == 3:
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            probe = httpx.Request(
                "GET",
                request.url.copy_with(raw_path=f"/stores/{parts[1]}".encode()),
                headers=headers,
            )
            found = known.handle_request(probe)
            found.read()
            if found.status_code == 404:
                return answer(404, {"success": False, "error": "Store not found"})
        return request

    return hook


def ignore_idempotency_keys(request: httpx.Request) -> httpx.Request:
    """Drop the Idempotency-Key header, as the agentkernel server does (it has none)."""
    if "idempotency-key" not in request.headers:
        return request
    headers = {k: v for k, v in request.headers.items() if k.lower() != "idempotency-key"}
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


def crash_on_invalid_utf8(request: httpx.Request) -> httpx.Request | httpx.Response:
    """A server that falls over on a body that is not UTF-8."""
    try:
        request.content.decode("utf-8")
    except UnicodeDecodeError:
        return answer(500, {"success": False, "error": "internal server error"})
    return request


# -- variants found by the clause-by-clause audit ------------------------------------------


def _json_body(request: httpx.Request) -> Any:
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def _with_json(request: httpx.Request, body: Any) -> httpx.Request:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.Request(request.method, request.url, headers=headers, json=body)


def sqlite_config_merged(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Keep the given config keys next to the default path (the contract says: replaced)."""
    sent = _json_body(request)
    if (
        request.method == "POST"
        and request.url.path == "/stores"
        and response.status_code == 201
        and isinstance(sent, dict)
        and isinstance(sent.get("config"), dict)
        and "path" not in sent["config"]
    ):
        body = body_of(response)
        body["data"]["config"] = {**sent["config"], **body["data"]["config"]}
        return answer(201, body)
    return response


def stale_last_insert_rowid(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Answer the connection's last rowid after an UPDATE or DELETE (not 0)."""
    sent = _json_body(request)
    parts = path_parts(request)
    if (
        len(parts) == 3
        and parts[2] == "execute"
        and response.status_code == 200
        and isinstance(sent, dict)
        and str(sent.get("sql", "")).lstrip().upper().startswith(("UPDATE", "DELETE"))
    ):
        body = body_of(response)
        body["data"]["last_insert_rowid"] = 3
        return answer(200, body)
    return response


def command_elements_coerced(request: httpx.Request) -> httpx.Request:
    """Turn non-string command elements into strings instead of refusing them."""
    sent = _json_body(request)
    parts = path_parts(request)
    if len(parts) == 3 and parts[2] == "command" and isinstance(sent, dict):
        command = sent.get("command")
        if isinstance(command, list) and any(not isinstance(c, str) for c in command):
            return _with_json(request, {"command": [json.dumps(c) for c in command]})
    return request


def sql_numbers_coerced(request: httpx.Request) -> httpx.Request:
    """Accept a number as sql (turned into text) instead of refusing the body."""
    sent = _json_body(request)
    parts = path_parts(request)
    sql_route = len(parts) == 3 and parts[2] in ("query", "execute")
    if sql_route and isinstance(sent, dict) and type(sent.get("sql")) is int:
        return _with_json(request, {**sent, "sql": f"SELECT {sent['sql']}"})
    return request


def params_object_as_values(request: httpx.Request) -> httpx.Request:
    """Accept params given as an object (its values, in order) instead of refusing it."""
    sent = _json_body(request)
    parts = path_parts(request)
    sql_route = len(parts) == 3 and parts[2] in ("query", "execute")
    if sql_route and isinstance(sent, dict) and isinstance(sent.get("params"), dict):
        return _with_json(request, {**sent, "params": list(sent["params"].values())})
    return request


def _edit_records(
    response: httpx.Response, edit: Callable[[dict[str, Any]], None]
) -> httpx.Response:
    """A success answer with ``edit`` applied to each record of its data (one or a list);
    any other answer as it is."""
    body = body_of(response)
    if response.is_success and isinstance(body, dict):
        records = body.get("data")
        for record in records if isinstance(records, list) else [records]:
            if isinstance(record, dict):
                edit(record)
        return answer(response.status_code, body)
    return response


def secret_config_dropped(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Drop password_secret from records (agentkernel today ignores it)."""

    def drop(record: dict[str, Any]) -> None:
        if isinstance(record.get("config"), dict):
            record["config"].pop("password_secret", None)

    return _edit_records(response, drop)


def limit_inclusive(request: httpx.Request) -> httpx.Request | httpx.Response:
    """413 for a body of exactly 16 MiB (the contract: only over it)."""
    if len(request.content) >= 16 * 1024 * 1024:
        error = "Request body exceeds the maximum size of 16777216 bytes"
        return answer(413, {"success": False, "error": error})
    return request


def list_variant(fake: FakeServer, pick: Callable[[list[Any]], list[Any]]) -> ResponseHook:
    """Answer GET /stores with ``pick(records oldest first)`` instead of the 200 newest."""

    def hook(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/stores" and response.is_success:
            records = [r.to_dict() for r in fake.stores]
            return answer(200, {"success": True, "data": pick(records)})
        return response

    return hook


def rerun_when_the_store_is_gone(fake: FakeServer) -> dict[str, Any]:
    """Honour Idempotency-Key on create only while the store it made still exists."""
    made: dict[str, str] = {}

    def on_request(request: httpx.Request) -> httpx.Request:
        key = request.headers.get("idempotency-key")
        if key in made and made[key] not in {s.id for s in fake.stores}:
            # As a cache tied to the store would: the create runs again, under a new key.
            headers = {k: v for k, v in request.headers.items() if k.lower() != "idempotency-key"}
            headers["idempotency-key"] = f"{key}-again"
            return httpx.Request("POST", request.url, headers=headers, content=request.content)
        return request

    def on_response(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        key = request.headers.get("idempotency-key")
        body = body_of(response)
        if key and request.url.path == "/stores" and response.status_code == 201:
            made.setdefault(key, body["data"]["id"])
        return response

    return {"request": on_request, "response": on_response}


# -- variants for the clauses corrected against the agentkernel server ----------------------


def engine_detail_dropped(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Engine errors name the failing step only, as the agentkernel server words them."""
    body = body_of(response)
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code != 400 or not isinstance(error, str):
        return response
    parts = path_parts(request)
    if error.startswith("failed executing store query: "):
        error = f"failed preparing store query for store {parts[1]}"
    elif error.startswith("failed executing store statement: "):
        error = "failed executing store statement"
    return answer(400, {"success": False, "error": error})


def sandbox_checked(known: set[str]) -> RequestHook:
    """Refuse a create naming a sandbox not in ``known``, as the daemon does."""

    def hook(request: httpx.Request) -> httpx.Request | httpx.Response:
        sent = _json_body(request)
        if request.method == "POST" and request.url.path == "/stores" and isinstance(sent, dict):
            sandbox = sent.get("sandbox")
            if isinstance(sandbox, str) and sandbox and sandbox not in known:
                error = f"sandbox '{sandbox}' does not exist"
                return answer(400, {"success": False, "error": error})
        return request

    return hook


def sandbox_refused_vaguely(request: httpx.Request) -> httpx.Request | httpx.Response:
    """Refuse every create naming a sandbox, with a message of its own."""
    sent = _json_body(request)
    creates = request.method == "POST" and request.url.path == "/stores"
    if creates and isinstance(sent, dict) and sent.get("sandbox"):
        return answer(400, {"success": False, "error": "bad sandbox"})
    return request


def empty_sandbox_dropped(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Omit a sandbox of "" from records (the contract: kept as "")."""

    def drop(record: dict[str, Any]) -> None:
        if record.get("sandbox") == "":
            del record["sandbox"]

    return _edit_records(response, drop)


def for_kinds(kinds: set[str], change: Callable[[Any], None]) -> dict[str, Any]:
    """Apply ``change`` to the ``data`` of each 200 query answer of a store of ``kinds``."""
    ids: set[str] = set()

    def on_response(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        body = body_of(response)
        parts = path_parts(request)
        if request.url.path == "/stores" and response.status_code == 201:
            if body["data"]["kind"] in kinds:
                ids.add(body["data"]["id"])
        elif len(parts) == 3 and parts[2] == "query" and parts[1] in ids and response.is_success:
            change(body["data"])
            return answer(200, body)
        return response

    return {"response": on_response}


def values_as_text(data: Any) -> None:
    """Every non-null value as a string, as mysql's text protocol reads it."""
    data["rows"] = [{k: v if v is None else str(v) for k, v in row.items()} for row in data["rows"]]


def no_columns_without_rows(data: Any) -> None:
    """``columns: []`` when there are no rows (columns taken from the first row)."""
    if not data["rows"]:
        data["columns"] = []


def trailing_slash_404(request: httpx.Request) -> httpx.Request | httpx.Response:
    """A router that matches paths exactly: ``/stores/`` is not ``/stores``."""
    if request.url.raw_path.decode("ascii").split("?", 1)[0].endswith("/"):
        return answer(404, {"success": False, "error": "Not found"})
    return request


def framing_trusted(request: httpx.Request) -> httpx.Request:
    """Ignore the Content-Length header and take the body as it came."""
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


@contextlib.contextmanager
def fake_server_process(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``durable-stores fake-server --port 0 --api-key API_KEY *options`` and its URL."""
    command = [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--api-key", API_KEY, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    if not lines or not lines[0].startswith("http://"):
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"fake-server printed no URL; stderr: {err}")
    try:
        yield process, lines[0].strip()
    finally:
        stop(process)
