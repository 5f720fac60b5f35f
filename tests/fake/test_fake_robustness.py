"""Whatever a client sends, the fake answers the envelope with a 4xx and keeps serving."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_stores_client.fake import FakeServer

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
sql_like = st.sampled_from(
    [
        "SELECT 1",
        "SELECT ?",
        "SELECT ?1, ?2",
        "INSERT INTO t VALUES (?)",
        "CREATE TABLE IF NOT EXISTS t (x)",
        "DROP TABLE t",
        "SELECT * FROM t",
        "SELECT 1; SELECT 2",
        "'",
        "",
        "PRAGMA foo",
        "SELECT zeroblob(5)",
        "SELECT :name",
        "SELECT char(55296)",
    ]
) | st.text(max_size=30)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "name": json_values | st.text(max_size=10),
            "kind": st.sampled_from(["sqlite", "redis", "postgres", "mysql", "x"]) | json_values,
            "sandbox": json_values,
            "config": json_values | st.dictionaries(st.sampled_from(["path"]), json_values),
            "sql": sql_like | json_values,
            "params": st.lists(json_values, max_size=3) | json_values,
            "command": st.lists(st.text(max_size=8), max_size=4) | json_values,
        },
    ).map(lambda d: json.dumps(d).encode()),
)
paths = st.sampled_from(["/stores", "/stores/{sql}", "/stores/{redis}", "/stores/nope"]).flatmap(
    lambda base: st.sampled_from(["", "/query", "/execute", "/command", "/x", "/"]).map(
        lambda tail: base + tail
    )
) | st.text(alphabet="/%?#.abcXYZ0129-_~", max_size=20).map(lambda p: "/" + p)
methods = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"])


def _check_envelope(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("success"), bool)
    if body["success"]:
        assert set(body) == {"success", "data"}
    else:
        assert set(body) == {"success", "error"}
        assert isinstance(body["error"], str)
        assert "Traceback" not in body["error"]


@pytest.fixture(scope="module")
def fuzz_fake() -> FakeServer:
    return FakeServer()


def _targets(fake: FakeServer, http: httpx.Client) -> dict[str, str]:
    if not fake.stores:
        for kind in ("sqlite", "redis"):
            http.post("/stores", json={"name": f"fuzz-{kind}", "kind": kind})
    return {record.kind: record.id for record in fake.stores if record.name.startswith("fuzz-")}


@pytest.mark.slow  # many generated requests
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=methods, path=paths, body=bodies)
def test_in_process_never_5xx(fuzz_fake: FakeServer, method: str, path: str, body: bytes) -> None:
    with httpx.Client(base_url="http://fuzz", transport=fuzz_fake.transport()) as http:
        ids: dict[str, Any] = _targets(fuzz_fake, http)
        target = path.replace("{sql}", ids.get("sqlite", "gone")).replace(
            "{redis}", ids.get("redis", "gone")
        )
        _check_envelope(http.request(method, target, content=body))


@pytest.mark.slow  # many generated requests
def test_over_http_never_5xx() -> None:
    fake = FakeServer()
    with fake.serve() as url, httpx.Client(base_url=url) as http:

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(method=methods, path=paths, body=bodies)
        def check(method: str, path: str, body: bytes) -> None:
            ids = _targets(fake, http)
            target = path.replace("{sql}", ids.get("sqlite", "gone")).replace(
                "{redis}", ids.get("redis", "gone")
            )
            _check_envelope(http.request(method, target, content=body))

        check()
        assert http.get("/health").status_code == 200
