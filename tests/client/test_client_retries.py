"""Retries: which failures are retried for reads, deletes and writes; backoff; Retry-After;
idempotency keys reused across retries; delete after an ambiguous failure.

No test sleeps: the ``policy`` fixture records waits in ``waits`` (jitter factor 1).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx
from assertions import exactly
from client_support import STORE_ID, STORE_RECORD, Either, fail, ok

from durable_stores_client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
)

QUERY_DATA = {"columns": ["n"], "rows": [{"n": 1}], "row_count": 1}

# name -> (method, path, successful answer, call)
Operation = tuple[str, str, dict[str, Any], Callable[[Either], Awaitable[Any]]]

READS: dict[str, Operation] = {
    "list_stores": ("GET", "/stores", ok([]), lambda api: api.list_stores()),
    "get_store": (
        "GET",
        f"/stores/{STORE_ID}",
        ok(STORE_RECORD),
        lambda api: api.get_store(STORE_ID),
    ),
    "query_store": (
        "POST",
        f"/stores/{STORE_ID}/query",
        ok(QUERY_DATA),
        lambda api: api.query_store(STORE_ID, sql="SELECT 1 AS n"),
    ),
    "delete_store": (
        "DELETE",
        f"/stores/{STORE_ID}",
        ok("deleted"),
        lambda api: api.delete_store(STORE_ID),
    ),
}

WRITES: dict[str, Operation] = {
    "create_store": (
        "POST",
        "/stores",
        ok(STORE_RECORD),
        lambda api: api.create_store(name="agent-state", kind="sqlite"),
    ),
    "execute_store": (
        "POST",
        f"/stores/{STORE_ID}/execute",
        ok({"rows_affected": 1, "last_insert_rowid": 1}),
        lambda api: api.execute_store(STORE_ID, sql="INSERT INTO t VALUES (1)"),
    ),
    "command_store": (
        "POST",
        f"/stores/{STORE_ID}/command",
        ok({"result": 1}),
        lambda api: api.command_store(STORE_ID, command=["INCR", "n"]),
    ),
}


def _route(router: respx.MockRouter, operation: Operation) -> respx.Route:
    method, path, _, _ = operation
    return router.route(method=method, path=path)


def _error(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=fail(f"status {status}"), headers=headers)


@pytest.mark.parametrize("name", list(READS))
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_reads_and_delete_retry_retryable_statuses(
    api: Either, router: respx.MockRouter, waits: list[float], name: str, status: int
) -> None:
    operation = READS[name]
    route = _route(router, operation)
    route.side_effect = [_error(status), httpx.Response(200, json=operation[2])]
    await operation[3](api)
    assert route.call_count == 2
    assert waits == [0.5]


@pytest.mark.parametrize("name", list(READS))
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow read"),
        httpx.WriteTimeout("slow write"),
        httpx.PoolTimeout("pool"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("server hung up"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_reads_and_delete_retry_connection_errors_and_timeouts(
    api: Either, router: respx.MockRouter, waits: list[float], name: str, error: Exception
) -> None:
    operation = READS[name]
    route = _route(router, operation)
    route.side_effect = [error, httpx.Response(200, json=operation[2])]
    await operation[3](api)
    assert route.call_count == 2
    assert waits == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 501, 505])
async def test_reads_do_not_retry_other_statuses(
    api: Either, router: respx.MockRouter, waits: list[float], status: int
) -> None:
    route = router.get("/stores").mock(return_value=_error(status))
    with pytest.raises(APIError):
        await api.list_stores()
    assert route.call_count == 1
    assert waits == []


async def test_reads_give_up_after_max_retries_with_the_last_error(
    api: Either, router: respx.MockRouter, waits: list[float]
) -> None:
    route = router.get("/stores").mock(
        side_effect=[_error(503), _error(502), _error(500, **{"x-request-id": "last"})]
    )
    with pytest.raises(InternalServerError) as info:
        await api.list_stores()
    assert route.call_count == 3  # default max_retries=2
    assert waits == [0.5, 1.0]
    assert info.value.status_code == 500
    assert info.value.request_id == "last"


async def test_connection_errors_give_up_with_api_connection_error(
    api: Either, router: respx.MockRouter, waits: list[float]
) -> None:
    route = router.get("/stores").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(
        APIConnectionError,
        match=exactly(
            "list_stores failed: GET http://stores.localhost:18888/stores got no answer after"
            " 3 attempts (ConnectError: refused)"
        ),
    ):
        await api.list_stores()
    assert route.call_count == 3
    assert waits == [0.5, 1.0]


async def test_backoff_doubles_up_to_eight_seconds(
    make_api: Any, router: respx.MockRouter, waits: list[float]
) -> None:
    api = make_api(max_retries=7)
    route = router.get("/stores").mock(return_value=_error(503))
    with pytest.raises(InternalServerError):
        await api.list_stores()
    assert route.call_count == 8
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_jitter_scales_backoff_between_half_and_all(
    make_api: Any, router: respx.MockRouter, waits: list[float]
) -> None:
    draws = iter([0.0, 0.5])

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(sleep=waits.append, async_sleep=async_sleep, random=lambda: next(draws))
    api = make_api(retry_policy=policy)
    router.get("/stores").mock(return_value=_error(500))
    with pytest.raises(InternalServerError):
        await api.list_stores()
    assert waits == [0.25, 0.75]


async def test_max_retries_zero_makes_one_attempt(
    make_api: Any, router: respx.MockRouter, waits: list[float]
) -> None:
    api = make_api(max_retries=0)
    route = router.get("/stores").mock(return_value=_error(503))
    with pytest.raises(InternalServerError):
        await api.list_stores()
    assert route.call_count == 1
    assert waits == []


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("status", [429, 503])
async def test_writes_retry_when_the_server_says_it_did_not_apply(
    api: Either, router: respx.MockRouter, waits: list[float], name: str, status: int
) -> None:
    operation = WRITES[name]
    route = _route(router, operation)
    route.side_effect = [_error(status), _error(status), httpx.Response(200, json=operation[2])]
    await operation[3](api)
    assert route.call_count == 3
    assert waits == [0.5, 1.0]


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
    ids=lambda error: type(error).__name__,
)
async def test_writes_retry_when_the_request_was_never_sent(
    api: Either, router: respx.MockRouter, waits: list[float], name: str, error: Exception
) -> None:
    operation = WRITES[name]
    route = _route(router, operation)
    route.side_effect = [error, httpx.Response(200, json=operation[2])]
    await operation[3](api)
    assert route.call_count == 2


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("status", [408, 500, 502, 504])
async def test_writes_never_retry_ambiguous_statuses(
    api: Either, router: respx.MockRouter, waits: list[float], name: str, status: int
) -> None:
    operation = WRITES[name]
    route = _route(router, operation).mock(return_value=_error(status))
    with pytest.raises(APIError) as info:
        await operation[3](api)
    assert info.value.status_code == status
    assert route.call_count == 1
    assert waits == []


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (httpx.ReadTimeout("slow read"), APITimeoutError),
        (httpx.WriteTimeout("slow write"), APITimeoutError),
        (httpx.ReadError("reset"), APIConnectionError),
        (httpx.RemoteProtocolError("hung up"), APIConnectionError),
    ],
    ids=lambda value: getattr(value, "__name__", type(value).__name__),
)
async def test_writes_never_retry_after_the_request_may_have_been_sent(
    api: Either,
    router: respx.MockRouter,
    waits: list[float],
    name: str,
    error: Exception,
    raised: type[Exception],
) -> None:
    operation = WRITES[name]
    route = _route(router, operation).mock(side_effect=error)
    with pytest.raises(raised) as info:
        await operation[3](api)
    assert type(info.value) is raised
    assert info.value.__cause__ is error
    assert route.call_count == 1
    assert waits == []


@pytest.mark.parametrize("name", ["create_store", "execute_store", "command_store", "query_store"])
async def test_every_retry_of_a_post_reuses_its_idempotency_key(
    api: Either, router: respx.MockRouter, name: str
) -> None:
    operation = {**READS, **WRITES}[name]
    route = _route(router, operation)
    route.side_effect = [
        httpx.ConnectError("refused"),
        _error(429),
        httpx.Response(200, json=operation[2]),
        httpx.Response(200, json=operation[2]),
    ]
    await operation[3](api)
    await operation[3](api)
    keys = [call.request.headers["idempotency-key"] for call in route.calls]
    bodies = [call.request.content for call in route.calls]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    assert bodies[0] == bodies[1] == bodies[2] == bodies[3]


async def _list_after_one_error(
    api: Either, router: respx.MockRouter, status: int, headers: dict[str, str]
) -> Any:
    """``list_stores`` where the first attempt answers ``status`` with ``headers``."""
    route = router.get("/stores")
    route.side_effect = [_error(status, **headers), httpx.Response(200, json=ok([]))]
    return await api.list_stores()


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"Retry-After": "3"}, 3.0),
        (429, {"Retry-After": "0"}, 0.0),
        (429, {"Retry-After": "1.5"}, 1.5),
        (429, {"retry-after-ms": "1500"}, 1.5),
        (429, {"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        (429, {"Retry-After": "60"}, 60.0),
        (429, {"Retry-After": "soon"}, 0.5),  # unusable: ordinary backoff
        (429, {"retry-after-ms": "x", "Retry-After": "2"}, 2.0),
        (503, {"Retry-After": "-5"}, 0.0),
        (503, {"Retry-After": email.utils.formatdate(1_700_000_000.0, usegmt=True)}, 0.0),
        (503, {"Retry-After": "inf"}, 0.5),  # unusable: the policy's first backoff
        (503, {"Retry-After": "Tuesday"}, 0.5),
        (503, {"retry-after-ms": "nan"}, 0.5),
        (503, {}, 0.5),
    ],
)
async def test_retry_after_is_honoured_and_never_waits_more_than_it_says(
    api: Either,
    router: respx.MockRouter,
    waits: list[float],
    status: int,
    headers: dict[str, str],
    expected: float,
) -> None:
    # 429 with the delays a server asks for; 503 with past, negative or unusable ones.
    assert await _list_after_one_error(api, router, status, headers) == []
    assert waits == [expected]


async def test_retry_after_http_date_is_honoured(
    api: Either, router: respx.MockRouter, waits: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    route = router.post(f"/stores/{STORE_ID}/execute")
    route.side_effect = [
        _error(503, **{"Retry-After": when}),
        httpx.Response(200, json=ok({"rows_affected": 1})),
    ]
    await api.execute_store(STORE_ID, sql="DELETE FROM t")
    assert len(waits) == 1
    assert 15.0 < waits[0] <= 20.0


@pytest.mark.parametrize("headers", [{"Retry-After": "61"}, {"retry-after-ms": "3600000"}])
async def test_retry_after_over_sixty_seconds_gives_up_at_once(
    api: Either, router: respx.MockRouter, waits: list[float], headers: dict[str, str]
) -> None:
    route = router.get("/stores").mock(return_value=_error(429, **headers))
    with pytest.raises(RateLimitError):
        await api.list_stores()
    assert route.call_count == 1
    assert waits == []


def test_retry_policy_delay_and_defaults() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert (policy.initial, policy.maximum, policy.max_retry_after) == (0.5, 8.0, 60.0)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.backoff(10_000) == 8.0
    assert policy.delay(0, httpx.Headers({"Retry-After": "60"})) == 60.0
    assert policy.delay(0, httpx.Headers({"Retry-After": "60.5"})) is None
    assert policy.delay(3, None) == 4.0
    tight = RetryPolicy(initial=0.1, maximum=0.3, max_retry_after=1.0, random=lambda: 0.0)
    assert [tight.backoff(n) for n in range(4)] == [0.05, 0.1, 0.15, 0.15]


@pytest.mark.parametrize(
    "first",
    [
        httpx.ReadTimeout("slow read"),
        httpx.ReadError("reset"),
        _error(500),
        _error(502),
        _error(504),
    ],
    ids=["ReadTimeout", "ReadError", "500", "502", "504"],
)
async def test_delete_retried_after_an_ambiguous_failure_counts_404_as_deleted(
    api: Either, router: respx.MockRouter, first: Any
) -> None:
    route = router.delete(f"/stores/{STORE_ID}")
    route.side_effect = [first, httpx.Response(404, json=fail("Store not found"))]
    assert await api.delete_store(STORE_ID) is None
    assert route.call_count == 2


@pytest.mark.parametrize(
    "first",
    [httpx.ConnectError("refused"), _error(429), _error(503)],
    ids=["ConnectError", "429", "503"],
)
async def test_delete_404_after_a_failure_that_was_not_applied_is_not_found(
    api: Either, router: respx.MockRouter, first: Any
) -> None:
    route = router.delete(f"/stores/{STORE_ID}")
    route.side_effect = [first, httpx.Response(404, json=fail("Store not found"))]
    with pytest.raises(NotFoundError):
        await api.delete_store(STORE_ID)
    assert route.call_count == 2


async def test_delete_404_on_the_first_attempt_is_not_found(
    api: Either, router: respx.MockRouter
) -> None:
    router.delete(f"/stores/{STORE_ID}").respond(404, json=fail("Store not found"))
    with pytest.raises(NotFoundError):
        await api.delete_store(STORE_ID)


async def test_with_options_changes_max_retries(
    api: Either, router: respx.MockRouter, waits: list[float]
) -> None:
    route = router.get("/stores").mock(return_value=_error(503))
    patient = Either(api.client.with_options(max_retries=4))
    with pytest.raises(InternalServerError):
        await patient.list_stores()
    assert route.call_count == 5
    assert waits == [0.5, 1.0, 2.0, 4.0]
