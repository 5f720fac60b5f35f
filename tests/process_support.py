"""What tests that start a Python process share (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def stop(process: subprocess.Popen[Any]) -> None:
    """End ``process``: ask it to stop, kill it if it has not within 15 seconds."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def run_python(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a fresh ``python ARGS...`` and return what it did (never raises on its exit code).

    ``env`` replaces the environment (default: inherit it).
    """
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else dict(env),
    )


def modules_after(code: str) -> set[str]:
    """The modules a fresh Python has imported after running ``code`` (which must not exit).

    Fails the test with the child's stderr when the code raises.
    """
    done = run_python("-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(loaded)


def check_python(code: str) -> None:
    """Run ``code`` in a fresh Python; its failure fails the test, with its stderr."""
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
