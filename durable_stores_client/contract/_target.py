"""What the suite runs against: a server's base URL (or an in-process transport)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import httpx

from .._redaction import is_secret_key

__all__ = ["DEFAULT_KINDS", "STORE_KINDS", "Target"]

#: The four store kinds of the contract, in the contract's order.
STORE_KINDS: tuple[str, ...] = ("sqlite", "postgres", "mysql", "redis")

#: The kinds a run covers unless told otherwise: what every server can create
#: without engine credentials (the fake needs none for any kind).
DEFAULT_KINDS: tuple[str, ...] = ("sqlite", "redis")


def _to_base_url(value: object) -> str:
    return str(value).rstrip("/")


def _to_kinds(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise TypeError("kinds must be a collection of store kinds, not a string")
    kinds = frozenset(value)
    unknown = sorted(kinds - set(STORE_KINDS))
    if unknown:
        raise ValueError(
            f"unknown store kind {unknown[0]!r}; use some of: {', '.join(STORE_KINDS)}"
        )
    return kinds


def _to_store_config(value: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] = {}
    for kind, config in value.items():
        if kind not in STORE_KINDS:
            raise ValueError(
                f"store config given for unknown kind {kind!r}; use one of: "
                f"{', '.join(STORE_KINDS)}"
            )
        if not isinstance(config, Mapping):
            raise TypeError(f"the store config for {kind} must be a JSON object")
        configs[kind] = dict(config)
    return configs


@attrs.frozen
class Target:
    """A Durable Stores server to verify.

    Attributes:
        base_url: The server's base URL, e.g. ``http://localhost:18888``. With a
            ``transport`` it only names the host requests are addressed to.
        api_key: The server's API key, if it enforces one. Sent as
            ``Authorization: Bearer``; never shown in a repr or a report. Auth
            checks are skipped without it.
        kinds: The store kinds the run may create (default: sqlite and redis);
            checks that need any other kind are skipped with a reason.
        store_config: Engine config per kind (``{"redis": {"host": ..., "port": 6379}}``)
            used whenever the suite creates a store of that kind; a real server needs
            it for postgres, mysql and redis stores. Never shown in a repr or report.
        transport: An httpx transport to send requests through instead of the
            network (e.g. ``FakeServer().transport()``).
        async_transport: The asynchronous counterpart of ``transport``, for the
            checks that exercise `AsyncClient`; without it those checks are skipped
            when ``transport`` is set.
        timeout: Seconds to wait for each request.
        sandbox: The name of a sandbox that exists on the server (``--sandbox``).
            With it, ``stores.create.sandbox-existing`` creates a store tied to it;
            without it that check is skipped. No other check needs a sandbox: the
            agentkernel daemon refuses a store tied to a sandbox it does not know.
    """

    base_url: str = attrs.field(converter=_to_base_url)
    api_key: str | None = attrs.field(default=None, repr=False)
    kinds: frozenset[str] = attrs.field(default=frozenset(DEFAULT_KINDS), converter=_to_kinds)
    store_config: dict[str, dict[str, Any]] = attrs.field(
        factory=dict, converter=_to_store_config, repr=False, eq=False
    )
    transport: httpx.BaseTransport | None = attrs.field(default=None, repr=False, eq=False)
    async_transport: httpx.AsyncBaseTransport | None = attrs.field(
        default=None, repr=False, eq=False
    )
    timeout: float = 30.0
    sandbox: str | None = attrs.field(default=None, kw_only=True)

    @base_url.validator
    def _check_base_url(self, _attribute: attrs.Attribute[str], value: str) -> None:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(
                f"base_url must be an http:// or https:// URL with a host, got {value!r}"
            )

    @sandbox.validator
    def _check_sandbox(self, _attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"sandbox must be a non-blank sandbox name, got {value!r}")

    def secret_values(self) -> tuple[str, ...]:
        """The literal secrets of this target: the API key and secret-keyed config values.

        Reports mask them wherever a server's answer might echo them.
        """
        found: list[str] = [self.api_key] if self.api_key else []

        def collect(value: Any, secret: bool) -> None:
            if isinstance(value, Mapping):
                for key, item in value.items():
                    collect(item, secret or is_secret_key(key))
            elif isinstance(value, list):
                for item in value:
                    collect(item, secret)
            elif secret and isinstance(value, str) and value:
                found.append(value)

        collect(self.store_config, False)
        return tuple(found)

    def config_for(self, kind: str) -> dict[str, Any]:
        """A fresh copy of the engine config the run uses for stores of ``kind``."""
        return dict(self.store_config.get(kind, {}))
