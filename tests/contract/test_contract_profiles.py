"""The fake's two faces against the suite: the contract profile strict-green, and the
agentkernel profile passing every required check while failing exactly the recommended
checks that detect the rows of CONTRACT.md's "Known deviations" table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from assertions import exactly
from cli_support import durable_stores
from contract_support import API_KEY, BASE_URL, fake_server_process

from durable_stores_client import BadRequestError, ConflictError
from durable_stores_client.contract import CHECKS, STORE_KINDS, Level, Target, run_contract
from durable_stores_client.fake import FakeServer

SANDBOX = "contract-sandbox"

#: Each row of CONTRACT.md's deviations table (its left-hand column, agentkernel today)
#: that a check can observe on the fake, and the recommended checks that detect it.
DEVIATIONS: dict[str, set[str]] = {
    "duplicate store name on create (500), and its unreachable 409 branch": {
        "stores.create.duplicate-name-409",
    },
    "writes sent to /query are executed": {"sql.query.read-only"},
    "postgres/mysql params silently ignored": {"postgres.params-bound", "mysql.params-bound"},
    "mysql rows_affected always 0": {"mysql.execute.rows-affected"},
    "mysql values are strings": {"mysql.query.typed-values"},
    "postgres values outside bool/int/float/text/json read null": {"postgres.query.typed-values"},
    "postgres/mysql columns [] with no rows": {
        "postgres.query.empty-columns",
        "mysql.query.empty-columns",
    },
    "no idempotency keys": {
        "idempotency.create-replay",
        "idempotency.replay-after-delete",
        "idempotency.key-reuse-conflict",
        "idempotency.execute-replay",
        "idempotency.command-replay",
    },
    "engine error messages name the step only": {"sql.engine-error-detail"},
    "repeated column names merged (200)": {"sql.query.repeated-columns"},
}

#: Rows no check can tell apart on the fake, with why.
NOT_OBSERVED = {
    "password_secret ignored": "not visible on the wire (CONTRACT.md)",
    "a body shorter than its Content-Length": "not established for agentkernel: both profiles "
    "answer the contract's 400",
    "an engine a server cannot run (501)": "the same on both sides",
}

#: Recommended checks both faces pass: the table's rows where the two columns agree.
BOTH_PASS = {"sql.multiple-statements", "routes.short-body", "stores.create.secret-config-kept"}

DETECTED = set().union(*DEVIATIONS.values())


def test_every_recommended_check_is_a_deviation_or_passes_on_both_faces() -> None:
    recommended = {c.id for c in CHECKS if c.level is Level.RECOMMENDED}
    assert recommended == DETECTED | BOTH_PASS
    assert not DETECTED & BOTH_PASS


def _target(fake: FakeServer) -> Target:
    return Target(
        BASE_URL,
        api_key=API_KEY,
        kinds=STORE_KINDS,
        transport=fake.transport(),
        async_transport=fake.async_transport(),
        sandbox=SANDBOX,
    )


def test_agentkernel_profile_fails_exactly_the_deviations_in_process() -> None:
    fake = FakeServer(api_key=API_KEY, profile="agentkernel", sandboxes=[SANDBOX])
    report = run_contract(_target(fake), include_large=True)

    assert [(r.check.id, r.detail) for r in report.failed if r.check.level is Level.REQUIRED] == []
    assert report.ok  # every required check passes
    assert report.failed_ids == DETECTED
    assert [(r.check.id, r.detail) for r in report.skipped] == []
    assert fake.stores == []


def test_contract_profile_with_sandboxes_is_strict_green() -> None:
    # The sandbox list works on the contract face too: unknown sandboxes are refused as
    # the daemon refuses them, which the suite accepts.
    fake = FakeServer(api_key=API_KEY, sandboxes=[SANDBOX])
    report = run_contract(_target(fake), strict=True)
    assert [(r.check.id, r.detail) for r in report.failed] == []


@pytest.fixture(scope="module")
def agentkernel_server() -> Iterator[str]:
    with fake_server_process("--profile", "agentkernel", "--sandbox", SANDBOX) as (_, url):
        yield url


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_agentkernel_profile_over_fake_server(
    agentkernel_server: str,
    strict: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_path = tmp_path / "report.json"
    argv = ["contract", "--base-url", agentkernel_server, "--api-key", API_KEY]
    argv += ["--kinds", ",".join(STORE_KINDS), "--sandbox", SANDBOX, "--json", str(report_path)]
    code = durable_stores([*argv, "--strict"] if strict else argv)
    capsys.readouterr()

    report = json.loads(report_path.read_text(encoding="utf-8"))
    failed = {r["id"]: r["level"] for r in report["results"] if r["outcome"] == "failed"}
    assert set(failed.values()) == {"recommended"}  # every required check passed
    assert set(failed) == DETECTED
    assert code == (1 if strict else 0)


# -- the two bugs docs/testing.md shows only the agentkernel profile catching ----------------


def test_a_postgres_insert_with_params_passes_the_contract_face_only() -> None:
    for profile, works in (("contract", True), ("agentkernel", False)):
        with FakeServer(profile=profile).client() as client:
            store = client.create_store(name="pg", kind="postgres")
            client.execute_store(store.id, sql="CREATE TABLE notes (id INTEGER, body TEXT)")
            insert = {"sql": "INSERT INTO notes (id, body) VALUES ($1, $2)", "params": [1, "hi"]}
            if works:
                assert client.execute_store(store.id, insert).rows_affected == 1
            else:
                with pytest.raises(BadRequestError) as caught:
                    client.execute_store(store.id, insert)
                assert caught.value.message == "postgres execute failed"


def test_a_mysql_id_reads_as_a_string_on_the_agentkernel_face() -> None:
    ids = {}
    for profile in ("contract", "agentkernel"):
        with FakeServer(profile=profile).client() as client:
            store = client.create_store(name="my", kind="mysql")
            client.execute_store(store.id, sql="CREATE TABLE notes (id INTEGER, body TEXT)")
            client.execute_store(store.id, sql="INSERT INTO notes VALUES (7, 'hi')")
            ids[profile] = client.query_store(store.id, sql="SELECT id FROM notes").scalar()
    assert ids == {"contract": 7, "agentkernel": "7"}


def test_agentkernel_profile_answers_as_the_server_words_it() -> None:
    fake = FakeServer(profile="agentkernel")
    with fake.client(max_retries=0) as client:
        store = client.create_store(name="s", kind="sqlite")
        with pytest.raises(ConflictError):  # the client maps agentkernel's 500 to a conflict
            client.create_store(name="s", kind="sqlite")
        with pytest.raises(BadRequestError) as caught:
            client.query_store(store.id, sql="SELECT * FROM missing")
        assert caught.value.message == f"failed preparing store query for store {store.id}"
        with pytest.raises(BadRequestError) as caught:
            client.create_store(name="t", kind="sqlite", sandbox="build-runner")
        assert caught.value.message == "sandbox 'build-runner' does not exist"
        client.execute_store(store.id, sql="CREATE TABLE t (id INTEGER)")
        written = client.query_store(store.id, sql="INSERT INTO t VALUES (1)")
        assert (list(written.columns), written.row_count) == ([], 0)
        assert client.query_store(store.id, sql="SELECT count(*) FROM t").scalar() == 1
        cache = client.create_store(name="c", kind="redis")
        client.command_store(cache.id, command=["SET", "k", "v"])
        with pytest.raises(BadRequestError) as caught:
            client.command_store(cache.id, command=["INCR", "k"])
        assert caught.value.message == "redis command 'INCR' failed"
    assert [r.status for r in fake.requests if r.operation == "create"] == [201, 500, 400, 201]


@pytest.mark.parametrize(("profile", "rows"), [("contract", 1), ("agentkernel", 2)])
def test_a_retried_write_is_applied_twice_on_the_agentkernel_face(profile: str, rows: int) -> None:
    fake = FakeServer(profile=profile)
    http = httpx.Client(base_url=BASE_URL, transport=fake.transport())
    store = http.post("/stores", json={"name": "s", "kind": "sqlite"}).json()["data"]
    execute = f"/stores/{store['id']}/execute"
    http.post(execute, json={"sql": "CREATE TABLE t (id INTEGER)"})
    for _ in range(2):  # one write, retried with its key
        insert = {"sql": "INSERT INTO t VALUES (1)"}
        assert http.post(execute, json=insert, headers={"idempotency-key": "k-1"}).is_success
    query = {"sql": "SELECT count(*) AS n FROM t"}
    answer = http.post(f"/stores/{store['id']}/query", json=query).json()
    assert answer["data"]["rows"] == [{"n": rows}]


def test_the_profile_and_sandboxes_are_checked() -> None:
    unknown = "unknown fake profile 'agentkernal'; use one of: contract, agentkernel"
    with pytest.raises(ValueError, match=exactly(unknown)):
        FakeServer(profile="agentkernal")
    with pytest.raises(
        TypeError, match=exactly("sandboxes must be a list of sandbox names, got 'build-runner'")
    ):
        FakeServer(sandboxes="build-runner")
    with pytest.raises(
        ValueError, match=exactly("a sandbox name must be a non-blank string, got ' '")
    ):
        FakeServer(sandboxes=[" "])
    assert FakeServer(profile="agentkernel").profile == "agentkernel"
    assert "profile=agentkernel" in repr(FakeServer(profile="agentkernel"))


# -- the pytest plugin's option -----------------------------------------------------------

pytest_plugins = ["pytester"]
_QUIET = ("-o", "asyncio_default_fixture_loop_scope=function")

PROFILE_TEST = """
def test_profile(durable_stores_fake):
    assert durable_stores_fake.profile == EXPECTED
"""


@pytest.mark.parametrize(
    ("ini", "env", "expected"),
    [
        (None, None, "contract"),
        ("agentkernel", None, "agentkernel"),
        ("agentkernel", "contract", "contract"),  # the environment variable wins
        (None, "agentkernel", "agentkernel"),
    ],
)
def test_the_plugin_takes_the_profile_from_ini_or_environment(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str | None,
    env: str | None,
    expected: str,
) -> None:
    monkeypatch.delenv("DURABLE_STORES_FAKE_PROFILE", raising=False)
    if env is not None:
        monkeypatch.setenv("DURABLE_STORES_FAKE_PROFILE", env)
    if ini is not None:
        pytester.makeini(f"[pytest]\ndurable_stores_profile = {ini}\n")
    pytester.makepyfile(test_profile=PROFILE_TEST.replace("EXPECTED", repr(expected)))
    pytester.runpytest_inprocess("-p", "no:cacheprovider", *_QUIET).assert_outcomes(passed=1)


def test_an_unknown_profile_is_a_clear_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DURABLE_STORES_FAKE_PROFILE", "agentkernal")
    pytester.makepyfile(test_profile=PROFILE_TEST.replace("EXPECTED", "None"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *_QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown fake profile 'agentkernal'*"])
