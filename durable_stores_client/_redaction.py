"""What counts as a secret, and how it is masked.

One rule everywhere (store reprs, log lines, exception text, the fake's request
log): a mapping key whose lowercased name contains ``password``, ``secret`` or
``token`` holds a credential, at any nesting depth. The ``Authorization`` header
and the client's API key are credentials too. Masked values are replaced by
:data:`MASK`; the key stays, so a reader still sees that a value was set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ELIDED",
    "MASK",
    "MAX_SHOWN_DEPTH",
    "MIN_LITERAL_SECRET",
    "SECRET_KEY_MARKERS",
    "is_secret_key",
    "redact_headers",
    "redact_json",
    "redact_text",
]

#: What a masked secret is shown as.
MASK = "***"

#: How many levels of nested containers :func:`redact_json` shows.
MAX_SHOWN_DEPTH = 64

#: What :func:`redact_json` shows instead of containers nested deeper than that.
ELIDED = "..."

#: Literal secrets shorter than this are not searched for in free text.
MIN_LITERAL_SECRET = 4

#: Substrings (lowercase) that make a mapping key a credential.
SECRET_KEY_MARKERS = ("password", "secret", "token")

#: Header names (lowercase) whose values are always credentials.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)

# `"password": "hunter2"`, `password=hunter2`, `db_token: abc` in free text; the
# key may be quoted; a quoted value is masked whole, a bare one up to the next
# quote, comma, space, ampersand, semicolon or closing brace.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?P<key>["']?[\w.-]*(?:password|secret|token)[\w.-]*["']?\s*[:=]\s*)"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^"',\s&;}]+))""",
    re.IGNORECASE,
)
# An RFC 6750 b64token of 8 characters or more, so prose such as "Invalid bearer
# token" or a placeholder such as "Bearer <api_key>" stays readable.
_BEARER = re.compile(r"(?P<key>\bBearer\s+)(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)", re.IGNORECASE)
# http://user:password@host
_URL_USERINFO = re.compile(r"(?P<key>://[^/@\s:]*:)(?P<value>[^/@\s]+)(?=@)")


def is_secret_key(key: object) -> bool:
    """Tell whether a mapping key names a credential.

    Args:
        key: A mapping key; only strings can name credentials.

    Returns:
        True when ``key`` contains ``password``, ``secret`` or ``token``,
        ignoring case.
    """
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_KEY_MARKERS)


def redact_json(value: Any) -> Any:
    """Return a copy of a JSON-like value with every credential masked.

    Mappings are copied into new dicts (their secret keys' values become
    :data:`MASK`), lists and tuples into new lists; everything else is
    returned unchanged. The input is never modified. Containers nested deeper
    than :data:`MAX_SHOWN_DEPTH` are shown as :data:`ELIDED`, so an absurdly
    deep value still has a repr (and hides whatever is down there).

    Args:
        value: Any JSON-like value (dicts, lists, scalars).

    Returns:
        The masked copy.
    """
    return _redact_json(value, 0)


def _redact_json(value: Any, depth: int) -> Any:
    if isinstance(value, Mapping):
        if depth >= MAX_SHOWN_DEPTH:
            return ELIDED
        return {
            key: (MASK if is_secret_key(key) else _redact_json(item, depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        if depth >= MAX_SHOWN_DEPTH:
            return ELIDED
        return [_redact_json(item, depth + 1) for item in value]
    return value


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """Return headers as a dict with credential values masked.

    ``Authorization``, cookies, ``X-Api-Key`` and any header whose name
    contains ``password``, ``secret`` or ``token`` are masked.

    Args:
        headers: A mapping or an iterable of ``(name, value)`` pairs
            (``httpx.Headers.items()`` works).

    Returns:
        A new dict, names as given.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {
        name: (MASK if name.lower() in _SECRET_HEADERS or is_secret_key(name) else value)
        for name, value in items
    }


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Mask credentials in free text (server messages, body excerpts).

    Masks every occurrence of the given literal ``secrets`` (for example the
    client's API key), ``Bearer <token>``, passwords in URLs
    (``scheme://user:password@host``) and ``key: value`` / ``key=value``
    assignments whose key contains ``password``, ``secret`` or ``token``.

    Args:
        text: The text to mask.
        secrets: Literal secret values to mask wherever they appear; ``None``
            and values shorter than :data:`MIN_LITERAL_SECRET` are skipped.

    Returns:
        The masked text.
    """
    for secret in secrets:
        # Very short values are not masked literally: replacing every "k" in a
        # message would make it unreadable, and such a value guards nothing.
        if secret and len(secret) >= MIN_LITERAL_SECRET:
            text = text.replace(secret, MASK)
    lowered = text.lower()
    if "bearer" in lowered:
        text = _BEARER.sub(_mask_match, text)
    if "@" in text:
        text = _URL_USERINFO.sub(_mask_match, text)
    if any(marker in lowered for marker in SECRET_KEY_MARKERS):
        text = _SECRET_ASSIGNMENT.sub(_mask_assignment, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    return match.group("key") + MASK


def _mask_assignment(match: re.Match[str]) -> str:
    if match.group("dq") is not None:
        return f'{match.group("key")}"{MASK}"'
    if match.group("sq") is not None:
        return f"{match.group('key')}'{MASK}'"
    return match.group("key") + MASK
