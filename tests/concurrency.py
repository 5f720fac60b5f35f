"""Running a test's work in several threads at once (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def in_threads(
    work: Callable[[int], T], count: int, *, timeout: float = 60.0
) -> list[T | BaseException]:
    """Run ``work(0)`` .. ``work(count - 1)`` each in a thread of its own, all at once.

    Returns what each returned, or the exception it raised, in that order; fails the
    test, naming them, when threads are still running after ``timeout`` seconds.
    """
    outcomes: list[T | BaseException | None] = [None] * count

    def run(index: int) -> None:
        try:
            outcomes[index] = work(index)
        except BaseException as exc:  # returned to the test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [index for index, thread in enumerate(threads) if thread.is_alive()]
    if stuck:
        pytest.fail(f"threads {stuck} still ran after {timeout:g} s")
    return outcomes  # type: ignore[return-value]  # every slot was filled
