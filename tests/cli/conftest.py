"""Fixtures for the command line tests: a fake server over real HTTP, and running the command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from cli_support import durable_stores

from durable_stores_client.fake import FakeServer

#: Environment variables that would point the CLI somewhere else.
_ENV = (
    "DURABLE_STORES_BASE_URL",
    "AGENTKERNEL_BASE_URL",
    "DURABLE_STORES_API_KEY",
    "AGENTKERNEL_API_KEY",
    "DURABLE_STORES_LOG",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> FakeServer:
    """A fresh fake server."""
    return FakeServer()


@pytest.fixture
def url(fake: FakeServer) -> Iterator[str]:
    """The fake over real HTTP."""
    with fake.serve() as served:
        yield served


@attrs.frozen
class Run:
    """One command line run: exit code and captured output."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The standard output parsed as JSON."""
        return json.loads(self.out)

    def jsonl(self) -> list[Any]:
        """The standard output parsed as JSON lines."""
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def cli(url: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``durable-stores --base-url <fake> ARGS...`` in-process."""

    def run(*args: str, base_url: str | None = url) -> Run:
        capsys.readouterr()
        argv = ["--base-url", base_url, *args] if base_url else list(args)
        code = durable_stores(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
