"""The catalogue's vocabulary: checks, levels, outcomes, differences and results."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._context import CheckContext

__all__ = [
    "Check",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "Difference",
    "Level",
    "Outcome",
]


class Level(str, enum.Enum):
    """How binding a contract clause is.

    ``REQUIRED`` clauses are the contract itself. ``RECOMMENDED`` clauses are the
    ones the contract's "Known deviations" table lists: the agentkernel server does
    not meet them today, so a failure is a warning unless the run is strict.
    """

    REQUIRED = "required"
    RECOMMENDED = "recommended"


class Outcome(str, enum.Enum):
    """What happened when a check ran."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@attrs.frozen
class Difference:
    """One way an answer departed from the contract.

    Attributes:
        what: What was compared, in the contract's words: ``"status"``,
            ``"envelope"``, ``"data.kind"``, ``"error message"``, ``"header content-type"``...
        expected: What the contract asks for, as text.
        actual: What the server answered, as text (secret-looking values masked).
    """

    what: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected}, got {self.actual}"


class CheckFailed(Exception):
    """Raised inside a check when the server departed from the clause.

    Args:
        request: The request that got the wrong answer, e.g. ``"POST /stores/{id}/query"``.
        differences: Every difference found in that answer.
    """

    def __init__(self, request: str, differences: list[Difference] | tuple[Difference, ...]):
        self.request = request
        self.differences = tuple(differences)
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        """The one-line text of the failure: the request, then each difference."""
        body = "; ".join(str(d) for d in self.differences)
        return f"{self.request}: {body}" if self.request else body


class CheckSkipped(Exception):
    """Raised inside a check when it cannot run against this target (with the reason)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


#: CONTRACT.md: the wording of the 501 a server answers for an engine it cannot run.
NOT_EXECUTABLE = "not executable in this runtime yet"


def not_executable_reason(status: int | None, text: str) -> str | None:
    """The skip reason when an answer is that 501, else None.

    CONTRACT.md: the suite skips the checks of a kind the server cannot run (the fake
    without its redis extra), rather than failing them.
    """
    if status != 501 or NOT_EXECUTABLE not in text:
        return None
    return f"the server cannot run this store kind here (it answered 501: {text.strip()[:200]})"


def _kinds(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError("kinds must be a collection of store kinds")
    return frozenset(str(v) for v in value)


@attrs.frozen
class Check:
    """One named clause of the contract, and the function that verifies it.

    Attributes:
        id: Stable identifier such as ``stores.create.status-201``; reports, the
            command line's ``--select`` and pytest test ids use it.
        clause: The one-line clause of the contract this check verifies.
        level: ``Level.REQUIRED`` or ``Level.RECOMMENDED``.
        kinds: Store kinds the check creates; it is skipped when the run does not
            include all of them.
        run: The function that performs the check against a `CheckContext`; it
            returns on success and raises `CheckFailed` or `CheckSkipped`.
        needs_api_key: Only meaningful when the server enforces an API key and the
            run knows it (auth checks).
        large: A heavy check (it sends a 16 MiB body, or creates 201 stores);
            runs only when the run opts in (``--include-large``).
    """

    id: str
    clause: str
    level: Level
    kinds: frozenset[str] = attrs.field(converter=_kinds)
    run: Callable[[CheckContext], None] = attrs.field(repr=False, eq=False)
    needs_api_key: bool = False
    large: bool = False

    @property
    def area(self) -> str:
        """The first segment of the id (``stores``, ``sqlite``, ``redis``, ``auth``...)."""
        return self.id.split(".", 1)[0]

    def describe(self, id_width: int = 0) -> str:
        """One catalogue line: id (``id_width`` wide), level, kinds and clause."""
        kinds = ",".join(sorted(self.kinds)) or "-"
        return f"{self.id:<{id_width}}  {self.level.value:<11}  {kinds:<8}  {self.clause}"


@attrs.frozen
class CheckResult:
    """The result of running one check.

    Attributes:
        check: The check that ran.
        outcome: Passed, failed or skipped.
        detail: For a failure, the request and each difference on one line; for a
            skip, the reason; empty on success.
        differences: The individual expected-vs-actual differences of a failure.
        duration: Seconds the check took.
    """

    check: Check
    outcome: Outcome
    detail: str = ""
    differences: tuple[Difference, ...] = ()
    duration: float = 0.0

    @property
    def counts(self) -> bool:
        """Whether this result is a failure that fails the run when not strict."""
        return self.outcome is Outcome.FAILED and self.check.level is Level.REQUIRED
