"""Placeholder scanning: the SQL outside string literals, quoted names and comments.

Three uses, one scanner:

- :func:`translate_placeholders`: ``$1``-style (PostgreSQL) placeholders become
  SQLite's ``?1``, and ``%s``-style (DB-API ``format``) ones ``?``, for the
  postgres emulation on SQLite.
- :func:`qmark_to_format`: MySQL's ``?`` placeholders become PyMySQL's ``%s``
  (and every ``%`` becomes ``%%``), for the real MySQL engine.
- :func:`foreign_placeholder`: the first placeholder that is not MySQL's ``?``,
  so the mysql emulation can refuse what MySQL would refuse.

String literals, quoted identifiers and comments are copied untouched, so a
``'$1'`` or ``'50%'`` or ``'?'`` inside quotes stays text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

#: Replaces the placeholder starting at ``sql[i]``: (replacement, end), or None to keep it.
_Rewrite = Callable[[str, int], "tuple[str, int] | None"]


def _code_positions(sql: str, specials: str) -> Iterator[int]:
    """Positions of ``specials`` characters outside literals, quoted names and comments."""
    i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = sql.find(ch, i + 1)
            # A doubled quote is an escaped quote inside the literal.
            while end != -1 and end + 1 < n and sql[end + 1] == ch:
                end = sql.find(ch, end + 2)
            i = n if end == -1 else end + 1
            continue
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
            continue
        if ch in specials:
            yield i
        i += 1


def _rewrite(sql: str, specials: str, rewrite: _Rewrite) -> str:
    out: list[str] = []
    start = 0
    skip_to = 0
    for i in _code_positions(sql, specials):
        if i < skip_to:
            continue
        replaced = rewrite(sql, i)
        if replaced is None:
            continue
        text, end = replaced
        out.append(sql[start:i])
        out.append(text)
        start = skip_to = end
    out.append(sql[start:])
    return "".join(out)


def _dollar_or_format(sql: str, i: int) -> tuple[str, int] | None:
    n = len(sql)
    if sql[i] == "$":
        j = i + 1
        while j < n and sql[j].isdigit():
            j += 1
        return ("?" + sql[i + 1 : j], j) if j > i + 1 else None
    if i + 1 < n and sql[i + 1] in "s%":
        return ("?" if sql[i + 1] == "s" else "%", i + 2)
    return None


def translate_placeholders(sql: str) -> str:
    """Return ``sql`` with ``$N`` and ``%s`` placeholders in SQLite's syntax."""
    if "$" not in sql and "%" not in sql:
        return sql
    return _rewrite(sql, "$%", _dollar_or_format)


def _qmark(_sql: str, i: int) -> tuple[str, int]:
    return ("%s", i + 1)


def qmark_to_format(sql: str) -> str:
    """Return ``sql`` with MySQL's ``?`` placeholders as ``%s`` and every ``%`` as ``%%``.

    PyMySQL formats the whole text, literals included, so every ``%`` is doubled.
    """
    escaped = sql.replace("%", "%%")
    return _rewrite(escaped, "?", _qmark) if "?" in escaped else escaped


def count_qmarks(sql: str) -> int:
    """How many ``?`` placeholders ``sql`` has outside literals and comments."""
    return sum(1 for _ in _code_positions(sql, "?")) if "?" in sql else 0


def foreign_placeholder(sql: str) -> str | None:
    """The first placeholder MySQL would not take (``$1``, ``?1``, ``:name``)."""
    n = len(sql)
    for i in _code_positions(sql, "$?:"):
        ch = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if ch in "$?" and nxt.isdigit():
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            return sql[i:j]
        if ch == ":" and (nxt.isalpha() or nxt == "_") and (i == 0 or sql[i - 1] != ":"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            return sql[i:j]
    return None


def outside_literals(sql: str) -> str:
    """``sql`` with string literals, quoted names and comments blanked out (same length)."""
    chars = [" "] * len(sql)
    for i in _code_positions(sql, _EVERY):
        chars[i] = sql[i]
    return "".join(chars)


class _Every(str):
    """Matches every character in ``_code_positions``' ``ch in specials`` test."""

    __slots__ = ()

    def __contains__(self, _item: object) -> bool:
        return True


_EVERY = _Every()
