"""Project-wide test settings.

Hypothesis explores new random examples on every local run (that is how the fuzz tests
found the fake's blocking-command hang), but CI must be repeatable: with ``CI`` set, every
property test is derandomized and keeps no example database.

Every httpx client builds an SSL context from certifi's CA bundle, about 25 ms of CPU:
half of what a typical test here costs. No test speaks TLS (every server is plain http
on loopback), so the default context is built once per test process and shared, which
keeps ``pytest -m "not slow"`` a quick inner loop.
"""

from __future__ import annotations

import functools
import inspect
import os
import ssl
from typing import Any

import httpx
import httpx._transports.default as httpx_transports  # the name its transports call
import pytest
from hypothesis import settings

_default_ssl_context = functools.cache(httpx.create_ssl_context)


def _create_ssl_context(
    verify: Any = True, cert: Any = None, trust_env: bool = True
) -> ssl.SSLContext:
    if verify is True and cert is None and trust_env:
        return _default_ssl_context()
    return httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


httpx_transports.create_ssl_context = _create_ssl_context  # type: ignore[assignment]

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every ``async def`` test on anyio's plugin, unless it asks for pytest-asyncio.

    Marked before anyio's own hook looks at it (conftest hooks run first), so anyio
    adds its ``anyio_backend`` fixture. The backend is asyncio by default; the client's
    and the fake's tests ask for trio too (their conftest.py).
    """
    if not (inspect.iscoroutinefunction(obj) and collector.funcnamefilter(name)):
        return
    if not ({"asyncio", "anyio"} & (_mark_names(obj) | _mark_names(collector.obj))):
        pytest.mark.anyio(obj)


def _mark_names(obj: object) -> set[str]:
    """The names of the marks on a function or module (``pytestmark``: one or a list)."""
    marks = getattr(obj, "pytestmark", [])
    if not isinstance(marks, (list, tuple)):
        marks = [marks]
    return {mark.name for mark in marks}


@pytest.fixture
def anyio_backend() -> str:
    """asyncio for every async test; tests/client and tests/fake ask for trio as well.

    (anyio's own default runs every backend installed, and trio is.)
    """
    return "asyncio"
