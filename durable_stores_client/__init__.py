"""durable-stores-client: typed sync and async clients for the Durable Stores API.

Everything public is importable from here and listed in ``__all__``::

    from durable_stores_client import Client

    with Client() as client:
        notes = client.store(name="notes", kind="sqlite")
        notes.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)")
"""

from ._client import AsyncClient, Client
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ClientContextError,
    ConflictError,
    DurableStoresError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    ResponseTooLargeError,
    RowConversionError,
    RowCountError,
    StoreKindConflictError,
    UnprocessableEntityError,
)
from ._handles import AsyncStoreHandle, StoreHandle
from ._models import (
    CommandArgument,
    CommandResult,
    ExecuteResult,
    QueryResult,
    RepeatedColumnsWarning,
    Store,
    StoreKind,
    StoreKindName,
    converter,
)
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncStoreHandle",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientClosedError",
    "ClientContextError",
    "CommandArgument",
    "CommandResult",
    "ConflictError",
    "DurableStoresError",
    "ExecuteResult",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProtocolError",
    "QueryResult",
    "RateLimitError",
    "RepeatedColumnsWarning",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RowConversionError",
    "RowCountError",
    "Store",
    "StoreHandle",
    "StoreKind",
    "StoreKindConflictError",
    "StoreKindName",
    "UnprocessableEntityError",
    "__version__",
    "converter",
]
