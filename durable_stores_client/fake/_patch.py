"""The respx front end: route every httpx request to a base URL into the fake."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import respx

from ._transports import finish_async, finish_sync, request_headers

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from ._handler import Handler


def make_router(handler: Handler, base_url: str) -> respx.MockRouter:
    """A respx router whose single catch-all route under ``base_url`` is the fake."""

    def side_effect(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        exchange = handler.prepare(
            request.method,
            request.url.raw_path.decode("latin-1"),
            request_headers(request),
            request.read(),
        )
        if exchange.delay or exchange.disconnect:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return finish_sync(exchange, request)
            # respx awaits an awaitable side effect for async clients.
            return finish_async(exchange, request)
        return finish_sync(exchange, request)

    router = respx.MockRouter(base_url=base_url, assert_all_called=False)
    router.route(name="durable-stores-fake").mock(side_effect=side_effect)
    return router
