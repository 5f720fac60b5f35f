"""Waiting for a condition the code under test offers no event for (tests/ is on sys.path).

Prefer an event the code sets. Where only state shows it (the fake's request log, a
server's own tables), `wait_for` checks it until true and fails the test loudly,
naming what never happened, after a bounded time: never a fixed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, what: str, timeout: float = 10.0) -> T:
    """``condition()`` once it is true; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}")
        time.sleep(0.01)
