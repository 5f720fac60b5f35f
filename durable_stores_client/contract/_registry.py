"""Where checks register themselves: a decorator and the ordered catalogue it fills."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ._context import CheckContext
from ._model import Check, Level

__all__ = ["check", "registered"]

_CHECKS: list[Check] = []

CheckFunction = Callable[[CheckContext], None]


def check(
    check_id: str,
    clause: str,
    *,
    level: Level = Level.REQUIRED,
    kinds: Iterable[str] = (),
    needs_api_key: bool = False,
    large: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``check_id`` (ids are unique)."""

    def decorator(function: CheckFunction) -> CheckFunction:
        if any(existing.id == check_id for existing in _CHECKS):
            raise ValueError(f"duplicate contract check id {check_id!r}")
        _CHECKS.append(
            Check(
                id=check_id,
                clause=clause,
                level=level,
                kinds=frozenset(kinds),
                run=function,
                needs_api_key=needs_api_key,
                large=large,
            )
        )
        return function

    return decorator


def registered() -> tuple[Check, ...]:
    """Every registered check, in registration order."""
    return tuple(_CHECKS)
