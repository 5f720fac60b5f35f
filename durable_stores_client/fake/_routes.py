"""Routing: a request's method and target to (operation, store id)."""

from __future__ import annotations

from urllib.parse import unquote

_POST_OPERATIONS = {"query": "query", "execute": "execute", "command": "command"}


def request_path(target: str) -> str:
    """The path of a request target (origin-form or absolute-form), without the query."""
    path = target.partition("?")[0]
    if path[:1] != "/":  # absolute-form target: http://host:port/path
        scheme_end = path.find("://")
        slash = path.find("/", scheme_end + 3) if scheme_end != -1 else -1
        path = path[slash:] if slash != -1 else "/"
    return path


def route(method: str, path: str) -> tuple[str | None, str | None]:
    """Map a method and path to (operation, store id); operation None means 404.

    Empty path segments are ignored, as on the server: ``/stores/`` is ``/stores``.
    """
    if "//" in path or (path.endswith("/") and len(path) > 1):
        path = "/" + "/".join(part for part in path.split("/") if part)
    if path == "/stores":
        if method == "GET":
            return "list", None
        if method == "POST":
            return "create", None
        return None, None
    if path == "/health":
        return ("health", None) if method == "GET" else (None, None)
    if not path.startswith("/stores/"):
        return None, None
    segment, slash, action = path[8:].partition("/")
    if not segment:
        return None, None
    store_id = unquote(segment, errors="replace") if "%" in segment else segment
    if not slash:
        if method == "GET":
            return "get", store_id
        if method == "DELETE":
            return "delete", store_id
        return None, store_id
    if method == "POST" and action in _POST_OPERATIONS:
        return _POST_OPERATIONS[action], store_id
    return None, store_id
