"""The respx front end: route every httpx request to a base URL into the fake."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

import respx

from ._transports import finish_async, finish_sync, request_headers

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from ._handler import Handler

# Whether respx resolves the current request for an async client: respx calls
# the router's ``async_handler`` for those and ``handler`` for sync clients, so
# the call itself says which it is (a sync client may well run inside an event
# loop, as in an async test).
_ASYNC_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "durable_stores_fake_async_call", default=False
)


class _FakeRouter(respx.MockRouter):
    """A respx router that tells its routes whether the request came from an async client."""

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _ASYNC_CALL.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC_CALL.reset(token)


def make_router(handler: Handler, base_url: str) -> respx.MockRouter:
    """A respx router whose single catch-all route under ``base_url`` is the fake."""

    def side_effect(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        exchange = handler.prepare(
            request.method,
            request.url.raw_path.decode("latin-1"),
            request_headers(request),
            request.read(),
        )
        if _ASYNC_CALL.get():
            # respx awaits an awaitable side effect for async clients.
            return finish_async(exchange, request)
        return finish_sync(exchange, request)

    router = _FakeRouter(base_url=base_url, assert_all_called=False)
    router.route(name="durable-stores-fake").mock(side_effect=side_effect)
    return router
