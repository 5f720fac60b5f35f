"""The catalogue: every check, in a stable order, and selecting checks by id."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

# Importing the check modules registers their checks; _MODULE_ORDER orders them.
from . import (
    _checks_client,
    _checks_deviations,
    _checks_engines,
    _checks_protocol,
    _checks_redis,
    _checks_sql,
    _checks_stores,
)
from ._registry import registered

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._model import Check

__all__ = ["CHECKS", "get_check", "select_checks"]

#: The order a run reports the areas in: protocol first, then the routes, the
#: engines, the recommended clauses, and last the checks through the client.
_MODULE_ORDER = (
    _checks_protocol,
    _checks_stores,
    _checks_sql,
    _checks_redis,
    _checks_engines,
    _checks_deviations,
    _checks_client,
)

#: Every check of the contract suite, in the order a run reports them.
CHECKS: tuple[Check, ...] = tuple(
    check
    for module in _MODULE_ORDER
    for check in registered()
    if check.run.__module__ == module.__name__
)


def get_check(check_id: str) -> Check:
    """The check with this id.

    Raises:
        KeyError: No check has that id (the message names a few similar ones).
    """
    for candidate in CHECKS:
        if candidate.id == check_id:
            return candidate
    area = check_id.split(".", 1)[0]
    similar = [c.id for c in CHECKS if c.area == area][:5]
    hint = f"; checks in {area!r}: {', '.join(similar)}" if similar else ""
    raise KeyError(f"no contract check with id {check_id!r}{hint}")


def select_checks(patterns: Iterable[str] | None = None) -> tuple[Check, ...]:
    """The checks whose id matches any of the glob ``patterns`` (all checks if none).

    A pattern without glob characters also matches every id it is a dotted prefix
    of, so ``redis`` selects every ``redis.*`` check.

    Raises:
        ValueError: A pattern matches no check.
    """
    wanted = list(patterns or [])
    if not wanted:
        return CHECKS
    chosen: list[Check] = []
    for pattern in wanted:
        matched = [c for c in CHECKS if _matches(c.id, pattern)]
        if not matched:
            raise ValueError(f"no contract check matches {pattern!r}")
        chosen.extend(c for c in matched if c not in chosen)
    order = {c.id: index for index, c in enumerate(CHECKS)}
    return tuple(sorted(chosen, key=lambda c: order[c.id]))


def _matches(check_id: str, pattern: str) -> bool:
    if fnmatch.fnmatchcase(check_id, pattern):
        return True
    return not any(ch in pattern for ch in "*?[") and check_id.startswith(pattern + ".")
