"""schemathesis against the fake's network front end, driven by ``docs/openapi.yaml``.

One parametrized test per documented operation; hypothesis generates schema-valid and
schema-violating requests (bounded: ``max_examples`` per operation, derandomized, so CI runs the
same cases every time). Every answer must be free of server errors and conform to the document:
a documented status, the documented content type and the documented response schema, and
requests that violate the schema must be rejected with a 4xx.

Path ids are generated at random, so most would only ever reach "Store not found"; a third of the
cases are pointed at a real SQLite store and a third at a real Redis store instead, so generated
SQL, parameters and commands reach the engines. Deletes aim at a store made for the purpose.

Two stock checks are left out on purpose: ``unsupported_method`` expects 405 for undocumented
methods where the contract says 404 ``Not found`` (checked in ``test_hardening_openapi.py``), and
``positive_data_acceptance`` expects every schema-valid request to succeed, which a blank name,
random SQL or a duplicate name rightly do not.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hardening_report import ReliabilityFigures
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # many operations, faults and generated cases

SECTION = "schemathesis"
SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
MAX_EXAMPLES = 40

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)


@dataclass
class Served:
    fake: FakeServer
    url: str
    sqlite_id: str
    redis_id: str
    http: httpx.Client


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    fake = FakeServer(data_dir=tmp_path_factory.mktemp("schemathesis"))
    with fake.serve() as url, httpx.Client(base_url=url, timeout=10) as http:
        sqlite = http.post("/stores", json={"name": "st-sqlite", "kind": "sqlite"}).json()
        redis = http.post("/stores", json={"name": "st-redis", "kind": "redis"}).json()
        http.post(
            f"/stores/{sqlite['data']['id']}/execute",
            json={"sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"},
        ).raise_for_status()
        yield Served(fake, url, sqlite["data"]["id"], redis["data"]["id"], http)


def aim(case: schemathesis.Case, served: Served) -> None:
    """Point a share of the generated ids at real stores (deterministically, from the id).

    A generated ``Idempotency-Key`` is made unique too: hypothesis reuses small values, and a
    key reused with another body is (rightly) a 409 before the body is even looked at, which
    would hide the body checks behind idempotency conflicts.
    """
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    generated = case.path_parameters.get("id") if case.path_parameters else None
    if not isinstance(generated, str):
        return
    if case.method.upper() == "DELETE":
        made = served.http.post("/stores", json={"name": f"victim-{generated!r}", "kind": "redis"})
        if made.status_code == 201:
            case.path_parameters["id"] = made.json()["data"]["id"]
        return
    choice = zlib.crc32(generated.encode("utf-8", "surrogatepass")) % 3
    if choice == 0:
        case.path_parameters["id"] = served.sqlite_id
    elif choice == 1:
        case.path_parameters["id"] = served.redis_id


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_fake_conforms_to_the_openapi_description(
    case: schemathesis.Case, served: Served, reliability_figures: ReliabilityFigures
) -> None:
    aim(case, served)
    response = case.call(base_url=served.url, timeout=30)
    reliability_figures.add(SECTION, "requests")
    if case.meta is not None:
        reliability_figures.add(SECTION, f"mode_{case.meta.generation.mode.value}")
        reliability_figures.add(SECTION, f"phase_{case.meta.phase.name.value}")
    reliability_figures.add(SECTION, f"status_{response.status_code}")
    if response.status_code >= 500:
        reliability_figures.add(SECTION, "server_errors_5xx")
    case.validate_response(response, excluded_checks=[unsupported_method, positive_data_acceptance])
    assert b"Traceback" not in response.content
