"""The installed command as a process: entry points, exit codes, stderr, import cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_support import RUN_SCRIPT_SNIPPET
from process_support import modules_after

from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # subprocesses and servers

SCRIPT = Path(sys.executable).with_name("durable-stores")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**base, **(env or {})},
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed in this venv")
def test_console_script_help() -> None:
    done = _run(str(SCRIPT), "--help")
    assert done.returncode == 0
    assert "usage: durable-stores" in done.stdout


def test_round_trip_through_a_process() -> None:
    fake = FakeServer()
    with fake.serve() as url:
        env = {"DURABLE_STORES_BASE_URL": url}
        py = [sys.executable, "-m", "durable_stores_client"]
        created = _run(*py, "stores", "create", "proc", "--kind", "sqlite", env=env)
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["name"] == "proc"  # piped: JSON
        done = _run(*py, "execute", "proc", "CREATE TABLE t (x)", env=env)
        assert done.returncode == 0, done.stderr
        done = _run(*py, "execute", "proc", "INSERT INTO t VALUES (?)", "5", env=env)
        assert json.loads(done.stdout)["rows_affected"] == 1
        rows = _run(*py, "query", "proc", "SELECT x FROM t", "-o", "jsonl", env=env)
        assert rows.stdout == '{"x": 5}\n'
        missing = _run(*py, "stores", "get", "nope", env=env)
        assert missing.returncode == 1
        assert missing.stdout == ""
        assert missing.stderr.startswith("durable-stores stores get: error: GET ")
        assert "Store not found" in missing.stderr
        assert "Traceback" not in missing.stderr
        usage = _run(*py, "stores", "create", "x", "--kind", "nosql", env=env)
        assert usage.returncode == 2
        assert "invalid choice" in usage.stderr
    assert [store.name for store in fake.stores] == ["proc"]


def test_help_imports_nothing_heavy() -> None:
    # `durable-stores --help` builds every subcommand's parser.
    code = (
        "import sys\n"
        "sys.argv = ['durable-stores', '--help']\n"
        "try:\n"
        f"{textwrap.indent(RUN_SCRIPT_SNIPPET, '    ')}"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
    )
    heavy = {
        "durable_stores_client.fake",
        "durable_stores_client.contract",
        "fakeredis",
        "sqlite3",
        "respx",
    }
    assert modules_after(code) & heavy == set()


def test_a_closed_pipe_stops_quietly() -> None:
    fake = FakeServer()
    client = fake.client()
    store = client.create_store(name="big", kind="sqlite")
    client.execute_store(store.id, sql="CREATE TABLE t (x TEXT)")
    client.execute_store(
        store.id,
        sql="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
        "INSERT INTO t SELECT printf('%0100d', i) FROM n",
    )
    with fake.serve() as url:
        # Like `durable-stores query big ... | head -1`: far more output than a pipe holds.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "durable_stores_client",
                "--base-url",
                url,
                "query",
                "big",
                "SELECT x FROM t",
                "-o",
                "jsonl",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert json.loads(first) == {"x": "1".rjust(100, "0")}
    assert code == 141
    assert err == ""
