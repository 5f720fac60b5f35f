"""The idempotency cache: a write's ``Idempotency-Key`` answers once, then replays that answer.

Keys are honoured on writes only (:data:`IDEMPOTENT_OPERATIONS`: create,
execute, command); a query is a read and simply runs again, so no read answer
is ever kept. The first write with a key runs and its answer (below 500) is
kept; the same key with the same method, path and body replays it with
``Idempotent-Replayed: true``; with another request, or while the first still
runs, it is a 409. Least recently used keys are forgotten first, so that at
most :data:`MAX_IDEMPOTENCY_KEYS` keys and :data:`MAX_IDEMPOTENCY_BYTES` bytes
of answers are kept (the answer just kept stays even when it alone is larger).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import attrs

from ._answers import RawResponse, failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Fingerprint = tuple[str, str, bytes]

#: The operations whose ``Idempotency-Key`` the fake honours: the writes.
IDEMPOTENT_OPERATIONS = frozenset({"create", "execute", "command"})
#: How many idempotency keys the fake remembers.
MAX_IDEMPOTENCY_KEYS = 10_000
#: How many bytes of kept answers (bodies, headers and keys) the fake remembers.
MAX_IDEMPOTENCY_BYTES = 64 * 1024 * 1024
#: What one kept entry costs beside its key and answer (fingerprint, bookkeeping).
_ENTRY_OVERHEAD = 256

_OTHER_REQUEST = (
    "Idempotency-Key was already used with a different request; use a new key for a new request"
)
_IN_PROGRESS = "a request with this Idempotency-Key is still in progress"


@attrs.define
class IdempotencyEntry:
    """What the fake remembers about one ``Idempotency-Key``."""

    fingerprint: Fingerprint
    response: RawResponse | None = None  # set once the first call finished
    size: int = 0  # the bytes it holds, once the first call finished


def fingerprint(method: str, path: str, body: bytes) -> Fingerprint:
    """What makes two requests with one key "the same request"."""
    return (method, path, hashlib.sha256(body).digest())


class IdempotencyCache:
    """Keys to their first answers, least recently used first; thread-safe."""

    def __init__(
        self, *, max_keys: int = MAX_IDEMPOTENCY_KEYS, max_bytes: int = MAX_IDEMPOTENCY_BYTES
    ) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, IdempotencyEntry] = OrderedDict()
        self._max_keys = max_keys
        self._max_bytes = max_bytes
        self._bytes = 0

    @property
    def size(self) -> int:
        """The bytes of the answers kept (bodies, headers and keys)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._entries))

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def answer(
        self,
        key: str,
        request: Fingerprint,
        run: Callable[[], RawResponse],
    ) -> RawResponse:
        """The answer for ``key``: ``run()``'s the first time, the earlier one after.

        ``run`` is not called when the key already has an answer (replayed), is
        still running, or was used for another request (both 409). An answer of
        500 or above, or an exception, forgets the key so a retry runs again.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = IdempotencyEntry(request)
                self._entries[key] = entry
                earlier = None
            elif entry.fingerprint != request:
                earlier = failure(409, _OTHER_REQUEST)
            elif entry.response is None:
                earlier = failure(409, _IN_PROGRESS)
            else:
                self._entries.move_to_end(key)
                first = entry.response
                earlier = RawResponse(
                    first.status, [*first.headers, ("idempotent-replayed", "true")], first.body
                )
        if earlier is not None:
            return earlier
        try:
            response = run()
        except BaseException:
            self._forget(key, entry)
            raise
        if response.status >= 500:
            self._forget(key, entry)
            return response
        size = _ENTRY_OVERHEAD + len(key) + len(response.body)
        size += sum(len(name) + len(value) for name, value in response.headers)
        with self._lock:
            if self._entries.get(key) is not entry:
                return response  # forgotten meanwhile (a reset): nothing to keep
            entry.response = response
            entry.size = size
            self._bytes += size
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and (
                len(self._entries) > self._max_keys or self._bytes > self._max_bytes
            ):
                _, oldest = self._entries.popitem(last=False)
                self._bytes -= oldest.size
        return response

    def _forget(self, key: str, entry: IdempotencyEntry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
                self._bytes -= entry.size
