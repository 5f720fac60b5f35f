"""The reliability report: figures are written where the env var says, the table script renders
them into ``docs/reliability.md``, and the published figures say what the tests assert."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hardening_report import ReliabilityFigures
from reliability_table import END, START, main, table

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_figures_merge_into_the_report_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text(json.dumps({"older": {"kept": 1}, "faults": {"stale": 1}}))
    figures = ReliabilityFigures()
    figures.add("faults", "retries_taken", 3)
    figures.add("faults", "retries_taken", 2)
    figures.set("faults", writes_lost=0)
    figures.write(target)
    written = json.loads(target.read_text())
    assert written == {"older": {"kept": 1}, "faults": {"retries_taken": 5, "writes_lost": 0}}


def test_the_table_script_fills_the_page_between_its_markers(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps({"faults": {"operations": 1000, "writes_lost": 0, "retries_taken": 7}})
    )
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\n{START}\nold\n{END}\n\nafter\n")
    assert main([str(report), "--write", str(page)]) == 0
    text = page.read_text()
    assert "old" not in text
    assert text.startswith("# Title")
    assert text.rstrip().endswith("after")
    assert "| Operations under faults | 1,000 |" in text
    assert "| Retries taken | 7 |" in text
    bare = tmp_path / "bare.md"
    bare.write_text("# No markers\n")
    assert main([str(report), "--write", str(bare)]) == 1
    assert bare.read_text() == "# No markers\n"


def test_the_published_page_holds_a_run_with_nothing_lost_duplicated_or_5xx() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert START in text
    assert END in text
    published = text.split(START)[1].split(END)[0]
    assert "| **Writes lost** | **0** |" in published
    assert "| **Writes duplicated** | **0** |" in published
    assert "| **5xx for client input** | **0** |" in published
    operations = re.search(r"\| Operations under faults \| ([\d,]+) \|", published)
    assert operations is not None
    assert int(operations.group(1).replace(",", "")) >= 1000
    assert table({}).startswith("| Figure |")
