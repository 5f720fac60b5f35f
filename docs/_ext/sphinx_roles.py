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


class SpecializeGenericBases(griffe.Extension):
    """Show a generic base's methods with the type arguments the subclass gives it.

    ``Client(_BaseClient[httpx.Client, httpx.BaseTransport])`` inherits ``__init__`` from
    ``_BaseClient(Generic[HttpxClient, HttpxTransport])``: its signature would read
    ``http_client: HttpxClient | None``. Each inherited method whose annotations name the
    base's type variables gets a copy on the subclass with them replaced
    (``http_client: httpx.Client | None``), so the reference shows what mypy checks.
    """

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Specialise the inherited methods of every class in the package."""
        for cls in _classes(pkg, set()):
            for base in cls.bases:
                if isinstance(base, griffe.ExprSubscript):
                    _specialize(cls, base)


def _classes(obj: griffe.Object, seen: set[str]) -> list[griffe.Class]:
    if obj.path in seen:
        return []
    seen.add(obj.path)
    found = [obj] if isinstance(obj, griffe.Class) else []
    for member in obj.members.values():
        if not member.is_alias and (member.is_module or member.is_class):
            found += _classes(member, seen)  # type: ignore[arg-type]
    return found


def _specialize(cls: griffe.Class, base: griffe.ExprSubscript) -> None:
    try:
        generic = cls.modules_collection[base.left.canonical_path]  # type: ignore[union-attr]
    except (KeyError, AttributeError):
        return
    params = [
        str(arg)
        for parent in generic.bases
        if isinstance(parent, griffe.ExprSubscript) and str(parent.left).endswith("Generic")
        for arg in getattr(parent.slice, "elements", [parent.slice])
    ]
    args = [str(arg) for arg in getattr(base.slice, "elements", [base.slice])]
    if not params or len(params) != len(args):
        return
    names = dict(zip(params, args, strict=True))
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    for name, member in generic.members.items():
        if name in cls.members or not isinstance(member, griffe.Function):
            continue
        texts = [str(p.annotation) for p in member.parameters if p.annotation is not None]
        if not any(pattern.search(text) for text in texts):
            continue
        copy = griffe.Function(
            name,
            lineno=member.lineno,
            endlineno=member.endlineno,
            parameters=griffe.Parameters(
                *(
                    griffe.Parameter(
                        p.name,
                        annotation=None
                        if p.annotation is None
                        else pattern.sub(lambda m: names[m.group(1)], str(p.annotation)),
                        kind=p.kind,
                        default=p.default,
                    )
                    for p in member.parameters
                )
            ),
            returns=member.returns,
        )
        if member.docstring is not None:
            copy.docstring = griffe.Docstring(member.docstring.value, parent=copy)
        cls.set_member(name, copy)
