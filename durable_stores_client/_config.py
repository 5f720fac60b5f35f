"""Resolving the client's settings from arguments and the environment.

Precedence (first one set wins; empty environment variables count as unset):

* ``base_url``: the argument, ``DURABLE_STORES_BASE_URL``,
  ``AGENTKERNEL_BASE_URL``, then :data:`DEFAULT_BASE_URL`.
* ``api_key``: the argument, ``DURABLE_STORES_API_KEY``,
  ``AGENTKERNEL_API_KEY``, then no key (no ``Authorization`` header).

Everything is validated here, before any I/O, with a :class:`TypeError` or
:class:`ValueError` that says what to pass instead.
"""

from __future__ import annotations

import ipaddress
import math
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

from ._redaction import MASK, redact_text
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "MAX_TIMEOUT",
    "UNCHANGED",
    "USER_AGENT",
    "ClientOptions",
    "resolve_options",
]

#: Where the agentkernel daemon listens by default.
DEFAULT_BASE_URL = "http://localhost:18888"
#: 30 seconds for each attempt overall (and for each of read, write and pool);
#: 5 seconds to connect.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
#: Retries after the first attempt (so at most three attempts).
DEFAULT_MAX_RETRIES = 2
#: The longest answer body a client reads, counted after decoding (256 MiB).
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
#: Environment variables for the base URL, in precedence order.
ENV_BASE_URL = ("DURABLE_STORES_BASE_URL", "AGENTKERNEL_BASE_URL")
#: Environment variables for the API key, in precedence order.
ENV_API_KEY = ("DURABLE_STORES_API_KEY", "AGENTKERNEL_API_KEY")
#: The ``User-Agent`` every request carries.
USER_AGENT = f"durable-stores-client-python/{__version__}"

#: What ``timeout=`` accepts.
TimeoutTypes = float | httpx.Timeout | None

#: The default of every ``with_options`` argument: a setting left out keeps its
#: value. (Named for how it reads in that method's rendered signature.)
UNCHANGED: Any = object()


@attrs.frozen
class ClientOptions:
    """Everything a client needs besides its ``httpx`` client; shared by derived clients.

    Attributes:
        base_url: The server's root URL, without a trailing slash.
        api_key: The API key, or None.
        timeout: The ``httpx.Timeout`` for every request.
        max_retries: Retries after the first attempt.
        headers: Extra headers the caller asked for.
        retry_policy: Backoff timing, sleeping and jitter.
        base_headers: Every fixed header (User-Agent, Accept, Authorization,
            extra headers), precomputed so a request only copies it.
        attempt_limit: The longest one attempt may take, in seconds, or None
            (see :func:`attempt_limit`).
        max_response_bytes: The longest answer body read, counted after
            decoding (``Content-Encoding``).
    """

    base_url: str
    api_key: str | None = attrs.field(repr=False)
    timeout: httpx.Timeout
    max_retries: int
    headers: dict[str, str]
    retry_policy: RetryPolicy
    base_headers: dict[str, str] = attrs.field(repr=False)
    attempt_limit: float | None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


def attempt_limit(timeout: httpx.Timeout) -> float | None:
    """Return how long one attempt may take in all: the largest of the phase limits.

    So a float ``timeout`` is also the limit of each attempt as a whole, and
    the default (30 s, 5 s to connect) allows 30 s. None (no overall limit)
    when any phase is unlimited.
    """
    limits = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    largest = 0.0
    for limit in limits:
        if limit is None:
            return None
        largest = max(largest, limit)
    return largest


def _from_env(names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def _check_base_url(base_url: object, source: str = "base_url") -> str:
    """Validate a base URL; return it without a trailing slash.

    Args:
        base_url: The URL.
        source: Where it came from, for error messages (``base_url`` or the
            environment variable's name).
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string such as {DEFAULT_BASE_URL!r}")
    text = base_url.strip().rstrip("/")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError(
            f"{source} {_mask_url(text)!r} is not a valid URL: {redact_text(str(exc))}"
        ) from None
    if url.userinfo:
        # httpx would send them as Basic auth, replacing the Bearer header:
        # the API key would silently not be sent. Never echo them.
        raise ValueError(
            f"{source} must not contain credentials (user:password@ before the host); "
            f"give the server's URL without them, and pass the API key as api_key= or "
            f"in {ENV_API_KEY[0]}"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"{source} must be an http:// or https:// URL with a host, such as "
            f"{DEFAULT_BASE_URL!r}; got {_mask_url(text)!r}"
        )
    if url.query or url.fragment:
        raise ValueError(f"{source} must not have a query string or fragment")
    return text


def _mask_url(text: str) -> str:
    """Mask everything before the last ``@`` of an unusable URL (it may be a password)."""
    if "@" not in text:
        return text
    head, _, rest = text.rpartition("@")
    scheme, separator, _ = head.partition("://")
    return f"{scheme}{separator}{MASK}@{rest}" if separator else f"{MASK}@{rest}"


#: The longest finite timeout (about 11.6 days): longer ones overflow what sockets
#: and clocks accept. For no limit, pass None or ``float("inf")``.
MAX_TIMEOUT = 1_000_000.0


def _check_seconds(value: float, what: str) -> float | None:
    """Return a phase limit in seconds, None for no limit (infinity); refuse the unusable."""
    if value == math.inf:
        return None
    if not value > 0:
        raise ValueError(f"{what} must be a positive number of seconds, got {value!r}")
    if value > MAX_TIMEOUT:
        raise ValueError(
            f"{what} of {value:g} s is over the longest supported, {MAX_TIMEOUT:,.0f} s; "
            'for no limit pass None or float("inf")'
        )
    return float(value)


def _check_timeout(timeout: object) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        phases = {}
        for name, value in timeout.as_dict().items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise TypeError(
                    f"timeout's {name} must be a number of seconds or None, "
                    f"got {type(value).__name__}"
                )
            phases[name] = None if value is None else _check_seconds(value, f"timeout's {name}")
        if phases == timeout.as_dict():
            return timeout
        return httpx.Timeout(**phases)
    if timeout is None:
        return httpx.Timeout(None)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            "timeout must be a number of seconds, an httpx.Timeout or None (no timeout); "
            f"got {type(timeout).__name__}"
        )
    return httpx.Timeout(_check_seconds(timeout, "timeout"))


def _check_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, got {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return max_retries


def _check_max_response_bytes(max_response_bytes: object) -> int:
    if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
        raise TypeError(
            f"max_response_bytes must be an int, got {type(max_response_bytes).__name__}"
        )
    if max_response_bytes < 1:
        raise ValueError(
            f"max_response_bytes must be 1 or more (default {DEFAULT_MAX_RESPONSE_BYTES}, "
            f"256 MiB), got {max_response_bytes}"
        )
    return max_response_bytes


def _check_headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError("headers must be a mapping of header names to string values")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("headers must map str names to str values")
        if not _is_token(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP header name")
        _refuse_unsendable(value, f"header {name!r} has a value with", "an HTTP header")
        checked[name] = value
    return checked


def _check_api_key(api_key: object, what: str = "api_key") -> str:
    if not isinstance(api_key, str):
        raise TypeError(f"{what} must be a string, got {type(api_key).__name__}")
    key = api_key.strip()
    if not key:
        raise ValueError(f"{what} must not be empty; pass None to read it from the environment")
    _refuse_unsendable(
        key, f"{what} contains", "an Authorization header; check how the key was read"
    )
    return key


#: Characters of an HTTP token (header names), RFC 9110 section 5.6.2.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TOKEN_CHARS for char in text)


def _refuse_unsendable(value: str, subject: str, header: str) -> None:
    """Raise a ValueError if ``value`` cannot be an HTTP header value (httpx sends ASCII).

    The message is ``"<subject> <problem>, which cannot be sent in <header>"``;
    it never quotes the value, not even a part of it: header values (the API
    key, extra headers) often carry credentials.
    """
    for char in value:
        code = ord(char)
        if code == 0x09 or 0x20 <= code <= 0x7E:
            continue
        if code > 0x7F:
            problem = "a non-ASCII character"
        else:
            problem = "a control character (a stray newline or NUL?)"
        raise ValueError(f"{subject} {problem}, which cannot be sent in {header}")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_headers(api_key: str | None, headers: Mapping[str, str]) -> dict[str, str]:
    """Return the fixed headers of every request: defaults, then ``headers``.

    Args:
        api_key: Sent as ``Authorization: Bearer <api_key>`` when not None.
        headers: Extra headers; they override the defaults of the same name.
    """
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key is not None:
        merged["Authorization"] = f"Bearer {api_key}"
    merged.update(headers)
    return merged


def resolve_options(
    *,
    base_url: str | None,
    api_key: str | None,
    timeout: TimeoutTypes,
    max_retries: int,
    headers: Mapping[str, str] | None,
    retry_policy: RetryPolicy | None,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    environ: Mapping[str, str] | None = None,
    warn: Callable[..., Any] = warnings.warn,
    stacklevel: int = 2,
) -> ClientOptions:
    """Resolve and validate a client's settings.

    Args:
        base_url: See the module docstring for the precedence.
        api_key: See the module docstring for the precedence.
        timeout: Seconds (the limit of each attempt, and of each phase in
            it), an ``httpx.Timeout``, or None for no timeout.
        max_retries: Retries after the first attempt, 0 or more.
        headers: Extra headers for every request.
        retry_policy: Backoff settings; None for :class:`RetryPolicy` defaults.
        max_response_bytes: The longest answer body read (decoded), 1 or more.
        environ: The environment (default ``os.environ``).
        warn: Called as ``warn(message, UserWarning, stacklevel=...)`` when an
            API key would travel over plain http to a non-loopback host.
        stacklevel: The ``stacklevel`` for that warning, counted from the caller.

    Returns:
        The resolved options.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument has the right type but an unusable value.
    """
    env = os.environ if environ is None else environ
    source = "base_url"
    if base_url is None:
        for name in ENV_BASE_URL:
            base_url = _from_env((name,), env)
            if base_url is not None:
                source = f"the base URL from {name}"
                break
        else:
            base_url = DEFAULT_BASE_URL
    url = _check_base_url(base_url, source)
    if api_key is not None:
        key: str | None = _check_api_key(api_key)
    else:
        key = _from_env(ENV_API_KEY, env)
        if key is not None:
            key = _check_api_key(key, f"the API key from {' or '.join(ENV_API_KEY)}")
    extra_headers = _check_headers(headers)
    policy = RetryPolicy() if retry_policy is None else retry_policy
    if not isinstance(policy, RetryPolicy):
        raise TypeError("retry_policy must be a durable_stores_client.RetryPolicy")
    checked_timeout = _check_timeout(timeout)
    options = ClientOptions(
        base_url=url,
        api_key=key,
        timeout=checked_timeout,
        max_retries=_check_max_retries(max_retries),
        headers=extra_headers,
        retry_policy=policy,
        base_headers=build_headers(key, extra_headers),
        attempt_limit=attempt_limit(checked_timeout),
        max_response_bytes=_check_max_response_bytes(max_response_bytes),
    )
    if key is not None:
        parsed = httpx.URL(url)
        if parsed.scheme == "http" and not _is_loopback(parsed.host):
            warn(
                f"the API key will be sent unencrypted over plain http to {parsed.host}; "
                "use an https:// base_url",
                UserWarning,
                stacklevel=stacklevel + 1,
            )
    return options


def derive_options(
    options: ClientOptions,
    *,
    timeout: Any,
    max_retries: Any,
    headers: Any,
    retry_policy: Any,
    max_response_bytes: Any = UNCHANGED,
) -> ClientOptions:
    """Return ``options`` with some settings replaced (for ``with_options``).

    Arguments that are :data:`UNCHANGED` keep the current value; ``headers``
    are merged over the current extra headers.
    """
    changes: dict[str, Any] = {}
    if timeout is not UNCHANGED:
        changes["timeout"] = checked = _check_timeout(timeout)
        changes["attempt_limit"] = attempt_limit(checked)
    if max_retries is not UNCHANGED:
        changes["max_retries"] = _check_max_retries(max_retries)
    if retry_policy is not UNCHANGED:
        if not isinstance(retry_policy, RetryPolicy):
            raise TypeError("retry_policy must be a durable_stores_client.RetryPolicy")
        changes["retry_policy"] = retry_policy
    if max_response_bytes is not UNCHANGED:
        changes["max_response_bytes"] = _check_max_response_bytes(max_response_bytes)
    if headers is not UNCHANGED:
        merged = {**options.headers, **_check_headers(headers)}
        changes["headers"] = merged
        changes["base_headers"] = build_headers(options.api_key, merged)
    return attrs.evolve(options, **changes)
