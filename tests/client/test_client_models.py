"""The result models: timestamps, Store round trips and redaction, QueryResult helpers.

These tests import only the package, so they also run on Python 3.10.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from assertions import exactly

from durable_stores_client import (
    CommandResult,
    DurableStoresError,
    ExecuteResult,
    QueryResult,
    RowCountError,
    Store,
    StoreKind,
    converter,
)

RECORD: dict[str, Any] = {
    "id": "019abc12-1234-7def-89ab-0123456789ab",
    "name": "agent-state",
    "kind": "sqlite",
    "sandbox": "build-runner",
    "config": {"path": ".agentkernel/stores/agent-state.db"},
    "created_at": "2026-02-16T10:00:00.123456789+00:00",
    "updated_at": "2026-02-16T10:00:00Z",
}


def _created_at(text: object) -> datetime:
    """A store record's ``created_at``, as the client reads it from the server."""
    return Store.from_dict({**RECORD, "created_at": text}).created_at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-16T10:00:00Z", datetime(2026, 2, 16, 10, 0, 0, tzinfo=timezone.utc)),
        ("2026-02-16T10:00:00z", datetime(2026, 2, 16, 10, 0, 0, tzinfo=timezone.utc)),
        ("2026-02-16T10:00:00+00:00", datetime(2026, 2, 16, 10, 0, 0, tzinfo=timezone.utc)),
        ("2026-02-16T10:00:00.1Z", datetime(2026, 2, 16, 10, 0, 0, 100000, tzinfo=timezone.utc)),
        (
            "2026-02-16T10:00:00.12+00:00",
            datetime(2026, 2, 16, 10, 0, 0, 120000, tzinfo=timezone.utc),
        ),
        (
            "2026-02-16T10:00:00.123456Z",
            datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        (
            "2026-02-16T10:00:00.1234567Z",
            datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        (
            "2026-02-16T10:00:00.123456789+00:00",
            datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        (
            "2026-02-16 10:00:00.5-05:30",
            datetime(
                2026, 2, 16, 10, 0, 0, 500000, tzinfo=timezone(-timedelta(hours=5, minutes=30))
            ),
        ),
        (
            "2026-02-16t23:59:59+02:00",
            datetime(2026, 2, 16, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_timestamps_parse_to_aware_datetimes(text: str, expected: datetime) -> None:
    parsed = _created_at(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_utc_timestamps_use_the_utc_singleton() -> None:
    assert _created_at("2026-02-16T10:00:00.000000001+00:00").tzinfo is timezone.utc


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-16T10:00:00",  # no offset
        "2026-02-16T10:00:00.1234567890Z",  # 10 fractional digits
        "2026-02-16T10:00:00.Z",
        "2026-02-16",
        "yesterday",
        "2026-13-16T10:00:00Z",  # month 13
        " 2026-02-16T10:00:00Z",
        "",
    ],
)
def test_bad_timestamps_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the type is the contract here
        _created_at(text)


def test_non_string_timestamp_raises_type_error() -> None:
    with pytest.raises(TypeError, match=exactly("timestamp must be a string, got int")):
        _created_at(1700000000)


def test_store_from_dict_reads_every_field() -> None:
    store = Store.from_dict(RECORD)
    assert store.id == RECORD["id"]
    assert store.name == "agent-state"
    assert store.kind is StoreKind.SQLITE
    assert store.sandbox == "build-runner"
    assert store.config == {"path": ".agentkernel/stores/agent-state.db"}
    assert store.created_at == datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert store.updated_at == datetime(2026, 2, 16, 10, 0, 0, tzinfo=timezone.utc)


def test_to_dict_round_trips_unknown_fields_exactly() -> None:
    data = dict(RECORD, owner={"team": "infra"}, tags=["a", "b"], version=3)
    store = Store.from_dict(data)
    assert store.to_dict() == data
    assert list(store.to_dict()) == list(data)
    assert store.extra == {"owner": {"team": "infra"}, "tags": ["a", "b"], "version": 3}


def test_to_dict_keeps_sandbox_omitted_when_the_server_omitted_it() -> None:
    data = {key: value for key, value in RECORD.items() if key != "sandbox"}
    store = Store.from_dict(data)
    assert store.sandbox is None
    assert "sandbox" not in store.to_dict()
    assert store.to_dict() == data


def test_to_dict_is_a_copy_and_config_is_independent() -> None:
    data = dict(RECORD, config={"path": "a.db", "nested": {"k": [1]}})
    store = Store.from_dict(data)
    store.config["nested"]["k"].append(2)
    store.to_dict()["config"]["path"] = "changed"
    data["config"]["path"] = "mutated after decoding"
    assert store.to_dict()["config"] == {"path": "a.db", "nested": {"k": [1]}}


def test_store_built_directly_dumps_the_contract_fields() -> None:
    when = datetime(2026, 2, 16, 10, 0, tzinfo=timezone.utc)
    store = Store(
        id="s1",
        name="n",
        kind=StoreKind.REDIS,
        sandbox=None,
        config={"port": 6379},
        created_at=when,
        updated_at=when,
    )
    assert store.to_dict() == {
        "id": "s1",
        "name": "n",
        "kind": "redis",
        "config": {"port": 6379},
        "created_at": "2026-02-16T10:00:00+00:00",
        "updated_at": "2026-02-16T10:00:00+00:00",
    }
    assert Store.from_dict(store.to_dict()) == store


def test_store_repr_masks_secret_like_config_keys_at_any_depth() -> None:
    config = {
        "host": "db.internal",
        "password": "hunter2",
        "Password_Secret": "vault:pg",
        "auth": {"API_TOKEN": "tok-123", "user": "bob", "list": [{"db_secret": "s3"}]},
    }
    store = Store.from_dict(dict(RECORD, kind="postgres", config=config, x_token="t-9"))
    text = repr(store)
    for secret in ("hunter2", "vault:pg", "tok-123", "s3", "t-9"):
        assert secret not in text
    assert "db.internal" in text
    assert "bob" in text
    assert "'password': '***'" in text
    # The data itself is untouched: only the repr masks.
    assert store.config["password"] == "hunter2"
    assert str(store) == text


@pytest.mark.parametrize(
    "config",
    [[{"password": "hunter2", "host": "db"}, 1], [], "path=x", "", 5, 2.5, True, False, None],
    ids=repr,
)
def test_a_non_object_config_is_kept_exactly(config: Any) -> None:
    # The server keeps any JSON value as a non-sqlite store's config.
    record = dict(RECORD, kind="redis", config=config)
    store = Store.from_dict(record)
    assert store.config == config
    assert type(store.config) is type(config)
    assert store.to_dict() == record
    assert Store.from_dict(store.to_dict()) == store
    text = repr(store)
    assert "hunter2" not in text
    if isinstance(config, list) and config:
        assert "config=[{'password': '***', 'host': 'db'}, 1]" in text
    else:
        assert f"config={config!r}" in text
    built = Store(
        id=store.id,
        name=store.name,
        kind=store.kind,
        sandbox=None,
        config=config,
        created_at=store.created_at,
        updated_at=store.updated_at,
    )
    assert built.to_dict()["config"] == config
    assert "hunter2" not in repr(built)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"kind": "oracle"}, ValueError),
        ({"kind": "SQLite"}, ValueError),
        ({"id": 7}, TypeError),
        ({"sandbox": 3}, TypeError),
        ({"created_at": "not a time"}, ValueError),
    ],
)
def test_bad_store_records_are_rejected(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Store.from_dict(dict(RECORD, **changes))


def test_store_record_missing_fields_names_them() -> None:
    with pytest.raises(ValueError, match=exactly("store record lacks id, created_at")):
        Store.from_dict({"name": "x", "kind": "redis", "updated_at": RECORD["updated_at"]})


def test_store_kind_is_a_string_enum() -> None:
    assert StoreKind("redis") is StoreKind.REDIS
    assert StoreKind.SQLITE == "sqlite"
    assert str(StoreKind.POSTGRES) == "postgres"
    assert [kind.value for kind in StoreKind] == ["sqlite", "postgres", "mysql", "redis"]
    assert StoreKind.MYSQL.is_sql
    assert not StoreKind.REDIS.is_sql


def _query(rows: list[dict[str, Any]], columns: list[str] | None = None) -> QueryResult:
    return QueryResult(columns=columns or ["id", "name"], rows=rows, row_count=len(rows))


def test_query_result_iterates_and_counts_rows() -> None:
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    result = _query(rows)
    assert list(result) == rows
    assert len(result) == 2
    assert result.first() == {"id": 1, "name": "a"}
    assert result.scalar() == 1


def test_query_result_indexes_and_slices_like_its_rows() -> None:
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]
    result = _query(rows)
    assert result[0] == {"id": 1, "name": "a"}
    assert result[-1] == {"id": 3, "name": "c"}
    assert result[1:] == rows[1:]
    assert result[::2] == [rows[0], rows[2]]
    assert isinstance(result[:0], list)
    with pytest.raises(IndexError):
        _query([])[0]


def test_stores_hash_by_id_so_they_work_in_sets_and_as_keys() -> None:
    store = Store.from_dict(RECORD)
    same = Store.from_dict(dict(RECORD))
    renamed = Store.from_dict({**RECORD, "name": "renamed"})
    other = Store.from_dict({**RECORD, "id": "019abc12-0000-7def-89ab-0123456789ab"})
    assert store == same
    assert hash(store) == hash(same) == hash(renamed)
    assert {store, same, other} == {store, other}
    assert {store: "memory"}[same] == "memory"
    assert renamed != store  # a later snapshot: same id and hash, not equal


def test_query_result_helpers_on_empty_results() -> None:
    result = _query([])
    assert result.first() is None
    assert result.scalar() is None
    assert len(result) == 0
    with pytest.raises(RowCountError, match="returned no rows") as info:
        result.one()
    assert info.value.row_count == 0


def test_one_requires_exactly_one_row() -> None:
    assert _query([{"id": 1, "name": "a"}]).one() == {"id": 1, "name": "a"}
    with pytest.raises(RowCountError, match="returned 2 rows") as info:
        _query([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]).one()
    assert isinstance(info.value, DurableStoresError)
    assert isinstance(info.value, ValueError)


def test_scalar_uses_the_first_column_in_column_order() -> None:
    result = QueryResult(columns=["b", "a"], rows=[{"a": 1, "b": 2}], row_count=1)
    assert result.scalar() == 2


def test_query_result_from_dict_keeps_rows_as_decoded() -> None:
    rows = [{"id": 1, "blob": "AP8Q/g==", "doc": {"k": [1, 2]}}]
    data = {"columns": ["id", "blob", "doc"], "rows": rows, "row_count": 1}
    result = QueryResult.from_dict(data)
    assert result.rows is rows
    assert result.to_dict() == data


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"columns": ["a"], "row_count": 0},
        {"columns": "a", "rows": [], "row_count": 0},
        {"columns": ["a"], "rows": [], "row_count": "0"},
        {"columns": ["a"], "rows": [[1]], "row_count": 1},
    ],
)
def test_query_result_from_dict_rejects_other_shapes(data: Any) -> None:
    with pytest.raises(TypeError):
        QueryResult.from_dict(data)


def test_execute_result_decoding() -> None:
    assert ExecuteResult.from_dict({"rows_affected": 1, "last_insert_rowid": 42}) == ExecuteResult(
        rows_affected=1, last_insert_rowid=42
    )
    without = ExecuteResult.from_dict({"rows_affected": 3})
    assert without.last_insert_rowid is None
    assert without.to_dict() == {"rows_affected": 3}
    with pytest.raises(TypeError):
        ExecuteResult.from_dict({"rows_affected": "1"})
    with pytest.raises(TypeError):
        ExecuteResult.from_dict({"rows_affected": 1, "last_insert_rowid": 1.5})


def test_command_result_decoding() -> None:
    assert CommandResult.from_dict({"result": None}) == CommandResult(result=None)
    assert CommandResult.from_dict({"result": ["a", 1]}).result == ["a", 1]
    with pytest.raises(TypeError):
        CommandResult.from_dict({"value": 1})


def test_models_are_frozen() -> None:
    store = Store.from_dict(RECORD)
    with pytest.raises(AttributeError):
        store.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _query([]).rows = []  # type: ignore[misc]


def test_the_converter_structures_and_unstructures_every_model() -> None:
    conv = converter()
    assert conv is converter()
    stores = conv.structure([RECORD, dict(RECORD, id="other")], list[Store])
    assert [store.id for store in stores] == [RECORD["id"], "other"]
    assert conv.unstructure(stores[0]) == RECORD
    result = conv.structure({"columns": ["a"], "rows": [{"a": 1}], "row_count": 1}, QueryResult)
    assert conv.unstructure(result) == {"columns": ["a"], "rows": [{"a": 1}], "row_count": 1}
    assert conv.structure({"rows_affected": 2}, ExecuteResult) == ExecuteResult(2)
    assert conv.unstructure(CommandResult("OK")) == {"result": "OK"}
    assert conv.structure("2026-02-16T10:00:00Z", datetime).tzinfo is timezone.utc
    assert conv.structure("mysql", StoreKind) is StoreKind.MYSQL
