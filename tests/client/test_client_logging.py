"""Logging on ``durable_stores_client`` (method, path, status, attempt, elapsed), the
``DURABLE_STORES_LOG`` switch, and the redaction rules behind logs, reprs and errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from client_support import STORE_ID, Either, fail, ok

from durable_stores_client import APITimeoutError, BadRequestError, Client, RateLimitError
from durable_stores_client import _logging as client_logging
from durable_stores_client._redaction import (
    MASK,
    is_secret_key,
    redact_headers,
    redact_json,
    redact_text,
)

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
        (3, False),
    ],
)
def test_is_secret_key(key: object, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_json_masks_at_any_depth_without_changing_the_input() -> None:
    data = {"a": [{"password": "x", "b": ({"token": 1},)}], "host": "h"}
    assert redact_json(data) == {"a": [{"password": MASK, "b": [{"token": MASK}]}], "host": "h"}
    assert data["a"][0]["password"] == "x"  # type: ignore[index]


def test_redact_headers() -> None:
    headers = httpx.Headers({"Authorization": "Bearer k", "X-Api-Key": "k2", "X-Trace": "t"})
    assert redact_headers(headers.items()) == {
        "authorization": MASK,
        "x-api-key": MASK,
        "x-trace": "t",
    }
    assert redact_headers({"X-Auth-Token": "t", "Accept": "a"}) == {
        "X-Auth-Token": MASK,
        "Accept": "a",
    }


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
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_redact_text_masks_given_literals_but_not_tiny_ones() -> None:
    assert redact_text("key sk-123456 twice sk-123456", ["sk-123456"]) == "key *** twice ***"
    assert redact_text("kind k", ["k", None, ""]) == "kind k"


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
