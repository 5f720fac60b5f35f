"""The public clients a ``client.*`` check drives, made for the target under test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import AsyncClient, Client
from ._model import CheckSkipped

if TYPE_CHECKING:
    from ._cleanup import CheckCleanup
    from ._target import Target

__all__ = ["ClientFactory"]


class ClientFactory:
    """Makes `Client` and `AsyncClient` for a target: its URL, key, timeout, no retries."""

    def __init__(self, target: Target, cleanup: CheckCleanup) -> None:
        self._target = target
        self._cleanup = cleanup
        self._settings: dict[str, Any] = {
            "base_url": target.base_url,
            "api_key": target.api_key,
            "timeout": target.timeout,
            "max_retries": 0,
        }

    def client(self, **options: Any) -> Client:
        """A `Client` for the target, closed when the check ends."""
        settings = dict(self._settings)
        if self._target.transport is not None:
            settings["transport"] = self._target.transport
        client = Client(**{**settings, **options})
        self._cleanup.defer(client.close)
        return client

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` for the target; the caller closes it (``async with``).

        Raises:
            CheckSkipped: The target has a transport but no ``async_transport``.
        """
        settings = dict(self._settings)
        if self._target.transport is not None:
            if self._target.async_transport is None:
                raise CheckSkipped(
                    "the target has a transport but no async_transport for AsyncClient"
                )
            settings["transport"] = self._target.async_transport
        return AsyncClient(**{**settings, **options})
