"""Decoding answers: the envelope, API errors, protocol errors, connection errors.

A 2xx answer must be ``{"success": true, "data": ...}``; its ``data`` is
structured into the operation's result type with one decode (:func:`._json.loads`: orjson
when installed, else ``json.loads``, the same results either way) and cheap
shape checks. A non-2xx answer with ``{"success": false, "error": "..."}``
becomes the :class:`~durable_stores_client.APIError` subclass for its status.
Anything else (not JSON, another shape, ``success: false`` on a 2xx, ``data``
that does not fit the result) is a :class:`~durable_stores_client.ProtocolError`
naming the status, the content type and a short, secret-masked excerpt.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConflictError,
    ProtocolError,
    ResponseTooLargeError,
    error_class_for_status,
)
from ._json import loads
from ._redaction import redact_body, redact_exception_chain, redact_headers, redact_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._requests import PreparedCall, ResultT

__all__ = [
    "Answer",
    "BareAnswer",
    "as_response",
    "connection_error",
    "decode",
    "masked_request",
    "protocol_error",
    "too_large_error",
    "undecodable_body_error",
]

#: How much of a bad body a ProtocolError quotes.
EXCERPT_CHARS = 200
#: agentkernel's answer to a duplicate store name on create.
DUPLICATE_NAME_MESSAGE = "failed to create durable store metadata"


class BareAnswer(Protocol):
    """An answer read without an :class:`httpx.Response` (the aiohttp pool's direct path).

    What decoding a success and the retry decisions read; :meth:`response` makes the
    :class:`httpx.Response` an error carries, only when one is raised.
    """

    @property
    def status_code(self) -> int:
        """The status."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers, looked up case-insensitively."""

    @property
    def content(self) -> bytes:
        """The whole body (empty until it is read)."""

    def response(self) -> httpx.Response:
        """The same answer as an :class:`httpx.Response` with its request."""


#: An answer as the clients' loops pass it on.
Answer = httpx.Response | BareAnswer


def as_response(answer: Answer) -> httpx.Response:
    """``answer`` as the :class:`httpx.Response` an error keeps."""
    return answer if isinstance(answer, httpx.Response) else answer.response()


def decode(response: Answer, call: PreparedCall[ResultT], api_key: str | None) -> ResultT:
    """Return the structured result of an answer, or raise the matching error.

    Args:
        response: The final answer (its body already read): an :class:`httpx.Response`,
            or a :class:`BareAnswer` (made one only for an error).
        call: The call it answers.
        api_key: The client's key, masked wherever it would appear in text.

    Returns:
        ``call.decode_data(data)``.

    Raises:
        APIError: A subclass for the status, for an error envelope.
        ProtocolError: The body is not the envelope, or ``data`` has the
            wrong shape.
    """
    # The reasons are raised outside the except clauses: a JSONDecodeError keeps the
    # whole body (``.doc``), and would otherwise ride along as ``__context__``.
    failure: str | None = None
    try:
        body = loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        failure = "the body is not JSON"
    except RecursionError:  # nested deeper than the interpreter's recursion limit
        failure = "the body is JSON nested too deeply to decode"
    if failure is not None:
        raise protocol_error(as_response(response), call, failure, api_key)
    status = response.status_code
    if type(body) is dict:
        success = body.get("success")
        if success is True and 200 <= status < 300:
            try:
                return call.decode_data(body.get("data"))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                failure = f"its data does not fit the {call.operation} result: {exc}"
            except RecursionError:  # opaque JSON (a config, a row) nested absurdly deep
                failure = f"its data is nested too deeply to decode as the {call.operation} result"
            raise protocol_error(
                as_response(response), call, redact_text(failure, (api_key,)), api_key
            )
        if success is False:
            error = body.get("error")
            if 200 <= status < 300:
                reason = "the envelope says success: false on a 2xx status"
                raise protocol_error(as_response(response), call, reason, api_key)
            if isinstance(error, str):
                raise api_error(as_response(response), call, error, api_key)
    raise protocol_error(
        as_response(response), call, "the body is not the success/error envelope", api_key
    )


def api_error(
    response: httpx.Response, call: PreparedCall[Any], error: str, api_key: str | None
) -> APIError:
    """Build the :class:`APIError` subclass for an error envelope.

    agentkernel's 500 ``failed to create durable store metadata`` on a create
    becomes a :class:`ConflictError` (it is how that server reports a
    duplicate name).
    """
    status = response.status_code
    message = redact_text(error, (api_key,))
    request_id = response.headers.get("x-request-id")
    cls = error_class_for_status(status)
    hint = ""
    if status == 500 and call.operation == "create_store" and DUPLICATE_NAME_MESSAGE in message:
        cls = ConflictError
        hint = " (the server's way of saying a store with that name already exists)"
    text = f"{call.operation} failed: {call.method} {call.path} -> HTTP {status}: {message}{hint}"
    if request_id:
        text += f" [request id {request_id}]"
    return cls(
        text,
        status_code=status,
        message=message,
        request_id=request_id,
        response=response,
    )


def protocol_error(
    response: httpx.Response, call: PreparedCall[Any], reason: str, api_key: str | None
) -> ProtocolError:
    """Build a :class:`ProtocolError` naming status, content type and an excerpt.

    The excerpt is masked by the body's structure (:func:`redact_body`): a
    JSON body is parsed and shown again as compact JSON, secret members'
    values masked whole.

    Args:
        response: The answer.
        call: The call it answers.
        reason: What is wrong with the body.
        api_key: Masked in the excerpt.
    """
    status = response.status_code
    content_type = response.headers.get("content-type")
    excerpt = redact_body(response.content, (api_key,), limit=EXCERPT_CHARS * 5)
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[:EXCERPT_CHARS] + "..."
    text = (
        f"{call.operation} failed: {call.method} {call.path} -> HTTP {status} "
        f"(content-type {content_type or 'missing'}): {reason}; body starts {excerpt!r}"
    )
    return ProtocolError(
        text,
        status_code=status,
        content_type=content_type,
        excerpt=excerpt,
        response=response,
    )


def connection_error(
    error: Exception, call: PreparedCall[Any], base_url: str, api_key: str | None, attempts: int
) -> APIConnectionError:
    """Build the error for a request that got no answer.

    ``error`` and the exceptions chained below it are masked in place
    (:func:`redact_exception_chain`): chain it as the cause.

    Args:
        error: The ``httpx`` exception (chain it as the cause).
        call: The call.
        base_url: The base URL (never has credentials: they are refused).
        api_key: Masked in the text, the request and the chain.
        attempts: How many attempts were made.
    """
    secrets = (api_key,)
    redact_exception_chain(error, secrets)
    if isinstance(error, httpx.LocalProtocolError):
        # httpx quotes the offending header, which may be a credential: never repeat it.
        detail = "the request could not be sent: an illegal header name or value (not shown)"
    else:
        detail = redact_text(str(error) or type(error).__name__, secrets)
    tries = "" if attempts == 1 else f" after {attempts} attempts"
    where = f"{call.method} {base_url}{call.path}"
    timed_out = isinstance(error, httpx.TimeoutException)
    cls = APITimeoutError if timed_out else APIConnectionError
    outcome = "timed out" if timed_out else "got no answer"
    return cls(
        f"{call.operation} failed: {where} {outcome}{tries} ({type(error).__name__}: {detail})",
        operation=call.operation,
        request=masked_request(error, call, base_url, api_key),
        attempts=attempts,
    )


def masked_request(
    error: Exception, call: PreparedCall[Any], base_url: str, api_key: str | None
) -> httpx.Request:
    """A copy of the request an error is about, fit to keep, show and pickle.

    The method, the URL with the API key masked and the headers with
    credentials masked; no body. The request comes from ``error`` (httpx
    attaches it); failing that it is rebuilt from ``call`` and ``base_url``.
    """
    secrets = (api_key,)
    sent: httpx.Request | None = None
    if isinstance(error, httpx.RequestError):
        with contextlib.suppress(RuntimeError):  # raised when httpx attached no request
            sent = error.request
    if sent is None:
        return httpx.Request(call.method, redact_text(base_url + call.path, secrets))
    headers = {
        name: redact_text(value, secrets)
        for name, value in redact_headers(sent.headers.items()).items()
    }
    return httpx.Request(sent.method, redact_text(str(sent.url), secrets), headers=headers)


def undecodable_body_error(
    response: httpx.Response, call: PreparedCall[Any], error: Exception, api_key: str | None
) -> ProtocolError:
    """Build the :class:`ProtocolError` for an answer whose body could not be decoded.

    The server answered (status and headers arrived) but its body does not
    match its ``Content-Encoding`` (``httpx.DecodingError``, for example a
    corrupt gzip stream). The excerpt is empty: no decoded body exists.

    Args:
        response: The answer (closed; its body unread).
        call: The call it answers.
        error: The ``httpx.DecodingError`` (chain it as the cause).
        api_key: Masked in the text.
    """
    status = response.status_code
    headers = response.headers
    content_type = headers.get("content-type")
    encoding = headers.get("content-encoding")
    redact_exception_chain(error, (api_key,))
    detail = redact_text(str(error) or type(error).__name__, (api_key,))
    text = (
        f"{call.operation} failed: {call.method} {call.path} -> HTTP {status} "
        f"(content-type {content_type or 'missing'}, content-encoding {encoding or 'missing'}): "
        f"the body could not be decoded ({type(error).__name__}: {detail})"
    )
    return ProtocolError(
        text, status_code=status, content_type=content_type, excerpt="", response=response
    )


def too_large_error(response: httpx.Response, call: PreparedCall[Any], limit: int) -> ProtocolError:
    """Build the :class:`ResponseTooLargeError` for a body longer than ``limit`` decoded bytes.

    Args:
        response: The answer (closed; its body dropped).
        call: The call it answers.
        limit: The client's ``max_response_bytes``.
    """
    status = response.status_code
    headers = response.headers
    content_type = headers.get("content-type")
    encoding = headers.get("content-encoding")
    how = f", content-encoding {encoding}" if encoding else ""
    text = (
        f"{call.operation} failed: {call.method} {call.path} -> HTTP {status} "
        f"(content-type {content_type or 'missing'}{how}): the body is over "
        f"max_response_bytes ({limit:,} bytes decoded); reading stopped there. Raise "
        "max_response_bytes on the client if such answers are expected"
    )
    return ResponseTooLargeError(
        text, status_code=status, content_type=content_type, limit=limit, response=response
    )
