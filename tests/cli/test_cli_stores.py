"""``durable-stores stores list | create | get | delete`` against the fake over HTTP."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import respx
from cli_support import durable_stores

from durable_stores_client.fake import FakeServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "durable-stores"
PAYLOADS = sorted(EXAMPLES.glob("*-store.json"))


def test_list_is_empty_then_shows_created_stores_newest_first(cli: Any) -> None:
    assert cli("stores", "list", "-o", "json").json() == []
    assert cli("stores", "create", "first", "--kind", "sqlite").code == 0
    assert cli("stores", "create", "second", "--kind", "redis").code == 0
    listed = cli("stores", "list", "-o", "json").json()
    assert [store["name"] for store in listed] == ["second", "first"]


def test_list_table_and_jsonl(cli: Any) -> None:
    assert "(no stores)" in cli("stores", "list", "-o", "table").out
    cli("stores", "create", "alpha", "--kind", "sqlite", "--sandbox", "runner")
    cli("stores", "create", "beta", "--kind", "redis")
    table = cli("stores", "list", "-o", "table").out
    header, rule, *rows, footer = table.splitlines()
    assert header.split() == ["ID", "NAME", "KIND", "SANDBOX", "CREATED"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert rows[0].split()[1:4] == ["beta", "redis", "-"]
    assert rows[1].split()[1:4] == ["alpha", "sqlite", "runner"]
    assert footer == "(2 stores)"
    lines = cli("stores", "list", "-o", "jsonl").jsonl()
    assert [line["name"] for line in lines] == ["beta", "alpha"]


def test_output_defaults_to_json_when_piped_and_table_on_a_terminal(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("stores", "create", "s1", "--kind", "sqlite")
    assert cli("stores", "list").json()[0]["name"] == "s1"  # captured stdout is no terminal
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr(
        "shutil.get_terminal_size", lambda: __import__("os").terminal_size((80, 50))
    )
    out = cli("stores", "list").out
    assert out.startswith("ID ")
    assert "(1 store)" in out


def test_create_prints_the_record_exactly(cli: Any, fake: FakeServer) -> None:
    run = cli(
        "stores",
        "create",
        "agent-state",
        "--kind",
        "postgres",
        "--sandbox",
        "build-runner",
        "--config",
        '{"host": "127.0.0.1", "port": 5432, "password_secret": "pg-pass"}',
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    record = run.json()
    assert record["name"] == "agent-state"
    assert record["kind"] == "postgres"
    assert record["sandbox"] == "build-runner"
    assert record["config"] == {"host": "127.0.0.1", "port": 5432, "password_secret": "pg-pass"}
    assert [store.to_dict() for store in fake.stores] == [record]


def test_table_masks_credentials_but_json_keeps_the_data(cli: Any) -> None:
    cli(
        "stores",
        "create",
        "cache",
        "--kind",
        "redis",
        "--config",
        '{"host": "127.0.0.1", "password": "hunter2", "password_secret": "cache-pass"}',
    )
    table = cli("stores", "get", "cache", "-o", "table").out
    assert "hunter2" not in table
    assert "cache-pass" not in table
    assert '"password": "***"' in table
    assert '"host": "127.0.0.1"' in table
    assert cli("stores", "get", "cache", "-o", "json").json()["config"]["password"] == "hunter2"


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_create_from_each_example_payload(cli: Any, path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    run = cli("stores", "create", "--from-file", str(path), "-o", "json")
    assert run.code == 0, run.err
    record = run.json()
    assert record["name"] == payload["name"]
    assert record["kind"] == payload["kind"]
    assert "sandbox" not in record  # a sandbox only when it exists on the server
    for key, value in payload["config"].items():
        assert record["config"][key] == value


def test_example_payloads_cover_every_kind_and_hold_no_literal_password() -> None:
    kinds = set()
    for path in PAYLOADS:
        payload = json.loads(path.read_text(encoding="utf-8"))
        kinds.add(payload["kind"])
        assert path.name == f"{payload['kind']}-store.json"
        assert "password" not in payload["config"]
        # The keys the server reads (CONTRACT.md): dbname, never database/sslmode/tls;
        # no sandbox, which the daemon refuses unless it exists.
        assert not {"database", "sslmode", "tls"} & set(payload["config"]), path.name
        assert "sandbox" not in payload, path.name
        if payload["kind"] != "sqlite":
            assert payload["config"]["password_secret"]
    assert kinds == {"sqlite", "postgres", "mysql", "redis"}


def test_example_payloads_work_with_the_python_client() -> None:
    client = FakeServer().client()
    for path in PAYLOADS:
        payload = json.loads(path.read_text(encoding="utf-8"))
        store = client.create_store(payload)
        assert (store.name, store.kind.value) == (payload["name"], payload["kind"])
        assert client.get_store(store.id).to_dict() == store.to_dict()


@pytest.mark.parametrize("path", PAYLOADS, ids=[path.stem for path in PAYLOADS])
def test_example_prints_the_shipped_payload_of_its_kind(cli: Any, path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    run = cli("stores", "create", "--example", payload["kind"], "--dry-run", base_url=None)
    assert run.code == 0, run.err
    assert run.json() == payload  # the same file, not a copy that could drift
    assert run.err == ""


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_examples_cover_every_kind() -> None:
    kinds = {_load(path)["kind"] for path in PAYLOADS}
    assert kinds == {"sqlite", "postgres", "mysql", "redis"}


def test_example_creates_a_store_with_flags_over_it(cli: Any, fake: FakeServer) -> None:
    (example,) = [payload for payload in map(_load, PAYLOADS) if payload["kind"] == "sqlite"]
    flags = ["stores", "create", "--example", "sqlite", "notes", "-o", "json", "--config"]
    run = cli(*flags, '{"path": "n.db"}')
    assert run.code == 0, run.err
    assert {key: run.json().get(key) for key in ("name", "kind", "sandbox", "config")} == {
        "name": "notes",
        "kind": "sqlite",
        "sandbox": example.get("sandbox"),  # the example's, not overridden
        "config": {**example["config"], "path": "n.db"},
    }
    assert [store.name for store in fake.stores] == ["notes"]


def test_dry_run_sends_nothing(cli: Any, fake: FakeServer) -> None:
    run = cli("stores", "create", "scratch", "--kind", "redis", "--dry-run", "-o", "jsonl")
    assert run.code == 0, run.err
    assert run.out == '{"name": "scratch", "kind": "redis"}\n'
    assert fake.requests == []


def test_example_and_from_file_do_not_mix(cli: Any) -> None:
    run = cli("stores", "create", "--example", "sqlite", "--from-file", "x.json")
    assert run.code == 2
    assert "not allowed with argument" in run.err


def test_from_file_fields_are_overridden_by_flags(cli: Any, tmp_path: Path) -> None:
    source = EXAMPLES / "sqlite-store.json"
    run = cli(
        "stores",
        "create",
        "--from-file",
        str(source),
        "renamed",
        "--sandbox",
        "other",
        "--config",
        '{"path": "renamed.db", "extra": 1}',
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    record = run.json()
    assert record["name"] == "renamed"
    assert record["sandbox"] == "other"
    assert record["config"]["path"] == "renamed.db"
    assert record["config"]["extra"] == 1


def test_a_non_object_config_is_sent_as_given(cli: Any, fake: FakeServer) -> None:
    # The server keeps any JSON value as a non-sqlite store's config (CONTRACT.md).
    source = EXAMPLES / "redis-store.json"
    args = ("stores", "create", "--from-file", str(source), "c", "--config", '["a", 1]')
    run = cli(*args, "-o", "json")
    assert run.code == 0, run.err
    assert run.json()["config"] == ["a", 1]
    assert [store.config for store in fake.stores] == [["a", 1]]


def test_from_file_reads_stdin(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "piped", "kind": "redis"}'))
    run = cli("stores", "create", "--from-file", "-", "-o", "json")
    assert run.code == 0, run.err
    assert run.json()["name"] == "piped"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read --from-file"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"kind": "sqlite"}', "missing name"),
    ],
)
def test_bad_from_file_is_a_usage_error(
    cli: Any, fake: FakeServer, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "payload.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    run = cli("stores", "create", "--from-file", str(path))
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert run.out == ""
    assert fake.stores == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["only-a-name"], "missing kind"),
        (["--kind", "sqlite"], "missing name"),
        (["x", "--kind", "sqlite", "--config", "{oops"], "--config is not valid JSON"),
        (["x", "--kind", "mongo"], "invalid choice: 'mongo'"),
    ],
)
def test_create_usage_errors_exit_2(
    cli: Any, fake: FakeServer, args: list[str], message: str
) -> None:
    run = cli("stores", "create", *args)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert fake.stores == []


def test_duplicate_name_is_an_api_error(cli: Any) -> None:
    assert cli("stores", "create", "twice", "--kind", "sqlite").code == 0
    run = cli("stores", "create", "twice", "--kind", "sqlite")
    assert run.code == 1
    assert "Store name already exists" in run.err
    assert "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_get_by_name_and_by_id(cli: Any) -> None:
    created = cli("stores", "create", "memory", "--kind", "sqlite", "-o", "json").json()
    by_name = cli("stores", "get", "memory", "-o", "json").json()
    by_id = cli("stores", "get", created["id"], "-o", "json").json()
    assert by_name == by_id == created
    table = cli("stores", "get", "memory", "-o", "table").out
    assert f"id          {created['id']}" in table
    assert "sandbox" not in table  # omitted, as in the record


def test_get_unknown_store_exits_1(cli: Any) -> None:
    for store in ["nope", "019abc12-1234-7def-89ab-0123456789ab"]:
        run = cli("stores", "get", store)
        assert run.code == 1
        assert "Store not found" in run.err
        assert "Traceback" not in run.err


def test_delete_by_name_and_missing_ok(cli: Any, fake: FakeServer) -> None:
    cli("stores", "create", "gone", "--kind", "sqlite")
    run = cli("stores", "delete", "gone", "-o", "table")
    assert run.code == 0
    assert run.out.startswith("deleted store gone (")
    assert fake.stores == []
    again = cli("stores", "delete", "gone")
    assert again.code == 1
    assert "Store not found" in again.err
    missing = cli("stores", "delete", "gone", "--missing-ok", "-o", "table")
    assert (missing.code, missing.out) == (0, "no store gone: nothing to delete\n")
    assert cli("stores", "delete", "gone", "--missing-ok").json() == {
        "id": "gone",
        "deleted": False,
    }


def test_delete_prints_json_when_piped(cli: Any) -> None:
    created = cli("stores", "create", "gone", "--kind", "redis", "-o", "json").json()
    assert cli("stores", "delete", created["id"]).json() == {"id": created["id"], "deleted": True}


def _record(store_id: str, name: str) -> dict[str, Any]:
    return {
        "id": store_id,
        "name": name,
        "kind": "sqlite",
        "config": {},
        "created_at": "2026-02-16T10:00:00Z",
        "updated_at": "2026-02-16T10:00:00Z",
    }


def test_ambiguous_name_lists_the_ids_and_changes_nothing(cli: Any) -> None:
    base = "http://stores.test"
    with respx.mock(base_url=base, assert_all_called=False) as mock:
        listing = mock.get("/stores").respond(
            json={"success": True, "data": [_record("id-1", "twin"), _record("id-2", "twin")]}
        )
        delete = mock.delete(path__regex=r"/stores/.*")
        run = cli("stores", "delete", "twin", base_url=base)
    assert run.code == 1
    assert "store name 'twin' is ambiguous" in run.err
    assert "id-1" in run.err
    assert "id-2" in run.err
    assert listing.called
    assert not delete.called


def test_an_id_match_wins_over_a_name(cli: Any) -> None:
    base = "http://stores.test"
    with respx.mock(base_url=base) as mock:
        mock.get("/stores").respond(
            json={"success": True, "data": [_record("alpha", "beta"), _record("beta", "gamma")]}
        )
        get = mock.get("/stores/beta").respond(
            json={"success": True, "data": _record("beta", "gamma")}
        )
        run = cli("stores", "get", "beta", "-o", "json", base_url=base)
    assert run.code == 0, run.err
    assert run.json()["name"] == "gamma"
    assert get.called


def test_store_ids_are_percent_encoded_not_paths(cli: Any) -> None:
    base = "http://stores.test"
    with respx.mock(base_url=base) as mock:
        mock.get("/stores").respond(json={"success": True, "data": []})
        route = mock.get(url__regex=r".*/stores/(%2E%2E|\.\.)%2Fx$").respond(
            404, json={"success": False, "error": "Store not found"}
        )
        run = cli("stores", "get", "../x", base_url=base)
    assert route.called
    assert run.code == 1


def test_global_options_work_after_the_subcommand(url: str, capsys: Any) -> None:
    assert durable_stores(["stores", "create", "late", "--kind", "sqlite", "--base-url", url]) == 0
    capsys.readouterr()
    assert durable_stores(["stores", "list", "--base-url", url, "--output", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "late"
    # A value after the subcommand wins over one before it.
    assert (
        durable_stores(["--base-url", "http://127.0.0.1:9", "stores", "list", "--base-url", url])
        == 0
    )


def test_api_key_from_flag_or_environment(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    fake = FakeServer(api_key="sekrit-key-123")
    with fake.serve() as url:
        assert durable_stores(["--base-url", url, "stores", "list"]) == 1
        err = capsys.readouterr().err
        assert "Missing Authorization header" in err
        assert (
            durable_stores(["--base-url", url, "--api-key", "wrong-key-456", "stores", "list"]) == 1
        )
        err = capsys.readouterr().err
        assert "Invalid bearer token" in err
        assert "wrong-key-456" not in err
        assert (
            durable_stores(["--base-url", url, "--api-key", "sekrit-key-123", "stores", "list"])
            == 0
        )
        monkeypatch.setenv("DURABLE_STORES_API_KEY", "sekrit-key-123")
        monkeypatch.setenv("DURABLE_STORES_BASE_URL", url)
        assert durable_stores(["stores", "list"]) == 0
        assert "sekrit-key-123" not in capsys.readouterr().out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow  # real retry backoff
def test_unreachable_server_exits_1_with_a_hint(cli: Any) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    run = cli("stores", "list", base_url=base)
    assert run.code == 1
    assert run.err.startswith(f"durable-stores stores list: error: GET {base}/stores got no answer")
    assert f"is a Durable Stores server running at {base}?" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com", "stores", "list"], "base_url"),
        (["--timeout", "-1", "stores", "list"], "must be more than 0 seconds"),
        (["--timeout", "soon", "stores", "list"], "not a number of seconds"),
        (["stores"], "required"),
        (["nonsense"], "invalid choice"),
        (["--output", "xml", "stores", "list"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(cli: Any, args: list[str], message: str) -> None:
    run = cli(*args, base_url=None)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err


def test_help_and_version_exit_0(cli: Any) -> None:
    run = cli("--help", base_url=None)
    assert run.code == 0
    for command in ["stores", "query", "execute", "command", "demo"]:
        assert command in run.out
    version = cli("--version", base_url=None)
    assert version.code == 0
    assert version.out.startswith("durable-stores ")


@pytest.mark.slow  # waits for a real timeout
def test_a_timeout_suggests_a_longer_timeout(cli: Any, fake: FakeServer) -> None:
    fake.inject("list", delay=2.0, times=10)
    run = cli("--timeout", "0.2", "stores", "list")
    assert run.code == 1
    assert "--timeout SECONDS waits longer" in run.err
    assert "Traceback" not in run.err


def test_an_infinite_timeout_means_no_limit(cli: Any, fake: FakeServer) -> None:
    # It used to print an OverflowError traceback.
    run = cli("--timeout", "inf", "stores", "list")
    assert run.code == 0, run.err
    assert "Traceback" not in run.err


def test_a_timeout_too_long_for_the_platform_is_a_usage_error(cli: Any) -> None:
    run = cli("--timeout", "1e10", "stores", "list")
    assert run.code == 2
    assert "at most 1,000,000 seconds (inf for no limit)" in run.err
    assert "Traceback" not in run.err


def test_table_shows_short_utc_times_and_full_config_in_detail(capsys: Any) -> None:
    from datetime import datetime, timedelta, timezone

    clock = datetime(2026, 2, 16, 12, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    fake = FakeServer(clock=lambda: clock, ids=iter(["s-1"]))
    long_path = "stores/" + "deep/" * 20 + "memory.db"
    with fake.serve() as url:
        args = ["--base-url", url, "-o", "table"]
        assert (
            durable_stores(
                [
                    *args,
                    "stores",
                    "create",
                    "m",
                    "--kind",
                    "sqlite",
                    "--config",
                    json.dumps({"path": long_path}),
                ]
            )
            == 0
        )
        capsys.readouterr()
        assert durable_stores([*args, "stores", "list"]) == 0
        listing = capsys.readouterr().out
        assert "s-1  m     sqlite  -        2026-02-16 10:30:05Z" in listing
        assert durable_stores([*args, "stores", "get", "s-1"]) == 0
        assert long_path in capsys.readouterr().out  # a single record is shown in full


#: Characters a terminal acts on: ESC (a colour and a cursor move), BEL, backspace, a C1
#: control (CSI) and a right-to-left override.
HOSTILE = "evil\x1b[31m\x1b[2Jred\x07\x08\x9b1m\u202eeman"
HOSTILE_SHOWN = "evil\\x1b[31m\\x1b[2Jred\\x07\\x08\\x9b1m\\u202eeman"


def _assert_no_control_characters(text: str) -> None:
    for char in text:
        code = ord(char)
        assert char == "\n" or not (code < 0x20 or 0x7F <= code <= 0x9F), repr(text)
        assert not 0x202A <= code <= 0x202E, repr(text)


def test_tables_show_control_characters_escaped_and_json_keeps_them(
    cli: Any, fake: FakeServer
) -> None:
    """A store name and row values with terminal control characters: every table shows them
    escaped (the terminal never receives them), JSON output keeps the exact data."""
    with fake.client() as client:
        store = client.create_store(name=HOSTILE, kind="sqlite")
        client.execute_store(store.id, sql=f'CREATE TABLE t ("{HOSTILE}" TEXT)')
        client.execute_store(store.id, sql="INSERT INTO t VALUES (?)", params=[HOSTILE])
        cache = client.create_store(name="cache", kind="redis")
        client.command_store(cache.id, command=["SET", "k", HOSTILE])
        client.command_store(cache.id, command=["HSET", "h", HOSTILE, HOSTILE])
    runs = {
        "stores list": cli("stores", "list", "-o", "table"),
        "stores get": cli("stores", "get", store.id, "-o", "table"),
        "query": cli("query", store.id, "SELECT * FROM t", "-o", "table"),
        "command GET": cli("command", "cache", "GET", "k", "-o", "table"),
        "command HGETALL": cli("command", "cache", "HGETALL", "h", "-o", "table"),
        "error": cli("query", store.id, f'SELECT * FROM "{HOSTILE}"', "-o", "table"),
    }
    for what, run in runs.items():
        _assert_no_control_characters(run.out + run.err)
        assert HOSTILE_SHOWN[:40] in run.out + run.err, f"{what}: {run.out}{run.err}"
    assert runs["error"].code == 1
    assert cli("stores", "get", store.id, "-o", "json").json()["name"] == HOSTILE
    assert cli("query", store.id, "SELECT * FROM t", "-o", "json").json()["rows"] == [
        {HOSTILE: HOSTILE}
    ]
    assert cli("command", "cache", "GET", "k", "-o", "json").json() == {"result": HOSTILE}
