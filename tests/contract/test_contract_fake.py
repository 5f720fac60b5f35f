"""The whole suite, strict, against the fake: in-process and as a subprocess over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import durable_stores
from contract_support import API_KEY, BASE_URL, Broken, target_for
from contract_support import fake_server_process as serve_fake_server

from durable_stores_client import Client
from durable_stores_client.contract import (
    CHECKS,
    STORE_KINDS,
    Check,
    CheckContext,
    ContractRunner,
    Level,
    Outcome,
    Target,
    run_contract,
)
from durable_stores_client.fake import FakeServer


def fake_target(fake: FakeServer) -> Target:
    """The target the whole suite runs against: ``fake`` in process, both flavours."""
    return target_for(
        fake.transport(), async_transport=fake.async_transport(), sandbox="contract-sandbox"
    )


@pytest.mark.slow  # the whole suite
def test_whole_suite_strict_in_process_passes_every_check(fake: FakeServer) -> None:
    target = fake_target(fake)
    report = run_contract(target, strict=True, include_large=True)

    assert [(r.check.id, r.detail) for r in report.failed] == []
    assert [(r.check.id, r.detail) for r in report.skipped] == []
    assert len(report.passed) == len(CHECKS)
    assert report.ok
    assert report.exit_code == 0
    assert fake.stores == []  # every store the run made is gone


def test_whole_suite_strict_in_process_passes_on_real_servers() -> None:
    urls = {}
    for kind in ("postgres", "mysql", "redis"):
        variable = f"DURABLE_STORES_FAKE_{kind.upper()}_URL"
        urls[f"{kind}_url"] = os.environ.get(variable) or pytest.skip(
            f"set {variable} to run the suite on a real {kind} server"
        )
    fake = FakeServer(api_key=API_KEY, **urls)
    try:
        target = fake_target(fake)
        report = run_contract(target, strict=True)  # the large bodies: the test above
        assert [(r.check.id, r.detail) for r in report.failed] == []
        assert [r.detail for r in report.skipped if "--include-large" not in r.detail] == []
        assert report.ok
        assert fake.stores == []
    finally:
        fake.reset()


@pytest.fixture
def fake_server_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with serve_fake_server() as served:
        yield served


@pytest.mark.slow  # the whole suite, over HTTP in a subprocess
def test_whole_suite_strict_against_fake_server_subprocess(
    fake_server_process: tuple[subprocess.Popen[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    process, url = fake_server_process
    report_path = tmp_path / "report.json"
    code = durable_stores(
        [
            "contract",
            "--base-url",
            url,
            "--api-key",
            API_KEY,
            "--strict",
            "--sandbox",
            "contract-sandbox",
            "--kinds",
            ",".join(STORE_KINDS),
            "--json",
            str(report_path),
        ]
    )
    out = capsys.readouterr().out

    report = json.loads(report_path.read_text(encoding="utf-8"))
    failed = [r for r in report["results"] if r["outcome"] == "failed"]
    skipped = [r["id"] for r in report["results"] if r["outcome"] == "skipped"]
    assert failed == []
    # Only the heavy checks are skipped: they are opt-in (run in-process above).
    assert skipped == [c.id for c in CHECKS if c.large]
    assert code == 0
    assert out.rstrip().endswith(": OK")
    with Client(url, api_key=API_KEY, max_retries=0) as client:
        assert client.list_stores() == []
    assert process.poll() is None  # the server survived the whole suite


def test_default_kinds_and_no_key_skip_with_reasons(fake: FakeServer) -> None:
    keyless = FakeServer()
    report = run_contract(Target(BASE_URL, transport=keyless.transport()))
    reasons = {r.check.id: r.detail for r in report.skipped}

    assert reasons["postgres.query.result"] == ("needs postgres stores; add postgres to --kinds")
    assert reasons["auth.wrong-key"].startswith("needs the server's API key (--api-key)")
    assert reasons["routes.body-too-large"] == "sends a 16 MiB body; opt in with --include-large"
    assert reasons["stores.list.at-most-200"] == "creates 201 stores; opt in with --include-large"
    assert reasons["client.async"] == (
        "the target has a transport but no async_transport for AsyncClient"
    )
    assert not any(
        r.check.kinds & {"redis", "sqlite"} for r in report.skipped if "kinds" in r.detail
    )
    assert report.failed == ()
    assert keyless.stores == []


def _check(check_id: str, run: object) -> Check:
    return Check(id=check_id, clause="test", level=Level.REQUIRED, kinds=(), run=run)  # type: ignore[arg-type]


def test_stores_are_deleted_after_a_failing_check(fake: FakeServer) -> None:
    def failing(ctx: CheckContext) -> None:
        ctx.create_store("sqlite")
        ctx.create_store("redis")
        ctx.fail("anything", "something", "something else")

    report = run_contract(target_for(fake.transport()), [_check("test.failing", failing)])

    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].detail == 'anything: expected something, got "something else"'
    assert fake.stores == []


def test_stores_are_deleted_when_interrupted(fake: FakeServer) -> None:
    def interrupted(ctx: CheckContext) -> None:
        ctx.create_store("sqlite")
        raise KeyboardInterrupt

    second_ran = []
    checks = [_check("test.interrupted", interrupted), _check("test.after", second_ran.append)]
    with pytest.raises(KeyboardInterrupt):
        run_contract(target_for(fake.transport()), checks)

    assert fake.stores == []
    assert second_ran == []


def test_unexpected_exception_is_a_failure_naming_it(fake: FakeServer) -> None:
    def broken(ctx: CheckContext) -> None:
        ctx.create_store("sqlite")
        raise httpx.ConnectError("connection refused")

    report = run_contract(target_for(fake.transport()), [_check("test.raises", broken)])

    assert report.results[0].detail == "raised ConnectError: connection refused"
    assert fake.stores == []


def test_sweep_deletes_stores_found_only_by_the_run_prefix(fake: FakeServer) -> None:
    def hide_create(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/stores":
            return httpx.Response(201, text="created, but not telling you the id")
        return response

    def creates_unseen(ctx: CheckContext) -> None:
        ctx.request("POST", "/stores", json={"name": ctx.name(), "kind": "sqlite"})

    target = target_for(Broken(fake.transport(), response=hide_create))
    with ContractRunner(target) as runner:
        runner.run([_check("test.unseen", creates_unseen)])
        assert [s.name.startswith(runner.prefix) for s in fake.stores] == [True]
    assert fake.stores == []


@pytest.mark.slow  # creates over 200 stores
def test_sweep_lists_again_while_the_run_has_stores_beyond_the_200_newest(
    fake: FakeServer,
) -> None:
    target = target_for(fake.transport())
    with fake.client(api_key=API_KEY) as client, ContractRunner(target) as runner:
        old = client.create_store(name="contract-older-not-this-run", kind="sqlite")
        # 450 stores of the run it never recorded (say, their create answers were lost),
        # then 30 newer ones of someone else.
        for n in range(450):
            client.create_store(name=f"{runner.prefix}unseen-{n}", kind="redis")
        others = [client.create_store(name=f"other-{n}", kind="redis").id for n in range(30)]
        assert runner.sweep() == 450
    assert [s.id for s in fake.stores] == [old.id, *others]


def test_sweep_leaves_other_stores_alone(fake: FakeServer) -> None:
    with fake.client(api_key=API_KEY) as client:
        mine = client.create_store(name="contract-not-this-run", kind="sqlite")
    run_contract(target_for(fake.transport()), [c for c in CHECKS if c.id.startswith("stores.")])

    assert [s.id for s in fake.stores] == [mine.id]
