"""Parsing the suite's settings from text (command line options, environment variables)."""

from __future__ import annotations

import json
from typing import Any

from ._target import STORE_KINDS

__all__ = ["parse_kinds", "parse_store_config"]


def parse_kinds(text: str) -> frozenset[str]:
    """``"sqlite,redis"`` -> ``{"sqlite", "redis"}``.

    Raises:
        ValueError: Empty, or a kind that is not one of the contract's four.
    """
    kinds = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not kinds:
        raise ValueError(f"no store kinds given; use some of: {','.join(STORE_KINDS)}")
    for kind in kinds:
        if kind not in STORE_KINDS:
            raise ValueError(f"unknown store kind {kind!r}; use some of: {','.join(STORE_KINDS)}")
    return frozenset(kinds)


def parse_store_config(text: str) -> tuple[str, dict[str, Any]]:
    """``'redis={"host": "127.0.0.1", "port": 6379}'`` -> ``("redis", {...})``.

    Raises:
        ValueError: Not ``KIND=JSON``, an unknown kind, or JSON that is not an object.
            The message never repeats the JSON (it may hold a password).
    """
    kind, sep, raw = text.partition("=")
    kind = kind.strip().lower()
    if not sep or not kind:
        raise ValueError('expected KIND=JSON, e.g. redis=\'{"host": "127.0.0.1", "port": 6379}\'')
    if kind not in STORE_KINDS:
        raise ValueError(f"unknown store kind {kind!r}; use one of: {','.join(STORE_KINDS)}")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the config for {kind} is not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(config, dict):
        raise ValueError(
            f"the config for {kind} must be a JSON object, got {type(config).__name__}"
        )
    return kind, config
