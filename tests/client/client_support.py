"""Shared constants and helpers of the client tests (a unique module name, not conftest)."""

from __future__ import annotations

import inspect
from typing import Any

from durable_stores_client import AsyncClient, Client

BASE_URL = "http://stores.localhost:18888"

STORE_ID = "019abc12-1234-7def-89ab-0123456789ab"

STORE_RECORD: dict[str, Any] = {
    "id": STORE_ID,
    "name": "agent-state",
    "kind": "sqlite",
    "sandbox": "build-runner",
    "config": {"path": ".agentkernel/stores/agent-state.db"},
    "created_at": "2026-02-16T10:00:00.123456789+00:00",
    "updated_at": "2026-02-16T10:00:00.123456789+00:00",
}

ENV_NAMES = (
    "DURABLE_STORES_BASE_URL",
    "AGENTKERNEL_BASE_URL",
    "DURABLE_STORES_API_KEY",
    "AGENTKERNEL_API_KEY",
    "DURABLE_STORES_LOG",
)


def ok(data: Any) -> dict[str, Any]:
    """A success envelope."""
    return {"success": True, "data": data}


def fail(message: str) -> dict[str, Any]:
    """A failure envelope."""
    return {"success": False, "error": message}


def record(**changes: Any) -> dict[str, Any]:
    """A store record like the contract's example, with some fields changed."""
    data = dict(STORE_RECORD)
    data.update(changes)
    return data


class Either:
    """Calls a sync or async client the same way: every method call is awaited."""

    def __init__(self, client: Client | AsyncClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncClient)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return call

    async def close(self) -> None:
        """Close the client (``close`` or ``aclose``)."""
        if isinstance(self.client, AsyncClient):
            await self.client.aclose()
        else:
            self.client.close()
