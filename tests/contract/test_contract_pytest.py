"""The suite from pytest: one test per check, as a user runs it (pytest in a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from contract_support import API_KEY
from process_support import modules_after

from durable_stores_client.contract import CHECKS, select_checks
from durable_stores_client.contract.pytest_plugin import target_from_config
from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # subprocesses and servers

USER_MODULE = """
from durable_stores_client.contract import pytest_checks

test_contract = pytest_checks(["stores.create", "auth"])
"""


def run_pytest(
    directory: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, int]]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DURABLE_STORES_", "PYTEST_"))
    }
    environment.update(env or {})
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfEsx", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    summary = process.stdout.strip().splitlines()[-1] if process.stdout.strip() else ""
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    return process.returncode, process.stdout + process.stderr, counts


def test_one_test_per_check_against_a_url(
    served_fake: tuple[FakeServer, str], tmp_path: Path
) -> None:
    fake, url = served_fake
    (tmp_path / "test_user_contract.py").write_text(USER_MODULE, encoding="utf-8")

    code, output, counts = run_pytest(
        tmp_path,
        "--durable-stores-contract-url",
        url,
        "--durable-stores-contract-api-key",
        API_KEY,
        "--durable-stores-contract-sandbox",
        "contract-sandbox",
        "-rA",
    )

    expected = select_checks(["stores.create", "auth"])
    assert code == 0, output
    assert counts == {"passed": len(expected)}
    for check in expected:
        assert f"PASSED test_user_contract.py::test_contract[{check.id}]" in output
    assert fake.stores == []


def test_without_a_url_every_contract_test_skips(tmp_path: Path) -> None:
    (tmp_path / "test_user_contract.py").write_text(USER_MODULE, encoding="utf-8")

    code, output, counts = run_pytest(tmp_path)

    assert code == 0, output
    assert counts == {"skipped": len(select_checks(["stores.create", "auth"]))}
    assert "pass --durable-stores-contract-url URL or set DURABLE_STORES_CONTRACT_URL" in output


def test_pyargs_module_with_environment_variables(
    served_fake: tuple[FakeServer, str], tmp_path: Path
) -> None:
    fake, url = served_fake
    env = {
        "DURABLE_STORES_CONTRACT_URL": url,
        "DURABLE_STORES_CONTRACT_API_KEY": API_KEY,
        "DURABLE_STORES_CONTRACT_KINDS": "sqlite,redis,postgres,mysql",
        "DURABLE_STORES_CONTRACT_STRICT": "1",
        "DURABLE_STORES_CONTRACT_SANDBOX": "contract-sandbox",
    }

    code, output, counts = run_pytest(
        tmp_path, "--pyargs", "durable_stores_client.contract.tests", env=env
    )

    assert code == 0, output
    # Everything but the opt-in heavy checks.
    heavy = len([c for c in CHECKS if c.large])
    assert counts == {"passed": len(CHECKS) - heavy, "skipped": heavy}
    assert "opt in with --include-large" in output
    assert fake.stores == []


BROKEN_CONFTEST = """
import httpx
import pytest

from durable_stores_client.contract import Target
from durable_stores_client.fake import FakeServer


class DuplicateIs500(httpx.BaseTransport):
    def __init__(self, inner):
        self.inner = inner

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        response.read()
        if response.status_code == 409:
            return httpx.Response(
                500, json={"success": False, "error": "failed to create durable store metadata"}
            )
        return response


@pytest.fixture(scope="session")
def durable_stores_contract_target():
    return Target("http://localhost:18888", transport=DuplicateIs500(FakeServer().transport()))
"""

BROKEN_MODULE = """
from durable_stores_client.contract import pytest_checks

test_contract = pytest_checks(["stores.create.status-201", "stores.create.duplicate-name-409"])
"""


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(BROKEN_CONFTEST), encoding="utf-8")
    (tmp_path / "test_broken.py").write_text(BROKEN_MODULE, encoding="utf-8")
    return tmp_path


def test_recommended_failure_is_an_xfail_with_the_difference(broken_project: Path) -> None:
    code, output, counts = run_pytest(broken_project)

    assert code == 0, output
    assert counts == {"passed": 1, "xfailed": 1}
    assert (
        "recommended clause not met: POST /stores: status: expected 409 "
        '"Store name already exists", got 500 "failed to create durable store metadata"'
    ) in output


def test_recommended_failure_fails_when_strict(broken_project: Path) -> None:
    code, output, counts = run_pytest(broken_project, "--durable-stores-contract-strict")

    assert code == 1, output
    assert counts == {"failed": 1, "passed": 1}
    assert "stores.create.duplicate-name-409: Creating a store with a name already in use" in output


class StubConfig:
    """Just enough of ``pytest.Config`` for the plugin's settings."""

    def __init__(self, **options: object):
        self.options = options

    def getoption(self, name: str) -> object:
        return self.options.get(name, [] if name.endswith("store_config") else None)


def test_plugin_settings_from_options_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("DURABLE_STORES_CONTRACT_"):
            monkeypatch.delenv(name)
    assert target_from_config(StubConfig()) is None  # type: ignore[arg-type]

    monkeypatch.setenv("DURABLE_STORES_CONTRACT_URL", "http://env.example:1")
    monkeypatch.setenv("DURABLE_STORES_CONTRACT_STORE_CONFIG", '{"redis": {"port": 6380}}')
    monkeypatch.setenv("DURABLE_STORES_CONTRACT_SANDBOX", "build-runner")
    target = target_from_config(
        StubConfig(  # type: ignore[arg-type]
            durable_stores_contract_kinds="sqlite,redis,mysql",
            durable_stores_contract_store_config=['mysql={"user": "u"}'],
        )
    )
    assert target is not None
    assert target.base_url == "http://env.example:1"
    assert target.kinds == {"sqlite", "redis", "mysql"}
    assert target.store_config == {"redis": {"port": 6380}, "mysql": {"user": "u"}}
    assert target.sandbox == "build-runner"

    option_wins = target_from_config(
        StubConfig(durable_stores_contract_url="http://option.example:2")  # type: ignore[arg-type]
    )
    assert option_wins is not None
    assert option_wins.base_url == "http://option.example:2"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"durable_stores_contract_kinds": "sqlite,oracle"}, "unknown store kind 'oracle'"),
        (
            {"durable_stores_contract_store_config": ["redis=[1]"]},
            "the config for redis must be a JSON object",
        ),
        ({"durable_stores_contract_url": "localhost:18888"}, "base_url must be an http://"),
    ],
)
def test_bad_plugin_settings_are_usage_errors(options: dict[str, object], message: str) -> None:
    settings = {"durable_stores_contract_url": "http://127.0.0.1:9", **options}
    with pytest.raises(pytest.UsageError, match=re.escape(f"durable-stores contract: {message}")):
        target_from_config(StubConfig(**settings))  # type: ignore[arg-type]


def test_plugin_import_leaves_the_catalogue_unloaded() -> None:
    # The options and the target are cheap; the catalogue of checks waits for a run.
    loaded = modules_after("import durable_stores_client.contract.pytest_plugin")
    assert {name for name in loaded if name.startswith("durable_stores_client.contract.")} == {
        "durable_stores_client.contract._options",
        "durable_stores_client.contract._target",
        "durable_stores_client.contract.pytest_plugin",
    }
