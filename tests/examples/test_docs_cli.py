"""docs/cli.md stays true: its commands run, and its sample output is what the CLI prints."""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import durable_stores

from durable_stores_client.fake import FakeServer

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cli.md"
_ENV_NAMES = (
    "DURABLE_STORES_BASE_URL",
    "AGENTKERNEL_BASE_URL",
    "DURABLE_STORES_API_KEY",
    "AGENTKERNEL_API_KEY",
    "DURABLE_STORES_LOG",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|019abc12-\.\.\.")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")


def _console_blocks() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"^ *```console\n(.*?)^ *```", text, re.S | re.M)]


def _block(starting: str) -> list[str]:
    """The lines of the one console block whose first command starts with ``starting``."""
    found = [b for b in _console_blocks() if b.lstrip().startswith(f"$ durable-stores {starting}")]
    assert len(found) == 1, f"cli.md has {len(found)} console blocks starting {starting!r}"
    lines = [line.strip() for line in found[0].replace("\\\n", " ").splitlines()]
    return [line for line in lines if line]


def _argv(line: str) -> list[str]:
    words = shlex.split(line.removeprefix("$ "), comments=True)
    assert words[0] == "durable-stores", line
    return words[1:]


def _normal(text: str) -> str:
    return _TIME.sub("<time>", _UUID.sub("<id>", text))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)  # --from-file paths are relative to the repository
    fake = FakeServer()
    with fake.serve() as url:
        monkeypatch.setenv("DURABLE_STORES_BASE_URL", url)
        yield fake


def _run(line: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = durable_stores(_argv(line))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_first_tour_runs_in_order(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fakeredis")  # the demo's Redis part
    lines = _block("--help")
    assert len(lines) >= 8
    for line in lines:
        code, _, err = _run(line, capsys)
        assert code == 0, (line, err)
    # The tour creates agent-memory, writes a note, reads it, and deletes the store.
    assert [r.operation for r in server.requests if r.operation != "list"][-3:] == [
        "execute",
        "query",
        "delete",
    ]
    assert server.stores == []


def test_create_example_lines_run(server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _block("stores create --example")
    assert len(lines) == 3
    for line in lines:
        command, _, redirect = line.partition(" > ")
        code, out, err = _run(command, capsys)
        assert code == 0, (line, err)
        if redirect:  # --dry-run > FILE saves the example payload, and creates nothing
            assert json.loads(out) == json.loads(
                (ROOT / "examples" / "durable-stores" / redirect).read_text(encoding="utf-8")
            )
    stores = {store.name: store for store in server.stores}
    assert stores["my-memory"].config == {"path": "my-memory.db"}
    assert set(stores) == {"my-memory", "agent-cache"}


def test_sample_output_is_what_a_terminal_shows(
    server: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fakeredis")
    client = server.client()
    client.create_store(name="agent-cache", kind="redis")
    memory = client.create_store(name="agent-memory", kind="sqlite")
    client.execute_store(memory.id, sql="CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    for body in ["hello", "write docs", "ship it"]:
        client.execute_store(memory.id, sql="INSERT INTO notes (body) VALUES (?)", params=[body])
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((200, 100)))

    lines = _block('query agent-memory "SELECT id')
    commands = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    assert len(commands) == 3
    for start, end in zip(commands, [*commands[1:], len(lines)], strict=True):
        code, out, err = _run(lines[start], capsys)
        assert code == 0, err
        assert _normal(out).splitlines() == _normal("\n".join(lines[start + 1 : end])).splitlines()


def test_error_sample_is_what_stderr_shows(
    server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.client().create_store(name="agent-cache", kind="redis")
    lines = _block('query agent-cache "SELECT 1"')
    assert lines[2:] == ["$ echo $?", "1"]
    code, out, err = _run(lines[0], capsys)
    assert (code, out) == (1, "")
    err = err.replace(os.environ["DURABLE_STORES_BASE_URL"], "http://localhost:18888")  # the page's
    assert _normal(err) == _normal(lines[1]) + "\n"
