"""The optional fast decoder (msgspec, the ``speedups`` extra): the same results either way.

Every test here runs on both decoding paths: msgspec (installed with the ``dev`` extra) and
plain ``json.loads``. msgspec refuses some JSON that ``json.loads`` accepts; the client must
give the same typed results and the same errors on both paths.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import httpx
import pytest
from client_support import BASE_URL, STORE_ID
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from process_support import check_python

from durable_stores_client import Client, ProtocolError, _json

msgspec = pytest.importorskip("msgspec")

PATHS = ["msgspec", "json"]


@pytest.fixture(params=PATHS)
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Decode with msgspec or with json.loads for the test's duration."""
    fast = msgspec.json.Decoder().decode if request.param == "msgspec" else None
    monkeypatch.setattr(_json, "_fast", fast)
    return str(request.param)


def _client(body: bytes) -> Client:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    return Client(base_url=BASE_URL, transport=httpx.MockTransport(answer), max_retries=0)


def _query_body(rows: list[dict[str, Any]], *, allow_nan: bool = False) -> bytes:
    columns = list(rows[0]) if rows else []
    data = {"columns": columns, "rows": rows, "row_count": len(rows)}
    return json.dumps({"success": True, "data": data}, allow_nan=allow_nan).encode()


TRICKY_ROWS: list[dict[str, Any]] = [
    {
        "small": 1,
        "i64_max": 2**63 - 1,
        "u64_max": 2**64 - 1,
        "beyond_u64": 2**64,  # orjson would give a float
        "below_i64": -(2**63) - 1,
        "huge": 10**40,
        "float": 0.1,
        "long_float": 0.30000000000000004,
        "exp": 1e300,
        "neg_zero": -0.0,
        "text": "héllo wörld \u2603 \U0001f600",
        "nested": {"a": [1, 2.5, None, True, {"b": "c"}], "big": 123456789012345678901234567890},
        "null": None,
    },
]


def test_typed_results_are_the_same_on_both_paths(decoder: str) -> None:
    body = _query_body(TRICKY_ROWS)
    with _client(body) as client:
        result = client.query_store(STORE_ID, sql="SELECT 1")
    assert list(result.rows) == json.loads(body)["data"]["rows"]
    row = result.rows[0]
    assert type(row["beyond_u64"]) is int
    assert row["beyond_u64"] == 2**64
    assert row["below_i64"] == -(2**63) - 1
    assert row["nested"]["big"] == 123456789012345678901234567890
    assert math.copysign(1.0, row["neg_zero"]) == -1.0
    assert result.columns == list(TRICKY_ROWS[0])


@pytest.mark.parametrize(
    "literal",
    [b"NaN", b"Infinity", b"-Infinity", b"1e400", b'"\\ud800"', b"18446744073709551616"],
)
def test_json_msgspec_refuses_decodes_as_json_loads_does(decoder: str, literal: bytes) -> None:
    body = (
        b'{"success":true,"data":{"columns":["v"],"rows":[{"v":' + literal + b'}],"row_count":1}}'
    )
    with _client(body) as client:
        value = client.query_store(STORE_ID, sql="SELECT 1").rows[0]["v"]
    expected = json.loads(literal)
    assert type(value) is type(expected)
    assert repr(value) == repr(expected)


def test_a_byte_order_mark_is_accepted_as_json_loads_does(decoder: str) -> None:
    body = b"\xef\xbb\xbf" + _query_body([{"v": 1}])
    with _client(body) as client:
        assert client.query_store(STORE_ID, sql="SELECT 1").scalar() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>oops</html>", "the body is not JSON"),
        (b'{"success":true,"data":', "the body is not JSON"),
        (b'{"success": true, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too deeply"),
        (b'{"success":true,"data":{}}x', "the body is not JSON"),
        (b"\xff\xfe\x00", "the body is not JSON"),
    ],
)
def test_errors_are_the_same_on_both_paths(decoder: str, body: bytes, reason: str) -> None:
    with _client(body) as client, pytest.raises(ProtocolError) as raised:
        client.query_store(STORE_ID, sql="SELECT 1")
    assert reason in str(raised.value)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=20,
)


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_loads_matches_json_loads_on_any_json(decoder: str, value: Any) -> None:
    body = json.dumps(value).encode()  # NaN and Infinity included, as json.dumps writes them
    # repr compares NaN (never equal to itself) and tells 1 from 1.0 and 0.0 from -0.0.
    assert repr(_json.loads(body)) == repr(json.loads(body))


@pytest.mark.slow  # a Python process
def test_msgspec_is_imported_on_the_first_decode_not_with_the_package() -> None:
    check_python(
        "import sys, durable_stores_client\n"
        "assert 'msgspec' not in sys.modules, 'imported with the package'\n"
        "from durable_stores_client.fake import FakeServer\n"
        "assert 'msgspec' not in sys.modules, 'imported with the fake'\n"
        "assert FakeServer().client().list_stores() == []\n"
        "assert 'msgspec' in sys.modules, 'not used when installed'\n"
    )


def test_without_msgspec_json_loads_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_json, "_fast", _json._UNRESOLVED)
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec raises ImportError
    assert _json.fast_loads() is None
    assert _json.loads(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
