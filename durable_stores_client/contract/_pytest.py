"""One pytest test per check: the helper users put in their own test module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._catalogue import get_check, select_checks
from ._model import Level, Outcome

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._runner import ContractRunner

__all__ = ["pytest_checks", "run_check_in_test"]


def run_check_in_test(runner: ContractRunner, check_id: str, *, strict: bool = False) -> None:
    """Run one check inside a pytest test and turn its result into the test's outcome.

    A pass passes; a skip skips with the reason; a required failure fails with the
    clause and the difference; a recommended failure is an expected failure
    (``xfail``) unless ``strict``.
    """
    import pytest  # noqa: PLC0415 - keeps pytest an optional dependency

    result = runner.run_check(get_check(check_id))
    if result.outcome is Outcome.SKIPPED:
        pytest.skip(result.detail)
    if result.outcome is Outcome.FAILED:
        if result.check.level is Level.RECOMMENDED and not strict:
            pytest.xfail(f"recommended clause not met: {result.detail}")
        pytest.fail(f"{check_id}: {result.check.clause}\n{result.detail}", pytrace=False)


def pytest_checks(patterns: Iterable[str] | None = None) -> Callable[..., None]:
    """A pytest test function parametrized with one test per contract check.

    Assign it to a ``test_*`` name in a test module::

        from durable_stores_client.contract import pytest_checks

        test_contract = pytest_checks()            # every check
        test_redis = pytest_checks(["redis"])      # or a selection by id glob

    The tests use the ``durable_stores_contract_runner`` fixture from this
    package's pytest plugin (installed with the package), which points at the
    server given by ``--durable-stores-contract-url`` or
    ``DURABLE_STORES_CONTRACT_URL``; without either, the tests are skipped.
    Override the ``durable_stores_contract_target`` fixture to aim them elsewhere
    (e.g. an in-process fake).

    Args:
        patterns: Check id globs to select (see `select_checks`); default all.
    """
    import pytest  # noqa: PLC0415 - keeps pytest an optional dependency

    ids = [c.id for c in select_checks(patterns)]

    @pytest.mark.parametrize("durable_stores_contract_check", ids)
    def test_contract(
        durable_stores_contract_check: str,
        durable_stores_contract_runner: ContractRunner,
        durable_stores_contract_strict: bool,
    ) -> None:
        run_check_in_test(
            durable_stores_contract_runner,
            durable_stores_contract_check,
            strict=durable_stores_contract_strict,
        )

    return test_contract
