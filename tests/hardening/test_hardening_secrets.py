"""Secrets and boundaries.

* API keys and secret-like config values (keys containing ``password``, ``secret``, ``token``, at
  any depth) never appear in a repr, a log line (everything captured at DEBUG, the fake's logger
  and httpx's included) or the text of any exception a flow raises (``str``, ``repr`` and the
  formatted traceback), through successes, errors, retries, timeouts and auth failures, on both
  clients.
* No redirect is followed with credentials: the client does not follow a 302/307/308 to another
  host, and an ``httpx`` client that does follow redirects does not carry the key across.
* SQLite paths stay inside the fake's data dir (``..``, absolute paths, symlinks out, ``ATTACH``,
  ``VACUUM INTO``).
* The fake binds to loopback unless told otherwise (``serve()`` and ``durable-stores fake-server``).
* The fake compares keys in constant time: ``hmac.compare_digest`` makes the decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import pickle
import secrets
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from hardening_report import ReliabilityFigures
from process_support import stop

from durable_stores_client import (
    APIConnectionError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    DurableStoresError,
    NotFoundError,
    RetryPolicy,
    Store,
    StoreKind,
)
from durable_stores_client.fake import FakeServer

SECTION = "secrets"
#: Not a b64token (``:``, ``!`` and ``#``), so only a literal search can mask it.
API_KEY = "sk-HARDENING:live!key#4242"
WRONG_KEY = "sk-HARDENING-wrong-key-9999"
SECRET_CONFIG: dict[str, Any] = {
    "host": "db.internal",
    "port": 5432,
    "user": "agent",
    "password": "pw-HARDENING-hunter2",
    "password_secret": "vault://HARDENING/db-password",
    "options": {"sslPassword": "ssl-HARDENING-pass", "refresh_token": ["rt-HARDENING-a"]},
    "Client_Secret": "cs-HARDENING-xyz",
}
PASSWORD = SECRET_CONFIG["password"]
PASSWORD_SECRET = SECRET_CONFIG["password_secret"]
SSL_PASSWORD = SECRET_CONFIG["options"]["sslPassword"]
#: A password with a quote in it: masking must take its whole value, past the escaped quote.
QUOTED_PASSWORD = 'pw-HARDENING-"quoted"-TAILSECRET'
#: Longer than the text a ProtocolError masks its excerpt from.
LONG_SECRET = "LONGSECRET-" * 300
SECRET_VALUES = [
    API_KEY,
    "live!key#4242",  # the key's tail: a mangled echo must not show it either
    "TAILSECRET",
    "LONGSECRET",
    WRONG_KEY,
    "pw-HARDENING-hunter2",
    "vault://HARDENING/db-password",
    "ssl-HARDENING-pass",
    "rt-HARDENING-a",
    "cs-HARDENING-xyz",
]


class Evidence:
    """Every text a user could see: reprs, exception texts, log lines."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.exceptions = 0

    def see(self, where: str, value: Any) -> None:
        self.texts.append((where, repr(value)))
        self.texts.append((where, str(value)))

    def raised(self, where: str, error: BaseException) -> None:
        self.exceptions += 1
        self.see(where, error)
        self.texts.append((where, "".join(traceback.format_exception(error))))
        for attribute in ("message", "args", "__cause__", "__context__", "__notes__"):
            value = getattr(error, attribute, None)
            if value is not None:
                self.see(f"{where}.{attribute}", value)

    def expect_error(
        self, where: str, kind: type[BaseException] | tuple[type[BaseException], ...], call: Any
    ) -> BaseException:
        try:
            call()
        except kind as error:
            self.raised(where, error)
            return error
        raise AssertionError(f"{where}: {kind} not raised")

    async def expect_error_async(self, where: str, kind: type[BaseException], call: Any) -> None:
        try:
            await call()
        except kind as error:
            self.raised(where, error)
            return
        raise AssertionError(f"{where}: {kind.__name__} not raised")

    def assert_clean(self, caplog: pytest.LogCaptureFixture) -> int:
        texts = list(self.texts)
        for record in caplog.records:
            texts.append((f"log {record.name}", record.getMessage()))
            texts.append((f"log {record.name} args", repr(record.args)))
            texts.append((f"log {record.name} extra", repr(record.__dict__)))
        texts.append(("caplog.text", caplog.text))
        for where, text in texts:
            for secret in SECRET_VALUES:
                assert secret not in text, f"{secret!r} leaked in {where}: {text[:400]}"
        return len(texts)


@dataclass
class Served:
    fake: FakeServer
    url: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    fake = FakeServer(api_key=API_KEY, data_dir=tmp_path)
    with fake.serve() as url:
        yield Served(fake, url)


def no_sleep(_seconds: float) -> None:
    return None


async def no_async_sleep(_seconds: float) -> None:
    return None


POLICY = RetryPolicy(sleep=no_sleep, async_sleep=no_async_sleep, random=lambda: 0.5)


def test_secrets_stay_out_of_reprs_logs_and_exceptions_sync(
    served: Served, caplog: pytest.LogCaptureFixture, reliability_figures: ReliabilityFigures
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="durable_stores_client")
    evidence = Evidence()
    fake = served.fake
    with Client(served.url, api_key=API_KEY, retry_policy=POLICY) as client:
        evidence.see("client", client)
        evidence.see("client.with_options", client.with_options(timeout=3))
        stores = [
            client.create_store(name=f"secret-{kind}", kind=kind, config=dict(SECRET_CONFIG))
            for kind in ("postgres", "mysql", "redis")
        ]
        sqlite = client.create_store(
            name="plain", kind="sqlite", config={"path": "plain.db", "api_token": "rt-HARDENING-a"}
        )
        for store in [*stores, sqlite, *client.list_stores(), client.get_store(sqlite.id)]:
            evidence.see("store", store)
        assert stores[0].config["password"] == SECRET_CONFIG["password"], "values stay usable"
        evidence.see("execute", client.execute_store(sqlite.id, sql="CREATE TABLE t (a)"))
        evidence.see("query", client.query_store(sqlite.id, sql="SELECT 1 AS one"))
        evidence.see("command", client.command_store(stores[2].id, command=["PING"]))

        # errors, each carrying secret config in its request
        evidence.expect_error(
            "duplicate",
            ConflictError,
            lambda: client.create_store(name="secret-mysql", kind="mysql", config=SECRET_CONFIG),
        )
        evidence.expect_error(
            "bad kind",
            (ValueError, BadRequestError),
            lambda: client.create_store(name="x", kind="oracle", config=SECRET_CONFIG),
        )
        evidence.expect_error(
            "blank name",
            (ValueError, BadRequestError),
            lambda: client.create_store(name="  ", kind="mysql", config=SECRET_CONFIG),
        )
        evidence.expect_error("missing", NotFoundError, lambda: client.get_store("nope"))
        evidence.expect_error(
            "sql error", BadRequestError, lambda: client.execute_store(sqlite.id, sql="NOT SQL")
        )
        # retries, then success; retries, then giving up; an ambiguous drop; a timeout
        fake.inject("create", status=503, times=2)
        evidence.see(
            "retried create",
            client.create_store(name="retried", kind="postgres", config=SECRET_CONFIG),
        )
        fake.inject("get", status=429, retry_after=1, times=3)
        evidence.expect_error("rate limited", DurableStoresError, lambda: client.get_store("x"))
        fake.inject("create", disconnect=True)
        evidence.expect_error(
            "dropped",
            APIConnectionError,
            lambda: client.create_store(name="dropped", kind="mysql", config=SECRET_CONFIG),
        )
        fake.inject("list", delay=1.0, times=3)
        evidence.expect_error(
            "timeout", APIConnectionError, client.with_options(timeout=0.2).list_stores
        )
    with Client(served.url, api_key=WRONG_KEY, retry_policy=POLICY) as wrong:
        evidence.see("wrong client", wrong)
        evidence.expect_error("wrong key", AuthenticationError, wrong.list_stores)
    with Client(served.url, retry_policy=POLICY) as keyless:
        evidence.expect_error("no key", AuthenticationError, keyless.list_stores)

    evidence.see("fake", fake)
    for entry in fake.requests:
        evidence.see("fake.requests", entry)
    for record in fake.stores:
        evidence.see("fake.stores", record)
    assert any(entry.headers.get("authorization") for entry in fake.requests)
    checked = evidence.assert_clean(caplog)
    assert any(r.name.startswith("durable_stores_client") for r in caplog.records), "no logs?"
    reliability_figures.add(SECTION, "texts_checked", checked)
    reliability_figures.add(SECTION, "exceptions_checked", evidence.exceptions)
    reliability_figures.add(SECTION, "secret_leaks", 0)


def test_secrets_stay_out_of_reprs_logs_and_exceptions_async(
    served: Served, caplog: pytest.LogCaptureFixture, reliability_figures: ReliabilityFigures
) -> None:
    caplog.set_level(logging.DEBUG)
    evidence = Evidence()

    async def flow() -> None:
        async with AsyncClient(served.url, api_key=API_KEY, retry_policy=POLICY) as client:
            evidence.see("async client", client)
            store = await client.create_store(name="a", kind="postgres", config=SECRET_CONFIG)
            evidence.see("async store", store)
            await evidence.expect_error_async(
                "async duplicate",
                ConflictError,
                lambda: client.create_store(name="a", kind="postgres", config=SECRET_CONFIG),
            )
            served.fake.inject("execute", status=503, times=5)
            await evidence.expect_error_async(
                "async 503",
                DurableStoresError,
                lambda: client.execute_store(store.id, sql="SELECT 1"),
            )
        async with AsyncClient(served.url, api_key=WRONG_KEY) as wrong:
            await evidence.expect_error_async(
                "async wrong key", AuthenticationError, wrong.list_stores
            )

    asyncio.run(flow())
    checked = evidence.assert_clean(caplog)
    reliability_figures.add(SECTION, "texts_checked", checked)
    reliability_figures.add(SECTION, "exceptions_checked", evidence.exceptions)


@pytest.mark.parametrize(
    "body",
    [
        {"success": False, "error": f"Invalid bearer token {API_KEY}"},
        {"success": False, "error": f"password={SECRET_CONFIG['password']} rejected"},
        {"success": False, "error": f'config {{"password_secret": "{PASSWORD_SECRET}"}}'},
        f"<html>proxy error for Authorization: Bearer {API_KEY}</html>",
        {"success": False, "error": f"bad config {json.dumps({'password': QUOTED_PASSWORD})}"},
        {"success": False, "error": f"invalid config {json.dumps(SECRET_CONFIG)}"},
        {"success": False, "error": f'Config {{ user: "agent", password: "{PASSWORD}" }}'},
        {"success": False, "error": f"config {{'sslPassword': '{SSL_PASSWORD}'}}"},
        {"success": True, "data": {"config": {"password": LONG_SECRET}}},
        f'<pre>{{"config": {{"password": "{LONG_SECRET}"}}}}</pre>',
        f"<pre>cannot connect to postgres://agent:{LONG_SECRET}@db/app</pre>",
        {"success": True, "data": {"config": SECRET_CONFIG, "padding": "x" * 70_000}},
        {"success": True, "data": [f"note: password: {PASSWORD}"], "pad": "x" * 70_000},
    ],
    ids=[
        "key-in-error",
        "password-assignment",
        "secret-json",
        "html-echo",
        "password-with-quote",
        "token-in-list-and-object",
        "rust-debug",
        "python-repr",
        "long-secret-in-json-excerpt",
        "long-secret-in-text-excerpt",
        "long-url-password-in-text-excerpt",
        "large-json-body-masked-as-text",
        "assignment-inside-a-json-string",
    ],
)
def test_a_server_echoing_secrets_does_not_leak_them_through_exceptions(
    body: Any, caplog: pytest.LogCaptureFixture, reliability_figures: ReliabilityFigures
) -> None:
    caplog.set_level(logging.DEBUG)
    evidence = Evidence()
    base = "https://api.test"
    with respx.mock(base_url=base) as router:
        if isinstance(body, dict):
            status = 200 if body["success"] else 401
            router.get("/stores").mock(return_value=httpx.Response(status, json=body))
        else:
            router.get("/stores").mock(
                return_value=httpx.Response(502, text=body, headers={"content-type": "text/html"})
            )
        with Client(base, api_key=API_KEY, max_retries=0) as client:
            error = evidence.expect_error("echo", DurableStoresError, client.list_stores)
    evidence.texts.append(("pickle", repr(pickle.dumps(error))))
    evidence.assert_clean(caplog)
    assert "***" in str(error), f"nothing was masked, so nothing was echoed: {error}"
    reliability_figures.add(SECTION, "echoed_bodies")


@pytest.mark.parametrize(
    "message",
    [
        'failed executing store query: unrecognized token: "#"',
        'near "token": syntax error',
        "no such column: password",
        'password authentication failed for user "agent"',
        "ERR wrong number of arguments for 'auth' command",
        "no such table: secret_santa",
        'near "password": syntax error',
    ],
)
def test_masking_leaves_engine_error_details_intact(message: str) -> None:
    """What an engine says about the user's own statement is not a credential: prose that
    merely mentions ``token`` or ``password`` reaches the error unchanged."""
    base = "https://api.test"
    with respx.mock(base_url=base) as router:
        router.post("/stores/s1/query").respond(400, json={"success": False, "error": message})
        with (
            Client(base, api_key=API_KEY, max_retries=0) as client,
            pytest.raises(BadRequestError) as caught,
        ):
            client.query_store("s1", sql="SELECT 1")
    assert caught.value.message == message
    assert str(caught.value).endswith(message)


def test_sqlite_error_details_reach_the_caller_unmasked(served: Served) -> None:
    with Client(served.url, api_key=API_KEY, max_retries=0) as client:
        store = client.create_store(name="tokens", kind="sqlite")
        with pytest.raises(BadRequestError) as caught:
            client.query_store(store.id, sql="SELECT #")
    assert caught.value.message.endswith('unrecognized token: "#"'), caught.value.message


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("operation", ["get", "create"])
def test_redirects_are_not_followed_with_credentials(status: int, operation: str) -> None:
    base = "https://api.test"
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.test").mock(
            return_value=httpx.Response(status, headers={"Location": "https://evil.test/steal"})
        )
        evil = router.route(host="evil.test").mock(
            return_value=httpx.Response(200, json={"success": True, "data": []})
        )
        with Client(base, api_key=API_KEY, max_retries=0) as client:
            call = (
                (lambda: client.get_store("abc"))
                if operation == "get"
                else (lambda: client.create_store(name="x", kind="redis"))
            )
            with pytest.raises(DurableStoresError) as caught:
                call()
        assert not evil.called, "the client followed a redirect to another host"
        assert API_KEY not in str(caught.value)
        assert str(status) in str(caught.value), "the error should say what the server answered"

        # Someone who hands in an httpx client that follows redirects: httpx drops the
        # Authorization header when the redirect leaves the origin.
        with (
            httpx.Client(follow_redirects=True) as http,
            Client(base, api_key=API_KEY, max_retries=0, http_client=http) as client,
            contextlib.suppress(DurableStoresError),
        ):
            client.list_stores()
        for call in evil.calls:
            assert "authorization" not in call.request.headers
            assert API_KEY not in str(call.request.headers.raw)


def test_sqlite_paths_stay_inside_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outside = tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (data / "link").symlink_to(outside, target_is_directory=True)
    fake = FakeServer(data_dir=data)
    refused = [
        "../escape.db",
        "sub/../../escape.db",
        str(outside / "absolute.db"),
        "/etc/passwd",
        "link/through-symlink.db",
        "nul\x00byte.db",
        ".",
        "",
        "   ",
    ]
    with fake.client(max_retries=0) as client:
        for number, path in enumerate(refused):
            with pytest.raises(BadRequestError) as caught:
                client.create_store(name=f"escape-{number}", kind="sqlite", config={"path": path})
            assert "path" in caught.value.message, caught.value.message
        assert fake.stores == [], "a refused store was created"
        inside = client.create_store(name="inside", kind="sqlite", config={"path": "a/b/ok.db"})
        client.execute_store(inside.id, sql="CREATE TABLE t (a)")
        assert (data / "a" / "b" / "ok.db").exists()
        default = client.create_store(name="default", kind="sqlite")
        client.execute_store(default.id, sql="CREATE TABLE t (a)")
        assert Path(default.config["path"]).resolve().is_relative_to(data.resolve())
        for sql in (
            f"ATTACH DATABASE '{outside / 'attached.db'}' AS other",
            f"VACUUM INTO '{outside / 'vacuumed.db'}'",
            "ATTACH DATABASE ':memory:' AS mem",
        ):
            with pytest.raises(BadRequestError):
                client.execute_store(inside.id, sql=sql)
        with pytest.raises(BadRequestError):
            client.query_store(inside.id, sql=f"SELECT load_extension('{outside / 'x'}')")
    assert list(outside.iterdir()) == [], "a file was written outside the data dir"
    for found in data.rglob("*"):
        assert found.resolve().is_relative_to(data.resolve()) or found.is_symlink()


def _non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, only used to pick a source
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else str(address)


def test_the_fake_binds_to_loopback_unless_told_otherwise() -> None:
    fake = FakeServer()
    with fake.serve() as url:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1"
        assert parts.port is not None
        with socket.create_connection(("127.0.0.1", parts.port), timeout=5):
            pass
        other = _non_loopback_address()
        if other is not None:
            with pytest.raises(OSError, match=r"(?i)refused|unreachable|timed out"):
                socket.create_connection((other, parts.port), timeout=2).close()


@pytest.mark.slow  # a Python process
def test_the_fake_server_command_binds_to_loopback_by_default(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert urlsplit(line).hostname == "127.0.0.1", line
        with httpx.Client(timeout=5) as http:
            assert http.get(f"{line}/health").json() == {"success": True, "data": "ok"}
    finally:
        stop(process)
    assert process.returncode == 0


def test_key_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The accept/reject decision is ``hmac.compare_digest``'s: invert it and the outcome flips."""
    real = hmac.compare_digest
    calls: list[tuple[Any, Any]] = []
    inverted = {"on": False}

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        result = real(a, b)
        return not result if inverted["on"] else result

    monkeypatch.setattr(hmac, "compare_digest", spy)
    monkeypatch.setattr(secrets, "compare_digest", spy)
    fake = FakeServer(api_key=API_KEY)
    with (
        fake.client(api_key=API_KEY, max_retries=0) as right,
        fake.client(api_key=WRONG_KEY, max_retries=0) as wrong,
    ):
        assert right.list_stores() == []
        with pytest.raises(AuthenticationError):
            wrong.list_stores()
        assert len(calls) >= 2, "the fake did not compare keys with compare_digest"
        inverted["on"] = True
        with pytest.raises(AuthenticationError):
            right.list_stores()
        assert wrong.list_stores() == []


def test_masking_a_value_nested_thousands_deep_neither_crashes_nor_leaks() -> None:
    """Reprs, the CLI and the fake's request log mask JSON one way: a value nested far deeper
    than the recursion limit is shown (the deep part elided), secrets masked."""
    deep: Any = {"password": SECRET_CONFIG["password"], "note": "bottom"}
    for _ in range(5000):
        deep = {"level": [deep], "api_token": SECRET_VALUES[0]}
    moment = datetime(2026, 2, 16, tzinfo=timezone.utc)
    store = Store("s-1", "deep", StoreKind.SQLITE, None, deep, moment, moment)
    text = repr(store)
    assert "..." in text  # elided
    for secret in SECRET_VALUES:
        assert secret not in text
    shallow = Store("s-2", "flat", StoreKind.SQLITE, None, {"a": [{"password": "x", "b": 1}]},
                    moment, moment)  # fmt: skip
    # Shallow values are shown in full.
    assert "config={'a': [{'password': '***', 'b': 1}]}" in repr(shallow)


@pytest.mark.parametrize("levels", [60, 450])
def test_deeply_nested_configs_are_refused_or_shown_without_leaking(levels: int) -> None:
    """A config nested like ``{"level": [ ... ]}`` ``levels`` times (two JSON levels each): the
    fake, like the server's JSON parser, refuses more than 128 levels with a 400 ``Invalid
    JSON``; below that it stores the config. Either way its store list and request log keep a
    repr, with the secret at the bottom masked."""
    secret = json.dumps({"password": SECRET_CONFIG["password"]})
    deep = '{"level":[' * levels + secret + "]}" * levels
    body = '{"name":"deep","kind":"redis","config":{"outer":' + deep + "}}"
    fake = FakeServer()
    with httpx.Client(transport=fake.transport(), base_url="http://fake.test") as http:
        answer = http.post("/stores", content=body.encode())
    if 2 * levels + 3 > 128:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"].startswith("Invalid JSON"), answer.text
        assert fake.stores == []
    else:
        assert answer.status_code == 201, answer.text
    for text in (repr(fake.stores), repr(fake.requests)):
        assert SECRET_CONFIG["password"] not in text


UNSENDABLE_KEYS = [
    "sk-HARDENING\r\nX-Evil: injected",
    "sk\x00HARDENING-after-nul",
    "sk-HARDENING-caf\u00e9",
    "sk-HARDENING\x7fdel",
    "sk-HARDENING\x1bescape",
]


@pytest.mark.parametrize(
    ("source", "key"),
    [("argument", key) for key in UNSENDABLE_KEYS]
    # An environment variable cannot hold a NUL byte.
    + [("environment", key) for key in UNSENDABLE_KEYS if "\x00" not in key],
)
def test_an_api_key_that_cannot_be_a_header_is_refused_up_front_without_echoing_it(
    key: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key with a control or non-ASCII character (a key file with a stray byte) cannot go in
    an ``Authorization`` header. Refused when the client is made, with a ``ValueError`` that
    says why and never shows the key; otherwise httpx/h11 would refuse it at send time with an
    error quoting the whole header, key included."""
    monkeypatch.delenv("DURABLE_STORES_API_KEY", raising=False)
    monkeypatch.delenv("AGENTKERNEL_API_KEY", raising=False)
    if source == "environment":
        monkeypatch.setenv("DURABLE_STORES_API_KEY", key)
    arguments: dict[str, Any] = {"api_key": key} if source == "argument" else {}
    for client_class in (Client, AsyncClient):
        with pytest.raises(ValueError, match=r"api_key|API key") as caught:
            client_class("http://127.0.0.1:1", **arguments)
        text = str(caught.value) + repr(caught.value)
        text += "".join(traceback.format_exception(caught.value))
        assert "HARDENING" not in text, text


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Api-Key": "secret-HARDENING\r\nX-Evil: 1"},
        {"X-Trace": "v\x00secret-HARDENING"},
        {"X-Api-Key": "secret-HARDENING-caf\u00e9"},
        {"Bad Name": "v"},
        {"X-Evil\r\nInjected": "v"},
        {"": "v"},
    ],
    ids=["crlf-value", "nul-value", "non-ascii-value", "space-in-name", "crlf-name", "empty-name"],
)
def test_extra_headers_that_cannot_be_sent_are_refused_up_front(headers: dict[str, str]) -> None:
    """Extra headers are checked when given (to the client or ``with_options``): a ValueError
    naming the problem, never the value (extra headers often carry credentials)."""
    with pytest.raises(ValueError, match="header") as caught:
        Client("http://127.0.0.1:1", headers=headers)
    assert "HARDENING" not in str(caught.value) + repr(caught.value)
    with Client("http://127.0.0.1:1") as client, pytest.raises(ValueError, match="header") as late:
        client.with_options(headers=headers)
    assert "HARDENING" not in str(late.value) + repr(late.value)


def test_an_unsendable_header_never_leaks_through_a_connection_error() -> None:
    """Defence in depth: should httpx refuse a header at send time (an ``http_client`` brought
    with its own headers), the ``APIConnectionError`` text, its cause and its printed traceback
    keep the header value out."""
    fake = FakeServer()
    with (
        fake.serve() as url,
        httpx.Client(headers={"X-Api-Key": WRONG_KEY + "\r\nX: y"}) as http,
        Client(url, http_client=http, max_retries=0) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.list_stores()
    error = caught.value
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    texts += [str(error.__cause__), repr(error.__cause__)]
    for text in texts:
        assert WRONG_KEY not in text, text[:400]
    assert "header" in str(error)
