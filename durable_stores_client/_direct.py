"""Sending a request straight to the pool's transport, without ``httpx.Client.send``'s layers.

Around the transport call, ``httpx.Client.send`` runs layers that do nothing for a pool
without auth, event hooks, redirects to follow, proxies or cookies: the auth flow, the
redirect loop, the hooks, and a pass of the cookie jar over every answer (an ``urllib``
request wrapper each time, ``Set-Cookie`` or not). Client CPU per small query against the
benchmarks' minimal server: 498 µs through ``send``, 352 µs calling the transport
(``docs/benchmarks.md``). :func:`route` says whether a pool is such a pool, and which
transport to call; :func:`send` / :func:`send_async` then do what ``send`` does that can
still matter:

- a transport error carries its request (``httpx.RequestError.request``);
- the answer knows its request, its default encoding and, once read, its elapsed time
  (httpx's own bound stream sets it);
- an answer's ``Set-Cookie`` goes into the pool's cookie jar, as ``send`` would put it (a
  pool with cookies then takes ``send`` again, so they are sent back);
- httpx's ``HTTP Request: ...`` log line, when the ``httpx`` logger is enabled for INFO.

Any other pool (yours with hooks or auth, proxies from the environment, ...) goes through
``send`` as before. The bytes on the wire are the same either way (tests compare them).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, cast

import httpx

if TYPE_CHECKING:
    from ._aiohttp import Head

try:  # httpx's own bound streams: they time the answer exactly as send does
    from httpx._client import BoundAsyncStream, BoundSyncStream
except ImportError:  # pragma: no cover - a future httpx: always go through send
    BoundAsyncStream = BoundSyncStream = None  # type: ignore[assignment,misc]

__all__ = ["received_head", "route", "send", "send_async"]

_httpx_logger = logging.getLogger("httpx")
_INFO = logging.INFO


def route(http: httpx.Client | httpx.AsyncClient) -> Any:
    """The transport to call for ``http`` directly, or None when ``send`` must run.

    Direct only when ``send`` would add nothing but the bookkeeping :func:`send` does: the
    pool is open, has no auth, no event hooks, no cookies, does not follow redirects, and
    has one transport for every URL (no proxies or other mounts).
    """
    if BoundSyncStream is None or http.is_closed or http.auth is not None:
        return None
    if http.follow_redirects or http.cookies:
        return None
    hooks = http.event_hooks
    if hooks["request"] or hooks["response"]:
        return None
    if getattr(http, "_mounts", True):  # proxies or other mounts: send picks the transport
        return None
    return getattr(http, "_transport", None)


def send(
    http: httpx.Client, transport: httpx.BaseTransport, request: httpx.Request
) -> httpx.Response:
    """What ``http.send(request, stream=True)`` does, for a pool :func:`route` chose."""
    started = time.perf_counter()
    try:
        response = transport.handle_request(request)
    except httpx.RequestError as error:
        error.request = request
        raise
    stream = cast("httpx.SyncByteStream", response.stream)  # a sync transport's
    response.stream = BoundSyncStream(stream, response=response, start=started)
    _received(http, request, response)
    return response


async def send_async(
    http: httpx.AsyncClient, transport: httpx.AsyncBaseTransport, request: httpx.Request
) -> httpx.Response:
    """What ``await http.send(request, stream=True)`` does, for a pool :func:`route` chose."""
    started = time.perf_counter()
    try:
        response = await transport.handle_async_request(request)
    except httpx.RequestError as error:
        error.request = request
        raise
    stream = cast("httpx.AsyncByteStream", response.stream)  # an async transport's
    response.stream = BoundAsyncStream(stream, response=response, start=started)
    _received(http, request, response)
    return response


def received_head(http: httpx.AsyncClient, head: Head) -> None:
    """What :func:`send_async` does with an answer, for one read without an ``httpx.Response``.

    ``head`` is the aiohttp pool's answer to a :class:`._aiohttp.Wire`: a ``Set-Cookie``
    goes into the pool's cookie jar, and httpx's log line is written as ``send`` writes it.
    """
    if "set-cookie" in head.headers:
        http.cookies.extract_cookies(head.response())
    if _httpx_logger.isEnabledFor(_INFO):
        _httpx_logger.info(
            'HTTP Request: %s %s "%s %d %s"',
            head.method,
            head.url,
            "HTTP/1.1",
            head.status_code,
            head.reason,
        )


def _received(
    http: httpx.Client | httpx.AsyncClient, request: httpx.Request, response: httpx.Response
) -> None:
    response.request = request
    if "set-cookie" in response.headers:
        http.cookies.extract_cookies(response)
    response.default_encoding = getattr(http, "_default_encoding", "utf-8")
    if _httpx_logger.isEnabledFor(_INFO):
        _httpx_logger.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )
