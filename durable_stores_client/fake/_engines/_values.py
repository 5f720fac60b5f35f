"""Results of the real SQL engines, and their one mapping to the contract face.

A real engine (PostgreSQL through psycopg, MySQL/MariaDB through PyMySQL)
answers a query with a :class:`SqlResult`: the column names, each column's
engine type name, and the rows as the driver typed them (``Decimal``,
``datetime``, ``UUID``, ``bytes``, lists, dicts, ...). :func:`query_payload`
turns one into the ``query`` payload of the contract face (CONTRACT.md's
"this project" column); a profile that answers as another server does can
post-process the same raw values and types instead.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import math
import uuid
from typing import TYPE_CHECKING, Any

import attrs

from . import EngineError

if TYPE_CHECKING:
    from collections.abc import Callable


@attrs.frozen
class SqlResult:
    """What a query answered, before any mapping to JSON.

    Attributes:
        engine: ``"postgres"`` or ``"mysql"``.
        columns: The column names, in order (also when there are no rows).
        types: Each column's type as the engine names it (``"numeric"``,
            ``"timestamptz"``, ``"int4[]"``; ``"DECIMAL"``, ``"DATETIME"``).
        rows: The rows as tuples of the driver's Python values.
    """

    engine: str
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def postgres_value(value: Any) -> Any:
    """A PostgreSQL value (as psycopg loads it) in the contract face's JSON.

    numeric as an exact string, timestamptz as RFC 3339 with its offset,
    timestamp/date/time as ISO text, uuid as text, arrays as JSON arrays,
    bytea as base64, json/jsonb as JSON values; a non-finite float is null.
    """
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is decimal.Decimal:
        return str(value)
    if kind is datetime.datetime or kind is datetime.date or kind is datetime.time:
        return value.isoformat()
    if kind is bytes or kind is bytearray or kind is memoryview:
        return _base64(bytes(value))
    if kind is list or kind is tuple:
        return [postgres_value(item) for item in value]
    if kind is dict:
        return value  # json/jsonb: already JSON values
    if kind is uuid.UUID:
        return str(value)
    return str(value)  # inet, interval text, ranges, enums: the engine's text form


def _mysql_time(value: datetime.timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if value.microseconds:
        text += f".{value.microseconds:06d}"
    return text


def mysql_value(value: Any) -> Any:
    """A MySQL/MariaDB value (as PyMySQL loads it) in the contract face's JSON.

    integers and floats as numbers, DECIMAL as an exact string, DATETIME and
    TIMESTAMP as ``"YYYY-MM-DD HH:MM:SS"``, DATE as ``"YYYY-MM-DD"``, TIME as
    ``"HH:MM:SS"``, JSON columns as their text, BLOB (and BIT) as base64.
    """
    kind = type(value)
    if value is None or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is decimal.Decimal:
        return str(value)
    if kind is datetime.datetime:
        return str(value)  # "YYYY-MM-DD HH:MM:SS[.ffffff]"
    if kind is datetime.date:
        return value.isoformat()
    if kind is datetime.timedelta:
        return _mysql_time(value)
    if kind is bytes or kind is bytearray:
        return _base64(bytes(value))
    if kind is set:  # SET columns, when a converter makes sets
        return ",".join(sorted(value))
    return str(value)


_MAPPERS: dict[str, Callable[[Any], Any]] = {"postgres": postgres_value, "mysql": mysql_value}


def query_payload(result: SqlResult) -> dict[str, Any]:
    """The contract face's ``query`` payload: rows keyed by name, values mapped."""
    columns = result.columns
    if len(set(columns)) != len(columns):
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        raise EngineError(f"query result repeats column names ({', '.join(repeated)}); alias them")
    convert = _MAPPERS[result.engine]
    rows = [
        {column: convert(value) for column, value in zip(columns, row, strict=True)}
        for row in result.rows
    ]
    return {"columns": list(columns), "rows": rows, "row_count": len(rows)}
