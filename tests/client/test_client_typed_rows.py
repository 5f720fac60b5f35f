"""Typed rows through the package's cattrs converter, and the repeated-columns warning."""

from __future__ import annotations

import dataclasses
import warnings
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import httpx
import pytest
from assertions import exactly

from durable_stores_client import (
    AsyncClient,
    Client,
    QueryResult,
    RepeatedColumnsWarning,
    RowConversionError,
    RowCountError,
    converter,
)
from durable_stores_client.fake import FakeServer


@attrs.frozen
class Note:
    id: int
    body: str
    created_at: datetime | None = None


@dataclasses.dataclass
class Price:
    sku: str
    amount: Decimal


def _result(columns: list[str], rows: list[dict[str, Any]]) -> QueryResult:
    return QueryResult(columns=columns, rows=rows, row_count=len(rows))


def test_rows_as_attrs_and_dataclasses_from_a_real_query() -> None:
    with FakeServer().client() as client:
        notes = client.store(name="notes", kind="sqlite")
        notes.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, created_at TEXT)")
        notes.execute(
            "INSERT INTO notes (body, created_at) VALUES (?, ?), (?, NULL)",
            ["hello", "2026-02-16T10:00:00Z", "again"],
        )
        result = notes.query("SELECT id, body, created_at, 'ignored' AS extra FROM notes")
    assert result.rows_as(Note) == [
        Note(1, "hello", datetime(2026, 2, 16, 10, tzinfo=timezone.utc)),
        Note(2, "again", None),
    ]
    assert result.first_as(Note) == Note(1, "hello", datetime(2026, 2, 16, 10, tzinfo=timezone.utc))


def test_one_as_and_first_as_on_empty_and_single_results() -> None:
    empty = _result(["id", "body"], [])
    assert empty.first_as(Note) is None
    assert empty.rows_as(Note) == []
    with pytest.raises(RowCountError):
        empty.one_as(Note)
    assert _result(["id", "body"], [{"id": "7", "body": 3}]).one_as(Note) == Note(7, "3")


def test_a_bad_value_names_the_row_and_the_column() -> None:
    result = _result(["id", "body"], [{"id": 1, "body": "ok"}, {"id": "seven", "body": "x"}])
    expected = r"^row 1, column 'id': cannot make Note\.id"
    with pytest.raises(RowConversionError, match=expected) as info:
        result.rows_as(Note)
    error = info.value
    assert (error.row_index, error.column, error.target) == (1, "id", Note)
    assert "'seven'" in str(error)
    assert isinstance(error, ValueError)
    assert isinstance(error.__cause__, cattrs.errors.ClassValidationError)


def test_null_in_a_text_field_is_refused_not_turned_into_none_text() -> None:
    result = _result(["id", "body"], [{"id": 1, "body": None}])
    with pytest.raises(RowConversionError, match=r"column 'body'.*expected text, got NULL"):
        result.one_as(Note)


def test_a_missing_column_says_which_and_what_the_row_has() -> None:
    result = _result(["body"], [{"body": "x"}])
    with pytest.raises(RowConversionError, match=r"row 0, column 'id': the row has no such column"):
        result.first_as(Note)


def test_hooks_registered_on_the_public_converter_apply() -> None:
    rows = [{"sku": "a", "amount": "1.10"}]
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))
    assert _result(["sku", "amount"], rows).rows_as(Price, converter=conv) == [
        Price("a", Decimal("1.10"))
    ]
    shared = converter()
    assert converter() is shared  # one converter for the package: register hooks once
    shared.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))
    assert _result(["sku", "amount"], rows).one_as(Price) == Price("a", Decimal("1.10"))


def test_rows_as_needs_a_class() -> None:
    with pytest.raises(TypeError, match=exactly("rows_as() needs a class, got 'Note'")):
        _result(["id"], []).rows_as("Note")  # type: ignore[arg-type]


JOINED = {
    "columns": ["id", "v", "id", "a_id"],
    "rows": [{"id": 9, "v": "x", "a_id": 1}],  # a.id was overwritten by b.id
    "row_count": 1,
}
STORE_ID = "019abc12-1234-7def-89ab-0123456789ab"


def _answer_joined(request: httpx.Request) -> httpx.Response:
    # What agentkernel answers for SELECT * FROM a JOIN b (the fake's contract profile
    # refuses it with a 400 instead).
    return httpx.Response(200, json={"success": True, "data": JOINED, "error": None})


def test_repeated_columns_warn_at_the_callers_line_once_per_line() -> None:
    transport = httpx.MockTransport(_answer_joined)
    with Client(base_url="http://test.localhost", transport=transport) as client:
        store = client.store(id=STORE_ID)
        sql = "SELECT * FROM a JOIN b ON b.a_id = a.id"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            for _ in range(3):
                result = store.query(sql)  # one call site: one warning
            client.query_store(store.id, sql)  # another call site
    assert result.columns == ["id", "v", "id", "a_id"]
    assert [w.category for w in caught] == [RepeatedColumnsWarning] * 2
    assert all(w.filename == __file__ for w in caught)
    assert "repeat 'id'" in str(caught[0].message)
    assert "alias them" in str(caught[0].message)


async def test_repeated_columns_warning_points_at_async_callers_too() -> None:
    transport = httpx.MockTransport(_answer_joined)
    async with AsyncClient(base_url="http://test.localhost", transport=transport) as client:
        store = await client.store(id=STORE_ID)
        with pytest.warns(RepeatedColumnsWarning) as caught:
            await store.query("SELECT * FROM a JOIN b ON b.a_id = a.id")
    assert caught[0].filename == __file__


def test_distinct_columns_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        QueryResult.from_dict({"columns": ["a", "b"], "rows": [], "row_count": 0})
