"""What the command line says when a call fails: one error line, then hints.

The client's exception texts start with the Python method that failed
(``list_stores failed: ...``) and name the request by its path under the base URL.
A command line user ran a command, not a method, and may have given a base URL with a
path prefix: the error line names their command and shows the full URL requested.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .. import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    ProtocolError,
)
from .._config import DEFAULT_BASE_URL
from ._output import printable

if TYPE_CHECKING:
    from .. import DurableStoresError

#: The client's ``<operation> failed: `` prefix.
_OPERATION = re.compile(r"^\w+ failed: ")
#: The request as the client names it: ``GET /stores -> HTTP 404``.
_RELATIVE_REQUEST = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/\S*) -> HTTP\b")
#: An HTML page's title, from the start of its body the exception keeps.
_TITLE = re.compile(r"<title>([^<]*)</title>", re.IGNORECASE)


def error_lines(exc: DurableStoresError, command: str, server: str) -> list[str]:
    """The error line for ``exc`` raised by ``command`` (``durable-stores execute``), and hints.

    Args:
        exc: The client's exception.
        command: The user's command, as it prefixes the error line.
        server: The base URL the command talks to.
    """
    text = _OPERATION.sub("", str(exc), count=1)
    base = server.rstrip("/")
    text = _RELATIVE_REQUEST.sub(lambda match: f"{match[1]} {base}{match[2]} -> HTTP", text, 1)
    if _is_html(exc):  # a web page's markup says nothing here: the hint gives its title
        text = text.split("; body starts ", 1)[0]
    return [f"{command}: error: {printable(text)}", *_hints(exc, server)]


def _is_html(exc: DurableStoresError) -> bool:
    return isinstance(exc, ProtocolError) and "html" in (exc.content_type or "").lower()


def _hints(exc: DurableStoresError, server: str) -> list[str]:
    if isinstance(exc, APITimeoutError):
        return ["  (the server did not answer in time; --timeout SECONDS waits longer)"]
    if isinstance(exc, APIConnectionError):
        start = (
            "Start the bundled fake there with `durable-stores fake-server`, or set"
            if server.rstrip("/") == DEFAULT_BASE_URL
            else "Set"
        )
        return [
            f"  (is a Durable Stores server running at {server}? "
            f"{start} --base-url or DURABLE_STORES_BASE_URL.)"
        ]
    if isinstance(exc, AuthenticationError):
        return ["  (pass the server's API key with --api-key or DURABLE_STORES_API_KEY)"]
    if isinstance(exc, ProtocolError):
        what = "not the Durable Stores API's JSON envelope"
        if _is_html(exc):
            title = _TITLE.search(exc.excerpt)
            what = f"an HTML page, {title[1].strip()!r}" if title else "an HTML page"
        return [f"  (the answer is {what}: is {server} the right base URL?)"]
    if isinstance(exc, NotFoundError) and exc.message != "Store not found":
        # Only a store can be missing on the contract's routes; anything else is a route the
        # server does not have, at a base URL that is not the API's.
        return [f"  (no such route on this server: is {server} the right base URL?)"]
    return []
