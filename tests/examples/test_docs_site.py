"""The documentation site: navigation, and an API reference that renders cleanly."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import durable_stores_client

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_spec = importlib.util.spec_from_file_location("sphinx_roles", DOCS / "_ext" / "sphinx_roles.py")
assert _spec
assert _spec.loader
sphinx_roles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sphinx_roles)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":class:`RetryPolicy`", "`RetryPolicy`"),
        ("see :meth:`~Client.with_options` and :func:`run`", "see `with_options` and `run`"),
        (":exc:`httpx.ConnectError`", "`httpx.ConnectError`"),
        (":data:`~durable_stores_client.DEFAULT_TIMEOUT`.", "`DEFAULT_TIMEOUT`."),
        (":py:attr:`Store.id`", "`Store.id`"),
        ("plain `code` and ``literal`` stay", "plain `code` and ``literal`` stay"),
        ("replacing the seams::\n\n    waits = []", "replacing the seams:\n\n    waits = []"),
        ("a::b and x = {'k':: 1}", "a::b and x = {'k':: 1}"),  # not at a line's end
        ("Run it.\n\n    Example:\n        >>> f()", "Run it.\n\n    Examples:\n        >>> f()"),
        ("An Example: of prose stays", "An Example: of prose stays"),
    ],
)
def test_sphinx_roles_become_inline_code(text: str, expected: str) -> None:
    assert sphinx_roles.rewrite(text) == expected


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1]
    return re.findall(r":\s*([\w/-]+\.md)\s*$", nav, re.M)


def test_every_page_is_in_the_nav_once() -> None:
    pages = _nav_pages()
    assert len(pages) == len(set(pages)), "a page is listed twice in mkdocs.yml's nav"
    on_disk = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    on_disk -= {name for name in on_disk if name.startswith("_")}
    assert set(pages) == on_disk
    assert pages[:2] == ["index.md", "quickstart.md"]  # home, then the quick start
    assert pages[-1] == "changelog.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


REFERENCE_PAGES = ["clients", "models", "exceptions", "fake", "contract"]


@pytest.mark.slow  # builds the site
@pytest.mark.parametrize("page", REFERENCE_PAGES)
def test_reference_page_renders_without_sphinx_roles_or_private_names(
    site: Path, page: str
) -> None:
    html = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article") : html.index("</article>")]
    text = re.sub(r"<[^>]+>", "", article)
    assert not re.search(r":(class|meth|func|attr|data|exc|mod|obj):", text)
    assert not re.search(r"\w::\s*$", text, re.M)  # reST literal-block markers
    assert "durable_stores_client._" not in text  # private module paths


#: Public names of the contract suite that only a check function needs (the registry
#: that would let users add checks is private), left out of the reference for now.
_CHECK_WRITING = {"CheckContext", "Diffs", "CheckFailed", "CheckSkipped"}


@pytest.mark.slow  # builds the site
def test_reference_documents_every_public_name(site: Path) -> None:
    from durable_stores_client import contract, fake

    text = "".join(
        (site / "reference" / page / "index.html").read_text(encoding="utf-8")
        for page in REFERENCE_PAGES
    )
    missing = [
        f"{module.__name__}.{name}"
        for module, exempt in [
            (durable_stores_client, set()),
            (fake, set()),
            (contract, _CHECK_WRITING),
        ]
        for name in module.__all__
        if not name.startswith("__") and name not in exempt
        if f'id="{module.__name__}.{name}"' not in text
    ]
    assert missing == []
    # Module constants carry their ``#:`` comment as their description.
    assert "Where the agentkernel daemon listens by default." in text


@pytest.mark.slow  # builds the site
@pytest.mark.parametrize("cls", [durable_stores_client.Client, durable_stores_client.AsyncClient])
def test_client_reference_shows_every_public_method(site: Path, cls: type) -> None:
    html = (site / "reference" / "clients" / "index.html").read_text(encoding="utf-8")
    public = [name for name in dir(cls) if not name.startswith("_")]
    assert {"with_options", "base_url", "list_stores", "ensure_store"} <= set(public)
    missing = [
        name for name in public if f'id="durable_stores_client.{cls.__name__}.{name}"' not in html
    ]
    assert missing == []  # inherited from a shared base class or not


def _article(site: Path, page: str) -> str:
    html = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


@pytest.mark.slow  # builds the site
def test_every_reference_example_is_a_code_block(site: Path) -> None:
    examples = 0
    for page in REFERENCE_PAGES:
        article = _article(site, page)
        # Markdown reads a bare ">>>" as three nested blockquotes: none may be left.
        assert "<blockquote" not in article, page
        blocks = re.findall(r"<pre\b.*?</pre>", article, re.S)
        outside = re.sub(r"<pre\b.*?</pre>", "", article, flags=re.S)
        assert "&gt;&gt;&gt;" not in outside, page
        examples += sum("&gt;&gt;&gt;" in block for block in blocks)
    # One per "Example:" section in a public docstring that the reference shows.
    assert examples >= 8


@pytest.mark.slow  # builds the site
def test_http_client_is_shown_as_an_httpx_client(site: Path) -> None:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", _article(site, "clients")))
    assert text.count("http_client httpx.Client | None") == 1
    assert text.count("http_client httpx.AsyncClient | None") == 1
    # the signatures too, not the generic base's type variables
    assert "http_client: httpx.Client | None = None" in text
    assert "transport: httpx.AsyncBaseTransport | None = None" in text
    assert "HttpxClient" not in text
    assert "HttpxTransport" not in text
