"""docs/contract.md's coverage table stays true: clause -> checks -> the fake -> tests.

The table maps each behaviour the contract states to the checks that verify it.
These tests fail when a check named there is renamed or removed, when a new check
is added without a row, or when a fake function or a test named there is gone.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from durable_stores_client.contract import CHECKS, get_check

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
SECTION = TEXT.split("## Coverage: every clause of the contract", 1)[1].split("\n## ", 1)[0]
ROWS = [
    [cell.strip() for cell in line.strip().strip("|").split("|")]
    for line in SECTION.splitlines()
    if line.startswith("| ") and not line.startswith("| Clause ")
]
_CODE = re.compile(r"`([^`]+)`")


def _codes(cell: str) -> list[str]:
    return _CODE.findall(cell)


def test_the_table_has_rows_of_four_cells() -> None:
    assert len(ROWS) > 50
    assert all(len(row) == 4 for row in ROWS), [row for row in ROWS if len(row) != 4]


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:60] for row in ROWS])
def test_every_check_named_exists(row: list[str]) -> None:
    for check_id in _codes(row[1]):
        get_check(check_id)  # KeyError names similar ids


def test_every_check_of_the_catalogue_has_a_row() -> None:
    named = {check_id for row in ROWS for check_id in _codes(row[1])}
    assert [c.id for c in CHECKS if c.id not in named] == []


def test_a_clause_without_a_check_names_a_test() -> None:
    for clause, checks, _fake, tests in ROWS:
        if not _codes(checks):
            assert _codes(tests), f"the clause {clause!r} has neither a check nor a test"


def _resolve(reference: str) -> object:
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(
                "durable_stores_client.fake." + ".".join(parts[:cut])
            )
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise AssertionError(f"no module of durable_stores_client.fake in {reference!r}")


@pytest.mark.parametrize("reference", sorted({code for row in ROWS for code in _codes(row[2])}))
def test_every_fake_function_named_exists(reference: str) -> None:
    assert _resolve(reference) is not None


@pytest.mark.parametrize("reference", sorted({code for row in ROWS for code in _codes(row[3])}))
def test_every_test_named_exists(reference: str) -> None:
    path, _, name = reference.partition("::")
    source = (ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^(async )?def {re.escape(name)}\(", source, re.M), reference
