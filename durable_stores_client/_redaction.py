"""What counts as a secret, and how it is masked.

One rule everywhere (store reprs, log lines, exception text, the fake's request
log): a mapping key whose lowercased name contains ``password``, ``secret`` or
``token`` holds a credential, at any nesting depth. The ``Authorization`` header
and the client's API key are credentials too. Masked values are replaced by
:data:`MASK`; the key stays, so a reader still sees that a value was set.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "BYTES_NOT_SHOWN",
    "ELIDED",
    "MASK",
    "MAX_PARSED_BODY",
    "MAX_SHOWN_DEPTH",
    "MIN_LITERAL_SECRET",
    "SECRET_KEY_MARKERS",
    "drop_quoted_bytes",
    "is_secret_key",
    "redact_body",
    "redact_exception_chain",
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

#: Bodies up to this size are parsed as JSON to be masked by their structure (a larger
#: one is masked as text, from its start: parsing and masking a whole 1 MB body took
#: 0.8 s, on an error path that quotes 200 characters of it).
MAX_PARSED_BODY = 64 * 1024

#: How many characters :func:`redact_body` drops from text it cut off.
_CUT_MARGIN = 64

#: Substrings (lowercase) that make a mapping key a credential.
SECRET_KEY_MARKERS = ("password", "secret", "token")

#: Header names (lowercase) whose values are always credentials.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)

# Free text is masked by structure where it has some, by a few patterns where it has none:
#
# * JSON members anywhere in the text (`{"password": "a\\"b"}`, `"refresh_token": ["x"]`):
#   the whole JSON value after a secret key is masked, string escapes and nesting followed,
#   and a value the text cuts off is masked to the end;
# * `key=value` and `key: value` assignments with an unquoted or single-quoted key (libpq
#   strings, query strings, Rust's `Config { password: "x" }`, Python's `{'token': 'x'}`).
#   With `:` the key must begin a field (after the start, a bracket, a comma, a semicolon,
#   another colon or another assignment), so prose such as SQLite's `unrecognized token: "#"`
#   stays intact;
# * `Bearer <token>` and `scheme://user:password@host`.

# A JSON string followed by a colon: an object member's key.
_JSON_KEY = re.compile(r'"(?P<key>(?:[^"\\\n]|\\.){0,256})"\s*:\s*')
# A complete JSON string, or one the text cuts off.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_JSON_STRUCTURE = re.compile(r'["\[\]{}]')
_JSON_SCALAR = re.compile(r"-?\d[\d.eE+-]*|true\b|false\b|null\b")
_ASSIGNMENT = re.compile(
    r"""(?<![\w.\-'])(?P<quote>'?)(?P<key>[A-Za-z_][\w.\-]*)(?P=quote)(?P<sep>\s*[:=]\s*)"""
    r"""(?:"(?P<dq>(?:[^"\\]|\\.)*)(?:"|\\?\Z)|'(?P<sq>(?:[^'\\]|\\.)*)(?:'|\\?\Z)"""
    r"""|(?P<bare>[^"',\s&;})\]]+))""",
    re.DOTALL,
)
#: What may come before a ``key: value`` field (after optional spaces).
_FIELD_STARTS = frozenset('{([,;:&?\n"')
# An RFC 6750 b64token of 8 characters or more, so prose such as "Invalid bearer
# token" or a placeholder such as "Bearer <api_key>" stays readable.
_BEARER = re.compile(r"(?P<key>\bBearer\s+)(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)", re.IGNORECASE)
# http://user:password@host
_URL_USERINFO = re.compile(r"(?P<key>://[^/@\s:]*:)(?P<value>[^/@\s]+)(?=@)")
# The same at the end of text cut short, where the `@` may be past the cut.
_CUT_URL_USERINFO = re.compile(r"(?P<key>://[^/@\s:]*:)(?P<value>[^/@\s]+)(?=@|\Z)")
# Bytes quoted by a protocol parser (h11's "illegal status line: bytearray(b'...')").
_QUOTED_BYTES = re.compile(
    r"""(?<!\w)(?:bytearray\()?b(?P<q>['"])(?:[^\\]|\\.)*?(?P=q)\)?""", re.DOTALL
)
#: What replaces quoted protocol bytes in a chained exception's text.
BYTES_NOT_SHOWN = "<received bytes not shown>"


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
    client's API key, also as JSON or a bytes literal would escape it), the
    whole value of every JSON member whose key contains ``password``,
    ``secret`` or ``token`` (strings with escaped quotes, lists and objects
    alike; a value the text cuts off is masked to its end), ``key=value`` and
    ``key: value`` assignments with such a key (with ``:``, only where the key
    begins a field, so prose such as ``unrecognized token: "#"`` stays),
    ``Bearer <token>`` and passwords in URLs (``scheme://user:password@host``).

    Args:
        text: The text to mask.
        secrets: Literal secret values to mask wherever they appear; ``None``
            and values shorter than :data:`MIN_LITERAL_SECRET` are skipped.

    Returns:
        The masked text.
    """
    return _redact_text(text, secrets, cut=False)


def _redact_text(text: str, secrets: Iterable[str | None], *, cut: bool) -> str:
    """:func:`redact_text`; ``cut`` says the text was cut short, so a URL's password
    may have lost the ``@`` that ends it."""
    for secret in secrets:
        # Very short values are not masked literally: replacing every "k" in a
        # message would make it unreadable, and such a value guards nothing.
        if secret and len(secret) >= MIN_LITERAL_SECRET:
            for form in _literal_forms(secret):
                text = text.replace(form, MASK)
    lowered = text.lower()
    if any(marker in lowered for marker in SECRET_KEY_MARKERS):
        if '"' in text:
            text = _mask_json_members(text)
        text = _mask_assignments(text)
    if "bearer" in lowered:
        text = _BEARER.sub(_mask_match, text)
    if cut and "://" in text:
        text = _CUT_URL_USERINFO.sub(_mask_match, text)
    elif "@" in text:
        text = _URL_USERINFO.sub(_mask_match, text)
    return text


def redact_body(content: bytes, secrets: Iterable[str | None] = (), *, limit: int) -> str:
    """The start of an answer's body, credentials masked by its structure.

    A JSON body (up to :data:`MAX_PARSED_BODY` bytes) is parsed and masked as
    :func:`redact_json` masks values, each string in it also as
    :func:`redact_text` masks text, then written out again as compact JSON;
    anything else is masked as text. Either way at most ``limit`` characters
    come back. Text cut off at ``limit`` also loses the unmasked characters
    just before the cut, where a secret the cut split in two could otherwise
    show its start.

    Args:
        content: The body's bytes.
        secrets: Literal values to mask (the API key).
        limit: How many characters to return at most.

    Returns:
        The masked text.
    """
    secrets = tuple(secrets)
    if len(content) <= MAX_PARSED_BODY:
        try:
            value = json.loads(content)
        except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError included)
            pass
        else:
            shown = _mask_strings(redact_json(value), secrets)
            return json.dumps(shown, ensure_ascii=False)[:limit]
    raw = content[:limit].decode("utf-8", errors="replace")
    cut = len(content) > limit
    text = _redact_text(raw, secrets, cut=cut)
    if cut:
        # What follows the last masked value is raw text up to the cut, where a secret
        # (a literal key, a URL's password, a Bearer token) may have lost its end and so
        # escaped masking: drop that much of it.
        unmasked = 0
        for shown, sent in zip(reversed(text), reversed(raw), strict=False):
            if shown != sent:
                break
            unmasked += 1
        longest = max((len(secret) for secret in secrets if secret), default=0)
        text = text[: len(text) - min(unmasked, max(_CUT_MARGIN, longest))]
    return text


def redact_exception_chain(error: BaseException, secrets: Iterable[str | None] = ()) -> None:
    """Mask what ``error`` and every exception chained below it quote, in place.

    Each exception's string arguments and notes lose quoted raw bytes
    (``bytearray(b'...')``, as h11 quotes a malformed status or header line,
    which a server may have filled with the echoed ``Authorization`` header)
    and are masked as :func:`redact_text` masks text, so neither ``str()``
    of a cause nor :func:`traceback.format_exception` shows a credential.

    Args:
        error: The exception to chain as a cause.
        secrets: Literal values to mask (the API key).
    """
    secrets = tuple(secrets)
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        with contextlib.suppress(AttributeError, TypeError):  # args that cannot be replaced
            current.args = tuple(_mask_argument(item, secrets) for item in current.args)
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [_mask_argument(note, secrets) for note in notes]
        pending += (current.__cause__, current.__context__)


def drop_quoted_bytes(text: str) -> str:
    """``text`` with raw bytes a protocol parser quoted (``bytearray(b'...')``) left out.

    Such bytes are what a server sent where a status or header line belongs,
    and a server can echo the ``Authorization`` header there.
    """
    if "b'" not in text and 'b"' not in text:
        return text
    return _QUOTED_BYTES.sub(BYTES_NOT_SHOWN, text)


def _mask_argument(item: object, secrets: tuple[str | None, ...]) -> object:
    if isinstance(item, str):
        return redact_text(drop_quoted_bytes(item), secrets)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return BYTES_NOT_SHOWN
    return item


def _literal_forms(secret: str) -> set[str]:
    """A literal secret as text, as a JSON string and as a bytes literal show it."""
    forms = {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}
    with contextlib.suppress(UnicodeEncodeError):
        forms.add(repr(secret.encode("ascii"))[2:-1])
    return {form for form in forms if len(form) >= MIN_LITERAL_SECRET}


def _mask_strings(value: Any, secrets: tuple[str | None, ...]) -> Any:
    """Mask every string (keys included) of an already :func:`redact_json`-ed value."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {
            redact_text(key, secrets) if isinstance(key, str) else key: _mask_strings(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_strings(item, secrets) for item in value]
    return value


def _mask_json_members(text: str) -> str:
    """Mask the value of every JSON member with a secret key, wherever it is in ``text``."""
    parts: list[str] = []
    kept = 0
    search = 0
    while (match := _JSON_KEY.search(text, search)) is not None:
        value_start = match.end()
        search = value_start
        if not is_secret_key(_json_key(match.group("key"))):
            continue
        end = _json_value_end(text, value_start)
        if end is None:  # no JSON value: prose such as SQLite's `near "token": syntax error`
            continue
        parts += (text[kept:value_start], f'"{MASK}"')
        kept = search = end
    if not parts:
        return text
    parts.append(text[kept:])
    return "".join(parts)


def _json_key(raw: str) -> str:
    try:
        key = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return key if isinstance(key, str) else raw


def _json_value_end(text: str, start: int) -> int | None:
    """Where the JSON value at ``start`` ends (the text's end if cut off); None if none starts."""
    if start >= len(text):
        return None
    first = text[start]
    if first == '"':
        string = _JSON_STRING.match(text, start)
        return len(text) if string is None else string.end()
    if first in "[{":
        depth = 0
        position = start
        while (found := _JSON_STRUCTURE.search(text, position)) is not None:
            char = found.group()
            if char == '"':
                string = _JSON_STRING.match(text, found.start())
                position = len(text) if string is None else string.end()
                continue
            depth += 1 if char in "[{" else -1
            position = found.end()
            if depth == 0:
                return position
        return len(text)
    scalar = _JSON_SCALAR.match(text, start)
    return None if scalar is None else scalar.end()


def _mask_assignments(text: str) -> str:
    """Mask ``key=value`` / ``key: value`` assignments whose key names a credential."""
    parts: list[str] = []
    kept = 0
    search = 0
    while (match := _ASSIGNMENT.search(text, search)) is not None:
        value_start = match.end("sep")
        search = value_start
        if not is_secret_key(match.group("key")):
            continue
        if ":" in match.group("sep") and not _begins_field(text, match.start()):
            continue
        if match.group("dq") is not None:
            masked = f'"{MASK}"'
        elif match.group("sq") is not None:
            masked = f"'{MASK}'"
        else:
            masked = MASK
        parts += (text[kept:value_start], masked)
        kept = search = match.end()
    if not parts:
        return text
    parts.append(text[kept:])
    return "".join(parts)


def _begins_field(text: str, start: int) -> bool:
    """Whether the key at ``start`` begins a field rather than ends a phrase of prose.

    It does at the start, after a bracket or separator, and after another
    assignment (``password=x token: y``); not after a plain word
    (``unrecognized token: "#"``).
    """
    before = text[max(0, start - 256) : start].rstrip(" \t")
    if not before or before[-1] in _FIELD_STARTS:
        return True
    words = before.split()
    return "=" in words[-1] or ":" in words[-1]


def _mask_match(match: re.Match[str]) -> str:
    return match.group("key") + MASK
