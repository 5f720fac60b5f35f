"""The project's promises about itself: the README's commands are what CI runs."""

from __future__ import annotations

import re
from importlib.metadata import distribution, metadata
from pathlib import Path

from durable_stores_client import __version__

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Set up and run.*?```console\n(.*?)```", readme, re.S)
    assert block, "README.md lost its 'Set up and run' console block"
    return [
        line
        for line in block.group(1).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_gives_exactly_two_commands() -> None:
    assert len(_readme_commands()) == 2


def test_ci_runs_both_readme_commands_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in _readme_commands():
        assert command in ci, f".ci/run does not run the README command: {command}"


#: What the package index gets: the installed distribution's metadata, built from pyproject.
METADATA = metadata("durable-stores-client")


def test_the_licence_text_ships_with_the_package() -> None:
    assert METADATA["License-Expression"] == "MIT"
    assert METADATA.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    shipped = [str(path) for path in distribution("durable-stores-client").files or []]
    assert f"durable_stores_client-{__version__}.dist-info/licenses/LICENSE" in shipped


def test_no_made_up_project_urls() -> None:
    # Homepage, Documentation, Source, Changelog: only once the project has a public home.
    assert METADATA.get_all("Project-URL") is None


def test_the_package_index_description_reads_on_its_own() -> None:
    description = METADATA.get_payload()  # type: ignore[attr-defined]
    assert description == (ROOT / "PYPI.md").read_text(encoding="utf-8")
    assert METADATA["Description-Content-Type"] == "text/markdown"
    # An index page has no repository around it: every link must be absolute.
    links = re.findall(r"\]\(([^)]*)\)", description)
    links += re.findall(r'(?:href|src)="([^"]*)"', description)
    assert [link for link in links if not link.startswith("https://")] == []
    assert "pip install durable-stores-client" in description
