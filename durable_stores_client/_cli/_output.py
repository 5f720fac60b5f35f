"""Printing results: ``table`` for people, ``json`` and ``jsonl`` for programs.

JSON output is exactly the opaque data the server sent (a store record, a query's
``{"columns", "rows", "row_count"}``, ...). Tables are for reading: long cells are
shortened, credentials in a store's config are masked, characters a terminal would act
on (ESC, BEL, backspace, ...) are shown escaped (:func:`printable`), and a table taller
than the terminal goes through the pager (``$PAGER``, else ``less``) when stdout is a
terminal.
"""

from __future__ import annotations

import json
import pydoc
import re
import shutil
import sys
from datetime import timezone
from typing import TYPE_CHECKING, Any

from .._models import parse_timestamp
from .._redaction import redact_json

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Mapping, Sequence

#: Longest cell a table shows before shortening it with an ellipsis.
MAX_CELL_WIDTH = 60

#: What a terminal acts on instead of showing: C0 controls, DEL, C1 controls, and the
#: bidirectional embeddings, overrides and isolates that reorder the text after them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every terminal control character shown escaped.

    ``\\n``, ``\\r`` and ``\\t`` by name, the others as ``\\x1b`` or ``\\u202e``, so
    a store name or a row value cannot move the cursor, ring the bell, erase what
    was printed or reorder the line. Everything else is left as it is.
    """
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def output_format(args: argparse.Namespace) -> str:
    """The format asked for with ``--output``; else table on a terminal, JSON when piped."""
    chosen: str | None = getattr(args, "output", None)
    if chosen:
        return chosen
    return "table" if sys.stdout.isatty() else "json"


def cell(value: Any, *, null: str = "NULL", width: int | None = MAX_CELL_WIDTH) -> str:
    """One table cell: strings as they are, other JSON values as JSON, shortened if long.

    Control characters are shown escaped (:func:`printable`).
    """
    if value is None:
        text = null
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    text = printable(text)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "\u2026"
    return text


def short_time(value: Any) -> str:
    """An RFC 3339 timestamp as ``YYYY-MM-DD HH:MM:SSZ`` in UTC (anything else unchanged)."""
    if not isinstance(value, str):
        return cell(value)
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        return cell(value)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def render_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns under a header and a rule, two spaces apart."""
    body = [list(row) for row in rows]
    widths = [len(header) for header in headers]
    for row in body:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))

    def line(texts: Sequence[str]) -> str:
        return "  ".join(
            text.ljust(width) for text, width in zip(texts, widths, strict=False)
        ).rstrip()

    out = [line(headers), line(["-" * width for width in widths])]
    out.extend(line(row) for row in body)
    return "\n".join(out)


def render_mapping(record: Mapping[str, Any]) -> str:
    """A single record as ``key  value`` lines, keys aligned, values in full."""
    if not record:
        return "(empty)"
    keys = [printable(str(key)) for key in record]
    width = max(len(key) for key in keys)
    return "\n".join(
        f"{key.ljust(width)}  {cell(value, width=None)}"
        for key, value in zip(keys, record.values(), strict=True)
    )


def page(text: str) -> None:
    """Print ``text``; through the pager when stdout is a terminal and it would not fit."""
    if sys.stdout.isatty():
        rows = shutil.get_terminal_size().lines
        if text.count("\n") + 1 >= rows:
            pydoc.pager(text)
            return
    print(text)


def emit_json(data: Any, fmt: str) -> None:
    """Print ``data`` as indented JSON (``json``) or as one compact line (``jsonl``)."""
    if fmt == "jsonl":
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(json.dumps(data, ensure_ascii=False, indent=2))


def emit_items(items: Sequence[Any], fmt: str) -> None:
    """A list: one JSON array (``json``) or one JSON value per line (``jsonl``)."""
    if fmt == "jsonl":
        for item in items:
            print(json.dumps(item, ensure_ascii=False))
    else:
        print(json.dumps(list(items), ensure_ascii=False, indent=2))


def emit_stores(records: Sequence[Mapping[str, Any]], fmt: str) -> None:
    """A store listing."""
    if fmt != "table":
        emit_items(list(records), fmt)
        return
    if not records:
        print("(no stores)")
        return
    headers = ("ID", "NAME", "KIND", "SANDBOX", "CREATED")
    rows = [
        (
            cell(record.get("id")),
            cell(record.get("name")),
            cell(record.get("kind")),
            cell(record.get("sandbox"), null="-"),
            short_time(record.get("created_at")),
        )
        for record in records
    ]
    count = len(records)
    page(render_table(headers, rows) + f"\n({count} store{'s' if count != 1 else ''})")


def emit_store(record: Mapping[str, Any], fmt: str) -> None:
    """One store record (credentials in its config masked in a table)."""
    if fmt != "table":
        emit_json(dict(record), fmt)
        return
    shown = dict(record)
    if "config" in shown:
        shown["config"] = redact_json(shown["config"])
    if shown.get("sandbox") is None:
        shown.pop("sandbox", None)
    print(render_mapping(shown))


def emit_query(data: Mapping[str, Any], fmt: str) -> None:
    """A query result: its data in JSON, its rows in ``jsonl``, a psql-like table."""
    columns: list[str] = list(data.get("columns") or [])
    rows: list[Mapping[str, Any]] = list(data.get("rows") or [])
    if fmt == "json":
        emit_json(dict(data), fmt)
        return
    if fmt == "jsonl":
        emit_items(rows, fmt)
        return
    if not columns and rows:
        columns = list(rows[0])
    headers = [printable(str(name)) for name in columns]
    table = render_table(headers, ([cell(row.get(name)) for name in columns] for row in rows))
    count = data.get("row_count", len(rows))
    page(f"{table}\n({count} row{'s' if count != 1 else ''})")
