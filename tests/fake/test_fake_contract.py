"""Every clause of the wire contract, through every front end (transport, respx patch, HTTP)."""

from __future__ import annotations

import base64

import httpx
import pytest
from fake_helpers import create, err, ok, open_front_end

from durable_stores_client.fake import FakeServer

# -- envelope, health, routing -------------------------------------------------


def test_health_answers_ok_without_auth(front_end: str) -> None:
    fake = FakeServer(api_key="sekrit")
    with open_front_end(front_end, fake) as http:
        assert http.get("/health").json() == {"success": True, "data": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("PUT", "/stores"),
        ("DELETE", "/stores"),
        ("PATCH", "/stores/abc"),
        ("POST", "/stores/abc"),
        ("GET", "/stores/abc/query"),
        ("POST", "/stores/abc/drop"),
        ("POST", "/stores/abc/query/extra"),
        ("PUT", "/stores/"),
        ("POST", "/health"),
        ("GET", "/storesx"),
    ],
)
def test_unknown_route_or_method_is_404_not_found(
    http: httpx.Client, method: str, path: str
) -> None:
    err(http.request(method, path), 404, "Not found")


def test_empty_path_segments_are_ignored(http: httpx.Client) -> None:
    # CONTRACT.md: "/stores/" is "/stores" (the server ignores empty segments).
    store = ok(http.post("/stores/", json={"name": "slashed", "kind": "sqlite"}), 201)
    assert [s["id"] for s in ok(http.get("/stores/"), 200)] == [store["id"]]
    assert ok(http.get(f"/stores//{store['id']}/"), 200) == store
    query = http.post(f"/stores/{store['id']}//query", json={"sql": "SELECT 1 AS one"})
    assert ok(query, 200)["rows"] == [{"one": 1}]


def test_envelope_omits_absent_fields(http: httpx.Client) -> None:
    assert http.get("/stores").json() == {"success": True, "data": []}
    assert http.get("/stores/x").json() == {"success": False, "error": "Store not found"}


# -- create ---------------------------------------------------------------------


def test_create_returns_201_and_the_record(http: httpx.Client) -> None:
    data = ok(
        http.post(
            "/stores",
            json={"name": "  agent-state ", "kind": "sqlite", "sandbox": "build", "extra": 1},
        ),
        201,
    )
    assert data["name"] == "agent-state"  # stored trimmed
    assert data["kind"] == "sqlite"
    assert data["sandbox"] == "build"
    assert data["config"] == {"path": f".agentkernel/stores/{data['id']}.db"}
    assert data["created_at"] == data["updated_at"]
    assert list(data) == ["id", "name", "kind", "sandbox", "config", "created_at", "updated_at"]
    assert "extra" not in data
    assert ok(http.get(f"/stores/{data['id']}")) == data


def test_create_without_sandbox_omits_it_and_keeps_config(http: httpx.Client) -> None:
    config = {"host": "db", "port": 5432, "password_secret": "pg-pass", "nested": {"a": [1]}}
    data = ok(http.post("/stores", json={"name": "pg", "kind": "postgres", "config": config}), 201)
    assert "sandbox" not in data
    assert data["config"] == config
    redis = ok(http.post("/stores", json={"name": "r", "kind": "redis", "sandbox": None}), 201)
    assert redis["config"] == {}
    assert "sandbox" not in redis


def test_sqlite_without_a_path_gets_config_replaced_by_the_default(http: httpx.Client) -> None:
    body = {"name": "p", "kind": "sqlite", "config": {"journal": "wal"}}
    data = ok(http.post("/stores", json=body), 201)
    assert data["config"] == {"path": f".agentkernel/stores/{data['id']}.db"}


def test_sqlite_with_a_path_keeps_it(http: httpx.Client) -> None:
    data = ok(
        http.post("/stores", json={"name": "p", "kind": "sqlite", "config": {"path": "a/b.db"}}),
        201,
    )
    assert data["config"] == {"path": "a/b.db"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", None),
        (b"", None),
        (b'{"name": "x", "kind": "sqlite"', None),
        (b"[1, 2]", "Invalid JSON: invalid type: sequence, expected a JSON object"),
        (b'{"kind": "sqlite"}', "Invalid JSON: missing field `name`"),
        (b'{"name": "x"}', "Invalid JSON: missing field `kind`"),
        (
            b'{"name": 5, "kind": "sqlite"}',
            "Invalid JSON: invalid type: integer `5`, expected a string at field `name`",
        ),
        (
            b'{"name": "x", "kind": null}',
            "Invalid JSON: invalid type: null, expected a string at field `kind`",
        ),
        (
            b'{"name": "x", "kind": "oracle"}',
            "Invalid JSON: unknown variant `oracle`, expected one of "
            "`sqlite`, `postgres`, `mysql`, `redis`",
        ),
        (b'{"name": "x", "kind": "SQLite"}', None),
        (b'{"name": "x", "kind": "sqlite", "sandbox": 3}', None),
        (b'{"name": "x", "kind": "sqlite", "config": {"a": NaN}}', None),
        (b'{"name": "x", "kind": "sqlite", "config": {"a": 1e999}}', None),
        (b"\xff\xfe{}", None),
        (b"[" * 100_000, None),
    ],
)
def test_create_validation_is_invalid_json_400(
    http: httpx.Client, body: bytes, message: str | None
) -> None:
    text = err(http.post("/stores", content=body), 400, message)
    assert text.startswith("Invalid JSON: ")
    assert ok(http.get("/stores")) == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_blank_name_is_name_is_required(http: httpx.Client, name: str) -> None:
    err(http.post("/stores", json={"name": name, "kind": "redis"}), 400, "name is required")


def test_duplicate_name_is_409_and_creates_nothing(http: httpx.Client) -> None:
    create(http, "dup")
    err(
        http.post("/stores", json={"name": " dup ", "kind": "redis"}),
        409,
        "Store name already exists",
    )
    assert len(ok(http.get("/stores"))) == 1


# -- list / get / delete ------------------------------------------------------------


@pytest.mark.slow  # creates 201 stores
def test_list_is_newest_first_and_capped_at_200(http: httpx.Client) -> None:
    ids = [create(http, f"s{i}", "redis") for i in range(203)]
    listed = ok(http.get("/stores"))
    assert len(listed) == 200
    assert [s["id"] for s in listed] == ids[::-1][:200]
    stamps = [s["created_at"] for s in listed]
    assert stamps == sorted(stamps, reverse=True)


def test_get_and_delete_unknown_ids_are_404(http: httpx.Client) -> None:
    for store_id in ["nope", "..%2F..%2Fstores", "%00", "a%2Fb", "%ZZ", "x" * 500]:
        err(http.get(f"/stores/{store_id}"), 404, "Store not found")
        err(http.delete(f"/stores/{store_id}"), 404, "Store not found")


def test_delete_answers_deleted_then_404(http: httpx.Client) -> None:
    store_id = create(http)
    assert ok(http.delete(f"/stores/{store_id}")) == "deleted"
    err(http.get(f"/stores/{store_id}"), 404, "Store not found")
    err(http.delete(f"/stores/{store_id}"), 404, "Store not found")
    err(http.post(f"/stores/{store_id}/query", json={"sql": "SELECT 1"}), 404, "Store not found")
    # the name is free again
    create(http)


def test_percent_encoded_ids_are_decoded_and_looked_up_by_id_only() -> None:
    fake = FakeServer(ids=iter(["a/b", "name-like"]))
    with open_front_end("http", fake) as http:
        assert create(http, "first") == "a/b"
        assert ok(http.get("/stores/a%2Fb"))["name"] == "first"
        err(http.get("/stores/first"), 404, "Store not found")  # never by name
    assert fake.requests[-1].store_id == "first"


# -- query / execute ------------------------------------------------------------------


def test_query_and_execute_round_trip(http: httpx.Client) -> None:
    sid = create(http)
    assert ok(
        http.post(
            f"/stores/{sid}/execute",
            json={"sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"},
        )
    ) == {"rows_affected": 0, "last_insert_rowid": 0}
    for name in ["alice", "bob"]:
        result = ok(
            http.post(
                f"/stores/{sid}/execute",
                json={"sql": "INSERT INTO t (name) VALUES (?)", "params": [name]},
            )
        )
        assert result["rows_affected"] == 1
    assert result["last_insert_rowid"] == 2
    assert ok(
        http.post(f"/stores/{sid}/execute", json={"sql": "UPDATE t SET name = upper(name)"})
    ) == {"rows_affected": 2, "last_insert_rowid": 0}
    data = ok(
        http.post(
            f"/stores/{sid}/query",
            json={"sql": "SELECT id, name FROM t WHERE id > ?1 ORDER BY id", "params": [0]},
        )
    )
    assert data == {
        "columns": ["id", "name"],
        "rows": [{"id": 1, "name": "ALICE"}, {"id": 2, "name": "BOB"}],
        "row_count": 2,
    }
    empty = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT id FROM t WHERE 0"}))
    assert empty == {"columns": ["id"], "rows": [], "row_count": 0}


def test_value_mapping_both_ways(http: httpx.Client) -> None:
    sid = create(http)
    params = [None, True, False, 42, -(2**63), 1.5, "text ✓", [1, "a"], {"k": {"n": None}}]
    data = ok(
        http.post(
            f"/stores/{sid}/query",
            json={
                "sql": "SELECT ?1 AS n, ?2 AS t, ?3 AS f, ?4 AS i, ?5 AS lo, ?6 AS r, ?7 AS s, "
                "?8 AS arr, ?9 AS obj, x'00ff10' AS blob, typeof(?8) AS arr_type, 1e999 AS inf",
                "params": params,
            },
        )
    )
    row = data["rows"][0]
    assert row == {
        "n": None,
        "t": 1,
        "f": 0,
        "i": 42,
        "lo": -(2**63),
        "r": 1.5,
        "s": "text ✓",
        "arr": '[1,"a"]',
        "obj": '{"k":{"n":null}}',
        "blob": base64.b64encode(b"\x00\xff\x10").decode(),
        "arr_type": "text",
        "inf": None,
    }
    assert data["columns"] == list(row)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_a_clear_400(http: httpx.Client, value: int) -> None:
    sid = create(http)
    for op in ("query", "execute"):
        text = err(
            http.post(f"/stores/{sid}/{op}", json={"sql": "SELECT ?", "params": [value]}), 400
        )
        assert "64-bit" in text
        assert "parameter 1" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sql": ""}, "sql is required"),
        ({"sql": "   \n"}, "sql is required"),
        ({}, "Invalid JSON: missing field `sql`"),
        ({"sql": 1}, "Invalid JSON: invalid type: integer `1`, expected a string at field `sql`"),
        (
            {"sql": "SELECT 1", "params": {"a": 1}},
            "Invalid JSON: invalid type: map, expected a sequence at field `params`",
        ),
        (
            {"sql": "SELECT 1", "params": "x"},
            'Invalid JSON: invalid type: string "x", expected a sequence at field `params`',
        ),
    ],
)
def test_sql_body_validation_comes_before_the_store_lookup(
    http: httpx.Client, body: dict[str, object], message: str
) -> None:
    for op in ("query", "execute"):
        err(http.post(f"/stores/unknown/{op}", json=body), 400, message)


def test_params_default_to_empty_and_null_is_empty(http: httpx.Client) -> None:
    sid = create(http)
    assert ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT 7 AS x", "params": None}))[
        "rows"
    ] == [{"x": 7}]


def test_sql_failures_name_the_step(http: httpx.Client) -> None:
    sid = create(http)
    text = err(http.post(f"/stores/{sid}/query", json={"sql": "SELECT * FROM missing"}), 400)
    assert text == "failed executing store query: no such table: missing"
    text = err(
        http.post(f"/stores/{sid}/execute", json={"sql": "INSERT INTO missing VALUES (1)"}), 400
    )
    assert text == "failed executing store statement: no such table: missing"
    text = err(http.post(f"/stores/{sid}/query", json={"sql": "SELECT ?, ?", "params": [1]}), 400)
    assert text.startswith("failed executing store query: Incorrect number of bindings")


def test_query_is_read_only_and_changes_nothing(http: httpx.Client) -> None:
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    for sql in [
        "INSERT INTO t VALUES (1)",
        "DELETE FROM t",
        "DROP TABLE t",
        "CREATE TABLE u (y)",
        "WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v",
        "INSERT INTO t VALUES (2) RETURNING x",
        "REPLACE INTO t VALUES (3)",
        "CREATE TEMP TABLE tmp (z)",
        "PRAGMA user_version = 5",
        "ALTER TABLE t ADD COLUMN w",
        "BEGIN",
        "ATTACH ':memory:' AS other",
        "ANALYZE",
    ]:
        err(
            http.post(f"/stores/{sid}/query", json={"sql": sql}),
            400,
            "query endpoint is read-only; use execute",
        )
    rows = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT count(*) AS n FROM t"}))[
        "rows"
    ]
    assert rows == [{"n": 0}]
    assert ok(http.post(f"/stores/{sid}/query", json={"sql": "PRAGMA user_version"}))["rows"] == [
        {"user_version": 0}
    ]
    # read-only statements beyond SELECT are fine
    info = ok(http.post(f"/stores/{sid}/query", json={"sql": "PRAGMA table_info(t)"}))
    assert [r["name"] for r in info["rows"]] == ["x"]
    cte = ok(
        http.post(
            f"/stores/{sid}/query",
            json={
                "sql": "WITH RECURSIVE c(n) AS "
                "(SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c"
            },
        )
    )
    assert cte["row_count"] == 3


def test_execute_refuses_statements_that_return_rows_and_changes_nothing(
    http: httpx.Client,
) -> None:
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x)"}))
    for sql in ["SELECT 1", "INSERT INTO t VALUES (1) RETURNING x", "PRAGMA table_info(t)"]:
        text = err(http.post(f"/stores/{sid}/execute", json={"sql": sql}), 400)
        assert text.startswith("failed executing store statement")
    rows = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT count(*) AS n FROM t"}))[
        "rows"
    ]
    assert rows == [{"n": 0}]


def test_more_than_one_statement_is_400_and_runs_nothing(http: httpx.Client) -> None:
    sid = create(http)
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (x TEXT)"}))
    err(
        http.post(
            f"/stores/{sid}/execute", json={"sql": "INSERT INTO t VALUES ('a'); DROP TABLE t"}
        ),
        400,
        "failed executing store statement: only one SQL statement is allowed per call",
    )
    err(
        http.post(f"/stores/{sid}/query", json={"sql": "SELECT 1; SELECT 2"}),
        400,
        "failed executing store query: only one SQL statement is allowed per call",
    )
    # a ';' inside a literal and a trailing ';' or comment are one statement
    ok(http.post(f"/stores/{sid}/execute", json={"sql": "INSERT INTO t VALUES ('a;b');  -- done"}))
    rows = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT x FROM t; "}))["rows"]
    assert rows == [{"x": "a;b"}]


# -- command (redis) -------------------------------------------------------------------


def test_command_results_map_as_the_contract_says(http: httpx.Client) -> None:
    sid = create(http, "cache", "redis")

    def run(*args: str) -> object:
        return ok(http.post(f"/stores/{sid}/command", json={"command": list(args)}))["result"]

    assert run("SET", "greeting", "hello") == "OK"
    assert run("GET", "greeting") == "hello"
    assert run("GET", "missing") is None
    assert run("INCR", "n") == 1
    assert run("RPUSH", "l", "a", "b") == 2
    assert run("LRANGE", "l", "0", "-1") == ["a", "b"]
    assert run("HSET", "h", "f", "v") == 1
    assert run("HGETALL", "h") in ({"f": "v"}, ["f", "v"])
    assert run("SADD", "s", "x") == 1
    assert run("SMEMBERS", "s") == ["x"]
    assert run("PING") == "PONG"
    assert run("EXISTS", "greeting", "missing") == 1


def test_redis_stores_are_isolated(http: httpx.Client) -> None:
    a = create(http, "a", "redis")
    b = create(http, "b", "redis")
    ok(http.post(f"/stores/{a}/command", json={"command": ["SET", "k", "1"]}))
    assert ok(http.post(f"/stores/{b}/command", json={"command": ["GET", "k"]}))["result"] is None


def test_redis_errors_and_validation(http: httpx.Client) -> None:
    sid = create(http, "r", "redis")
    text = err(http.post(f"/stores/{sid}/command", json={"command": ["NOPE"]}), 400)
    assert text.startswith("failed executing store command: ")
    err(http.post(f"/stores/{sid}/command", json={"command": []}), 400, "command must not be empty")
    err(
        http.post("/stores/unknown/command", json={"command": []}), 400, "command must not be empty"
    )
    err(
        http.post(f"/stores/{sid}/command", json={"command": ["SET", "k", 1]}),
        400,
        "Invalid JSON: invalid type: integer `1`, expected a string at field `command[2]`",
    )
    err(http.post(f"/stores/{sid}/command", json={}), 400, "Invalid JSON: missing field `command`")
    err(http.post("/stores/unknown/command", json={"command": ["PING"]}), 404, "Store not found")


def test_wrong_endpoint_for_the_kind(http: httpx.Client) -> None:
    redis = create(http, "r", "redis")
    err(
        http.post(f"/stores/{redis}/query", json={"sql": "SELECT 1"}),
        400,
        "redis stores do not support SQL queries; use the command endpoint",
    )
    err(
        http.post(f"/stores/{redis}/execute", json={"sql": "SELECT 1"}),
        400,
        "redis stores do not support SQL execute; use the command endpoint",
    )
    for kind in ("sqlite", "postgres", "mysql"):
        sid = create(http, kind, kind)
        err(
            http.post(f"/stores/{sid}/command", json={"command": ["PING"]}),
            400,
            f"store kind '{kind}' does not support the command endpoint; use query or execute",
        )


# -- limits and auth ------------------------------------------------------------------


@pytest.mark.slow  # 16 MiB bodies
def test_body_over_16_mib_is_413(http: httpx.Client) -> None:
    sid = create(http)
    limit = 16 * 1024 * 1024
    big = b'{"sql": "SELECT 1", "pad": "' + b"x" * limit + b'"}'
    err(
        http.post(f"/stores/{sid}/query", content=big),
        413,
        "Request body exceeds the maximum size of 16777216 bytes",
    )
    # exactly at the limit is accepted (and then validated as usual)
    at_limit = b'{"sql": "SELECT 1 AS one"}'.ljust(limit, b" ")
    assert ok(http.post(f"/stores/{sid}/query", content=at_limit))["rows"] == [{"one": 1}]
    # and the connection keeps serving
    assert ok(http.get("/health")) == "ok"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing Authorization header"),
        ({"Authorization": "sekrit"}, "Invalid authorization format. Use: Bearer <api_key>"),
        (
            {"Authorization": "Basic c2Vrcml0"},
            "Invalid authorization format. Use: Bearer <api_key>",
        ),
        ({"Authorization": "Bearer wrong"}, "Invalid bearer token"),
        ({"Authorization": "Bearer sekrit2"}, "Invalid bearer token"),
        ({"Authorization": "Bearer SEKRIT"}, "Invalid bearer token"),
    ],
)
def test_auth_failures_are_401_on_every_route(
    front_end: str, headers: dict[str, str], message: str
) -> None:
    fake = FakeServer(api_key="sekrit")
    with open_front_end(front_end, fake, headers=headers) as http:
        err(http.get("/stores"), 401, message)
        err(http.post("/stores", json={"name": "x", "kind": "sqlite"}), 401, message)
        err(http.get("/stores/x"), 401, message)
        err(http.delete("/stores/x"), 401, message)
        for op in ("query", "execute", "command"):
            err(http.post(f"/stores/x/{op}", json={}), 401, message)
    assert fake.stores == []
    assert all(r.headers.get("authorization", "***") == "***" for r in fake.requests)


def test_auth_success_and_auth_off(front_end: str) -> None:
    fake = FakeServer(api_key="sekrit")
    with open_front_end(front_end, fake, headers={"Authorization": "Bearer sekrit"}) as http:
        create(http)
        assert len(ok(http.get("/stores"))) == 1
    recorded = fake.requests[-1]
    assert recorded.headers["authorization"] == "***"
    assert "sekrit" not in repr(fake.requests)
    open_fake = FakeServer()
    with open_front_end(front_end, open_fake, headers={"Authorization": "Bearer whatever"}) as http:
        create(http)
    with open_front_end(front_end, open_fake) as http:
        assert len(ok(http.get("/stores"))) == 1


def test_json_nested_deeper_than_128_levels_is_a_400(http: httpx.Client) -> None:
    def body(levels: int, name: str) -> bytes:
        nested = "[" * levels + "]" * levels
        return f'{{"name": "{name}", "kind": "redis", "config": {{"a": {nested}}}}}'.encode()

    # object (1) > config (2) > 126 arrays: 128 levels, as deep as serde_json allows
    ok(http.post("/stores", content=body(126, "deep")), 201)
    for levels in (127, 5000):
        err(
            http.post("/stores", content=body(levels, "deeper")),
            400,
            "Invalid JSON: recursion limit exceeded (nested deeper than 128 levels)",
        )
    assert [s["name"] for s in ok(http.get("/stores"))] == ["deep"]
