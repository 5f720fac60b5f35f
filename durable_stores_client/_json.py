"""Decoding JSON bodies: msgspec when it is installed (the ``speedups`` extra), else ``json.loads``.

The results are the same either way. msgspec is stricter than ``json.loads``: it refuses
``NaN`` and ``Infinity``, numbers beyond a double's range, lone surrogates and a UTF-8 byte
order mark; whatever it refuses goes to ``json.loads``, whose answer or error is final.
Integers of any size stay exact on both paths.

Why msgspec and not orjson (``docs/benchmarks.md``, scenario 3): on a 100,000-row result
both take about half of ``json.loads``'s time, but orjson first parses into a document of
its own, so its peak memory is 1.7 times ``json.loads``'s (resident; 3.2 times allocated),
where msgspec builds the Python objects directly (0.97 times); and orjson turns integers
beyond 64 bits into floats.

msgspec is imported on the first decode, not with the package.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["fast_loads", "loads"]

_UNRESOLVED: Any = object()
#: msgspec's decoder, None without msgspec, or unresolved until the first decode.
_fast: Callable[[bytes], Any] | None = _UNRESOLVED


def fast_loads() -> Callable[[bytes], Any] | None:
    """msgspec's JSON decoder when msgspec is installed, else None (imported on first call)."""
    global _fast  # noqa: PLW0603 (resolved once, on first use)
    if _fast is _UNRESOLVED:
        try:
            import msgspec  # noqa: PLC0415 (an optional extra, imported when first used)
        except ImportError:
            _fast = None
        else:
            _fast = msgspec.json.Decoder().decode
    return _fast


def loads(content: bytes) -> Any:
    """Decode a JSON body: ``json.loads(content)``'s result or error, faster with msgspec."""
    fast = _fast if _fast is not _UNRESOLVED else fast_loads()
    if fast is not None:
        try:
            return fast(content)
        except ValueError:  # msgspec.DecodeError: json.loads may accept it, and decides
            pass
    return json.loads(content)
