"""Configuration, environment precedence, warnings, reprs, pool ownership, and imports."""

from __future__ import annotations

import inspect
import math
import types
import uuid
import warnings
from typing import Any

import httpx
import pytest
import respx
from assertions import exactly
from client_support import BASE_URL, Either, ok
from process_support import modules_after

import durable_stores_client
from durable_stores_client import AsyncClient, Client, ClientClosedError, RetryPolicy


@pytest.mark.parametrize(
    ("argument", "env", "expected"),
    [
        (None, {}, "http://localhost:18888"),
        (None, {"AGENTKERNEL_BASE_URL": "http://ak.localhost:1"}, "http://ak.localhost:1"),
        (
            None,
            {
                "AGENTKERNEL_BASE_URL": "http://ak.localhost:1",
                "DURABLE_STORES_BASE_URL": "http://ds.localhost:2/",
            },
            "http://ds.localhost:2",
        ),
        (
            "http://arg.localhost:3",
            {"DURABLE_STORES_BASE_URL": "http://ds.localhost:2"},
            "http://arg.localhost:3",
        ),
        (
            None,
            {"DURABLE_STORES_BASE_URL": "  ", "AGENTKERNEL_BASE_URL": "http://ak.localhost:1"},
            "http://ak.localhost:1",
        ),
    ],
)
def test_base_url_precedence(
    monkeypatch: pytest.MonkeyPatch,
    client_class: type[Client] | type[AsyncClient],
    argument: str | None,
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = client_class(argument)
    assert client.base_url == expected
    assert repr(client) == f"{client_class.__name__}(base_url={expected!r})"


@pytest.mark.parametrize(
    ("argument", "env", "expected"),
    [
        (None, {}, None),
        (None, {"AGENTKERNEL_API_KEY": "ak-key-0001"}, "ak-key-0001"),
        (
            None,
            {"AGENTKERNEL_API_KEY": "ak-key-0001", "DURABLE_STORES_API_KEY": "ds-key-0002"},
            "ds-key-0002",
        ),
        ("arg-key-0003", {"DURABLE_STORES_API_KEY": "ds-key-0002"}, "arg-key-0003"),
        (None, {"DURABLE_STORES_API_KEY": "", "AGENTKERNEL_API_KEY": "ak-key-0001"}, "ak-key-0001"),
    ],
)
async def test_api_key_precedence(
    monkeypatch: pytest.MonkeyPatch,
    make_api: Any,
    router: respx.MockRouter,
    argument: str | None,
    env: dict[str, str],
    expected: str | None,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    api = make_api(api_key=argument)
    route = router.get("/stores").respond(200, json=ok([]))
    await api.list_stores()
    headers = route.calls.last.request.headers
    if expected is None:
        assert "authorization" not in headers
    else:
        assert headers["authorization"] == f"Bearer {expected}"
    assert (expected or "no key at all") not in repr(api.client)


async def test_env_base_url_is_used_for_requests(
    monkeypatch: pytest.MonkeyPatch, client_class: type[Client] | type[AsyncClient]
) -> None:
    monkeypatch.setenv("DURABLE_STORES_BASE_URL", "http://env.localhost:9999")
    with respx.mock(base_url="http://env.localhost:9999") as mock:
        route = mock.get("/stores").respond(200, json=ok([]))
        api = Either(client_class())
        await api.list_stores()
        await api.close()
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (math.inf, httpx.Timeout(None)),
        (httpx.Timeout(5.0, read=math.inf), httpx.Timeout(5.0, read=None)),
        (1_000_000, httpx.Timeout(1_000_000.0)),
    ],
)
async def test_infinity_means_no_limit_and_calls_work(
    make_api: Any, router: respx.MockRouter, timeout: Any, expected: httpx.Timeout
) -> None:
    # timeout=inf used to be accepted, and then every sync call raised OverflowError.
    api = make_api(timeout=timeout)
    assert api.client.timeout == expected
    router.get("/stores").respond(200, json=ok([]))
    assert await api.list_stores() == []
    derived = api.client.with_options(timeout=math.inf)
    assert derived.timeout == httpx.Timeout(None)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"base_url": "ftp://files.example"}, ValueError, "http:// or https://"),
        ({"base_url": "localhost:18888"}, ValueError, "http:// or https://"),
        ({"base_url": "http://"}, ValueError, "with a host"),
        ({"base_url": "http://h.localhost/?x=1"}, ValueError, "query string"),
        ({"base_url": 18888}, TypeError, "base_url must be a string"),
        ({"api_key": ""}, ValueError, "api_key must not be empty"),
        ({"api_key": 123}, TypeError, "api_key must be a string"),
        ({"timeout": 0}, ValueError, "positive"),
        ({"timeout": -1.0}, ValueError, "positive"),
        ({"timeout": "30"}, TypeError, "timeout must be"),
        ({"timeout": True}, TypeError, "timeout must be"),
        ({"timeout": float("nan")}, ValueError, "positive"),
        ({"timeout": -math.inf}, ValueError, "positive"),
        ({"timeout": 1e10}, ValueError, r"over the longest supported, 1,000,000 s; for no limit"),
        ({"timeout": httpx.Timeout(5.0, read=1e7)}, ValueError, "timeout's read of 1e"),
        ({"timeout": httpx.Timeout(0)}, ValueError, "timeout's connect must be a positive"),
        ({"max_retries": -1}, ValueError, "0 or more"),
        ({"max_retries": 2.0}, TypeError, "must be an int"),
        ({"max_retries": False}, TypeError, "must be an int"),
        ({"headers": [("a", "b")]}, TypeError, "mapping"),
        ({"headers": {"X-N": 1}}, TypeError, "str values"),
        ({"retry_policy": {"initial": 1}}, TypeError, "RetryPolicy"),
        ({"http_client": "client"}, TypeError, "http_client must be"),
    ],
)
def test_bad_options_raise_clear_errors(
    client_class: type[Client] | type[AsyncClient],
    options: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        client_class(**options)


def test_http_client_and_transport_together_is_a_type_error() -> None:
    with httpx.Client() as http, pytest.raises(TypeError) as caught:
        Client(http_client=http, transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    assert str(caught.value) == (
        "pass either http_client= or transport=, not both "
        "(give the transport to your httpx client instead)"
    )


async def test_sync_and_async_pieces_do_not_mix() -> None:
    async with httpx.AsyncClient() as async_http:
        with pytest.raises(
            TypeError, match=exactly("http_client must be an httpx.Client, got AsyncClient")
        ):
            Client(http_client=async_http)  # type: ignore[arg-type]
    with (
        httpx.Client() as sync_http,
        pytest.raises(
            TypeError, match=exactly("http_client must be an httpx.AsyncClient, got Client")
        ),
    ):
        AsyncClient(http_client=sync_http)  # type: ignore[arg-type]
    sync_transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with pytest.raises(
        TypeError,
        match=exactly(
            "transport must be an httpx.AsyncBaseTransport for AsyncClient (use "
            "Client with an httpx.BaseTransport)"
        ),
    ):
        AsyncClient(transport=httpx.HTTPTransport())  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=exactly(
            "transport must be an httpx.BaseTransport for Client (use AsyncClient "
            "with an httpx.AsyncBaseTransport)"
        ),
    ):
        Client(transport=httpx.AsyncHTTPTransport())  # type: ignore[arg-type]
    # MockTransport is both, so it fits either client.
    Client(transport=sync_transport).close()


@pytest.mark.parametrize(
    "base_url",
    ["http://stores.example.com", "http://10.0.0.5:18888", "http://[2001:db8::1]:80"],
)
def test_api_key_over_plain_http_to_a_remote_host_warns(
    client_class: type[Client] | type[AsyncClient], base_url: str
) -> None:
    with pytest.warns(UserWarning, match="unencrypted over plain http") as record:
        client_class(base_url, api_key="sk-secret-000111")
    assert record[0].filename == __file__
    assert "sk-secret-000111" not in str(record[0].message)


@pytest.mark.parametrize(
    ("base_url", "api_key"),
    [
        ("https://stores.example.com", "sk-secret-000111"),
        ("http://localhost:18888", "sk-secret-000111"),
        ("http://127.0.0.1:18888", "sk-secret-000111"),
        ("http://127.8.9.10", "sk-secret-000111"),
        ("http://[::1]:18888", "sk-secret-000111"),
        ("http://stores.localhost", "sk-secret-000111"),
        ("http://stores.example.com", None),
    ],
)
def test_no_warning_for_tls_loopback_or_no_key(
    client_class: type[Client] | type[AsyncClient], base_url: str, api_key: str | None
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client_class(base_url, api_key=api_key)


def test_repr_shows_the_base_url_only(client_class: type[Client] | type[AsyncClient]) -> None:
    client = client_class(
        "https://stores.example.com/api",
        api_key="sk-live-abcdef123456",
        headers={"X-Secret-Token": "hdr-secret-999"},
    )
    text = repr(client)
    assert text == f"{client_class.__name__}(base_url='https://stores.example.com/api')"
    for secret in ("sk-live-abcdef123456", "hdr-secret-999"):
        assert secret not in str(client)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:pa55word@stores.example.com/api",
        "https://:pa55word@stores.example.com",
        "https://pa55word@stores.example.com",
        "ftp://user:pa55word@files.example",
    ],
)
@pytest.mark.parametrize("api_key", ["sk-live-abcdef123456", None])
@pytest.mark.parametrize("source", ["argument", "DURABLE_STORES_BASE_URL", "AGENTKERNEL_BASE_URL"])
def test_credentials_in_the_base_url_are_refused(
    monkeypatch: pytest.MonkeyPatch,
    client_class: type[Client] | type[AsyncClient],
    base_url: str,
    api_key: str | None,
    source: str,
) -> None:
    # httpx would turn them into Basic auth, replacing the Bearer header: the
    # API key would silently not be sent, and the contract only knows Bearer.
    if source != "argument":
        monkeypatch.setenv(source, base_url)
    with pytest.raises(ValueError, match="must not contain credentials") as caught:
        client_class(base_url if source == "argument" else None, api_key=api_key)
    text = str(caught.value)
    assert "api_key=" in text
    assert "DURABLE_STORES_API_KEY" in text
    if source != "argument":
        assert source in text
    for secret in ("pa55word", "sk-live-abcdef123456"):
        assert secret not in text


@pytest.mark.parametrize(
    "base_url",
    ["user:pa55word@stores.example.com", "https:/u:pa55word@h", "https://u:pa55word@h:port"],
)
def test_a_malformed_base_url_with_an_at_sign_is_not_echoed_whole(
    client_class: type[Client] | type[AsyncClient], base_url: str
) -> None:
    with pytest.raises(ValueError, match=r"http:// or https://|not a valid URL") as caught:
        client_class(base_url)
    assert "pa55word" not in str(caught.value)


class _ClosingTransport(httpx.MockTransport):
    def __init__(self) -> None:
        super().__init__(lambda request: httpx.Response(200, json=ok([])))
        self.closed = 0

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def test_sync_client_context_manager_closes_its_own_pool() -> None:
    transport = _ClosingTransport()
    with Client(transport=transport) as client:
        assert client.list_stores() == []
        assert transport.closed == 0
    assert transport.closed == 1
    client.close()  # idempotent
    with pytest.raises(ClientClosedError):
        client.list_stores()


async def test_async_client_context_manager_closes_its_own_pool() -> None:
    transport = _ClosingTransport()
    async with AsyncClient(transport=transport) as client:
        assert await client.list_stores() == []
        assert transport.closed == 0
    assert transport.closed == 1
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.list_stores()


def _mock_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ok([]))

    return httpx.MockTransport(handler)


def test_a_brought_http_client_is_used_and_never_closed() -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(transport=_mock_transport(seen), headers={"X-From-Http-Client": "yes"})
    with Client(BASE_URL, http_client=http) as client:
        assert client.list_stores() == []
    assert not http.is_closed
    assert seen[0].headers["x-from-http-client"] == "yes"
    assert seen[0].url == f"{BASE_URL}/stores"
    http.close()


async def test_a_brought_async_http_client_is_used_and_never_closed() -> None:
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=_mock_transport(seen))
    async with AsyncClient(BASE_URL, http_client=http) as client:
        assert await client.list_stores() == []
    assert not http.is_closed
    assert len(seen) == 1
    await http.aclose()


async def test_with_options_shares_the_pool_and_leaves_the_parent_alone(
    make_api: Any, router: respx.MockRouter
) -> None:
    api = make_api(headers={"X-A": "1"}, max_retries=3)
    parent = api.client
    derived = parent.with_options(timeout=99.0, headers={"X-B": "2"}, max_retries=0)
    assert type(derived) is type(parent)
    assert derived.timeout == httpx.Timeout(99.0)
    assert derived.max_retries == 0
    assert parent.timeout == httpx.Timeout(30.0, connect=5.0)
    assert parent.max_retries == 3
    assert repr(derived) == repr(parent)

    route = router.get("/stores").respond(200, json=ok([]))
    derived_api = Either(derived)
    await derived_api.list_stores()
    request = route.calls.last.request
    assert request.headers["x-a"] == "1"
    assert request.headers["x-b"] == "2"
    assert request.extensions["timeout"]["read"] == 99.0
    await api.list_stores()
    assert "x-b" not in route.calls.last.request.headers

    # Closing the derived client leaves the shared pool open for the parent.
    await derived_api.close()
    await api.list_stores()
    assert route.call_count == 3
    # Closing the parent stops the derived client too: it shares the parent's pool.
    await api.close()
    with pytest.raises(ClientClosedError):
        await derived_api.list_stores()


async def test_with_options_validates_like_the_constructor(api: Either) -> None:
    with pytest.raises(ValueError, match=exactly("max_retries must be 0 or more, got -2")):
        api.client.with_options(max_retries=-2)
    with pytest.raises(
        TypeError,
        match=exactly(
            "timeout must be a number of seconds, an httpx.Timeout or None (no timeout); got str"
        ),
    ):
        api.client.with_options(timeout="slow")
    with pytest.raises(
        TypeError, match=exactly("retry_policy must be a durable_stores_client.RetryPolicy")
    ):
        api.client.with_options(retry_policy=object())


async def test_with_options_keeps_the_api_key(
    client_class: type[Client] | type[AsyncClient], router: respx.MockRouter
) -> None:
    api = Either(client_class(BASE_URL, api_key="sk-kept-0001"))
    derived = Either(api.client.with_options(headers={"X-C": "3"}))
    route = router.get("/stores").respond(200, json=ok([]))
    await derived.list_stores()
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-kept-0001"
    await api.close()


def test_retry_policy_is_frozen() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.initial = 1.0  # type: ignore[misc]


def test_public_api_is_complete() -> None:
    names = set(durable_stores_client.__all__)
    for name in names:
        assert hasattr(durable_stores_client, name), name
    expected = {
        "Client",
        "AsyncClient",
        "Store",
        "StoreKind",
        "QueryResult",
        "ExecuteResult",
        "CommandResult",
        "RetryPolicy",
        "DurableStoresError",
        "APIError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "PayloadTooLargeError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "APIConnectionError",
        "APITimeoutError",
        "ProtocolError",
        "RowCountError",
        "__version__",
    }
    assert expected <= names
    public = {
        name
        for name, value in vars(durable_stores_client).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - names == set()


@pytest.mark.slow  # a Python process
def test_importing_the_package_stays_light() -> None:
    modules = modules_after("import durable_stores_client")
    forbidden = [
        name
        for name in modules
        # httpcore (and trio, which httpcore imports when installed) load when a client
        # makes its pool, as in httpx itself: about 90 ms of import time otherwise.
        if name.split(".")[0]
        in {"sqlite3", "fakeredis", "cattrs", "asyncio", "respx", "httpcore", "trio"}
        or name.split(".")[:2]
        in (
            ["durable_stores_client", "fake"],
            ["durable_stores_client", "contract"],
            ["durable_stores_client", "_cli"],
            ["durable_stores_client", "pytest_plugin"],
        )
    ]
    assert forbidden == []


def test_the_sync_and_async_loops_mirror_each_other_line_by_line() -> None:
    sync_lines = inspect.getsource(Client._send).splitlines()
    async_lines = [
        line.replace("async def", "def")
        .replace("await ", "")
        .replace("retry_policy.async_sleep", "retry_policy.sleep")
        .replace(".aread()", ".read()")
        .replace(".aclose()", ".close()")
        for line in inspect.getsource(AsyncClient._send).splitlines()
    ]
    assert async_lines == sync_lines


def test_idempotency_keys_are_random_uuid4_strings(router: respx.MockRouter) -> None:
    route = router.post("/stores/s1/execute").respond(200, json=ok({"rows_affected": 1}))
    with Client(base_url=BASE_URL) as client:
        for _ in range(200):
            client.execute_store("s1", "INSERT INTO t VALUES (1)")
    keys = {call.request.headers["idempotency-key"] for call in route.calls}
    assert len(keys) == 200
    for key in keys:
        parsed = uuid.UUID(key)
        assert str(parsed) == key
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
