"""Checks of the protocol around the routes: health, envelope, auth, unknown routes, size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._checks_stores import expect_not_listed
from ._expect import listed
from ._model import CheckFailed, Level
from ._registry import check

if TYPE_CHECKING:
    from ._context import CheckContext

__all__: list[str] = []

MAX_BODY = 16 * 1024 * 1024
_TOO_LARGE = f"Request body exceeds the maximum size of {MAX_BODY} bytes"


# -- health ---------------------------------------------------------------------


@check("health.ok", 'GET /health answers 200 {"success": true, "data": "ok"}')
def _health_ok(ctx: CheckContext) -> None:
    response = ctx.request("GET", "/health")
    ctx.expect_success(response, 200, data="ok")


# -- envelope -------------------------------------------------------------------


@check(
    "envelope.success-shape",
    'A success answer is {"success": true, "data": ...} with "error" omitted',
)
def _success_shape(ctx: CheckContext) -> None:
    response = ctx.request("GET", "/stores")
    ctx.expect_success(response, 200)


@check(
    "envelope.error-shape",
    'A failure answer is {"success": false, "error": "<message>"} with "data" omitted',
)
def _error_shape(ctx: CheckContext) -> None:
    response = ctx.request("GET", ctx.store_path(ctx.unknown_id))
    ctx.expect_error(response, 404)


@check("envelope.content-type", "Answers, success and failure, are application/json")
def _content_type(ctx: CheckContext) -> None:
    for response in (
        ctx.request("GET", "/stores"),
        ctx.request("GET", ctx.store_path(ctx.unknown_id)),
    ):
        diffs = ctx.diffs(response)
        content_type = response.headers.get("content-type", "")
        diffs.require(
            content_type.split(";")[0].strip().lower() == "application/json",
            "header content-type",
            "application/json",
            content_type or "no content-type header",
        )
        diffs.raise_if_any()


# -- routes ---------------------------------------------------------------------


@check("routes.unknown-path", 'An unknown route answers 404 "Not found"')
def _unknown_path(ctx: CheckContext) -> None:
    ctx.expect_error(ctx.request("GET", "/no-such-route"), 404, "Not found")
    ctx.expect_error(ctx.request("POST", "/stores/x/y/z", json={}), 404, "Not found")


@check("routes.unknown-method", 'A known path with an unknown method answers 404 "Not found"')
def _unknown_method(ctx: CheckContext) -> None:
    ctx.expect_error(ctx.request("PUT", "/stores", json={}), 404, "Not found")
    ctx.expect_error(ctx.request("GET", ctx.store_path(ctx.unknown_id, "query")), 404, "Not found")


@check(
    "routes.trailing-slash",
    "Empty path segments are ignored: GET /stores/ is GET /stores, GET /stores/{id}/ is "
    "GET /stores/{id}",
    kinds=("sqlite",),
)
def _trailing_slash(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    response = ctx.request("GET", "/stores/")
    data = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    ids = listed(data, "id")
    diffs.require(record["id"] in ids, "data", f"a list with the store {record['id']}", data)
    diffs.raise_if_any()
    response = ctx.request("GET", ctx.store_path(record["id"]) + "/")
    ctx.expect_success(response, 200, data=record)


@check(
    "routes.malformed-content-length",
    'A Content-Length header that is not a number: 400 "Invalid Content-Length header"',
)
def _malformed_content_length(ctx: CheckContext) -> None:
    response = ctx.raw(
        "POST", "/stores", headers={"content-length": "twelve"}, body=b"{}", half_close=False
    )
    ctx.expect_error(response, 400, "Invalid Content-Length header")


@check(
    "routes.short-body",
    "A body shorter than its Content-Length (the client stops sending): 400 "
    '"Invalid JSON: body shorter than its Content-Length", nothing created',
    level=Level.RECOMMENDED,
    kinds=("sqlite",),
)
def _short_body(ctx: CheckContext) -> None:
    name = ctx.name("short")
    body = f'{{"name": "{name}", "kind": "sqlite"}}'.encode()
    response = ctx.raw(
        "POST",
        "/stores",
        headers={"content-length": str(len(body) + 20)},
        body=body,
        half_close=True,
    )
    ctx.expect_error(response, 400, "Invalid JSON: body shorter than its Content-Length")
    expect_not_listed(ctx, name)


@check(
    "routes.body-too-large",
    f'A body over 16 MiB answers 413 "{_TOO_LARGE}"',
    large=True,
)
def _body_too_large(ctx: CheckContext) -> None:
    name = ctx.name("large")
    head = f'{{"name": "{name}", "kind": "sqlite", "padding": "'.encode()
    tail = b'"}'
    body = head + b"x" * (MAX_BODY + 1 - len(head) - len(tail)) + tail
    response = ctx.request(
        "POST", "/stores", content=body, headers={"content-type": "application/json"}
    )
    ctx.expect_error(response, 413, _TOO_LARGE)


@check(
    "routes.body-at-limit",
    "A body of exactly 16 MiB (16777216 bytes) is accepted: only a body over the limit is 413",
    kinds=("sqlite",),
    large=True,
)
def _body_at_limit(ctx: CheckContext) -> None:
    # A create whose unknown "padding" field (ignored, as the contract says) fills the
    # body to the limit exactly; any 2xx will do (the status is another check's clause).
    name = ctx.name("limit")
    head = f'{{"name": "{name}", "kind": "sqlite", "padding": "'.encode()
    tail = b'"}'
    body = head + b"x" * (MAX_BODY - len(head) - len(tail)) + tail
    response = ctx.request(
        "POST", "/stores", content=body, headers={"content-type": "application/json"}
    )
    ctx.expect_success(response, None, fields={"name": name})


# -- authentication ---------------------------------------------------------------


@check(
    "auth.missing-header",
    'Without an Authorization header: 401 "Missing Authorization header"',
    needs_api_key=True,
)
def _auth_missing(ctx: CheckContext) -> None:
    response = ctx.request("GET", "/stores", auth=False)
    ctx.expect_error(response, 401, "Missing Authorization header")


@check(
    "auth.wrong-scheme",
    'A scheme other than Bearer: 401 "Invalid authorization format. Use: Bearer <api_key>"',
    needs_api_key=True,
)
def _auth_wrong_scheme(ctx: CheckContext) -> None:
    response = ctx.request(
        "GET", "/stores", auth=False, headers={"authorization": f"Basic {ctx.target.api_key}"}
    )
    ctx.expect_error(response, 401, "Invalid authorization format. Use: Bearer <api_key>")


@check(
    "auth.wrong-key",
    'A wrong bearer token: 401 "Invalid bearer token"',
    needs_api_key=True,
)
def _auth_wrong_key(ctx: CheckContext) -> None:
    wrong = f"{ctx.target.api_key}-not-the-key"
    response = ctx.request(
        "GET", "/stores", auth=False, headers={"authorization": f"Bearer {wrong}"}
    )
    ctx.expect_error(response, 401, "Invalid bearer token")


@check(
    "auth.right-key",
    "The right bearer token is accepted on every route",
    needs_api_key=True,
    kinds=("sqlite",),
)
def _auth_right_key(ctx: CheckContext) -> None:
    ctx.expect_success(ctx.request("GET", "/stores"), 200)
    record = ctx.create_store("sqlite")
    ctx.expect_success(ctx.request("GET", ctx.store_path(record["id"])), 200)
    query = ctx.request("POST", ctx.store_path(record["id"], "query"), json={"sql": "SELECT 1"})
    ctx.expect_success(query, 200)


@check(
    "auth.rejects-before-routing",
    "Every route but /health needs the key, even for unknown stores and bad bodies",
    needs_api_key=True,
)
def _auth_everywhere(ctx: CheckContext) -> None:
    path = ctx.store_path(ctx.unknown_id)
    for method, route, body in (
        ("POST", "/stores", {"name": ctx.name(), "kind": "sqlite"}),
        ("GET", path, None),
        ("DELETE", path, None),
        ("POST", ctx.store_path(ctx.unknown_id, "query"), {"sql": ""}),
        ("POST", ctx.store_path(ctx.unknown_id, "execute"), {"sql": "SELECT 1"}),
        ("POST", ctx.store_path(ctx.unknown_id, "command"), {"command": []}),
    ):
        if body is None:
            response = ctx.request(method, route, auth=False)
        else:
            response = ctx.request(method, route, auth=False, json=body)
        ctx.expect_error(response, 401, "Missing Authorization header")


@check(
    "auth.health-open",
    "GET /health answers without any Authorization header",
    needs_api_key=True,
)
def _auth_health_open(ctx: CheckContext) -> None:
    response = ctx.request("GET", "/health", auth=False)
    ctx.expect_success(response, 200, data="ok")


# -- malformed input ----------------------------------------------------------------

_MALFORMED_BODIES: tuple[bytes, ...] = (
    b"",
    b"\xff\xfe\x00not utf-8",
    b"null",
    b"[]",
    b'"a string"',
    b'{"sql": null, "name": null, "kind": null, "command": null}',
    b'{"sql": 1e999, "name": 1e999, "kind": 1e999, "command": 1e999}',
    b'{"sql": "SELECT 1", "params": {"not": "a list"}, "command": "PING"',
)


@check(
    "routes.malformed-bodies",
    'Malformed JSON bodies on every POST route answer 400 "Invalid JSON: ...", never a 5xx',
    kinds=("sqlite", "redis"),
)
def _malformed_bodies(ctx: CheckContext) -> None:
    sqlite = ctx.create_store("sqlite")
    redis = ctx.create_store("redis")
    paths = [
        "/stores",
        ctx.store_path(sqlite["id"], "query"),
        ctx.store_path(sqlite["id"], "execute"),
        ctx.store_path(redis["id"], "command"),
        ctx.store_path(ctx.unknown_id, "query"),
    ]
    for path in paths:
        for body in _MALFORMED_BODIES:
            response = ctx.request(
                "POST", path, content=body, headers={"content-type": "application/json"}
            )
            try:
                ctx.expect_error(response, 400, prefix="Invalid JSON: ")
            except CheckFailed as failure:
                raise CheckFailed(
                    f"{failure.request} with body {body!r}", failure.differences
                ) from None
