"""docs/contract.md stays true: its code runs, and its sample report is today's catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from durable_stores_client.contract import CHECKS
from durable_stores_client.fake import FakeServer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = [
    (TEXT.count("\n", 0, match.start()) + 1, match.group(1))
    for match in re.finditer(r"^```python\n(.*?)^```", TEXT, re.S | re.M)
]


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"contract.md:{n}" for n, _ in BLOCKS])
def test_python_block_runs(line: int, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DURABLE_STORES_BASE_URL", "DURABLE_STORES_API_KEY", "AGENTKERNEL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with FakeServer().patch("http://localhost:18888"):
        exec(compile(code, f"contract.md:{line}", "exec"), namespace)
    if "durable_stores_contract_target" in namespace:
        # The conftest example: its fixture must give a working in-process target.
        fixture = namespace["durable_stores_contract_target"]
        target = fixture.__wrapped__()  # type: ignore[attr-defined]
        assert target.transport is not None


def test_sample_report_lists_the_whole_catalogue_in_order() -> None:
    sample = TEXT.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    rows = [line.split()[:2] for line in sample[1:-1] if line.strip()]
    assert rows == [[c.id, c.level.value] for c in CHECKS]
    # Skipped: the postgres and mysql checks (default kinds) and the opt-in heavy ones.
    skipped = len([c for c in CHECKS if c.large or c.kinds - {"sqlite", "redis"}])
    assert sample[-1].startswith(
        f"contract: {len(CHECKS) - skipped} passed, 0 failed, {skipped} skipped "
        f"of {len(CHECKS)} checks"
    )
