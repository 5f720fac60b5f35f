"""A raw-socket fuzzer against the fake's network front end (``FakeServer.serve()``).

What counts as an acceptable answer, case by case (each case below names its rule):

``error``
    The request is framed well enough to answer: the first answer must be the failure envelope
    (``{"success": false, "error": "..."}``, ``application/json``) with a 4xx status, and the
    case may narrow the set of statuses (400 for a malformed body, 413 for an oversized one,
    404 for an unknown route or method).
``error_or_close``
    HTTP framing is broken (random bytes, a request line that is not
    ``METHOD target HTTP/1.x``, an unreadable ``Content-Length``, a request cut short): either
    the failure envelope with a 4xx, or the server closes the connection without sending a
    single byte. Partial answers, HTTP/0.9 bare bodies, HTML error pages and 5xx (505 for an
    unsupported HTTP version included) all fail.
``answer_or_close``
    Garbage after a well-formed start (random bytes in the header block): whatever the server
    makes of the headers, any envelope below 500, or a close without a byte.
``answer``
    The input is odd but legal (a lone surrogate escape, an unusual content type, duplicate
    keys): any envelope with a status below 500.

For every case: no answer is a 5xx, nothing a client receives contains traceback text, and
the server answers ``GET /health`` normally afterwards. Inputs are generated from fixed
seeds, every loop is bounded and every read has a deadline.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hardening_http import (
    Exchange,
    assert_envelope,
    assert_error_envelope,
    assert_no_leak,
    connect,
    read_exchange,
    request_bytes,
    send_and_read,
    send_big_and_read,
    strict_json,
)
from hardening_report import ReliabilityFigures

from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # many operations, faults and generated cases

SECTION = "fuzz"
LIMIT = 16 * 1024 * 1024
DEPTH = 10_000


@dataclass(frozen=True)
class Served:
    fake: FakeServer
    url: str
    sqlite_id: str
    redis_id: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One fake over real HTTP for the whole module: it has to survive every case in turn."""
    fake = FakeServer(data_dir=tmp_path_factory.mktemp("fuzz-data"))
    with fake.serve() as url, httpx.Client(base_url=url, timeout=10) as http:
        sqlite = http.post("/stores", json={"name": "fuzz-sqlite", "kind": "sqlite"})
        redis = http.post("/stores", json={"name": "fuzz-redis", "kind": "redis"})
        assert sqlite.status_code == 201, sqlite.text
        assert redis.status_code == 201, redis.text
        http.post(
            f"/stores/{sqlite.json()['data']['id']}/execute",
            json={"sql": "CREATE TABLE t (v)"},
        ).raise_for_status()
        yield Served(fake, url, sqlite.json()["data"]["id"], redis.json()["data"]["id"])


def assert_alive(url: str) -> None:
    """The server still answers a normal request on a fresh connection."""
    exchange = send_and_read(url, request_bytes("GET", "/health"), timeout=10)
    assert exchange.responses, f"server stopped answering (closed={exchange.closed})"
    response = exchange.responses[0]
    assert response.status == 200, response.body
    assert strict_json(response.body) == {"success": True, "data": "ok"}


def judge(
    exchange: Exchange,
    rule: str,
    figures: ReliabilityFigures,
    statuses: frozenset[int] | range = range(400, 500),
) -> None:
    """Apply one of the module docstring's rules to what came back on a connection."""
    figures.add(SECTION, "malformed_inputs")
    finals = [r for r in exchange.responses if r.status >= 200]
    for response in exchange.responses:
        if response.status >= 500:
            figures.add(SECTION, "server_errors_5xx")
    if not finals:
        figures.add(SECTION, "closed_without_answer")
    assert_no_leak(exchange.stray)
    for response in exchange.responses:
        assert response.status < 500, (
            f"{response.status} for client input: {response.raw_head[:200]!r} "
            f"{response.body[:300]!r}"
        )
    if rule == "error":
        assert finals, (
            f"no answer (closed={exchange.closed}, timed_out={exchange.timed_out}, "
            f"stray={exchange.stray[:120]!r})"
        )
        assert_error_envelope(finals[0], statuses)
    elif rule == "error_or_close":
        if finals:
            assert_error_envelope(finals[0], statuses)
        else:
            assert exchange.closed, (
                f"neither an answer nor a close (timed_out={exchange.timed_out})"
            )
            assert not exchange.stray, (
                f"bytes that are not an HTTP response: {exchange.stray[:200]!r}"
            )
    elif rule == "answer_or_close":
        if finals:
            assert_envelope(finals[0])
        else:
            assert exchange.closed, (
                f"neither an answer nor a close (timed_out={exchange.timed_out})"
            )
            assert not exchange.stray, (
                f"bytes that are not an HTTP response: {exchange.stray[:200]!r}"
            )
    elif rule == "answer":
        assert finals, f"no answer (closed={exchange.closed}, stray={exchange.stray[:120]!r})"
        assert_envelope(finals[0])
    else:  # pragma: no cover - a typo in a case table
        raise AssertionError(rule)
    # Whatever followed on a kept-alive connection (the rest of a lying body...) is held to
    # the same standard: an envelope below 500.
    for response in finals[1:]:
        assert_envelope(response)
    assert not exchange.stray, f"bytes after the last answer: {exchange.stray[:200]!r}"


# --- framing: random bytes and broken request lines ---------------------------------------


def test_random_bytes_get_a_4xx_envelope_or_a_clean_close(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    rng = random.Random(20260216)
    before = served.fake.stores
    for _ in range(400):
        size = rng.choice([1, 2, 7, 64, 500, 4096])
        data = bytes(rng.getrandbits(8) for _ in range(size))
        judge(send_and_read(served.url, data), "error_or_close", reliability_figures)
    for _ in range(200):
        # Random bytes after a plausible start, so the parser gets past the first token.
        prefix = rng.choice([b"GET /", b"POST /stores HTTP/1.1\r\n", b"GET /health HTTP/1.1\r\nHo"])
        data = prefix + bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        rule = "error_or_close" if prefix == b"GET /" else "answer_or_close"
        judge(send_and_read(served.url, data), rule, reliability_figures)
    assert served.fake.stores == before, "random bytes changed the fake's state"
    assert_alive(served.url)


def test_random_request_lines_never_get_a_server_error(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    rng = random.Random(7)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW", "get", "G\tET"]
    segments = ["stores", "health", "..", ".", "%2e%2e", "%2F", "query", "execute", "command"]
    segments += ["", "%00", "%ff", "a b", "\u00e9".encode().decode("latin-1"), "?x=1", "#f", "*"]
    for _ in range(400):
        method = rng.choice(methods)
        path = "/" + "/".join(rng.choice(segments) for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.1:
            path = rng.choice(["*", "http://example.com/stores", "stores", "//stores"])
        body = rng.choice([None, b"{}", b'{"sql": "SELECT 1"}', b"[]"])
        data = request_bytes(method, path, body)
        exchange = send_and_read(served.url, data)
        finals = [r for r in exchange.responses if r.status >= 200]
        if " " in path or "\t" in method:
            # "GET /a b HTTP/1.1" has four words: broken framing.
            judge(exchange, "error_or_close", reliability_figures)
        else:
            judge(exchange, "answer", reliability_figures)
            assert finals[0].status in {200, 201, 400, 404}, finals[0].status
    assert_alive(served.url)


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    rule: str
    statuses: frozenset[int] | range = range(400, 500)
    shutdown_write: bool = True


FRAMING_CASES = [
    Case("empty-line", b"\r\n\r\n", "error_or_close"),
    Case("method-only", b"GET\r\n\r\n", "error_or_close"),
    # HTTP/0.9 ("GET /path" with no version) may be answered with HTTP/1.1 framing or refused;
    # a bare HTTP/0.9 body fails.
    Case("http09-request", b"GET /health\r\n\r\n", "answer_or_close"),
    Case("http2-version", b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", "error_or_close"),
    Case("garbage-version", b"GET /health HTTP/x.y\r\nHost: x\r\n\r\n", "error_or_close"),
    Case("four-words", b"GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n", "error_or_close"),
    Case("nul-in-request-line", b"GET /he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n", "error_or_close"),
    Case("long-request-line", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", "error_or_close"),
    Case(
        "long-header-line",
        b"GET /health HTTP/1.1\r\nX-Long: " + b"b" * 70_000 + b"\r\n\r\n",
        "error_or_close",
    ),
    Case(
        "too-many-headers",
        b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n",
        "error_or_close",
    ),
    # Lenient header parsing is fine: the request may be served as if the line were not there.
    Case("header-without-colon", b"GET /stores HTTP/1.1\r\nNoColonHere\r\n\r\n", "answer_or_close"),
    Case("unknown-method", request_bytes("BREW", "/stores"), "error", frozenset({404})),
    Case(
        "unknown-method-on-id", request_bytes("PUT", "/stores/x", b"{}"), "error", frozenset({404})
    ),
    Case("unknown-route", request_bytes("GET", "/nope"), "error", frozenset({404})),
    Case("options-star", request_bytes("OPTIONS", "*"), "error", frozenset({400, 404})),
    Case("raw-invalid-utf8-path", b"GET /stores/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", "error"),
    Case("encoded-invalid-utf8-id", request_bytes("GET", "/stores/%ff%fe%fd"), "error"),
    Case("encoded-nul-id", request_bytes("GET", "/stores/%00"), "error"),
    Case("dotdot-id", request_bytes("GET", "/stores/%2e%2e"), "error", frozenset({404})),
    Case("slash-id", request_bytes("DELETE", "/stores/a%2Fb"), "error", frozenset({404})),
    Case(
        "invalid-utf8-auth-header",
        b"GET /stores HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
        "answer",
    ),
    Case("absolute-form-target", request_bytes("GET", "http://example.com/health"), "answer"),
]


@pytest.mark.parametrize("case", FRAMING_CASES, ids=lambda case: case.name)
def test_broken_framing(
    served: Served, case: Case, reliability_figures: ReliabilityFigures
) -> None:
    before = served.fake.stores
    judge(send_and_read(served.url, case.data), case.rule, reliability_figures, case.statuses)
    assert served.fake.stores == before
    assert_alive(served.url)


# --- bodies: truncated, deeply nested, huge numbers, bad encodings, wrong shapes -----------

CREATE = b'{"name": "truncated", "kind": "sqlite", "config": {"path": "t.db"}}'


def test_every_truncation_of_a_body_is_a_400(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    query = b'{"sql": "SELECT v FROM t WHERE v = ?", "params": [1, "two", [3]]}'
    before = served.fake.stores
    targets = [("/stores", CREATE), (f"/stores/{served.sqlite_id}/query", query)]
    for path, body in targets:
        for cut in range(len(body)):
            exchange = send_and_read(served.url, request_bytes("POST", path, body[:cut]))
            judge(exchange, "error", reliability_figures, frozenset({400}))
    assert served.fake.stores == before
    assert_alive(served.url)


def _nested_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _nested_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _body_cases(sqlite_id: str, redis_id: str) -> list[tuple[str, str, bytes, str, Any]]:
    """(name, path, body, rule, statuses): the body-level cases, built per server."""
    q = f"/stores/{sqlite_id}/query"
    x = f"/stores/{sqlite_id}/execute"
    c = f"/stores/{redis_id}/command"
    bad = frozenset({400})
    huge_int = b"9" * 5000
    return [
        # deeply nested JSON (10,000 levels) in every place a body can hold it
        ("nested-array-body", "/stores", _nested_array(DEPTH), "error", bad),
        ("nested-object-body", "/stores", _nested_object(DEPTH), "error", bad),
        (
            "nested-name",
            "/stores",
            b'{"kind":"sqlite","name":' + _nested_array(DEPTH) + b"}",
            "error",
            bad,
        ),
        (
            "nested-config",
            "/stores",
            b'{"name":"deep","kind":"redis","config":' + _nested_object(DEPTH) + b"}",
            "error",
            bad,
        ),
        (
            "nested-params",
            q,
            b'{"sql":"SELECT ?","params":' + _nested_array(DEPTH) + b"}",
            "error",
            bad,
        ),
        ("nested-command", c, b'{"command":' + _nested_array(DEPTH) + b"}", "error", bad),
        (
            "nested-unknown-field",
            x,
            b'{"sql":"INSERT INTO t VALUES (1)","extra":' + _nested_array(DEPTH) + b"}",
            "error",
            bad,
        ),
        # huge numbers: not representable as a finite double or a 64-bit integer
        ("float-overflow-param", q, b'{"sql":"SELECT ?","params":[1e999999]}', "error", bad),
        ("negative-float-overflow", q, b'{"sql":"SELECT ?","params":[-1e400]}', "error", bad),
        (
            "5000-digit-int-param",
            q,
            b'{"sql":"SELECT ?","params":[' + huge_int + b"]}",
            "error",
            bad,
        ),
        (
            "int-above-int64",
            x,
            b'{"sql":"INSERT INTO t VALUES (?)","params":[9223372036854775808]}',
            "error",
            bad,
        ),
        (
            "int-below-int64",
            x,
            b'{"sql":"INSERT INTO t VALUES (?)","params":[-9223372036854775809]}',
            "error",
            bad,
        ),
        (
            "float-overflow-config",
            "/stores",
            b'{"name":"inf","kind":"redis","config":{"port":1e400}}',
            "error",
            bad,
        ),
        (
            "5000-digit-int-config",
            "/stores",
            b'{"name":"big","kind":"redis","config":{"port":' + huge_int + b"}}",
            "error",
            bad,
        ),
        ("huge-number-as-name", "/stores", b'{"name":1e999,"kind":"sqlite"}', "error", bad),
        ("nan-literal", q, b'{"sql":"SELECT ?","params":[NaN]}', "error", bad),
        ("infinity-literal", q, b'{"sql":"SELECT ?","params":[Infinity]}', "error", bad),
        (
            "neg-infinity-config",
            "/stores",
            b'{"name":"ninf","kind":"redis","config":{"x":-Infinity}}',
            "error",
            bad,
        ),
        # invalid UTF-8 and other encodings
        ("invalid-utf8-string", "/stores", b'{"name":"\xff\xfe","kind":"sqlite"}', "error", bad),
        ("overlong-utf8", "/stores", b'{"name":"\xc0\xaf","kind":"sqlite"}', "error", bad),
        ("utf8-encoded-surrogate", q, b'{"sql":"SELECT \xed\xa0\x80"}', "error", bad),
        ("truncated-utf8-sequence", x, b'{"sql":"INSERT INTO t VALUES (\xe2\x82)"}', "error", bad),
        ("utf16-body", "/stores", '{"name":"u16","kind":"sqlite"}'.encode("utf-16"), "error", bad),
        (
            "latin1-body",
            "/stores",
            '{"name":"caf\u00e9","kind":"sqlite"}'.encode("latin-1"),
            "error",
            bad,
        ),
        # legal but odd: escaped lone surrogates, duplicate keys
        (
            "escaped-lone-surrogate-name",
            "/stores",
            b'{"name":"x\\ud800","kind":"redis"}',
            "answer",
            None,
        ),
        (
            "escaped-lone-surrogate-param",
            q,
            b'{"sql":"SELECT ?","params":["\\udfff"]}',
            "answer",
            None,
        ),
        ("escaped-lone-surrogate-command", c, b'{"command":["SET","k","\\ud800"]}', "answer", None),
        ("duplicate-keys", q, b'{"sql":"SELECT 1","sql":"SELECT 2"}', "answer", None),
        # a config need not be an object (CONTRACT.md): a sqlite store's gets the default path
        (
            "config-array",
            "/stores",
            b'{"name":"cfg-array","kind":"sqlite","config":[]}',
            "answer",
            None,
        ),
        # wrong shapes
        ("empty-body", "/stores", b"", "error", bad),
        ("whitespace-body", "/stores", b"  \r\n ", "error", bad),
        ("array-body", "/stores", b"[]", "error", bad),
        ("string-body", q, b'"SELECT 1"', "error", bad),
        ("null-body", x, b"null", "error", bad),
        ("number-body", c, b"42", "error", bad),
        ("name-wrong-type", "/stores", b'{"name":5,"kind":"sqlite"}', "error", bad),
        ("kind-wrong-case", "/stores", b'{"name":"k","kind":"SQLite"}', "error", bad),
        ("kind-null", "/stores", b'{"name":"k","kind":null}', "error", bad),
        ("sandbox-number", "/stores", b'{"name":"k","kind":"sqlite","sandbox":5}', "error", bad),
        ("blank-name", "/stores", b'{"name":" \\t\\n ","kind":"sqlite"}', "error", bad),
        ("sql-number", q, b'{"sql":5}', "error", bad),
        ("sql-blank", x, b'{"sql":"   "}', "error", bad),
        ("params-object", q, b'{"sql":"SELECT ?","params":{"a":1}}', "error", bad),
        ("params-string", x, b'{"sql":"SELECT ?","params":"1"}', "error", bad),
        ("command-string", c, b'{"command":"GET k"}', "error", bad),
        ("command-numbers", c, b'{"command":["SET",1,2]}', "error", bad),
        ("command-empty", c, b'{"command":[]}', "error", bad),
        ("trailing-garbage", "/stores", b'{"name":"g","kind":"sqlite"} trailing', "error", bad),
        ("two-documents", "/stores", b'{"name":"g","kind":"sqlite"}{"x":1}', "error", bad),
        ("bad-escape", "/stores", b'{"name":"\\x41","kind":"sqlite"}', "error", bad),
        ("control-char-in-string", "/stores", b'{"name":"a\x01b","kind":"sqlite"}', "error", bad),
        ("single-quotes", "/stores", b"{'name':'s','kind':'sqlite'}", "error", bad),
        ("bad-body-unknown-id", "/stores/no-such-id/query", b"{", "error", bad),
        ("multi-statement", x, b'{"sql":"INSERT INTO t VALUES (1); DROP TABLE t"}', "error", bad),
        ("write-on-query", q, b'{"sql":"DELETE FROM t"}', "error", bad),
        ("select-on-execute", x, b'{"sql":"SELECT * FROM t"}', "error", bad),
        ("attach-database", x, b'{"sql":"ATTACH DATABASE \'/tmp/evil.db\' AS evil"}', "error", bad),
        ("load-extension", q, b'{"sql":"SELECT load_extension(\'/tmp/x\')"}', "error", bad),
        ("query-on-redis", f"/stores/{redis_id}/query", b'{"sql":"SELECT 1"}', "error", bad),
        (
            "command-on-sqlite",
            f"/stores/{sqlite_id}/command",
            b'{"command":["PING"]}',
            "error",
            bad,
        ),
        ("unknown-redis-command", c, b'{"command":["NOSUCHCOMMAND","x"]}', "error", bad),
        ("redis-wrong-arity", c, b'{"command":["SET"]}', "error", bad),
        ("redis-debug", c, b'{"command":["DEBUG","SEGFAULT"]}', "error", bad),
    ]


_PLACEHOLDER_CASES = _body_cases("SQLITE", "REDIS")


@pytest.mark.parametrize(
    "index", range(len(_PLACEHOLDER_CASES)), ids=[case[0] for case in _PLACEHOLDER_CASES]
)
def test_malformed_bodies(
    served: Served, index: int, reliability_figures: ReliabilityFigures
) -> None:
    name, path, body, rule, statuses = _body_cases(served.sqlite_id, served.redis_id)[index]
    before = served.fake.stores
    exchange = send_and_read(served.url, request_bytes("POST", path, body))
    judge(exchange, rule, reliability_figures, statuses or range(400, 500))
    if rule == "error":
        assert served.fake.stores == before, f"{name} changed the fake's state"
    assert_alive(served.url)


def test_odd_bodies_did_not_corrupt_the_store(served: Served) -> None:
    """After the malformed bodies, the SQLite store is still intact and queryable."""
    with httpx.Client(base_url=served.url, timeout=10) as http:
        answer = http.post(
            f"/stores/{served.sqlite_id}/query", json={"sql": "SELECT count(*) AS n FROM t"}
        )
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["data"]["columns"]) == {"n"}


CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/json; charset=latin-1",
    "application/octet-stream",
    "application/xml",
    "\u00e9t\u00e9/\u00e9t\u00e9".encode().decode("latin-1"),
]


@pytest.mark.parametrize("content_type", [*CONTENT_TYPES, None])
def test_wrong_content_types(
    served: Served, content_type: str | None, reliability_figures: ReliabilityFigures
) -> None:
    """The body decides: valid JSON is served whatever the label, anything else is a 400.

    The contract names no status for a wrong content type, so a 415 or a 400 for a valid JSON
    body under a wrong label is accepted too; never a 5xx.
    """
    path = f"/stores/{served.sqlite_id}/query"
    valid = request_bytes("POST", path, b'{"sql":"SELECT 1 AS one"}', content_type=content_type)
    exchange = send_and_read(served.url, valid)
    judge(exchange, "answer", reliability_figures)
    assert exchange.responses[0].status in {200, 400, 415}
    form = request_bytes("POST", "/stores", b"name=form&kind=sqlite", content_type=content_type)
    judge(send_and_read(served.url, form), "error", reliability_figures, frozenset({400, 415}))
    assert_alive(served.url)


# --- Content-Length that is wrong or lies ----------------------------------------------------


def _post_head(path: str, length: str, *extra: str, keep_alive: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"Content-Length: {length}", *extra]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


LENGTH_CASES = [
    Case("length-not-a-number", _post_head("/stores", "abc") + CREATE, "error_or_close"),
    Case("length-negative", _post_head("/stores", "-5") + CREATE, "error_or_close"),
    Case("length-float", _post_head("/stores", "1e3") + CREATE, "error_or_close"),
    Case("length-hex", _post_head("/stores", "0x10") + CREATE, "error_or_close"),
    Case(
        "length-list",
        _post_head("/stores", f"{len(CREATE)}, {len(CREATE)}") + CREATE,
        "error_or_close",
    ),
    Case(
        "two-different-lengths",
        _post_head("/stores", str(len(CREATE)), "Content-Length: 3") + CREATE,
        "error_or_close",
    ),
    Case(
        "length-longer-than-body-then-eof",
        _post_head("/stores", str(len(CREATE) + 50)) + CREATE,
        "error_or_close",
    ),
    Case(
        "length-absurd",
        _post_head("/stores", "9" * 30) + CREATE,
        "error_or_close",
        frozenset({400, 413}),
    ),
    # Declares 16 MiB + 1, then hangs up without a body: a truncated request, so a close is
    # acceptable too (test_body_over_16_mib_is_a_413 sends the whole body).
    Case(
        "length-over-limit-no-body",
        _post_head("/stores", str(LIMIT + 1)),
        "error_or_close",
        frozenset({413}),
    ),
    Case(
        "length-10GiB-no-body", _post_head("/stores", str(10 * 1024**3)), "error", frozenset({413})
    ),
    Case(
        "no-length-on-post",
        b"POST /stores HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "error",
        frozenset({400, 411}),
    ),
    Case(
        "chunked-body",
        b"POST /stores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
        b'Content-Type: application/json\r\n\r\n5\r\n{"nam\r\n0\r\n\r\n',
        "error_or_close",
    ),
    Case(
        "chunked-and-length",
        b"POST /stores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n"
        b"Connection: close\r\n\r\n0\r\n\r\n",
        "error_or_close",
    ),
]


@pytest.mark.parametrize("case", LENGTH_CASES, ids=lambda case: case.name)
def test_bad_and_lying_content_length(
    served: Served, case: Case, reliability_figures: ReliabilityFigures
) -> None:
    before = served.fake.stores
    judge(send_and_read(served.url, case.data), case.rule, reliability_figures, case.statuses)
    assert served.fake.stores == before
    assert_alive(served.url)


def test_length_shorter_than_body_on_a_kept_alive_connection(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    """The body is cut at the declared length; the rest is read as the next request."""
    data = _post_head("/stores", "2", keep_alive=True) + b"{}" + b'"name":"x"}\r\n\r\n'
    exchange = send_and_read(served.url, data)
    judge(exchange, "error", reliability_figures, frozenset({400}))
    assert "Invalid JSON" in strict_json(exchange.responses[0].body)["error"]
    assert_alive(served.url)


def test_pipelined_requests_on_one_connection_are_answered_in_order(served: Served) -> None:
    health = request_bytes("GET", "/health", headers={"Connection": "keep-alive"})
    stores = request_bytes("GET", "/stores")
    exchange = send_and_read(served.url, health + stores)
    assert [r.status for r in exchange.responses] == [200, 200]
    assert strict_json(exchange.responses[0].body)["data"] == "ok"
    assert isinstance(strict_json(exchange.responses[1].body)["data"], list)


def test_head_answers_carry_no_body(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    """HEAD is not a contract method (404), but the answer must still be framed as a HEAD answer:
    no body, or the next response on the kept-alive connection is garbage to the client."""
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for path in ("/health", "/stores", f"/stores/{served.sqlite_id}", "/nope"):
            head = http.head(path)
            reliability_figures.add(SECTION, "malformed_inputs")
            assert head.status_code in {200, 404}, (path, head.status_code)
            assert head.content == b""
            follow = http.get("/health")  # same connection
            assert follow.json() == {"success": True, "data": "ok"}


def test_expect_100_continue_is_served(served: Served) -> None:
    body = json.dumps({"name": "expects-continue", "kind": "redis"}).encode()
    data = request_bytes("POST", "/stores", body, headers={"Expect": "100-continue"})
    exchange = send_and_read(served.url, data)
    finals = [r for r in exchange.responses if r.status >= 200]
    assert [r.status for r in finals] == [201], exchange
    assert strict_json(finals[0].body)["data"]["name"] == "expects-continue"


def test_body_over_16_mib_is_a_413(served: Served, reliability_figures: ReliabilityFigures) -> None:
    before = served.fake.stores
    head = _post_head(f"/stores/{served.sqlite_id}/execute", str(LIMIT + 1))
    exchange = send_big_and_read(served.url, head, LIMIT + 1)
    judge(exchange, "error", reliability_figures, frozenset({413}))
    message = strict_json(exchange.responses[0].body)["error"]
    assert message == "Request body exceeds the maximum size of 16777216 bytes"
    assert served.fake.stores == before
    assert_alive(served.url)


def test_body_of_exactly_16_mib_is_not_refused_for_size(served: Served) -> None:
    """The limit is "over 16 MiB": a body of exactly 16777216 bytes is read and judged."""
    prefix = b'{"sql":"INSERT INTO t VALUES (?)","params":["'
    suffix = b'"]}'
    body = prefix + b"x" * (LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(body) == LIMIT
    head = _post_head(f"/stores/{served.sqlite_id}/execute", str(LIMIT))
    with connect(served.url, timeout=30) as sock:
        sock.sendall(head + body)
        exchange = read_exchange(sock, deadline=time.monotonic() + 30)
    assert exchange.responses, exchange
    assert exchange.responses[0].status == 200, exchange.responses[0].body[:300]
    assert strict_json(exchange.responses[0].body)["data"]["rows_affected"] == 1


# --- slow senders ------------------------------------------------------------------------------


def test_a_slow_sender_byte_by_byte_is_served_normally(served: Served) -> None:
    body = json.dumps({"name": "slow-writer", "kind": "redis"}).encode()
    data = request_bytes("POST", "/stores", body)
    exchange = send_and_read(served.url, [bytes([b]) for b in data], pause=0.002, timeout=20)
    assert exchange.responses, exchange
    assert exchange.responses[0].status == 201, exchange.responses[0].body
    assert strict_json(exchange.responses[0].body)["data"]["name"] == "slow-writer"


def test_stalled_clients_do_not_block_others(
    served: Served, reliability_figures: ReliabilityFigures
) -> None:
    """Half-sent headers and half-sent bodies hold their own connection, never the server."""
    stalled: list[socket.socket] = []
    try:
        for index in range(4):
            sock = connect(served.url)
            # One full exchange first: once answered, a server thread is serving this very
            # connection, and it is that thread the half-sent request below stalls.
            sock.sendall(request_bytes("GET", "/health", headers={"Connection": "keep-alive"}))
            served_once = read_exchange(sock, deadline=time.monotonic() + 10, max_responses=1)
            assert [r.status for r in served_once.responses] == [200]
            if index % 2:
                sock.sendall(b"GET /stores HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:
                sock.sendall(_post_head("/stores", "100") + b'{"name": "st')
            stalled.append(sock)
            reliability_figures.add(SECTION, "malformed_inputs")
        for _ in range(10):
            assert_alive(served.url)
    finally:
        for sock in stalled:
            sock.close()
    assert_alive(served.url)


def test_shutdown_is_clean_while_a_client_is_stalled(tmp_path: Path) -> None:
    """Leaving ``serve()`` returns even with a connection stuck mid-request."""
    fake = FakeServer(data_dir=tmp_path)
    finished = threading.Event()
    stalled: list[socket.socket] = []

    def run() -> None:
        with fake.serve() as url:
            sock = connect(url)
            sock.sendall(_post_head("/stores", "100") + b"{")
            stalled.append(sock)
            assert_alive(url)
        finished.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=30)
    try:
        assert finished.is_set(), "serve() did not shut down while a client was stalled"
    finally:
        for sock in stalled:
            sock.close()


def test_no_traceback_text_in_any_answer_seen(served: Served) -> None:
    """A last sweep: the fake's request log shows no 5xx from all of the above."""
    statuses = [entry.status for entry in served.fake.requests]
    assert statuses, "the fake recorded no requests"
    assert all(status < 500 for status in statuses), sorted(set(statuses))
