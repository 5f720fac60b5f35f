"""A griffe extension for the API reference: the package's Sphinx habits, rendered.

The package's docstrings are Google style, but some refer to other objects the Sphinx way
(``:class:`RetryPolicy```, ``:meth:`~Client.with_options```). mkdocstrings renders those
literally (":class:RetryPolicy"), so this rewrites each one to inline code before the
docstrings are parsed: ``RetryPolicy``, ``with_options`` (a leading ``~`` keeps only the
last dotted part, as in Sphinx). A paragraph ending in reST's ``::`` literal-block marker
ends in ``:`` instead, as Sphinx shows it. An ``Example:`` section (Google style's
singular, which griffe reads as an admonition, so its ``>>>`` lines became nested
blockquotes) is read as ``Examples:``, whose ``>>>`` lines render as code blocks.

Module constants are documented with ``#:`` comments above them, which griffe does not
read; an attribute without a docstring gets its ``#:`` comment as one.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


#: reST's literal-block marker: a paragraph ending in "::" introduces an indented code
#: block, and Sphinx shows the marker as ":" (Markdown already reads the indented block).
_LITERAL_MARKER = re.compile(r"(\S)::$", re.M)


#: Google style's singular section title, alone on its line.
_EXAMPLE_SECTION = re.compile(r"^(\s*)Example:$", re.M)


def rewrite(text: str) -> str:
    """Return ``text`` with Sphinx roles as inline code, ``::`` markers as ``:`` and
    ``Example:`` sections as ``Examples:``."""
    text = _EXAMPLE_SECTION.sub(r"\1Examples:", text)
    return _LITERAL_MARKER.sub(r"\1:", _ROLE.sub(_code, text))


class SphinxRolesToCode(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of the loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package once it is loaded."""
        self._walk(pkg, set())

    def _walk(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is None and obj.is_attribute:
            comment = _comment_above(obj)
            if comment:
                obj.docstring = griffe.Docstring(comment, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)  # type: ignore[arg-type]


def _comment_above(obj: griffe.Object) -> str:
    """The ``#:`` comment lines right above an attribute's assignment, joined."""
    if not obj.lineno:
        return ""
    lines = obj.module.lines
    index = obj.lineno - 2
    words: list[str] = []
    while index >= 0 and lines[index].strip().startswith("#:"):
        words.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return " ".join(words)
