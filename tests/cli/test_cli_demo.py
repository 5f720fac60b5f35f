"""``durable-stores demo``: the README's main job."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from cli_support import RUN_SCRIPT_SNIPPET, durable_stores
from process_support import run_python

from durable_stores_client.fake import FakeServer

_STEP = re.compile(r"^\[\s*\d+\] .+\s+\d+\.\d ms$")


def _steps(out: str) -> list[str]:
    return [line for line in out.splitlines() if _STEP.match(line)]


def test_demo_on_the_embedded_fake(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("fakeredis")
    assert durable_stores(["demo"]) == 0
    out = capsys.readouterr().out
    assert "running against the embedded fake server" in out
    titles = [re.sub(r"\s+\d+\.\d ms$", "", step) for step in _steps(out)]
    assert titles == [
        "[ 1] create a SQLite store for the agent's memory",
        "[ 2] apply the schema (2 tables, 1 index)",
        "[ 3] write a conversation (bound parameters)",
        "[ 4] remember facts (upsert)",
        "[ 5] read the conversation back",
        "[ 6] recall confident facts (WHERE confidence >= ?)",
        "[ 7] bound parameters keep hostile input as data",
        "[ 8] a wrong endpoint fails cleanly (Redis command on SQLite)",
        "[ 9] get or create a Redis store for a cache (by name)",
        "[10] cache a tool result with a TTL (SET ... EX 300)",
        "[11] bump a counter (INCR agent:tool_calls, 3 times)",
        "[12] a wrong endpoint fails cleanly (SQL on Redis)",
        "[13] list stores",
        "[14] clean up: delete 'demo-agent-cache'",
        "[15] clean up: delete 'demo-agent-memory'",
    ]
    assert "counter went 1 -> 2 -> 3" in out
    assert "BadRequestError 400: redis stores do not support SQL queries" in out
    assert "BadRequestError 400: store kind 'sqlite' does not support the command endpoint" in out
    assert "Robert'); DROP TABLE messages; --" in out
    assert "messages table intact with 4 rows" in out
    assert "user: Around 1500 EUR, and I'm vegetarian." in out
    assert "budget_eur=1800" in out
    assert "2 stores on the server: demo-agent-memory, demo-agent-cache" in out
    # Each step shows the SDK calls it ran, as a user would write them.
    assert "     | memory = client.store(store)" in out
    assert '     | values = [cache.command("INCR", "agent:tool_calls") for _ in range(3)]' in out
    assert '     | cache.query("SELECT 1")  # raises BadRequestError' in out
    assert "     | memory.delete(missing_ok=True)" in out
    assert re.search(r"done: 27 requests in \d+\.\d ms \(\d+\.\d ms with start-up\)\.", out)


def test_demo_without_fakeredis_runs_the_rest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fakeredis", None)  # import fakeredis now fails
    assert durable_stores(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Redis cache: skipped" in out
    assert "pip install 'durable-stores-client[fake]'" in out
    assert "create a Redis store" not in out
    assert "messages table intact" in out
    assert "done:" in out


def test_demo_against_a_server_cleans_up(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("fakeredis")
    fake = FakeServer()
    with fake.serve() as url:
        assert durable_stores(["demo", "--base-url", url]) == 0
    out = capsys.readouterr().out
    assert f"running against the server at {url}" in out
    assert re.search(r"store 'demo-agent-memory-[0-9a-f]{6}'", out)
    assert fake.stores == []
    assert {r.operation for r in fake.requests} >= {"create", "execute", "query", "command"}


def test_demo_failure_on_a_server_exits_1_and_cleans_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeServer()
    fake.inject("query", status=400, message="engine on fire", times=100)
    with fake.serve() as url:
        assert durable_stores(["demo", "--base-url", url]) == 1
    captured = capsys.readouterr()
    assert "engine on fire" in captured.err
    assert "Traceback" not in captured.err
    # The step that failed says so instead of showing a timing as if it had worked.
    assert re.search(r"^\[ 5\] read the conversation back\s+failed$", captured.out, re.M)
    assert "clean up" in captured.out
    assert fake.stores == []


#: A child's environment: no base URL or key of the caller's.
_CHILD_ENV = {"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"}


@pytest.mark.slow  # a Python process
def test_demo_as_a_process() -> None:
    pytest.importorskip("fakeredis")
    done = run_python("-m", "durable_stores_client", "demo", env=_CHILD_ENV)
    assert done.returncode == 0, done.stderr
    assert "counter went 1 -> 2 -> 3" in done.stdout
    assert done.stderr == ""


@pytest.mark.slow  # a Python process
def test_demo_as_a_process_without_fakeredis() -> None:
    done = run_python(
        "-c",
        "import sys; sys.modules['fakeredis'] = None\n" + RUN_SCRIPT_SNIPPET,
        "demo",
        env=_CHILD_ENV,
    )
    assert done.returncode == 0, done.stderr
    assert "Redis cache: skipped" in done.stdout
    assert "Traceback" not in done.stderr


def test_demo_help_mentions_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert durable_stores(["demo", "--help"]) == 0
    assert "embedded fake" in capsys.readouterr().out


def test_demo_ignores_a_base_url_in_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DURABLE_STORES_BASE_URL", "http://127.0.0.1:9")  # nothing listens
    assert durable_stores(["demo"]) == 0
    assert "running against the embedded fake server" in capsys.readouterr().out


def test_demo_help_lists_only_options_that_matter(capsys: pytest.CaptureFixture[str]) -> None:
    assert durable_stores(["demo", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--base-url URL run against the server at URL instead of the embedded fake" in out
    assert "--output" not in out  # the transcript is text, whatever the format asked for
    assert "$DURABLE_STORES_BASE_URL" not in out  # ignored by the demo, so not a default


def test_demo_base_url_before_the_subcommand_also_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("fakeredis")
    fake = FakeServer()
    with fake.serve() as url:
        assert durable_stores(["--base-url", url, "demo", "--timeout", "10"]) == 0
    assert f"running against the server at {url}" in capsys.readouterr().out
    assert fake.stores == []


def test_demo_next_steps_fit_where_it_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("fakeredis")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # a clone of the repository
    assert durable_stores(["demo"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("next: `")
    assert " examples/quickstart.py`, docs/quickstart.md" in last
    monkeypatch.chdir(tmp_path)  # anywhere else: no repository files to point at
    assert durable_stores(["demo"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("next: `")
    assert last.endswith("durable-stores --help`")
