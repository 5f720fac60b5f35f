"""A fake Durable Stores server for tests: in-process, patched in, or over real HTTP.

Like moto or fakeredis, it is state plus thin front ends: one handler answers
exactly as the wire contract says, with real SQLite (and fakeredis for redis
stores), and every front end adapts its I/O to it.

Example:
    >>> from durable_stores_client.fake import FakeServer
    >>> fake = FakeServer()
    >>> with fake.client() as client:
    ...     store = client.create_store(name="notes", kind="sqlite")
    ...     client.execute_store(store.id, "CREATE TABLE t (x)").rows_affected
    0
"""

from ._handler import MAX_BODY_BYTES
from ._ids import Clock, IdSource
from ._records import RecordedRequest, StoreRecord
from ._server import FAKE_BASE_URL, FakeServer
from ._state import OPERATIONS
from ._transports import AsyncFakeTransport, FakeTransport

__all__ = [
    "FAKE_BASE_URL",
    "MAX_BODY_BYTES",
    "OPERATIONS",
    "AsyncFakeTransport",
    "Clock",
    "FakeServer",
    "FakeTransport",
    "IdSource",
    "RecordedRequest",
    "StoreRecord",
]
