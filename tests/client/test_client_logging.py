"""Logging on ``durable_stores_client`` (method, path, status, attempt, elapsed), the
``DURABLE_STORES_LOG`` switch, and the redaction rules behind logs, reprs and errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from client_support import BASE_URL, STORE_ID, Either, fail, ok, record

from durable_stores_client import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    Client,
    RateLimitError,
)
from durable_stores_client import _logging as client_logging
from durable_stores_client.contract import Target

#: How a masked secret reads.
MASK = "***"

LOGGER = "durable_stores_client"


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    logger = logging.getLogger(LOGGER)
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    client_logging._handler = None


async def test_each_attempt_is_logged_with_method_path_status_attempt_elapsed(
    api: Either, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    route = router.post(f"/stores/{STORE_ID}/query")
    route.side_effect = [
        httpx.Response(503, json=fail("busy")),
        httpx.Response(200, json=ok({"columns": [], "rows": [], "row_count": 0})),
    ]
    await api.query_store(STORE_ID, sql="SELECT 1")
    records = [record for record in caplog.records if record.name == LOGGER]
    debug = [record for record in records if record.levelno == logging.DEBUG]
    assert [(r.method, r.path, r.status, r.attempt) for r in debug] == [  # type: ignore[attr-defined]
        ("POST", f"/stores/{STORE_ID}/query", 503, 1),
        ("POST", f"/stores/{STORE_ID}/query", 200, 2),
    ]
    assert all(record.elapsed_ms >= 0 for record in debug)  # type: ignore[attr-defined]
    assert debug[1].getMessage().startswith(f"POST /stores/{STORE_ID}/query -> 200 (attempt 2, ")
    retries = [record for record in records if record.levelno == logging.INFO]
    assert len(retries) == 1
    assert "retrying in 0.50 s (attempt 2 of 3)" in retries[0].getMessage()


async def test_transport_errors_and_giving_up_are_logged(
    api: Either, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    router.get("/stores").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError, match="timed out after 3 attempts"):
        await api.list_stores()
    messages = [record.getMessage() for record in caplog.records if record.name == LOGGER]
    assert sum("-> ReadTimeout (attempt" in message for message in messages) == 3
    assert any("giving up" in message for message in messages)


async def test_no_log_line_carries_a_secret(
    make_api: Any, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    api = make_api(api_key="sk-live-abcdef123456", headers={"X-Db-Password": "hdr-pw-77"})
    router.post("/stores").respond(400, json=fail("bad config password=hunter2"))
    with pytest.raises(BadRequestError):
        await api.create_store(
            name="db", kind="postgres", config={"password": "pg-pw-88", "api_token": "tk-99"}
        )
    text = caplog.text + " ".join(repr(record.__dict__) for record in caplog.records)
    assert "POST /stores -> 400" in text
    for secret in ("sk-live-abcdef123456", "hdr-pw-77", "hunter2", "pg-pw-88", "tk-99"):
        assert secret not in text


async def test_nothing_is_logged_by_default(
    api: Either, router: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
def test_env_switch_installs_one_stderr_handler(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    router: respx.MockRouter,
    value: str,
    level: int,
) -> None:
    monkeypatch.setenv("DURABLE_STORES_LOG", value)
    router.get("/stores").respond(200, json=ok([]))
    logger = logging.getLogger(LOGGER)
    before = len(logger.handlers)
    with Client("http://stores.localhost:18888") as client:
        Client("http://stores.localhost:18888").close()
        assert len(logger.handlers) == before + 1
        assert logger.level == level
        client.list_stores()
    err = capsys.readouterr().err
    if level == logging.DEBUG:
        assert "durable_stores_client DEBUG GET /stores -> 200 (attempt 1" in err
    else:
        assert err == ""


def test_env_switch_with_an_unknown_value_warns_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DURABLE_STORES_LOG", "verbose")
    logger = logging.getLogger(LOGGER)
    handlers, level = list(logger.handlers), logger.level
    with pytest.warns(UserWarning, match="DURABLE_STORES_LOG='verbose'") as record:
        Client("http://stores.localhost:18888").close()
    assert record[0].filename == __file__
    assert logger.handlers == handlers
    assert logger.level == level


def _shown_store(router: respx.MockRouter, config: dict[str, Any]) -> str:
    """The repr of the store a client reads whose config is ``config``."""
    router.get(f"/stores/{STORE_ID}").respond(200, json=ok(record(config=config)))
    with Client(BASE_URL, max_retries=0) as client:
        return repr(client.get_store(STORE_ID))


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("Password", True),
        ("password_secret", True),
        ("db_secret", True),
        ("API_TOKEN", True),
        ("tokens", True),
        ("host", False),
        ("user", False),
        ("pass", False),
    ],
)
def test_secret_keys_are_masked_in_a_store_s_repr(
    router: respx.MockRouter, key: str, secret: bool
) -> None:
    shown = _shown_store(router, {key: "v4lue"})
    assert f"config={{{key!r}: {MASK if secret else 'v4lue'!r}}}" in shown


def test_a_key_that_is_not_text_is_not_a_secret() -> None:
    target = Target("http://x", store_config={"redis": {3: "v4lue", "password": "pw"}})
    assert target.secret_values() == ("pw",)


def test_configs_are_masked_at_any_depth_without_changing_the_store(
    router: respx.MockRouter,
) -> None:
    config = {"a": [{"password": "x", "b": [{"token": 1}]}], "host": "h"}
    shown = _shown_store(router, config)
    masked = {"a": [{"password": MASK, "b": [{"token": MASK}]}], "host": "h"}
    assert f"config={masked!r}" in shown
    assert config == {"a": [{"password": "x", "b": [{"token": 1}]}], "host": "h"}


def test_an_error_keeps_its_request_with_credential_headers_masked(
    router: respx.MockRouter,
) -> None:
    router.get("/stores").mock(side_effect=httpx.ConnectError("refused"))
    extra = {"X-Api-Key": "k2", "X-Auth-Token": "t", "X-Trace": "t"}
    client = Client(BASE_URL, api_key="key-123456", headers=extra, max_retries=0)
    with client, pytest.raises(APIConnectionError) as caught:
        client.list_stores()
    request = caught.value.request
    assert request is not None
    shown = [request.headers[name] for name in ("authorization", *extra)]
    assert shown == [MASK, MASK, MASK, "t"]


def _error_message(router: respx.MockRouter, text: str, api_key: str | None = None) -> str:
    """The message of the error a client raises for a 400 whose envelope says ``text``."""
    router.get("/stores").respond(400, json=fail(text))
    client = Client(BASE_URL, api_key=api_key, max_retries=0)
    with client, pytest.raises(BadRequestError) as caught:
        client.list_stores()
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"password": "hunter2 x", "user": "bob"}', '{"password": "***", "user": "bob"}'),
        ("password=hunter2&db=main", "password=***&db=main"),
        ("db_token: abc123, next", "db_token: ***, next"),
        ("secret='s p a c e'", "secret='***'"),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        ("Use: Bearer <api_key>", "Use: Bearer <api_key>"),
        ("Invalid bearer token", "Invalid bearer token"),
        ("postgres://app:pw123@db:5432/app", "postgres://app:***@db:5432/app"),
        ("no secrets here", "no secrets here"),
    ],
)
def test_an_error_message_is_masked(router: respx.MockRouter, text: str, expected: str) -> None:
    assert _error_message(router, text) == expected


def test_an_error_message_masks_the_api_key_but_not_a_tiny_one(
    router: respx.MockRouter,
) -> None:
    message = _error_message(router, "key sk-123456 twice sk-123456", api_key="sk-123456")
    assert message == "key *** twice ***"
    assert _error_message(router, "kind k", api_key="k") == "kind k"


async def test_give_up_on_a_long_retry_after_and_ambiguous_delete_are_logged(
    api: Either, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    router.get("/stores").respond(429, json=fail("slow down"), headers={"Retry-After": "3600"})
    delete = router.delete(f"/stores/{STORE_ID}")
    delete.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(404, json=fail("gone"))]
    with pytest.raises(RateLimitError) as limited:
        await api.list_stores()
    assert (limited.value.status_code, limited.value.message) == (429, "slow down")
    await api.delete_store(STORE_ID)
    messages = [record.getMessage() for record in caplog.records if record.name == LOGGER]
    assert any("HTTP 429: Retry-After too long, giving up (attempt 1" in m for m in messages)
    assert any("-> 404 after an ambiguous attempt: counted as deleted" in m for m in messages)
