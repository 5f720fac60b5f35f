"""Every error the client raises, and the mapping from an HTTP status to its class.

The tree::

    DurableStoresError
    ├── APIError                      the server answered with an error envelope
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409 (and agentkernel's duplicate-name 500)
    │   │   └── StoreKindConflictError    ensure_store: the name is taken by another kind
    │   ├── PayloadTooLargeError      413
    │   ├── UnprocessableEntityError  422
    │   ├── RateLimitError            429
    │   └── InternalServerError       5xx
    ├── APIConnectionError            no answer: could not connect, connection lost
    │   └── APITimeoutError           no answer in time
    ├── ProtocolError                 an answer that is not the envelope
    │   └── ResponseTooLargeError     an answer over max_response_bytes (decoded)
    ├── ClientClosedError             a call on (or during) a closed client
    ├── ClientContextError            a pool given with http_client= used in another
    │                                 process (after a fork) or event loop
    └── RowCountError                 QueryResult.one() without exactly one row

Exception text never contains the API key or a secret-like value. Every
exception pickles (a worker process can raise one to its parent): the copy keeps
the text and every attribute except ``response``, the raw answer, which stays in
the process that raised it (it holds the request's ``Authorization`` header and
whatever the server echoed); the copy's ``response`` is None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ClientContextError",
    "ConflictError",
    "DurableStoresError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "ResponseTooLargeError",
    "RowConversionError",
    "RowCountError",
    "StoreKindConflictError",
    "UnprocessableEntityError",
    "error_class_for_status",
]


class DurableStoresError(Exception):
    """Base class of every error this package raises on purpose.

    Catch this to handle any failure of a Durable Stores call. Bad arguments
    are not among them: they raise :class:`TypeError` or :class:`ValueError`
    before anything is sent.

    Every subclass pickles, so an error raised in a worker process (a
    :mod:`multiprocessing` pool, a :class:`concurrent.futures.ProcessPoolExecutor`)
    reaches the parent as the same class with the same text and attributes,
    except ``response`` (None in the copy: the raw answer holds credentials).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the class, the text and the attributes, without the raw response.

        Rebuilt without calling ``__init__`` (whose keyword-only arguments the
        default exception pickling cannot pass), so the text is kept exactly.
        """
        state = dict(self.__dict__)
        if state.get("response") is not None:
            state["response"] = None
        return (_rebuild, (type(self), self.args, state))


def _rebuild(cls: type[DurableStoresError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an error made by :meth:`DurableStoresError.__reduce__`."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class APIError(DurableStoresError):
    """The server answered with an error envelope (``{"success": false, ...}``).

    Attributes:
        status_code: The HTTP status of the answer; None only for a
            :class:`StoreKindConflictError`, which the client raises without
            an answer to blame.
        message: The envelope's ``error`` text, secrets masked.
        request_id: The ``x-request-id`` response header, or None.
        response: The :class:`httpx.Response`; None for a
            :class:`StoreKindConflictError`, and in a copy made by pickling.
    """

    status_code: int | None
    message: str
    request_id: str | None
    response: httpx.Response | None

    def __init__(
        self,
        description: str,
        *,
        status_code: int | None,
        message: str,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        """Create the error.

        Args:
            description: The full exception text (operation, status, message).
            status_code: The HTTP status.
            message: The server's ``error`` text.
            request_id: The ``x-request-id`` header, if any.
            response: The response, if any.
        """
        super().__init__(description)
        self.status_code = status_code
        self.message = message
        self.request_id = request_id
        self.response = response


class BadRequestError(APIError):
    """400: the server rejected the request (validation, SQL or engine failure)."""


class AuthenticationError(APIError):
    """401: the API key is missing, malformed or wrong."""


class PermissionDeniedError(APIError):
    """403: the API key may not do this."""


class NotFoundError(APIError):
    """404: no store with that id (or an unknown route)."""


class ConflictError(APIError):
    """409: a store with that name already exists, or an idempotency key was reused.

    Also raised for agentkernel's answer to a duplicate store name on create
    (500 ``failed to create durable store metadata``; :attr:`status_code` keeps
    the 500), and, as :class:`StoreKindConflictError`, by ``ensure_store`` when
    the named store exists with another kind.
    """


class StoreKindConflictError(ConflictError):
    """``ensure_store`` found a store with that name, but of another kind.

    The client decides this itself from the store listing: no answer is to
    blame, so :attr:`status_code`, :attr:`request_id` and :attr:`response` are
    None. A :class:`ConflictError`, so code that catches conflicts catches it.

    Attributes:
        name: The store name asked for (as the server stores it, trimmed).
        kind: The kind asked for.
        existing_kind: The kind of the store that has the name.
        store_id: The id of that store.
        operation: The client method that found it (``"ensure_store"``).
    """

    name: str
    kind: str
    existing_kind: str
    store_id: str
    operation: str

    def __init__(
        self,
        *,
        name: str,
        kind: str,
        existing_kind: str,
        store_id: str,
        operation: str = "ensure_store",
    ) -> None:
        """Create the error.

        Args:
            name: The store name asked for.
            kind: The kind asked for.
            existing_kind: The kind of the existing store.
            store_id: The existing store's id.
            operation: The client method that found it.
        """
        message = f"store {name!r} exists with kind {existing_kind!r}"
        super().__init__(
            f"{operation} failed: a store named {name!r} already exists with kind "
            f"{existing_kind!r}, not {kind!r} (id {store_id})",
            status_code=None,
            message=message,
        )
        self.name = name
        self.kind = kind
        self.existing_kind = existing_kind
        self.store_id = store_id
        self.operation = operation


class PayloadTooLargeError(APIError):
    """413: the request body is over the server's limit (16 MiB)."""


class UnprocessableEntityError(APIError):
    """422: the server understood the request but cannot process it."""


class RateLimitError(APIError):
    """429: too many requests; retried automatically within ``max_retries``."""


class InternalServerError(APIError):
    """5xx: the server failed."""


class APIConnectionError(DurableStoresError):
    """No answer: connecting failed or the connection broke.

    The underlying :mod:`httpx` exception is chained as ``__cause__``, with
    the API key and any raw protocol bytes it quoted (a server echoing the
    ``Authorization`` header into a malformed status line) removed from its
    text and from the exceptions chained below it.

    Attributes:
        operation: The client method that failed (``"get_store"``), or None.
        request: The last request sent, as an :class:`httpx.Request` holding
            the method, the URL (API key masked) and the headers with
            credentials masked, without the body; None if unknown.
        attempts: How many attempts were made (retries included).
    """

    operation: str | None
    request: httpx.Request | None
    attempts: int

    def __init__(
        self,
        description: str,
        *,
        operation: str | None = None,
        request: httpx.Request | None = None,
        attempts: int = 1,
    ) -> None:
        """Create the error.

        Args:
            description: The full exception text.
            operation: The client method that failed.
            request: The request, already masked (method, URL, headers).
            attempts: How many attempts were made.
        """
        super().__init__(description)
        self.operation = operation
        self.request = request
        self.attempts = attempts


class APITimeoutError(APIConnectionError):
    """No answer within the configured timeout."""


class ProtocolError(DurableStoresError):
    """The answer was not the envelope the contract promises.

    Raised for bodies that are not JSON, JSON of the wrong shape,
    ``"success": false`` on a 2xx status, data that does not match the
    operation's result, and bodies that cannot be decoded as their
    ``Content-Encoding`` says (then ``excerpt`` is empty). Never retried.

    Attributes:
        status_code: The HTTP status of the answer.
        content_type: The answer's ``Content-Type`` header, or None.
        excerpt: The first characters of the body, secrets masked.
        response: The :class:`httpx.Response` (None in a copy made by pickling).
    """

    status_code: int
    content_type: str | None
    excerpt: str
    response: httpx.Response | None

    def __init__(
        self,
        description: str,
        *,
        status_code: int,
        content_type: str | None,
        excerpt: str,
        response: httpx.Response | None = None,
    ) -> None:
        """Create the error.

        Args:
            description: The full exception text.
            status_code: The HTTP status.
            content_type: The ``Content-Type`` header.
            excerpt: The start of the body, secrets masked.
            response: The response.
        """
        super().__init__(description)
        self.status_code = status_code
        self.content_type = content_type
        self.excerpt = excerpt
        self.response = response


class ResponseTooLargeError(ProtocolError):
    """The answer's body, decoded, was longer than the client's ``max_response_bytes``.

    The client stops reading at the limit, so memory stays bounded (a gzip
    bomb, an endless chunked body). Never retried; ``excerpt`` is empty.

    Attributes:
        limit: The ``max_response_bytes`` that was exceeded.
    """

    limit: int

    def __init__(
        self,
        description: str,
        *,
        status_code: int,
        content_type: str | None,
        limit: int,
        response: httpx.Response | None = None,
    ) -> None:
        """Create the error.

        Args:
            description: The full exception text.
            status_code: The HTTP status.
            content_type: The ``Content-Type`` header.
            limit: The ``max_response_bytes`` that was exceeded.
            response: The response (its body not kept).
        """
        super().__init__(
            description,
            status_code=status_code,
            content_type=content_type,
            excerpt="",
            response=response,
        )
        self.limit = limit


class ClientClosedError(DurableStoresError):
    """The client was closed before or while the call ran.

    Raised by a call on a closed client, on a client derived from it with
    ``with_options``, and by calls still in flight when it was closed (a
    write among them may have been applied). Make a new client instead.
    """


class ClientContextError(DurableStoresError):
    """The client cannot use its connection pool here; nothing was sent.

    A client that made its own pool gets a new one in a forked process and in
    each event loop. A pool you gave with ``http_client=`` cannot be replaced:
    its connections belong to the process (and, for ``httpx.AsyncClient``, the
    event loop) it was first used in. Make the client where it is used, or
    let it make its own pool.
    """


class RowCountError(DurableStoresError, ValueError):
    """:meth:`QueryResult.one` found no row or more than one.

    Also a :class:`ValueError`, so code written for "exactly one" checks keeps
    working.

    Attributes:
        row_count: How many rows the result had.
    """

    row_count: int

    def __init__(self, row_count: int) -> None:
        """Create the error.

        Args:
            row_count: How many rows the result had.
        """
        what = "no rows" if row_count == 0 else f"{row_count} rows"
        super().__init__(f"expected exactly one row, the query returned {what}")
        self.row_count = row_count


class RowConversionError(DurableStoresError, ValueError):
    """A row could not be turned into the class given to ``rows_as`` / ``one_as`` / ``first_as``.

    Also a :class:`ValueError`. The message names the row, the column and
    what went wrong; the cattrs error is its ``__cause__``.

    Attributes:
        row_index: The row's index in the result (0 for the first).
        column: The column (the class's field name) that failed, or None when
            the failure was not about one field.
        target: The class the row was being made into.
    """

    row_index: int
    column: str | None
    target: type[Any]

    def __init__(
        self, message: str, *, row_index: int, column: str | None, target: type[Any]
    ) -> None:
        """Create the error.

        Args:
            message: What went wrong.
            row_index: The row's index.
            column: The failing column, or None.
            target: The class asked for.
        """
        super().__init__(message)
        self.row_index = row_index
        self.column = column
        self.target = target


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIError]:
    """Return the :class:`APIError` subclass for an HTTP status.

    Args:
        status_code: An HTTP status code.

    Returns:
        The matching subclass; :class:`InternalServerError` for any 5xx and
        :class:`APIError` itself for statuses without a dedicated class.
    """
    cls = _STATUS_CLASSES.get(status_code)
    if cls is not None:
        return cls
    if 500 <= status_code <= 599:
        return InternalServerError
    return APIError
