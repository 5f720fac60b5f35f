"""Exceptions across processes: every error pickles, keeps its text and attributes, and the
pickle holds no credential.

A worker process (``concurrent.futures.ProcessPoolExecutor``, ``multiprocessing.Pool``) that
raises a client error hands it to its parent pickled: an error that cannot be rebuilt surfaces
as ``BrokenProcessPool`` or hangs the pool, and a pickle that carries the raw answer carries the
request's ``Authorization`` header with it.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from hardening_report import ReliabilityFigures

import durable_stores_client
from durable_stores_client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    Client,
    ConflictError,
    DurableStoresError,
    NotFoundError,
    ProtocolError,
    RowCountError,
    StoreKindConflictError,
)
from durable_stores_client.fake import FakeServer

SECTION = "pickles"
API_KEY = "sk-PICKLE:live!key#4242"
PASSWORD = "pw-PICKLE-hunter2"


def _get_missing_store(url: str, api_key: str) -> None:
    """Run in a worker process: raises NotFoundError."""
    with Client(url, api_key=api_key, max_retries=0) as client:
        client.get_store("no-such-store")


def _first_row_of_many(url: str, api_key: str) -> None:
    """Run in a worker process: raises RowCountError."""
    with Client(url, api_key=api_key, max_retries=0) as client:
        store = client.create_store(name="rows", kind="sqlite")
        client.query_store(store.id, sql="SELECT 1 UNION ALL SELECT 2").one()


@pytest.fixture
def url() -> Iterator[str]:
    fake = FakeServer(api_key=API_KEY)
    with fake.serve() as served:
        yield served


def round_trip(error: DurableStoresError) -> DurableStoresError:
    data = pickle.dumps(error)
    assert API_KEY.encode() not in data, "the API key is in the pickle"
    assert PASSWORD.encode() not in data, "a config password is in the pickle"
    copy = pickle.loads(data)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    return copy  # type: ignore[no-any-return]


def caught(call: Callable[[], Any], kind: type[DurableStoresError]) -> DurableStoresError:
    with pytest.raises(kind) as info:
        call()
    return info.value


@pytest.mark.slow  # a worker process
def test_a_worker_process_error_reaches_the_parent_intact(
    url: str, reliability_figures: ReliabilityFigures
) -> None:
    """The worker's NotFoundError and RowCountError arrive as themselves, text intact, through a
    process pool executor and a multiprocessing pool (spawned, so the fake's threads stay in the
    parent)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        missing = pool.submit(_get_missing_store, url, API_KEY).exception(timeout=120)
        many = pool.submit(_first_row_of_many, url, API_KEY).exception(timeout=120)
    assert type(missing) is NotFoundError, repr(missing)
    assert missing.status_code == 404
    assert missing.message == "Store not found"
    assert (
        str(missing) == "get_store failed: GET /stores/no-such-store -> HTTP 404: Store not found"
    )
    assert missing.response is None, "the raw answer stays in the worker"
    assert type(many) is RowCountError, repr(many)
    assert str(many) == "expected exactly one row, the query returned 2 rows"
    assert many.row_count == 2

    with context.Pool(1) as pool:
        result = pool.apply_async(_get_missing_store, (url, API_KEY))
        with pytest.raises(NotFoundError, match="HTTP 404: Store not found"):
            result.get(timeout=120)
    reliability_figures.add(SECTION, "worker_errors_received", 3)


def test_errors_from_real_flows_pickle_without_credentials(
    url: str, reliability_figures: ReliabilityFigures
) -> None:
    """Each kind of error, raised by a real call carrying the key (and a config password), pickles
    with its attributes and without either secret."""
    errors: list[DurableStoresError] = []
    with Client(url, api_key=API_KEY, max_retries=0) as client:
        client.create_store(name="db", kind="postgres", config={"password": PASSWORD})
        not_found = caught(lambda: client.get_store("nope"), NotFoundError)
        assert not_found.response is not None
        assert not_found.response.request.headers["authorization"] == f"Bearer {API_KEY}"
        errors.append(not_found)
        conflict = caught(
            lambda: client.create_store(name="db", kind="postgres", config={"password": PASSWORD}),
            ConflictError,
        )
        errors.append(conflict)
        kind = caught(lambda: client.ensure_store(name="db", kind="redis"), StoreKindConflictError)
        errors.append(kind)
    with Client(url, api_key="sk-PICKLE-wrong-key", max_retries=0) as wrong:
        errors.append(caught(wrong.list_stores, AuthenticationError))

    for error in errors:
        copy = round_trip(error)
        assert isinstance(copy, APIError)
        assert isinstance(error, APIError)
        assert (copy.status_code, copy.message, copy.request_id) == (
            error.status_code,
            error.message,
            error.request_id,
        )
        assert copy.response is None
    copy = round_trip(kind)
    assert isinstance(copy, StoreKindConflictError)
    assert (copy.name, copy.kind, copy.existing_kind, copy.store_id) == (
        "db",
        "redis",
        "postgres",
        kind.store_id,
    )
    assert copy.status_code is None
    reliability_figures.add(SECTION, "errors_pickled", len(errors) + 1)


def test_a_protocol_error_pickles_with_its_excerpt() -> None:
    base = "https://api.test"
    body = f"<html>proxy error for {API_KEY}</html>"
    with respx.mock(base_url=base) as router:
        router.get("/stores").respond(502, text=body, headers={"content-type": "text/html"})
        with Client(base, api_key=API_KEY, max_retries=0) as client:
            error = caught(client.list_stores, ProtocolError)
    assert isinstance(error, ProtocolError)
    copy = round_trip(error)
    assert isinstance(copy, ProtocolError)
    assert (copy.status_code, copy.content_type, copy.excerpt) == (
        502,
        "text/html",
        "<html>proxy error for ***</html>",
    )
    assert copy.response is None


def test_connection_errors_carry_the_masked_request_operation_and_attempts() -> None:
    """APIConnectionError and APITimeoutError say which call failed (the operation), the request
    (method, URL, headers with the key masked) and how many attempts were made, and pickle so."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    # Nothing listens on that port now: every attempt is refused.
    refused_url = f"http://127.0.0.1:{port}"
    waits: list[float] = []
    policy = durable_stores_client.RetryPolicy(sleep=waits.append, random=lambda: 1.0)
    with Client(refused_url, api_key=API_KEY, max_retries=2, retry_policy=policy) as client:
        error = caught(lambda: client.get_store("abc"), APIConnectionError)
    assert isinstance(error, APIConnectionError)
    assert (error.operation, error.attempts) == ("get_store", 3)
    assert error.request is not None
    assert (error.request.method, str(error.request.url)) == ("GET", f"{refused_url}/stores/abc")
    assert error.request.headers["authorization"] == "***"
    copy = round_trip(error)
    assert isinstance(copy, APIConnectionError)
    assert (copy.operation, copy.attempts) == ("get_store", 3)
    assert copy.request is not None
    assert (copy.request.method, str(copy.request.url)) == ("GET", f"{refused_url}/stores/abc")
    assert copy.request.headers["authorization"] == "***"

    fake = FakeServer(api_key=API_KEY)
    fake.inject("list", delay=5.0)
    with (
        fake.serve() as url,
        Client(url, api_key=API_KEY, max_retries=0, timeout=0.2) as client,
    ):
        timeout = caught(client.list_stores, APITimeoutError)
    assert isinstance(timeout, APITimeoutError)
    assert (timeout.operation, timeout.attempts) == ("list_stores", 1)
    assert timeout.request is not None
    assert (timeout.request.method, str(timeout.request.url)) == ("GET", f"{url}/stores")
    copy = round_trip(timeout)
    assert isinstance(copy, APITimeoutError)
    assert (copy.operation, copy.attempts) == ("list_stores", 1)


def _exported_error_classes() -> list[type[DurableStoresError]]:
    return [
        value
        for name in durable_stores_client.__all__
        if isinstance(value := getattr(durable_stores_client, name), type)
        and issubclass(value, DurableStoresError)
    ]


@pytest.mark.parametrize("cls", _exported_error_classes(), ids=lambda cls: cls.__name__)
def test_every_exported_error_class_round_trips(
    cls: type[DurableStoresError], reliability_figures: ReliabilityFigures
) -> None:
    """Whatever its ``__init__`` takes, an instance with a response attached pickles as the same
    class with the same text and attributes, the response dropped."""
    error = cls.__new__(cls, f"{cls.__name__} text")
    error.__dict__.update(
        status_code=418,
        message="m",
        operation="get_store",
        attempts=2,
        response=httpx.Response(
            418, request=httpx.Request("GET", "http://x.test", headers={"Authorization": API_KEY})
        ),
    )
    copy = round_trip(error)
    assert copy.__dict__ == {**error.__dict__, "response": None}
    reliability_figures.add(SECTION, "errors_pickled")
