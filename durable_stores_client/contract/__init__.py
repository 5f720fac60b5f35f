"""The contract suite: verify any Durable Stores server against the wire contract.

A catalogue of named checks (`CHECKS`), each verifying one clause of the contract
(``../shared/CONTRACT.md``) at wire level with httpx, or through this package's
`Client`. Run it from the command line (``durable-stores contract --base-url URL``),
from Python (`run_contract`), or from pytest (`pytest_checks` and the plugin's
``--durable-stores-contract-url`` option).

Example:
    >>> from durable_stores_client.contract import Target, run_contract
    >>> report = run_contract(Target("http://localhost:18888", api_key="..."))  # doctest: +SKIP
    >>> report.ok, report.failed_ids  # doctest: +SKIP
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._catalogue import CHECKS, get_check, select_checks
    from ._context import CheckContext, Diffs
    from ._model import Check, CheckFailed, CheckResult, CheckSkipped, Difference, Level, Outcome
    from ._options import parse_kinds, parse_store_config
    from ._pytest import pytest_checks, run_check_in_test
    from ._report import Report
    from ._runner import ContractRunner, run_contract
    from ._target import DEFAULT_KINDS, STORE_KINDS, Target

# Loaded on first use, so that importing the pytest plugin (a submodule) stays cheap.
_LAZY = {
    "CHECKS": "._catalogue",
    "get_check": "._catalogue",
    "select_checks": "._catalogue",
    "CheckContext": "._context",
    "Diffs": "._context",
    "Check": "._model",
    "CheckFailed": "._model",
    "CheckResult": "._model",
    "CheckSkipped": "._model",
    "Difference": "._model",
    "Level": "._model",
    "Outcome": "._model",
    "parse_kinds": "._options",
    "parse_store_config": "._options",
    "pytest_checks": "._pytest",
    "run_check_in_test": "._pytest",
    "Report": "._report",
    "ContractRunner": "._runner",
    "run_contract": "._runner",
    "DEFAULT_KINDS": "._target",
    "STORE_KINDS": "._target",
    "Target": "._target",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CHECKS",
    "DEFAULT_KINDS",
    "STORE_KINDS",
    "Check",
    "CheckContext",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "ContractRunner",
    "Difference",
    "Diffs",
    "Level",
    "Outcome",
    "Report",
    "Target",
    "get_check",
    "parse_kinds",
    "parse_store_config",
    "pytest_checks",
    "run_check_in_test",
    "run_contract",
    "select_checks",
]
