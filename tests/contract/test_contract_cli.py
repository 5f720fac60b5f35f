"""``durable-stores contract``: exit codes, the table, JSON and JUnit reports, usage errors."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_support import durable_stores
from contract_support import API_KEY

from durable_stores_client.contract import CHECKS
from durable_stores_client.fake import FakeServer

#: A quick but representative selection: one check per route family plus a recommended one.
SELECTION = ["--select", "stores.create", "--select", "redis.command.ok", "--select", "auth"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = durable_stores(["contract", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_passing_run_prints_a_row_per_check_and_exits_0(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served_fake
    code, out, _ = run_cli(capsys, "--base-url", url, "--api-key", API_KEY, "--strict", *SELECTION)

    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["ID", "LEVEL", "RESULT", "DETAIL"]
    rows = {line.split()[0]: line.split()[1:3] for line in lines[1:] if line.strip()[:1].islower()}
    assert rows["stores.create.status-201"] == ["required", "pass"]
    assert rows["stores.create.duplicate-name-409"] == ["recommended", "pass"]
    assert rows["auth.wrong-key"] == ["required", "pass"]
    assert lines[-1].startswith("contract: ")
    assert lines[-1].endswith(": OK")
    assert fake.stores == []


def test_required_failure_exits_1(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served_fake
    fake.inject("list", status=503, times=1000, message="list is down")

    code, out, _ = run_cli(
        capsys, "--base-url", url, "--api-key", API_KEY, "--select", "stores.list"
    )

    assert code == 1
    assert "FAIL" in out
    assert 'status: expected 200, got 503 "list is down"' in out
    assert out.rstrip().endswith(": FAILED")


def test_recommended_failure_exits_0_but_1_with_strict(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served_fake
    args = ["--base-url", url, "--api-key", API_KEY, "--select", "idempotency.create-replay"]

    fake.inject("create", status=500, times=1, message="failed to create durable store metadata")
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert "recommended  warn" in out
    assert "1 warned" in out

    fake.inject("create", status=500, times=1, message="failed to create durable store metadata")
    code, out, _ = run_cli(capsys, *args, "--strict")
    assert code == 1
    assert "recommended  FAIL" in out


def test_json_and_junit_reports(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake, url = served_fake
    fake.inject("create", status=500, times=1, message="failed to create durable store metadata")
    json_path, junit_path = tmp_path / "report.json", tmp_path / "report.xml"

    code, _, _ = run_cli(
        capsys,
        "--base-url",
        url,
        "--select",
        "idempotency.create-replay",
        "--select",
        "stores.get.unknown-id-404",
        "--select",
        "client.command",
        "--api-key",
        API_KEY,
        "--kinds",
        "sqlite",
        "--json",
        str(json_path),
        "--junit",
        str(junit_path),
    )

    report = json.loads(json_path.read_text(encoding="utf-8"))
    by_id = {r["id"]: r for r in report["results"]}
    assert code == 0
    assert report["ok"] is True
    assert report["base_url"] == url
    assert report["summary"]["failed_recommended"] == 1
    replay = by_id["idempotency.create-replay"]
    assert (replay["level"], replay["outcome"], replay["result"]) == (
        "recommended",
        "failed",
        "warn",
    )
    assert replay["differences"][0]["what"] == "status"
    assert by_id["client.command"]["outcome"] == "skipped"
    assert by_id["client.command"]["detail"] == "needs redis stores; add redis to --kinds"
    assert by_id["stores.get.unknown-id-404"]["outcome"] == "passed"

    suite = ET.fromstring(junit_path.read_text(encoding="utf-8"))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert suite.get("tests") == str(len(cases)) == str(len(report["results"]))
    assert suite.get("failures") == "0"  # a recommended failure is a warning without --strict
    assert cases["client.command"].find("skipped") is not None
    warning = cases["idempotency.create-replay"].find("system-out")
    assert warning is not None
    assert warning.text is not None
    assert warning.text.startswith("WARNING: recommended clause not met: POST /stores")
    assert cases["stores.get.unknown-id-404"].find("failure") is None


def test_junit_failure_elements_when_strict(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake, url = served_fake
    fake.inject("create", status=500, times=1, message="failed to create durable store metadata")
    junit_path = tmp_path / "report.xml"

    code, _, _ = run_cli(
        capsys,
        "--base-url",
        url,
        "--api-key",
        API_KEY,
        "--strict",
        "--select",
        "idempotency.create-replay",
        "--junit",
        str(junit_path),
    )

    suite = ET.fromstring(junit_path.read_text(encoding="utf-8"))
    failure = suite.find("testcase/failure")
    assert code == 1
    assert suite.get("failures") == "1"
    assert failure is not None
    assert failure.get("type") == "recommended"
    assert (failure.get("message") or "").startswith("POST /stores: status: expected 2xx, got 500")


def test_output_json_prints_the_report(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served_fake
    code, out, _ = run_cli(
        capsys, "--base-url", url, "--api-key", API_KEY, "-o", "json", "--select", "health"
    )
    report = json.loads(out)
    assert code == 0
    assert [r["id"] for r in report["results"]] == ["health.ok"]


def test_secrets_never_reach_the_output(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake, url = served_fake
    fake.inject("command", status=500, times=1000, message="redis is down")
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"

    code, out, err = run_cli(
        capsys,
        "--base-url",
        url,
        "--api-key",
        API_KEY,
        "--store-config",
        'redis={"password": "hunter2-redis", "port": 6379}',
        "--select",
        "redis",
        "--select",
        "auth",
        "--json",
        str(json_path),
        "--junit",
        str(junit_path),
    )

    texts = [out, err, json_path.read_text("utf-8"), junit_path.read_text("utf-8")]
    assert code == 1
    assert "redis is down" in out
    for text in texts:
        assert API_KEY not in text
        assert "hunter2" not in text
    assert fake.stores == []


def test_list_prints_the_catalogue_without_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--list")
    ids = [line.split()[0] for line in out.splitlines()]
    assert code == 0
    assert ids == [c.id for c in CHECKS]
    assert "recommended" in out.splitlines()[ids.index("sql.query.read-only")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_exits_1_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    code, out, err = run_cli(capsys, "--base-url", url)
    assert code == 1
    assert out == ""
    assert err.startswith(f"durable-stores contract: error: cannot reach {url}: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kinds", "sqlite,oracle"], "unknown store kind 'oracle'"),
        (["--kinds", ","], "no store kinds given"),
        (["--store-config", "redis={not json"], "the config for redis is not valid JSON"),
        (["--store-config", 'redis=["a"]'], "the config for redis must be a JSON object"),
        (["--store-config", "redis"], "expected KIND=JSON"),
        (["--store-config", "oracle={}"], "unknown store kind 'oracle'"),
        (["--store-config", 'postgres={"host": "db"}'], "postgres is not in --kinds"),
        (["--select", "no.such.check"], "no contract check matches 'no.such.check'"),
        (["--json", "/no/such/dir/report.json"], "directory '/no/such/dir' does not exist"),
        (["--base-url", "ftp://example.com"], "must be an http:// or https:// URL"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("durable-stores contract: error: ")
    assert message in err
    assert "Traceback" not in err


def test_store_config_json_is_not_repeated_in_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--store-config", 'redis={"password": "hunter2", oops}')
    assert code == 2
    assert "hunter2" not in err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "--no-such-option")
    assert code == 2
    assert "unrecognized arguments: --no-such-option" in err


def test_output_jsonl_prints_a_line_per_check_then_the_summary(
    served_fake: tuple[FakeServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served_fake
    code, out, _ = run_cli(
        capsys, "--base-url", url, "--api-key", API_KEY, "-o", "jsonl", "--select", "routes"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line.get("id") for line in lines[:-1]] == [
        "routes.unknown-path",
        "routes.unknown-method",
        "routes.trailing-slash",
        "routes.malformed-content-length",
        "routes.short-body",
        "routes.body-too-large",
        "routes.body-at-limit",
        "routes.malformed-bodies",
    ]
    # Over HTTP, the raw-socket checks (malformed Content-Length, short body) pass.
    assert [line["outcome"] for line in lines[2:5]] == ["passed"] * 3
    assert lines[5]["outcome"] == lines[6]["outcome"] == "skipped"
    assert lines[-1]["ok"] is True


def test_ctrl_c_deletes_the_stores_and_writes_a_partial_report(
    served_fake: tuple[FakeServer, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from durable_stores_client.contract import CheckContext

    fake, url = served_fake
    original = CheckContext.expect_success
    calls = []

    def interrupt_on_the_fifth(self: CheckContext, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 5:
            assert fake.stores  # the interrupted check has a store to clean up
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CheckContext, "expect_success", interrupt_on_the_fifth)
    json_path = tmp_path / "partial.json"

    code, _, err = run_cli(
        capsys,
        "--base-url",
        url,
        "--api-key",
        API_KEY,
        "--select",
        "stores",
        "--json",
        str(json_path),
    )

    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert code == 130
    assert "interrupted after" in err
    assert "deleted the stores it created" in err
    assert 0 < len(report["results"]) < len([c for c in CHECKS if c.area == "stores"])
    assert fake.stores == []
