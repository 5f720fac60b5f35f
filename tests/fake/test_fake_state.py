"""Deterministic ids and clocks, default UUIDv7 and timestamps, records, inspection, imports."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from assertions import exactly
from fake_helpers import ok
from process_support import modules_after

from durable_stores_client import BadRequestError, ConflictError, InternalServerError
from durable_stores_client.fake import FakeServer, RecordedRequest, StoreRecord

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00$")


def test_default_ids_are_lowercase_uuid7_in_creation_order() -> None:
    fake = FakeServer()
    with fake.client() as client:  # many stores a millisecond: ordered within one too
        ids = [client.create_store(name=f"s{i}", kind="redis").id for i in range(2000)]
    assert [record.id for record in fake.stores] == ids  # oldest first
    assert all(UUID7.match(i) for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    millis = int(ids[0].replace("-", "")[:12], 16)
    now = datetime.now(timezone.utc).timestamp() * 1000
    assert abs(millis - now) < 60_000


def test_default_records_have_uuid7_ids_and_nanosecond_timestamps(fake: FakeServer) -> None:
    with fake.client() as client:
        client.create_store(name="s", kind="sqlite")
    (record,) = fake.stores
    assert UUID7.match(record.id)
    assert STAMP.match(record.created_at)
    assert record.created_at == record.updated_at


def test_ids_and_clock_make_records_deterministic(front_end: str) -> None:
    from fake_helpers import open_front_end

    start = datetime(2026, 2, 16, 10, 0, 0, 123456, tzinfo=timezone.utc)
    ticks = count()

    def clock() -> datetime:
        return start + timedelta(seconds=next(ticks))

    fake = FakeServer(ids=iter(["id-1", "id-2"]), clock=clock)
    with open_front_end(front_end, fake) as http:
        first = ok(http.post("/stores", json={"name": "a", "kind": "redis"}), 201)
        second = ok(http.post("/stores", json={"name": "b", "kind": "redis"}), 201)
        assert first == {
            "id": "id-1",
            "name": "a",
            "kind": "redis",
            "config": {},
            "created_at": "2026-02-16T10:00:00.123456000+00:00",
            "updated_at": "2026-02-16T10:00:00.123456000+00:00",
        }
        assert second["id"] == "id-2"
        assert second["created_at"] == "2026-02-16T10:00:01.123456000+00:00"
        # running out of ids is a loud server-side error, never a silent default
        response = http.post("/stores", json={"name": "c", "kind": "redis"})
        assert response.status_code == 500
        assert response.json() == {
            "success": False,
            "error": "internal error in fake server: RuntimeError",
        }


def test_callable_ids_and_other_time_zones() -> None:
    numbers = count(1)
    plus_two = timezone(timedelta(hours=2))
    fake = FakeServer(
        ids=lambda: f"store-{next(numbers)}",
        clock=lambda: datetime(2026, 1, 1, 2, 0, tzinfo=plus_two),
    )
    with fake.client() as client:
        store = client.create_store(name="s", kind="sqlite")
    assert store.id == "store-1"
    assert fake.stores[0].created_at == "2026-01-01T00:00:00.000000000+00:00"


def test_a_naive_clock_is_refused_loudly(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeServer(clock=lambda: datetime(2026, 1, 1))
    with fake.client(max_retries=0) as client, pytest.raises(InternalServerError) as caught:
        client.create_store(name="s", kind="sqlite")
    assert caught.value.message == "internal error in fake server: ValueError"
    # The traceback, logged for the test's author, says what to do.
    (logged,) = [r for r in caplog.records if r.name == "durable_stores_client.fake"]
    assert logged.exc_info is not None
    assert str(logged.exc_info[1]) == (
        "the FakeServer clock must return an aware datetime, got the naive "
        "datetime.datetime(2026, 1, 1, 0, 0); use datetime(..., tzinfo=timezone.utc)"
    )
    assert fake.stores == []


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("abc", "ids must be a callable or an iterable of id strings, not a single string"),
        (5, "ids must be a zero-argument callable or an iterable of strings, got 5"),
    ],
)
def test_bad_ids_arguments_are_refused(ids: object, message: str) -> None:
    with pytest.raises(TypeError, match=exactly(message)):
        FakeServer(ids=ids)  # type: ignore[arg-type]


def test_bad_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=exactly("api_key must be a non-empty string or None")):
        FakeServer(api_key="")
    with pytest.raises(
        TypeError,
        match=exactly(
            "clock must be a zero-argument callable returning an aware datetime, got 'now'"
        ),
    ):
        FakeServer(clock="now")  # type: ignore[arg-type]


def test_records_mask_secrets_in_repr_and_the_request_log(fake: FakeServer) -> None:
    config = {"host": "db", "password": "hunter2", "nested": {"api_token": "t0k"}}
    with fake.client() as client:
        client.create_store(name="pg", kind="postgres", config=config)
    (record,) = fake.stores
    assert isinstance(record, StoreRecord)
    assert record.config == config
    assert record.to_dict()["config"] == config
    assert "hunter2" not in repr(record)
    assert "t0k" not in repr(record)
    (request,) = fake.requests
    assert isinstance(request, RecordedRequest)
    # The log keeps the shape (the key is there) but not the secret: the record has it.
    assert request.body["config"] == {
        "host": "db",
        "password": "***",
        "nested": {"api_token": "***"},
    }
    assert "hunter2" not in repr(request)
    with pytest.raises(AttributeError):
        record.name = "other"  # type: ignore[misc]


def test_recorded_requests_describe_each_call(fake: FakeServer) -> None:
    with fake.client(headers={"X-Trace": "t-1"}) as client:
        store = client.create_store(name="s", kind="sqlite")
        client.query_store(store.id, sql="SELECT 1")
        client.delete_store(store.id)
    create, query, delete = fake.requests
    assert (create.method, create.path, create.operation, create.status) == (
        "POST",
        "/stores",
        "create",
        201,
    )
    assert create.body == {"name": "s", "kind": "sqlite"}
    assert create.idempotency_key
    assert query.store_id == store.id
    assert query.path == f"/stores/{store.id}/query"
    assert query.headers["x-trace"] == "t-1"
    assert (delete.method, delete.operation, delete.body, delete.status) == (
        "DELETE",
        "delete",
        None,
        200,
    )
    assert delete.idempotency_key is None


def test_client_options_refuse_a_second_transport(fake: FakeServer) -> None:
    advice = "cannot be combined with the fake's in-process transport; use fake.transport() "
    advice += "with your own httpx client instead"
    with pytest.raises(TypeError, match=exactly(f"transport= {advice}")):
        fake.client(transport=fake.transport())
    with pytest.raises(TypeError, match=exactly(f"http_client= {advice}")):
        fake.async_client(http_client=object())


def test_fake_client_uses_the_fakes_key_unless_told_otherwise() -> None:
    from durable_stores_client import AuthenticationError

    fake = FakeServer(api_key="right")
    with fake.client() as client:
        assert client.list_stores() == []
    with fake.client(api_key="wrong") as client, pytest.raises(AuthenticationError):
        client.list_stores()
    assert "right" not in repr(fake)


@pytest.mark.slow  # a Python process
def test_importing_the_sdk_does_not_import_the_fake() -> None:
    code = (
        "import sys\n"
        "import durable_stores_client\n"
        "assert 'durable_stores_client.fake' not in sys.modules\n"
        "import durable_stores_client.fake\n"
    )
    assert modules_after(code) & {"fakeredis", "respx"} == set()


def test_refused_creates_do_not_use_up_ids(tmp_path: object) -> None:
    fake = FakeServer(ids=iter(["first", "second"]), data_dir=str(tmp_path))
    with fake.client() as client:
        client.create_store(name="taken", kind="redis")
        with pytest.raises(ConflictError) as conflict:
            client.create_store({"name": "taken", "kind": "redis"})
        assert (conflict.value.status_code, conflict.value.message) == (
            409,
            "Store name already exists",
        )
        with pytest.raises(BadRequestError) as refused:
            client.create_store(name="p", kind="sqlite", config={"path": "../escape.db"})
        assert refused.value.status_code == 400
        assert client.create_store(name="ok", kind="redis").id == "second"


def test_stores_are_copies(fake: FakeServer) -> None:
    with fake.client() as client:
        store = client.create_store(name="s", kind="postgres", config={"host": "db"})
        fake.stores[0].config["host"] = "changed"  # type: ignore[index]
        assert client.get_store(store.id).config == {"host": "db"}


def test_retry_after_must_be_a_header_value(fake: FakeServer) -> None:
    with pytest.raises(
        ValueError, match=exactly("retry_after must be printable ASCII, got 'soon ✓'")
    ):
        fake.inject("list", status=503, retry_after="soon ✓")


def test_docstring_examples_run() -> None:
    import doctest

    import durable_stores_client.fake

    # The package's own docstring, then FakeServer's and its methods' (found from the class).
    for obj in (durable_stores_client.fake, FakeServer):
        runner = doctest.DocTestRunner(verbose=False)
        for test in doctest.DocTestFinder().find(obj):
            runner.run(test)
        failed, attempted = runner.summarize(verbose=False)
        assert attempted > 0, obj
        assert failed == 0, obj
