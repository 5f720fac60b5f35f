"""``durable-stores fake-server`` tells what it cannot do, and logs each request when asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [
    pytest.mark.slow,  # subprocesses and servers
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


#: Starts ``fake-server`` with extra environment variables and arguments: (process, URL).
Start = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def run_server() -> Iterator[Start]:
    started: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        started.append(proc)
        assert proc.stdout is not None
        return proc, proc.stdout.readline().strip()

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    return proc.stderr.read() if proc.stderr else ""


def test_without_fakeredis_it_warns_and_answers_501(run_server: Start, tmp_path: Path) -> None:
    # A fakeredis that fails to import, first on the path: as if the extra were missing.
    (tmp_path / "fakeredis.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'fakeredis'\", name='fakeredis')\n"
    )
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    proc, url = run_server({"PYTHONPATH": path})
    created = httpx.post(f"{url}/stores", json={"name": "cache", "kind": "redis"})
    assert created.status_code == 201
    answer = httpx.post(
        f"{url}/stores/{created.json()['data']['id']}/command", json={"command": ["PING"]}
    )
    assert answer.status_code == 501
    assert "not executable in this runtime yet" in answer.json()["error"]
    sqlite = httpx.post(f"{url}/stores", json={"name": "memory", "kind": "sqlite"})
    assert sqlite.status_code == 201  # everything else works
    assert _stop(proc).splitlines() == [
        "durable-stores fake-server: warning: redis stores are disabled: redis stores are not "
        "executable in this runtime yet: the fake runs them on fakeredis, which is not "
        'installed (pip install "durable-stores-client[fake]"); they can be created, and '
        "their commands answer 501"
    ]


def test_with_fakeredis_it_starts_quietly(run_server: Start) -> None:
    pytest.importorskip("fakeredis")
    proc, url = run_server({"DURABLE_STORES_LOG": ""})
    assert httpx.get(f"{url}/health").status_code == 200
    assert _stop(proc) == ""


def test_debug_logs_one_line_per_request_with_secrets_masked(run_server: Start) -> None:
    key = "fake-server-key-123"
    proc, url = run_server({"DURABLE_STORES_LOG": "debug"}, "--api-key", key)
    auth = {"Authorization": f"Bearer {key}"}
    created = httpx.post(
        f"{url}/stores",
        json={"name": "m", "kind": "sqlite", "config": {"password": "hunter2-secret"}},
        headers=auth,
    )
    store_id = created.json()["data"]["id"]
    httpx.post(f"{url}/stores/{store_id}/query", json={"sql": "SELECT 1"}, headers=auth)
    httpx.get(f"{url}/stores/{key}")  # no key: 401, and the path spells the key
    httpx.delete(f"{url}/stores/{store_id}", headers=auth)
    lines = [
        line.split(" durable_stores_client.fake DEBUG ", 1) for line in _stop(proc).splitlines()
    ]
    assert all(len(parts) == 2 for parts in lines), lines
    messages = [message for _, message in lines]
    shapes = [
        ("POST /stores -> 201 in ", " ms (sqlite store)"),
        (f"POST /stores/{store_id}/query -> 200 in ", " ms (sqlite store)"),
        ("GET /stores/*** -> 401 in ", " ms"),
        (f"DELETE /stores/{store_id} -> 200 in ", " ms (sqlite store)"),
    ]
    assert len(messages) == len(shapes), messages
    for message, (start, end) in zip(messages, shapes, strict=True):
        assert message.startswith(start), message
        assert message.endswith(end), message
        assert float(message[len(start) : -len(end)]) >= 0
    text = "\n".join(messages)
    assert key not in text
    assert "hunter2" not in text
