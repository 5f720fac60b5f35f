"""Mistakes a newcomer makes on the command line: one clear line on stderr, never a traceback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from cli_support import durable_stores

from durable_stores_client.fake import FakeServer


def _one_clean_error(run: Any, code: int) -> list[str]:
    assert run.code == code, (run.out, run.err)
    assert run.out == ""
    assert "Traceback" not in run.err
    return run.err.splitlines()


def test_blank_store_name_is_a_usage_error(cli: Any) -> None:
    run = cli("stores", "create", "   ", "--kind", "sqlite")
    lines = _one_clean_error(run, 2)
    assert lines == ["durable-stores stores create: error: store name must not be blank"]


def test_blank_sql_is_a_usage_error(cli: Any) -> None:
    assert cli("stores", "create", "memory", "--kind", "sqlite").code == 0
    lines = _one_clean_error(cli("query", "memory", " "), 2)
    assert lines == ["durable-stores query: error: sql must not be blank"]


def test_empty_store_argument_is_a_usage_error(cli: Any) -> None:
    lines = _one_clean_error(cli("stores", "get", ""), 2)
    assert len(lines) == 1
    assert lines[0].startswith("durable-stores stores get: error: store_id must be")


def test_missing_sql_does_not_call_the_optional_params_required(cli: Any) -> None:
    run = cli("query", "memory")
    assert run.code == 2
    assert run.err.splitlines()[-1].endswith("the following arguments are required: SQL")


def test_a_dash_argument_to_command_gets_a_hint(cli: Any) -> None:
    lines = _one_clean_error(cli("command", "cache", "SET", "key", "-x"), 2)
    assert lines[0] == "durable-stores command: error: unrecognized arguments: -x"
    assert "put -- before Redis arguments that start with a dash" in lines[1]


def test_unknown_option_names_the_subcommand(cli: Any) -> None:
    lines = _one_clean_error(cli("stores", "list", "--colour"), 2)
    assert lines == ["durable-stores stores list: error: unrecognized arguments: --colour"]


def test_an_empty_hash_says_so(cli: Any) -> None:
    pytest.importorskip("fakeredis")
    assert cli("stores", "create", "cache", "--kind", "redis").code == 0
    run = cli("command", "cache", "HGETALL", "nothing", "-o", "table")
    assert run.code == 0
    assert run.out == "(empty hash)\n"


@pytest.mark.slow  # real retry backoff
def test_connection_refused_is_one_error_and_a_hint(cli: Any) -> None:
    run = cli("stores", "list", base_url="http://127.0.0.1:9")
    lines = _one_clean_error(run, 1)
    assert lines[0].startswith(
        "durable-stores stores list: error: GET http://127.0.0.1:9/stores got no answer"
    )
    assert "Connection refused" in lines[0] or "ConnectError" in lines[0]
    assert lines[1:] == [
        "  (is a Durable Stores server running at http://127.0.0.1:9? "
        "Set --base-url or DURABLE_STORES_BASE_URL.)"
    ]


@pytest.mark.slow  # real retry backoff
def test_a_store_lookup_failure_names_the_users_command(cli: Any) -> None:
    # execute NAME lists stores to find the id: the error is the user's execute, not a
    # list_stores they never ran.
    lines = _one_clean_error(cli("execute", "notes", "SELECT 1", base_url="http://127.0.0.1:9"), 1)
    assert lines[0].startswith(
        "durable-stores execute: error: GET http://127.0.0.1:9/stores got no answer"
    )
    assert not any("list_stores" in line for line in lines)


@pytest.mark.slow  # real retry backoff
def test_nothing_on_the_default_port_suggests_the_fake_server(cli: Any) -> None:
    # No base URL anywhere: the client goes to the default, where nothing answers (respx
    # refuses the connection, so whatever listens on the real port does not matter).
    with respx.mock(base_url="http://localhost:18888") as router:
        router.get("/stores").mock(side_effect=httpx.ConnectError("Connection refused"))
        lines = _one_clean_error(cli("stores", "list", base_url=None), 1)
    assert lines == [
        "durable-stores stores list: error: GET http://localhost:18888/stores got no answer "
        "after 3 attempts (ConnectError: Connection refused)",
        "  (is a Durable Stores server running at http://localhost:18888? Start the bundled "
        "fake there with `durable-stores fake-server`, or set --base-url or "
        "DURABLE_STORES_BASE_URL.)",
    ]


def test_a_base_url_with_a_path_prefix_shows_the_full_url(url: str, cli: Any) -> None:
    lines = _one_clean_error(cli("stores", "list", base_url=f"{url}/api"), 1)
    assert lines == [
        f"durable-stores stores list: error: GET {url}/api/stores -> HTTP 404: Not found",
        f"  (no such route on this server: is {url}/api the right base URL?)",
    ]


def test_an_html_answer_asks_whether_the_base_url_is_right(cli: Any) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>"
    )
    with respx.mock(base_url="http://web.test") as router:
        router.get("/stores").respond(404, text=page, headers={"content-type": "text/html"})
        lines = _one_clean_error(cli("stores", "list", base_url="http://web.test"), 1)
    assert lines == [
        "durable-stores stores list: error: GET http://web.test/stores -> HTTP 404 "
        "(content-type text/html): the body is not JSON",
        "  (the answer is an HTML page, 'Welcome to nginx!': "
        "is http://web.test the right base URL?)",
    ]


def test_a_missing_store_gets_no_base_url_hint(url: str, cli: Any) -> None:
    lines = _one_clean_error(cli("stores", "get", "no-such-store"), 1)
    assert lines == [
        f"durable-stores stores get: error: GET {url}/stores/no-such-store -> HTTP 404: "
        "Store not found"
    ]


def test_the_plain_http_key_warning_is_one_line(cli: Any) -> None:
    with respx.mock(base_url="http://agents.example") as router:
        router.get("/stores").respond(200, json={"success": True, "data": []})
        run = cli(
            "--api-key",
            "sk-live-1",
            "stores",
            "list",
            "-o",
            "json",
            base_url="http://agents.example",
        )
    assert (run.code, run.out) == (0, "[]\n")
    assert run.err.splitlines() == [
        "durable-stores: warning: the API key will be sent unencrypted over plain http to "
        "agents.example; use an https:// base_url"
    ]


def test_a_refused_api_key_says_how_to_pass_one(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeServer(api_key="right-key").serve() as url:
        capsys.readouterr()
        code = durable_stores(["--base-url", url, "--api-key", "wrong-key", "stores", "list"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"durable-stores stores list: error: GET {url}/stores -> HTTP 401: Invalid bearer token",
        "  (pass the server's API key with --api-key or DURABLE_STORES_API_KEY)",
    ]
    assert "wrong-key" not in err


def test_no_command_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert durable_stores([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: durable-stores")
    for command in ("stores", "query", "execute", "command", "demo", "fake-server", "contract"):
        assert f"\n    {command} " in err


@pytest.mark.parametrize(
    ("environ", "flag", "server"),
    [
        ({}, None, "http://localhost:18888"),
        (
            {"AGENTKERNEL_BASE_URL": "http://second:1", "DURABLE_STORES_BASE_URL": ""},
            None,
            "http://second:1",
        ),  # an empty variable counts as unset
        (
            {
                "AGENTKERNEL_BASE_URL": "http://second:1",
                "DURABLE_STORES_BASE_URL": "http://first:1",
            },
            None,
            "http://first:1",
        ),
        ({"DURABLE_STORES_BASE_URL": "http://first:1"}, "http://flag:1", "http://flag:1"),
    ],
)
def test_the_hint_names_the_server_the_client_would_use(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    flag: str | None,
    server: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with respx.mock(base_url=server) as router:
        router.get("/stores").respond(404, json={"success": False, "error": "Not found"})
        lines = _one_clean_error(cli("stores", "list", base_url=flag), 1)
    assert lines == [
        f"durable-stores stores list: error: GET {server}/stores -> HTTP 404: Not found",
        f"  (no such route on this server: is {server} the right base URL?)",
    ]
