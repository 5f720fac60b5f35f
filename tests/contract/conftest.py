"""Fixtures of the contract suite's tests: fakes in-process and over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from contract_support import API_KEY

from durable_stores_client.fake import FakeServer


@pytest.fixture
def fake() -> FakeServer:
    """A fresh fake that enforces ``API_KEY``."""
    return FakeServer(api_key=API_KEY)


@pytest.fixture
def served_fake(fake: FakeServer) -> Iterator[tuple[FakeServer, str]]:
    """``fake`` over real HTTP on a free port: (the fake, its base URL)."""
    with fake.serve() as url:
        yield fake, url
