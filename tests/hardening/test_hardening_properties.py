"""Property tests (hypothesis) of the client and the fake together, in-process.

* Any JSON value bound as a parameter with ``execute`` and read back with ``query`` comes back
  as the contract's SQLite value mapping says: null to null, booleans to 0/1, integers (the whole
  64-bit range) and finite floats unchanged, text unchanged (astral characters included),
  arrays and objects as TEXT holding their JSON text; BLOBs come back as standard base64.
* Store names (unicode, with surrounding whitespace, stored trimmed), sandboxes and configs
  round-trip through create, get and list.
* Store ids holding ``/``, ``..``, ``%``, ``?``, ``#`` or spaces are percent-encoded: on the wire
  the id is one path segment, and on the fake it reaches the operation that was called, with the
  id intact, never another route or another store.

Examples are bounded (``max_examples``) and derandomized so CI is repeatable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx
from assertions import exactly
from hardening_report import ReliabilityFigures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_stores_client import Client, NotFoundError
from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # many operations, faults and generated cases

SECTION = "properties"
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
ASTRAL = st.text(st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF), min_size=1)
SCALARS = st.none() | st.booleans() | INT64 | FINITE | TEXT | ASTRAL
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)

BOUNDED = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def sqlite_store() -> Iterator[tuple[Client, str]]:
    """A client on the in-process fake, with one SQLite store holding an untyped column."""
    fake = FakeServer()
    with fake.client() as client:
        store = client.create_store(name="properties", kind="sqlite")
        # No declared type: no column affinity, so values are stored exactly as bound.
        client.execute_store(store.id, sql="CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        yield client, store.id


def expected_read_back(value: Any) -> Any:
    """The contract's JSON -> SQLite -> JSON mapping for one bound parameter."""
    if isinstance(value, bool):
        return int(value)
    return value


def assert_same(actual: Any, value: Any) -> None:
    """``actual`` is what the contract says ``value`` reads back as, type included."""
    if isinstance(value, (list, dict)):
        assert isinstance(actual, str), f"{value!r} read back as {actual!r}, not JSON text"
        assert json.loads(actual) == value
        return
    expected = expected_read_back(value)
    if isinstance(expected, float):
        assert isinstance(actual, float), f"{value!r} read back as {actual!r}"
        assert actual == expected
        return
    assert type(actual) is type(expected), f"{value!r} read back as {actual!r}"
    assert actual == expected


@BOUNDED
@given(value=JSON_VALUES)
def test_a_parameter_written_with_execute_reads_back_per_the_value_mapping(
    sqlite_store: tuple[Client, str], value: Any, reliability_figures: ReliabilityFigures
) -> None:
    client, store_id = sqlite_store
    written = client.execute_store(store_id, sql="INSERT INTO t (v) VALUES (?)", params=[value])
    assert written.rows_affected == 1
    assert written.last_insert_rowid is not None
    assert written.last_insert_rowid > 0
    result = client.query_store(
        store_id, sql="SELECT v FROM t WHERE id = ?", params=[written.last_insert_rowid]
    )
    assert result.columns == ["v"]
    assert result.row_count == 1
    assert_same(result.rows[0]["v"], value)
    reliability_figures.add(SECTION, "values_round_tripped")


@BOUNDED
@given(values=st.lists(SCALARS, min_size=1, max_size=6))
def test_many_parameters_bound_positionally_come_back_in_order(
    sqlite_store: tuple[Client, str], values: list[Any], reliability_figures: ReliabilityFigures
) -> None:
    client, store_id = sqlite_store
    columns = ", ".join(f"?{i + 1} AS c{i}" for i in range(len(values)))
    result = client.query_store(store_id, sql=f"SELECT {columns}", params=values)
    assert result.columns == [f"c{i}" for i in range(len(values))]
    row = result.rows[0]
    assert list(row) == result.columns, "row keys are not in column order"
    for index, value in enumerate(values):
        assert_same(row[f"c{index}"], value)
    reliability_figures.add(SECTION, "values_round_tripped", len(values))


@BOUNDED
@given(data=st.binary(max_size=64))
def test_blobs_read_back_as_standard_base64(
    sqlite_store: tuple[Client, str], data: bytes, reliability_figures: ReliabilityFigures
) -> None:
    client, store_id = sqlite_store
    literal = f"X'{data.hex()}'"
    result = client.query_store(store_id, sql=f"SELECT {literal} AS b")
    assert result.rows[0]["b"] == base64.b64encode(data).decode("ascii")
    reliability_figures.add(SECTION, "values_round_tripped")


# --- store names, sandboxes and configs ---------------------------------------------------------

WHITESPACE = st.text(st.sampled_from(" \t\n\r\u3000\u00a0"), max_size=3)
NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(
    lambda name: name.strip() == name and name != ""
)
CONFIG_KEYS = st.text(st.characters(codec="utf-8"), max_size=12).filter(lambda key: key != "path")
CONFIG_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FINITE | TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(CONFIG_KEYS, children, max_size=3)
    ),
    max_leaves=8,
)
CONFIGS = st.dictionaries(
    CONFIG_KEYS | st.sampled_from(["password", "password_secret", "api_token", "host", "port"]),
    CONFIG_VALUES,
    max_size=5,
)


@BOUNDED
@given(
    name=NAMES,
    before=WHITESPACE,
    after=WHITESPACE,
    kind=st.sampled_from(["postgres", "mysql", "redis"]),
    config=CONFIGS,
    sandbox=st.none() | NAMES,
)
def test_names_sandboxes_and_configs_round_trip(
    name: str,
    before: str,
    after: str,
    kind: str,
    config: dict[str, Any],
    sandbox: str | None,
    reliability_figures: ReliabilityFigures,
) -> None:
    payload: dict[str, Any] = {"name": before + name + after, "kind": kind, "config": config}
    if sandbox is not None:
        payload["sandbox"] = sandbox
    with FakeServer().client() as client:
        created = client.create_store(payload)
        assert created.name == name, "names are stored trimmed"
        assert created.kind.value == kind
        assert created.config == config
        assert created.sandbox == sandbox
        assert "sandbox" in created.to_dict() or sandbox is None
        fetched = client.get_store(created.id)
        assert fetched.to_dict() == created.to_dict()
        listed = [store.to_dict() for store in client.list_stores()]
        assert listed == [created.to_dict()]
        # Lookup is by id only, never by name.
        with pytest.raises(NotFoundError):
            client.get_store(name)
    reliability_figures.add(SECTION, "stores_round_tripped")


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(name=NAMES, before=WHITESPACE, after=WHITESPACE)
def test_sqlite_stores_without_a_path_get_the_default_path(
    name: str, before: str, after: str
) -> None:
    with FakeServer().client() as client:
        created = client.create_store(name=before + name + after, kind="sqlite")
        assert created.name == name
        path = created.config["path"]
        assert isinstance(path, str)
        assert path.replace("\\", "/").endswith(f"stores/{created.id}.db"), path
        assert client.get_store(created.id).config == created.config


# --- odd store ids ----------------------------------------------------------------------------

ODD = st.sampled_from(["/", "..", ".", "%", "%2F", "?", "#", " ", "?x=1", "#frag", "%00", "\\"])
ODD_IDS = (
    st.lists(ODD | st.text(max_size=4), min_size=1, max_size=5)
    .map("".join)
    .filter(lambda text: any(ch in text for ch in "/.%?# "))
)
OPERATIONS = ["get", "delete", "query", "execute", "command"]
SUFFIX = {"query": "/query", "execute": "/execute", "command": "/command"}


def call(client: Client, operation: str, store_id: str) -> Any:
    if operation == "get":
        return client.get_store(store_id)
    if operation == "delete":
        return client.delete_store(store_id)
    if operation == "query":
        return client.query_store(store_id, sql="SELECT 1")
    if operation == "execute":
        return client.execute_store(store_id, sql="CREATE TABLE x (a)")
    return client.command_store(store_id, command=["PING"])


@pytest.fixture(scope="module")
def fake_with_stores() -> Iterator[tuple[FakeServer, Client, dict[str, str]]]:
    fake = FakeServer()
    with fake.client(max_retries=0) as client:
        ids = {
            kind: client.create_store(name=f"real-{kind}", kind=kind).id
            for kind in ("sqlite", "redis")
        }
        yield fake, client, ids


@BOUNDED
@given(odd=ODD_IDS, operation=st.sampled_from(OPERATIONS), glue=st.sampled_from(["", "/", "/.."]))
def test_odd_ids_reach_their_own_operation_and_nothing_else(
    fake_with_stores: tuple[FakeServer, Client, dict[str, str]],
    odd: str,
    operation: str,
    glue: str,
    reliability_figures: ReliabilityFigures,
) -> None:
    fake, client, ids = fake_with_stores
    # Odd ids on their own, and glued onto a real store's id ("<real>/..", "<real>/query"...).
    for store_id in (odd, ids["sqlite"] + glue + odd, ids["redis"] + glue + odd):
        seen = len(fake.requests)
        if not store_id.strip():
            # A blank id is refused before anything is sent: a clear error, no request.
            with pytest.raises(
                ValueError,
                match=exactly(
                    f"{operation}_store() store_id must be a non-empty string, such as store.id"
                ),
            ):
                call(client, operation, store_id)
            assert len(fake.requests) == seen
            continue
        with pytest.raises(NotFoundError) as caught:
            call(client, operation, store_id)
        assert caught.value.status_code == 404
        assert caught.value.message == "Store not found", caught.value.message
        entries = list(fake.requests)[seen:]
        assert len(entries) == 1, entries
        entry = entries[0]
        assert entry.operation == operation, (store_id, entry)
        assert entry.store_id == store_id, (store_id, entry)
        reliability_figures.add(SECTION, "odd_ids_tried")
    assert {store.id for store in client.list_stores()} == set(ids.values()), "a store vanished"


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(store_id=ODD_IDS | st.text(min_size=1, max_size=20), operation=st.sampled_from(OPERATIONS))
def test_on_the_wire_an_id_is_exactly_one_encoded_path_segment(
    store_id: str, operation: str
) -> None:
    base = "http://stores.test"
    with respx.mock(base_url=base, assert_all_called=False) as router:
        route = router.route().mock(
            return_value=httpx.Response(404, json={"success": False, "error": "Store not found"})
        )
        with Client(base, max_retries=0) as client:
            if not store_id.strip():
                with pytest.raises(
                    ValueError,
                    match=exactly(
                        "get_store() store_id must be a non-empty string, such as store.id"
                    ),
                ):
                    call(client, operation, store_id)
                assert not route.called
                return
            with pytest.raises(NotFoundError):
                call(client, operation, store_id)
    request = route.calls.last.request
    raw_path = request.url.raw_path.decode("ascii")
    assert raw_path.startswith("/stores/"), raw_path
    suffix = SUFFIX.get(operation, "")
    assert raw_path.endswith(suffix), raw_path
    segment = raw_path[len("/stores/") : len(raw_path) - len(suffix)]
    # One segment: nothing that ends it, starts a query or a fragment, or walks up a level.
    for forbidden in ("/", "?", "#", " ", "\\"):
        assert forbidden not in segment, (store_id, raw_path)
    assert segment not in {".", ".."}, (store_id, raw_path)
    assert unquote(segment) == store_id, (store_id, raw_path)
    assert request.url.query == b""
    assert request.url.fragment == ""
