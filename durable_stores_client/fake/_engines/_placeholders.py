"""Placeholder translation for the postgres/mysql emulation on SQLite.

``$1``-style (PostgreSQL) placeholders become SQLite's ``?1``; ``%s``-style
(DB-API ``format``, as in psycopg and PyMySQL) placeholders become ``?`` and
``%%`` becomes ``%``. String literals, quoted identifiers and comments are
copied untouched, so a ``'$1'`` or ``'50%s'`` inside quotes stays text.
"""

from __future__ import annotations


def translate_placeholders(sql: str) -> str:
    """Return ``sql`` with ``$N`` and ``%s`` placeholders in SQLite's syntax."""
    if "$" not in sql and "%" not in sql:
        return sql
    out: list[str] = []
    i = 0
    n = len(sql)
    start = 0
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
        if ch == "$" and i + 1 < n and sql[i + 1].isdigit():
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            out.append(sql[start:i])
            out.append("?" + sql[i + 1 : j])
            start = i = j
            continue
        if ch == "%" and i + 1 < n and sql[i + 1] in "s%":
            out.append(sql[start:i])
            out.append("?" if sql[i + 1] == "s" else "%")
            start = i = i + 2
            continue
        i += 1
    out.append(sql[start:])
    return "".join(out)
