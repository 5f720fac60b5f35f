"""``docs/openapi.yaml`` and the fake stay in step.

* The document is valid OpenAPI 3.1 and describes exactly the contract's routes.
* Probing the fake's network front end with every method on every route shape: a route the
  document lists is served (never answered 404 ``Not found``), one it does not list is
  answered 404 ``Not found``, as the contract says for unknown routes and methods.
* For every operation, a battery of requests drives the fake to each status the document names
  (200/201, 400, 401, 404, 409, 413): the statuses the fake produced are exactly the documented
  ones, and every answer validates against the documented response schema and content type.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from durable_stores_client.fake import FakeServer

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
API_KEY = "openapi-probe-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
LIMIT = 16 * 1024 * 1024
#: The contract's route table (CONTRACT.md, "Routes"), plus the health probe.
CONTRACT_ROUTES = {
    ("GET", "/health"),
    ("GET", "/stores"),
    ("POST", "/stores"),
    ("GET", "/stores/{id}"),
    ("DELETE", "/stores/{id}"),
    ("POST", "/stores/{id}/query"),
    ("POST", "/stores/{id}/execute"),
    ("POST", "/stores/{id}/command"),
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
PATH_SHAPES = [
    "/",
    "/health",
    "/stores",
    "/stores/{id}",
    "/stores/{id}/query",
    "/stores/{id}/execute",
    "/stores/{id}/command",
    "/stores/{id}/unknown",
    "/stores/{id}/query/extra",
    "/health/extra",
    "/storesx",
]


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def documented() -> dict[tuple[str, str], set[int]]:
    """(method, path template) -> the statuses the document names for it."""
    operations = {}
    for path, item in load_document()["paths"].items():
        for method, operation in item.items():
            if method in {"parameters", "summary", "description"}:
                continue
            operations[(method.upper(), path)] = {int(code) for code in operation["responses"]}
    return operations


SCHEMA = schemathesis.openapi.from_path(SPEC_PATH)


def test_the_document_is_valid_openapi_3_1() -> None:
    document = load_document()
    assert document["openapi"].startswith("3.1.")
    SCHEMA.validate()


def test_the_document_lists_exactly_the_contracts_routes() -> None:
    assert set(documented()) == CONTRACT_ROUTES


def test_the_envelope_and_record_schemas_say_what_the_contract_says() -> None:
    schemas = load_document()["components"]["schemas"]
    assert schemas["ErrorEnvelope"]["required"] == ["success", "error"]
    assert schemas["StoreKind"]["enum"] == ["sqlite", "postgres", "mysql", "redis"]
    store = schemas["Store"]
    assert "sandbox" not in store["required"], "sandbox is omitted when not set"
    assert store["additionalProperties"] is True, "unknown fields must survive"
    assert set(store["required"]) == {"id", "name", "kind", "config", "created_at", "updated_at"}
    security = load_document()["security"]
    assert {} in security, "authentication is optional (only when the server has a key)"


@dataclass(frozen=True)
class Served:
    fake: FakeServer
    url: str
    sqlite_id: str
    redis_id: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    fake = FakeServer(api_key=API_KEY, data_dir=tmp_path_factory.mktemp("openapi"))
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        sqlite = http.post("/stores", json={"name": "probe-sqlite", "kind": "sqlite"})
        redis = http.post("/stores", json={"name": "probe-redis", "kind": "redis"})
        yield Served(fake, url, sqlite.json()["data"]["id"], redis.json()["data"]["id"])


def test_routes_the_document_lists_are_served_and_no_others(served: Served) -> None:
    listed = set(documented())
    missing = str(uuid.uuid4())  # routed requests answer 404 "Store not found", not "Not found"
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=10) as http:
        for method, shape in itertools.product(METHODS, PATH_SHAPES):
            path = shape.replace("{id}", missing)
            body = b'{"sql": "SELECT 1"}' if method in {"POST", "PUT", "PATCH"} else None
            answer = http.request(method, path, content=body)
            assert answer.status_code < 500, (method, path, answer.text)
            assert answer.headers["content-type"].startswith("application/json")
            message = answer.json().get("error")
            if (method, shape) in listed:
                assert message != "Not found", f"{method} {shape} is documented but not routed"
            else:
                assert answer.status_code == 404, (method, shape, answer.status_code)
                assert answer.json() == {"success": False, "error": "Not found"}, (method, shape)


Probe = tuple[str, str, dict[str, Any], str]


def _battery(served: Served, victim: str) -> list[Probe]:
    """(method, path template, Case arguments, auth "ok"/"none"/"bad"): every status."""
    missing = str(uuid.uuid4())
    sqlite, redis = served.sqlite_id, served.redis_id
    big = {"sql": "SELECT ?", "params": ["x" * (LIMIT + 1)]}
    battery: list[Probe] = [
        ("GET", "/health", {}, "ok"),
        ("GET", "/health", {}, "none"),
        ("GET", "/stores", {}, "ok"),
        ("GET", "/stores", {}, "none"),
        ("GET", "/stores", {}, "bad"),
        ("POST", "/stores", {"body": {"name": f"s-{uuid.uuid4()}", "kind": "redis"}}, "ok"),
        ("POST", "/stores", {"body": {"name": "probe-sqlite", "kind": "sqlite"}}, "ok"),
        ("POST", "/stores", {"body": {"name": "  ", "kind": "sqlite"}}, "ok"),
        ("POST", "/stores", {"body": {"name": "x", "kind": "oracle"}}, "ok"),
        ("POST", "/stores", {"body": {"name": "x", "kind": "sqlite", "pad": "x" * LIMIT}}, "ok"),
        ("POST", "/stores", {"body": {"name": "x", "kind": "redis"}}, "none"),
        ("GET", "/stores/{id}", {"path_parameters": {"id": sqlite}}, "ok"),
        ("GET", "/stores/{id}", {"path_parameters": {"id": missing}}, "ok"),
        ("GET", "/stores/{id}", {"path_parameters": {"id": sqlite}}, "bad"),
        ("DELETE", "/stores/{id}", {"path_parameters": {"id": missing}}, "ok"),
        ("DELETE", "/stores/{id}", {"path_parameters": {"id": sqlite}}, "none"),
        ("DELETE", "/stores/{id}", {"path_parameters": {"id": victim}}, "ok"),
    ]
    for action, good_id, good, bad in [
        ("query", sqlite, {"sql": "SELECT 1 AS one"}, {"sql": "  "}),
        ("execute", sqlite, {"sql": "CREATE TABLE IF NOT EXISTS t (a)"}, {"sql": "SELECT 1"}),
        ("command", redis, {"command": ["SET", "k", "v"]}, {"command": []}),
    ]:
        template = f"/stores/{{id}}/{action}"
        on_good = {"path_parameters": {"id": good_id}}
        key = {"headers": {"Idempotency-Key": str(uuid.uuid4())}}
        battery += [
            ("POST", template, {**on_good, "body": good, **key}, "ok"),
            ("POST", template, {**on_good, "body": bad, **key}, "ok"),  # same key, other body
            ("POST", template, {**on_good, "body": bad}, "ok"),
            ("POST", template, {"path_parameters": {"id": missing}, "body": good}, "ok"),
            ("POST", template, {**on_good, "body": good}, "none"),
            ("POST", template, {**on_good, "body": big}, "ok"),
        ]
    return battery


AUTH_HEADERS = {"ok": AUTH, "none": {}, "bad": {"Authorization": "Bearer wrong-key"}}


def test_every_documented_status_is_produced_and_matches_its_schema(served: Served) -> None:
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=10) as http:
        victim = http.post("/stores", json={"name": "victim", "kind": "redis"}).json()["data"]["id"]
    for method, template, arguments, auth in _battery(served, victim):
        case = SCHEMA[template][method].Case(**arguments)
        response = case.call(base_url=served.url, headers=AUTH_HEADERS[auth], timeout=30)
        case.validate_response(
            response,
            checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
        )
        seen[(method, template)].add(response.status_code)
    assert dict(seen) == documented()
