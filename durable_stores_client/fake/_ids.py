"""Store ids (UUIDv7) and timestamps (RFC 3339, nanoseconds) for the fake."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone

#: A zero-argument callable returning an aware datetime.
Clock = Callable[[], datetime]
#: A zero-argument callable returning a store id, or an iterable of ids.
IdSource = Callable[[], str] | Iterable[str]

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)


class UUID7Generator:
    """Lowercase hyphenated UUIDv7 strings (RFC 9562), monotonic per generator.

    48 bits of Unix milliseconds, version 7, 12 bits of sub-millisecond
    sequence (seeded randomly each millisecond, incremented within it, so ids
    made by one generator sort in creation order), variant ``10``, 62 random
    bits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._seq = 0

    def __call__(self) -> str:
        """Return a new id."""
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._seq = int.from_bytes(os.urandom(2), "big") & 0x7FF
            else:
                # Same (or an earlier, clock stepped back) millisecond: stay monotonic.
                self._seq += 1
                if self._seq > 0xFFF:
                    self._last_ms += 1
                    self._seq = 0
                ms = self._last_ms
            seq = self._seq
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand_b
        return str(uuid.UUID(int=value))


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as the server does: UTC, ``+00:00``, 9 fractional digits.

    Raises:
        ValueError: ``moment`` is naive (the fake never guesses a time zone).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            "the FakeServer clock must return an aware datetime, "
            f"got the naive {moment!r}; use datetime(..., tzinfo=timezone.utc)"
        )
    utc = moment.astimezone(_UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond * 1000:09d}+00:00"


def now_timestamp() -> str:
    """The current time, formatted like :func:`format_timestamp`, to the nanosecond."""
    ns = time.time_ns()
    seconds, nanos = divmod(ns, 1_000_000_000)
    whole = _EPOCH + timedelta(seconds=seconds)
    return f"{whole:%Y-%m-%dT%H:%M:%S}.{nanos:09d}+00:00"


def timestamp_source(clock: Clock | None) -> Callable[[], str]:
    """Turn the user's ``clock`` into a function returning timestamp strings."""
    if clock is None:
        return now_timestamp
    if not callable(clock):
        raise TypeError(
            f"clock must be a zero-argument callable returning an aware datetime, got {clock!r}"
        )

    def from_clock() -> str:
        return format_timestamp(clock())

    return from_clock


def id_source(ids: IdSource | None) -> Callable[[], str]:
    """Turn the user's ``ids`` into a function returning the next id."""
    if ids is None:
        return UUID7Generator()
    if callable(ids):
        produce = ids

        def from_callable() -> str:
            return _checked_id(produce())

        return from_callable
    if isinstance(ids, (str, bytes)):
        raise TypeError("ids must be a callable or an iterable of id strings, not a single string")
    try:
        iterator: Iterator[str] = iter(ids)
    except TypeError:
        raise TypeError(
            f"ids must be a zero-argument callable or an iterable of strings, got {ids!r}"
        ) from None
    lock = threading.Lock()

    def from_iterable() -> str:
        with lock:
            try:
                value = next(iterator)
            except StopIteration:
                raise RuntimeError(
                    "the FakeServer ran out of store ids: the iterable given as ids= is exhausted"
                ) from None
        return _checked_id(value)

    return from_iterable


def _checked_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"FakeServer ids must produce non-empty strings, got {value!r}")
    return value
