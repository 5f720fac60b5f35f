"""The aiohttp connection pool ``AsyncClient(http_backend="aiohttp")`` makes for itself.

httpcore's async pool scans all its connections several times per request, which at 50
requests in flight costs more than everything else a call does (``docs/benchmarks.md``,
scenario 8). aiohttp's pool does not, so an ``AsyncClient`` can run on it, through the
``httpx-aiohttp`` transport (the ``aiohttp`` extra), as openai-python offers too. It is an
``httpx.AsyncClient`` like the default pool, so requests, answers, errors, the size limit
and the time limits are the same; a new one is made per process and per event loop as for
the default pool.

aiohttp runs on asyncio only: under another async library (trio) a call raises
:class:`~durable_stores_client.ClientContextError` before anything is sent.

This module imports ``httpx_aiohttp`` (and aiohttp): it is imported only when a client
asks for the aiohttp pool.
"""

from __future__ import annotations

import asyncio

import httpx

from ._exceptions import ClientContextError

try:
    import httpx_aiohttp
except ImportError as missing:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        'http_backend="aiohttp" needs the aiohttp extra: '
        "pip install 'durable-stores-client[aiohttp]'"
    ) from missing

__all__ = ["make_pool"]


class _AsyncioOnlyTransport(httpx_aiohttp.AiohttpTransport):
    """httpx-aiohttp's transport, refusing clearly to run outside asyncio."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on aiohttp's pool (asyncio only)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise ClientContextError(
                'nothing was sent: http_backend="aiohttp" runs on asyncio only, and this '
                "call runs under another async library (trio?); leave out http_backend to "
                "use the default pool, which runs on both"
            ) from None
        return await super().handle_async_request(request)


def make_pool(timeout: httpx.Timeout, headers: dict[str, str]) -> httpx.AsyncClient:
    """A new ``httpx.AsyncClient`` on aiohttp's connection pool."""
    return httpx.AsyncClient(transport=_AsyncioOnlyTransport(), timeout=timeout, headers=headers)
