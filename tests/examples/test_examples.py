"""Every example runs, on the fake by default and against a server via DURABLE_STORES_BASE_URL.

Also: every ``python`` code block in the README and the docs pages runs as written
(with the fake patched in at ``http://localhost:18888``, so blocks that build a plain
``Client()`` work without a server).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from durable_stores_client.fake import FakeServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
#: Docs pages whose code blocks must run (pages other helpers own test their own).
DOC_PAGES = [
    ROOT / "README.md",
    ROOT / "PYPI.md",
    *(
        ROOT / "docs" / name
        for name in [
            "index.md",
            "quickstart.md",
            "async.md",
            "configuration.md",
            "errors-retries-idempotency.md",
            "cli.md",
            "engines-and-fidelity.md",
        ]
    ),
]
_ENV_NAMES = (
    "DURABLE_STORES_BASE_URL",
    "AGENTKERNEL_BASE_URL",
    "DURABLE_STORES_API_KEY",
    "AGENTKERNEL_API_KEY",
    "DURABLE_STORES_LOG",
)


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _ENV_NAMES}
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )


def test_the_examples_are_all_here() -> None:
    names = {path.name for path in SCRIPTS}
    assert names == {"quickstart.py", "async_quickstart.py", "agent_memory.py", "redis_cache.py"}


@pytest.mark.slow  # a Python process per example
@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_example_runs_on_the_embedded_fake(script: Path) -> None:
    if script.name == "redis_cache.py":
        pytest.importorskip("fakeredis")
    done = _run([str(script)], _env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a Python process per example
@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_example_runs_against_a_server(script: Path) -> None:
    if script.name == "redis_cache.py":
        pytest.importorskip("fakeredis")
    fake = FakeServer()
    with fake.serve() as url:
        done = _run([str(script)], _env(DURABLE_STORES_BASE_URL=url))
    assert done.returncode == 0, done.stderr
    # The requests went to that server, and the example cleaned up after itself.
    assert any(request.operation == "create" for request in fake.requests)
    assert fake.stores == []


@pytest.mark.slow  # a Python process per example
def test_the_testing_example_passes() -> None:
    pytest.importorskip("fakeredis")
    done = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "testing")], _env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b5 passed\b", done.stdout), done.stdout


def _python_blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, match.group(1)))
    return blocks


_BLOCKS = [(page, line, code) for page in DOC_PAGES for line, code in _python_blocks(page)]


def test_docs_have_python_blocks() -> None:
    assert len(_BLOCKS) >= 10


@pytest.mark.parametrize(
    ("page", "line", "code"),
    _BLOCKS,
    ids=[f"{page.name}:{line}" for page, line, _ in _BLOCKS],
)
def test_docs_python_block_runs(
    page: Path, line: int, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fakeredis")
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    # A real module, as a user's script has: dataclasses look their module up.
    module = types.ModuleType("__docs__")
    monkeypatch.setitem(sys.modules, "__docs__", module)
    with FakeServer().patch():
        exec(compile(code, f"{page.name}:{line}", "exec"), module.__dict__)


def test_readme_tour_prints_what_its_comments_say(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fakeredis")
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    (line, tour), *_ = _python_blocks(ROOT / "README.md")
    fake = FakeServer()
    with fake.patch():
        exec(compile(tour, f"README.md:{line}", "exec"), {"__name__": "__docs__"})
        exec(compile(tour, f"README.md:{line}", "exec"), {"__name__": "__docs__"})  # rerun
    assert capsys.readouterr().out.splitlines() == [
        "1",
        "1",
        "404 Store not found",
        "2",  # the same stores again: one more note, one more visit
        "2",
        "404 Store not found",
    ]
    assert sorted(store.name for store in fake.stores) == ["agent-cache", "agent-memory"]


#: docs/testing.md's blocks are self-contained (some serve the fake over real HTTP, which
#: patching would intercept); a block of pytest tests runs under pytest, with the plugin.
_TESTING_BLOCKS = _python_blocks(ROOT / "docs" / "testing.md")


def test_testing_page_has_its_blocks() -> None:
    assert len(_TESTING_BLOCKS) >= 8
    assert sum("def test_" in code for _, code in _TESTING_BLOCKS) == 1


@pytest.mark.parametrize(
    ("line", "code"),
    [
        # A block of tests runs in a pytest process of its own.
        pytest.param(line, code, marks=[pytest.mark.slow] if "def test_" in code else [])
        for line, code in _TESTING_BLOCKS
    ],
    ids=[f"testing.md:{line}" for line, _ in _TESTING_BLOCKS],
)
def test_testing_page_block_runs(
    line: int, code: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("fakeredis")
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    if "def test_" not in code:
        exec(compile(code, f"testing.md:{line}", "exec"), {"__name__": "__docs__"})
        return
    (tmp_path / "test_docs_testing_page.py").write_text(code, encoding="utf-8")
    done = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "asyncio", str(tmp_path)],
        _env(),
    )
    tests = code.count("def test_")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"\b{tests} passed\b", done.stdout), done.stdout
