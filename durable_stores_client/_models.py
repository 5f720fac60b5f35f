"""The result types: stores, store kinds, and query, execute and command results.

All are frozen attrs classes. Payloads, configs and rows are opaque JSON: kept as
decoded, never copied row by row, so decoding a large query result costs little
more than ``json.loads``.

Each shape is defined once, by the ``from_dict`` / ``to_dict`` functions here:
cheap shape checks that raise :class:`ValueError` or :class:`TypeError` when the
data does not match (the client turns that into a ``ProtocolError``).
:func:`converter` is the package's one cattrs converter, with exactly those
functions as its hooks; it is built (and cattrs imported) on first use so
``import durable_stores_client`` stays fast. The client calls the same
functions directly, skipping cattrs' dispatch on the per-request hot path.

Timestamps are parsed by :func:`parse_timestamp`, which accepts RFC 3339 with
``Z`` or an offset and 0 to 9 fractional digits on every supported Python
(``datetime.fromisoformat`` on 3.10 cannot).
"""

from __future__ import annotations

import enum
import functools
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, TypeVar, overload

import attrs

from ._exceptions import RowConversionError, RowCountError
from ._redaction import redact_json

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "CommandArgument",
    "CommandResult",
    "ExecuteResult",
    "QueryResult",
    "RepeatedColumnsWarning",
    "Store",
    "StoreKind",
    "StoreKindName",
    "converter",
    "format_timestamp",
    "parse_timestamp",
    "stores_from_list",
]


class StoreKind(str, enum.Enum):
    """The storage engine behind a store (the contract's ``kind``).

    A ``str`` subclass: ``StoreKind.SQLITE == "sqlite"`` is true, and a member
    can be sent wherever a kind string is expected.
    """

    SQLITE = "sqlite"
    """An SQLite database file (``query`` / ``execute``)."""
    POSTGRES = "postgres"
    """A PostgreSQL database (``query`` / ``execute``)."""
    MYSQL = "mysql"
    """A MySQL database (``query`` / ``execute``)."""
    REDIS = "redis"
    """A Redis database (``command``)."""

    def __str__(self) -> str:
        """Return the wire value, e.g. ``"sqlite"``."""
        return self.value

    @property
    def is_sql(self) -> bool:
        """True for the SQL engines (query / execute), False for Redis (command)."""
        return self is not StoreKind.REDIS


#: A kind as its wire string, for type-checked ``kind=`` arguments.
StoreKindName = Literal["sqlite", "postgres", "mysql", "redis"]

#: One argument of a Redis command as the clients take it (as redis-py does): ints and
#: floats are sent in their ``str()`` form, bytes as the UTF-8 text they encode.
CommandArgument = str | int | float | bytes

_T = TypeVar("_T")

_KINDS: dict[str, StoreKind] = {kind.value: kind for kind in StoreKind}

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware :class:`~datetime.datetime`.

    Accepts ``Z`` (or ``z``) and ``+HH:MM`` / ``-HH:MM`` offsets, a ``T``,
    ``t`` or space separator, and 0 to 9 fractional digits (digits beyond
    microseconds are truncated), on every supported Python version.

    Args:
        value: For example ``"2026-02-16T10:00:00.123456789+00:00"`` or
            ``"2026-02-16T10:00:00Z"``.

    Returns:
        An aware datetime (``tzinfo`` is :data:`datetime.timezone.utc` for
        ``Z`` and ``+00:00``).

    Raises:
        ValueError: ``value`` is not an RFC 3339 timestamp with an offset.
        TypeError: ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise TypeError(f"timestamp must be a string, got {type(value).__name__}")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp with an offset: {value!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu or (off_h == "00" and off_m == "00"):
        tz = timezone.utc
    else:
        delta = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-delta if sign == "-" else delta)
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime the way the server does (``+00:00`` style offset).

    Args:
        value: An aware datetime.

    Returns:
        An RFC 3339 string such as ``"2026-02-16T10:00:00.123456+00:00"``.
    """
    return value.isoformat()


def _copy_json(value: Any) -> Any:
    """Copy a JSON value (dicts and lists deeply, scalars as they are)."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


_STORE_FIELDS = ("id", "name", "kind", "sandbox", "config", "created_at", "updated_at")


@attrs.frozen(repr=False)
class Store:
    """A durable store record, as the server describes it.

    Build one from the server's JSON with :meth:`from_dict`; :meth:`to_dict`
    gives that JSON back exactly, unknown fields included (forward
    compatibility) and ``sandbox`` omitted when the server omitted it.

    The repr masks every config value whose key contains ``password``,
    ``secret`` or ``token`` (at any depth), so printing a store never shows a
    credential.

    Stores are hashable by id, so they work in sets and as dict keys; equality
    still compares every field (two snapshots of one store taken around a
    change hash alike but are not equal).

    Attributes:
        id: The store's id (a UUIDv7 string made by the server).
        name: The store's name, trimmed.
        kind: The storage engine.
        sandbox: The sandbox the store belongs to, or None.
        config: Engine-specific configuration: opaque JSON, usually an object
            but kept exactly as the server sent it when it is another JSON value
            (a list, a string, a number, a boolean); a copy, so changing it does
            not change :meth:`to_dict`.
        created_at: When the store was created (aware datetime).
        updated_at: When the store was last changed (aware datetime).
    """

    id: str
    name: str
    kind: StoreKind
    sandbox: str | None
    config: Any
    created_at: datetime
    updated_at: datetime
    _raw: dict[str, Any] | None = attrs.field(default=None, eq=False, alias="raw")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Store:
        """Build a store from the server's JSON record.

        Args:
            data: A store record (``id``, ``name``, ``kind``, ``config``,
                ``created_at``, ``updated_at``, optional ``sandbox``, and any
                fields a newer server adds).

        Returns:
            The store; it keeps a copy of ``data`` for :meth:`to_dict`.

        Raises:
            TypeError: ``data`` or one of its fields has the wrong type.
            ValueError: ``kind`` is unknown, a timestamp does not parse, or a
                required field is missing.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a store record must be a JSON object, got {type(data).__name__}")
        missing = [
            key for key in ("id", "name", "kind", "created_at", "updated_at") if key not in data
        ]
        if missing:
            raise ValueError(f"store record lacks {', '.join(missing)}")
        store_id, name, kind = data["id"], data["name"], data["kind"]
        if not isinstance(store_id, str) or not isinstance(name, str):
            raise TypeError("store record 'id' and 'name' must be strings")
        store_kind = _KINDS.get(kind) if isinstance(kind, str) else None
        if store_kind is None:
            raise ValueError(f"store record has unknown kind {kind!r}")
        sandbox = data.get("sandbox")
        if sandbox is not None and not isinstance(sandbox, str):
            raise TypeError("store record 'sandbox' must be a string when present")
        # Any JSON value: the server keeps a non-object config as given.
        config = data.get("config", {})
        raw = _copy_json(dict(data))
        return cls(
            id=store_id,
            name=name,
            kind=store_kind,
            sandbox=sandbox,
            config=_copy_json(config),
            created_at=parse_timestamp(data["created_at"]),
            updated_at=parse_timestamp(data["updated_at"]),
            raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the store as JSON (a fresh copy each call).

        For a store built by :meth:`from_dict`, exactly the record the server
        sent, unknown fields included. For a store built directly, the
        contract's fields (``sandbox`` omitted when None).
        """
        if self._raw is not None:
            result: dict[str, Any] = _copy_json(self._raw)
            return result
        record: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind.value}
        if self.sandbox is not None:
            record["sandbox"] = self.sandbox
        record["config"] = _copy_json(self.config)
        record["created_at"] = format_timestamp(self.created_at)
        record["updated_at"] = format_timestamp(self.updated_at)
        return record

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the server sent that this client version does not know (a copy)."""
        if self._raw is None:
            return {}
        return {
            key: _copy_json(value) for key, value in self._raw.items() if key not in _STORE_FIELDS
        }

    def __hash__(self) -> int:
        """Hash of the id: stores work as dict keys and in sets.

        Equal stores (every field equal) have the same id, so the same hash;
        two snapshots of one store taken before and after a change hash alike
        but are not equal.
        """
        return hash(self.id)

    def __repr__(self) -> str:
        """Show the store with secret-like config values masked."""
        parts = [
            f"id={self.id!r}",
            f"name={self.name!r}",
            f"kind={self.kind.value!r}",
            f"sandbox={self.sandbox!r}",
            f"config={redact_json(self.config)!r}",
            f"created_at={self.created_at!r}",
            f"updated_at={self.updated_at!r}",
        ]
        extra = self.extra
        if extra:
            parts.append(f"extra={redact_json(extra)!r}")
        return f"Store({', '.join(parts)})"


@attrs.frozen
class QueryResult:
    """The answer to a query: column names and rows.

    Rows are the JSON objects the server sent (keyed by column name, in column
    order), kept as decoded. A result reads like the list of its rows:
    ``for row in result``, ``len(result)``, ``result[0]``, ``result[-1]``,
    ``result[:10]`` (a list of rows).

    Attributes:
        columns: The column names, in order.
        rows: The rows, each a dict from column name to JSON value.
        row_count: The number of rows, as the server reported it.
    """

    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueryResult:
        """Build a result from the server's ``{"columns", "rows", "row_count"}``.

        Only the shape is checked (cheaply); rows are not copied or converted.

        Raises:
            TypeError: The data does not have that shape.
        """
        if type(data) is not dict:
            raise TypeError(f"a query result must be a JSON object, got {type(data).__name__}")
        columns = data.get("columns")
        rows = data.get("rows")
        row_count = data.get("row_count")
        if type(columns) is not list or type(rows) is not list:
            raise TypeError("a query result needs 'columns' and 'rows' arrays")
        if type(row_count) is not int:
            raise TypeError("a query result needs an integer 'row_count'")
        if rows and type(rows[0]) is not dict:
            raise TypeError("query result rows must be JSON objects")
        if len(set(columns)) != len(columns):
            _warn_repeated_columns(columns)
        return cls(columns=columns, rows=rows, row_count=row_count)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as the contract's JSON object (rows not copied)."""
        return {"columns": self.columns, "rows": self.rows, "row_count": self.row_count}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Iterate over the rows."""
        return iter(self.rows)

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.rows)

    @overload
    def __getitem__(self, index: SupportsIndex) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> dict[str, Any] | list[dict[str, Any]]:
        """Return one row (``result[0]``), or a list of rows for a slice (``result[:10]``).

        Raises:
            IndexError: No row at that index.
        """
        return self.rows[index]

    def first(self) -> dict[str, Any] | None:
        """Return the first row, or None when there are no rows."""
        return self.rows[0] if self.rows else None

    def one(self) -> dict[str, Any]:
        """Return the only row.

        Raises:
            RowCountError: The result has no rows or more than one.
        """
        if len(self.rows) != 1:
            raise RowCountError(len(self.rows))
        return self.rows[0]

    def rows_as(self, cls: type[_T], *, converter: cattrs.Converter | None = None) -> list[_T]:
        """Return the rows as instances of ``cls`` (an attrs class or a dataclass).

        Each row is structured with :func:`converter` (the package's cattrs
        converter: register hooks on it for your own types), or the
        ``converter`` given. Columns become the fields of the same name;
        columns the class does not declare are ignored.

        Example:
            >>> @attrs.frozen
            ... class Note:
            ...     id: int
            ...     body: str
            >>> result.rows_as(Note)
            [Note(id=1, body='hello')]

        Raises:
            RowConversionError: A row does not fit ``cls``; it names the row's
                index and the column.
        """
        structure = _row_structurer(cls, converter)
        return [structure(index, row) for index, row in enumerate(self.rows)]

    def one_as(self, cls: type[_T], *, converter: cattrs.Converter | None = None) -> _T:
        """Return the only row as an instance of ``cls`` (see :meth:`rows_as`).

        Raises:
            RowCountError: The result has no rows or more than one.
            RowConversionError: The row does not fit ``cls``.
        """
        row = self.one()
        return _row_structurer(cls, converter)(0, row)

    def first_as(self, cls: type[_T], *, converter: cattrs.Converter | None = None) -> _T | None:
        """Return the first row as an instance of ``cls``, or None when there are no rows.

        Raises:
            RowConversionError: The row does not fit ``cls``.
        """
        if not self.rows:
            return None
        return _row_structurer(cls, converter)(0, self.rows[0])

    def scalar(self) -> Any:
        """Return the first column of the first row, or None when there are no rows.

        Note that None is also what a NULL in that cell gives; use
        :meth:`first` or :meth:`one` to tell the two apart.
        """
        if not self.rows:
            return None
        row = self.rows[0]
        if self.columns:
            return row.get(self.columns[0])
        return next(iter(row.values()), None)


@attrs.frozen
class ExecuteResult:
    """The answer to an execute.

    Attributes:
        rows_affected: How many rows the statement changed.
        last_insert_rowid: The last inserted row id (SQLite always sends it,
            0 when nothing was inserted), or None when the engine omits it.
    """

    rows_affected: int
    last_insert_rowid: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecuteResult:
        """Build a result from ``{"rows_affected", "last_insert_rowid"?}``.

        Raises:
            TypeError: The data does not have that shape.
        """
        if type(data) is not dict:
            raise TypeError(f"an execute result must be a JSON object, got {type(data).__name__}")
        rows_affected = data.get("rows_affected")
        last = data.get("last_insert_rowid")
        if type(rows_affected) is not int:
            raise TypeError("an execute result needs an integer 'rows_affected'")
        if last is not None and type(last) is not int:
            raise TypeError("an execute result's 'last_insert_rowid' must be an integer")
        return cls(rows_affected=rows_affected, last_insert_rowid=last)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON (``last_insert_rowid`` omitted when None)."""
        record: dict[str, Any] = {"rows_affected": self.rows_affected}
        if self.last_insert_rowid is not None:
            record["last_insert_rowid"] = self.last_insert_rowid
        return record


@attrs.frozen
class CommandResult:
    """The answer to a Redis command.

    Attributes:
        result: The reply as JSON: null for nil, numbers, strings (base64 when
            not UTF-8), lists, objects, booleans, ``"OK"`` for status replies.
    """

    result: Any

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommandResult:
        """Build a result from ``{"result": <json>}``.

        Raises:
            TypeError: The data is not an object with a ``result`` field.
        """
        if type(data) is not dict or "result" not in data:
            raise TypeError("a command result must be a JSON object with a 'result' field")
        return cls(result=data["result"])

    def to_dict(self) -> dict[str, Any]:
        """Return the result as ``{"result": <json>}``."""
        return {"result": self.result}


def stores_from_list(data: Any) -> list[Store]:
    """Build stores from the server's JSON array of store records.

    Raises:
        TypeError: ``data`` is not an array, or a record has a wrong type.
        ValueError: A record is invalid (see :meth:`Store.from_dict`).
    """
    if type(data) is not list:
        raise TypeError(f"a store list must be a JSON array, got {type(data).__name__}")
    return [Store.from_dict(item) for item in data]


@functools.cache
def converter() -> cattrs.Converter:
    """Return the package's cattrs converter (built, and cattrs imported, on first use).

    :meth:`QueryResult.rows_as`, :meth:`~QueryResult.one_as` and
    :meth:`~QueryResult.first_as` structure rows with it. Register hooks on it
    for the types your rows hold, once, at start-up::

        from decimal import Decimal
        from durable_stores_client import converter

        converter().register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))

    Out of the box, besides cattrs' defaults: ``datetime`` fields parse RFC
    3339 text with an offset (:func:`parse_timestamp`), and ``str`` fields
    take text or numbers but refuse NULL and objects (cattrs alone would make
    ``"None"``: declare ``str | None`` for a nullable column).

    It also structures the server's JSON into :class:`Store`, ``list[Store]``,
    :class:`QueryResult`, :class:`ExecuteResult` and :class:`CommandResult`,
    and unstructures them back to JSON, through the ``from_dict`` /
    ``to_dict`` methods (so there is one definition of each shape).

    Example:
        >>> converter().unstructure(store) == store.to_dict()
        True
    """
    import cattrs  # noqa: PLC0415 - import-time test: the package must not load cattrs

    conv = cattrs.Converter()
    for cls in (Store, QueryResult, ExecuteResult, CommandResult):
        conv.register_structure_hook(cls, _structure_hook(cls))
        conv.register_unstructure_hook(cls, _unstructure_hook)
    conv.register_structure_hook_func(
        lambda cls: cls == list[Store], lambda data, _: stores_from_list(data)
    )
    conv.register_structure_hook(StoreKind, lambda value, _: StoreKind(value))
    conv.register_unstructure_hook(StoreKind, lambda kind: kind.value)
    conv.register_structure_hook(datetime, lambda value, _: parse_timestamp(value))
    conv.register_unstructure_hook(datetime, format_timestamp)
    conv.register_structure_hook(str, _strict_str)
    return conv


class RepeatedColumnsWarning(UserWarning):
    """A query's ``columns`` repeat a name, so its rows lost values.

    Rows are JSON objects keyed by column name: of two columns named ``id``
    (``SELECT * FROM a JOIN b ...``) each row keeps only the last. Alias them
    (``SELECT a.id AS a_id, b.id AS b_id ...``). Shown once per line of your
    code that ran the query (Python's default warning filter); turn it into
    an error in tests with ``-W error::durable_stores_client.RepeatedColumnsWarning``.
    """


def _warn_repeated_columns(columns: list[str]) -> None:
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for name in columns:
        if name in seen:
            repeated[name] = None
        seen.add(name)
    names = ", ".join(repr(name) for name in repeated)
    warnings.warn(
        f"the query's columns repeat {names}: each row keeps only the last column of a name, "
        "so values were lost; alias them (SELECT a.id AS a_id, b.id AS b_id ...)",
        RepeatedColumnsWarning,
        stacklevel=_caller_stacklevel(),
    )


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package.

    Counted from the function that calls ``warnings.warn`` (stacklevel 1) up
    through the package's frames (``from_dict``, the client, a handle...), so
    the warning names the user's line and is shown once per such line.
    """
    frame = sys._getframe(2)  # the caller of the function that warns: stacklevel 2
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


_PACKAGE = __name__.rpartition(".")[0] + "."


def _row_structurer(
    cls: type[_T], conv: cattrs.Converter | None
) -> Callable[[int, dict[str, Any]], _T]:
    """Return ``structure(index, row)`` for ``cls``, raising :class:`RowConversionError`."""
    if not isinstance(cls, type):
        raise TypeError(f"rows_as() needs a class, got {cls!r}")
    chosen = converter() if conv is None else conv
    structure = chosen.get_structure_hook(cls)

    def structure_row(index: int, row: dict[str, Any]) -> _T:
        try:
            result: _T = structure(row, cls)
        except Exception as exc:
            raise _row_error(exc, index, row, cls) from exc
        return result

    return structure_row


def _row_error(error: Exception, index: int, row: dict[str, Any], cls: type[Any]) -> Exception:
    """The :class:`RowConversionError` for ``error`` (cattrs' own, usually a group)."""
    from cattrs.errors import ClassValidationError  # noqa: PLC0415 - as cattrs (import-time test)

    target = cls.__name__
    failures: list[tuple[Exception, str | None]] = [(error, None)]
    if isinstance(error, ClassValidationError):
        with_notes, without = error.group_exceptions()
        failures = [(exc, note.name) for exc, note in with_notes]
        failures += [(exc, None) for exc in without]
    first, column = failures[0]
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    if column is None:
        message = f"row {index}: cannot make a {target}: {_describe(first)}{more}"
    elif isinstance(first, KeyError) and column not in row:
        message = (
            f"row {index}, column {column!r}: the row has no such column for {target}.{column} "
            f"(its columns: {', '.join(map(repr, row))}); select it, alias it, or give the "
            f"field a default{more}"
        )
    else:
        message = (
            f"row {index}, column {column!r}: cannot make {target}.{column} from "
            f"{_excerpt(row.get(column))}: {_describe(first)}{more}"
        )
    return RowConversionError(message, row_index=index, column=column, target=cls)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _excerpt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _strict_str(value: Any, _: Any) -> str:
    """Structure a ``str`` field: text as is, numbers in their ``str()`` form.

    cattrs' default would turn NULL into ``"None"`` and an object into its
    repr; those raise instead (declare ``str | None`` for a nullable column).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    what = "NULL" if value is None else type(value).__name__
    raise TypeError(f"expected text, got {what}")


def _structure_hook(cls: Any) -> Any:
    from_dict = cls.from_dict
    return lambda data, _: from_dict(data)


def _unstructure_hook(value: Any) -> Any:
    return value.to_dict()
