"""``durable-stores fake-server`` as a subprocess: prints its URL, serves, exits 0 on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [
    pytest.mark.slow,  # subprocesses and servers
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}  # the URL line must be flushed explicitly
    return subprocess.Popen(
        [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def server_factory() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_fake_server_serves_and_exits_0_on_signal(
    server_factory: list[subprocess.Popen[str]], signum: signal.Signals, tmp_path: Path
) -> None:
    proc = _start("--api-key", "cli-key", "--data-dir", str(tmp_path))
    server_factory.append(proc)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{url}/health").json() == {"success": True, "data": "ok"}
    assert httpx.get(f"{url}/stores").status_code == 401
    auth = {"Authorization": "Bearer cli-key"}
    created = httpx.post(f"{url}/stores", json={"name": "s", "kind": "sqlite"}, headers=auth)
    assert created.status_code == 201
    assert (tmp_path / "stores" / f"{created.json()['data']['id']}.db").exists()
    proc.send_signal(signum)
    assert proc.wait(10) == 0
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")


def test_fake_server_reports_a_busy_port(server_factory: list[subprocess.Popen[str]]) -> None:
    first = _start()
    server_factory.append(first)
    assert first.stdout is not None
    url = first.stdout.readline().strip()
    port = url.rsplit(":", 1)[1]
    second = subprocess.run(
        [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 1
    assert "cannot listen on" in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGTERM)
    assert first.wait(10) == 0


def test_fake_server_help_and_bad_port() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "durable_stores_client", "fake-server", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert shown.returncode == 0
    for option in ("--host", "--port", "--api-key", "--data-dir"):
        assert option in shown.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "durable_stores_client", "fake-server", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2
    assert "--port" in bad.stderr
