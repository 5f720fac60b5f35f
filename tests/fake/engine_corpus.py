"""A corpus of everyday postgres and mysql statements, with answers recorded from real servers.

Each kind's items run in order on one fresh store (later items read what earlier
ones wrote). An item is ``(operation, sql, params)``; its answer is the success
payload, or ``{"status": 400}`` when the server refused it (the engine's own
wording differs between versions, so only the refusal is compared).

The expected answers in ``engine_corpus_expected.json`` were recorded from this
project's development machine: PostgreSQL 15 and MariaDB 10.11, through the
fake's URL engines (the same binding, ``CLIENT_FOUND_ROWS`` on)::

    DURABLE_STORES_FAKE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
    DURABLE_STORES_FAKE_MYSQL_URL=mysql://root@127.0.0.1:3306/test \\
    .venv/bin/python tests/fake/engine_corpus.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

EXPECTED = Path(__file__).with_name("engine_corpus_expected.json")

Item = tuple[str, str, list[Any]]

POSTGRES: list[Item] = [
    (
        "execute",
        "CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT UNIQUE NOT NULL, "
        "name TEXT, active BOOLEAN NOT NULL DEFAULT true, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT '2026-01-01T00:00:00Z')",
        [],
    ),
    ("execute", "INSERT INTO users (email, name) VALUES ($1, $2)", ["ada@example.com", "Ada"]),
    (
        "execute",
        "INSERT INTO users (email, name, active) VALUES ($1, $2, $3), ($4, $5, $6)",
        ["bob@example.com", "Bob", False, "cy@example.com", "Cy", True],
    ),
    ("query", "SELECT id, email FROM users ORDER BY id", []),
    ("execute", "UPDATE users SET name = $1 WHERE id = $2", ["Ada L.", 1]),
    ("query", "SELECT name FROM users WHERE id = $1", [1]),
    ("query", "SELECT count(*) FROM users", []),
    ("query", "SELECT count(*) AS n FROM users WHERE active", []),
    ("query", "SELECT email FROM users WHERE email ILIKE $1 ORDER BY email", ["%EXAMPLE.COM"]),
    ("query", "SELECT email FROM users WHERE email LIKE $1", ["ADA%"]),
    ("query", "SELECT active, created_at FROM users WHERE id = 2", []),
    ("query", "SELECT '42'::int + 1 AS answer, 3.5::numeric(10,2) AS price", []),
    ("query", "SELECT CAST($1 AS INTEGER) * 2 AS doubled", ["21"]),
    (
        "execute",
        "CREATE TABLE events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "user_id INT REFERENCES users(id), kind TEXT NOT NULL, payload JSONB, "
        "at TIMESTAMPTZ NOT NULL DEFAULT now(), tags TEXT[] NOT NULL DEFAULT '{}')",
        [],
    ),
    (
        "execute",
        "INSERT INTO events (user_id, kind, payload, tags) VALUES "
        "($1, 'login', $2, ARRAY['web', 'eu'])",
        [1, {"ip": "10.0.0.1", "ok": True}],
    ),
    (
        "execute",
        "INSERT INTO events (user_id, kind, payload) VALUES ($1, $2, $3)",
        [2, "logout", {"reason": "idle", "after": 30}],
    ),
    ("query", "SELECT id, kind, tags FROM events ORDER BY id", []),
    ("query", "SELECT payload->>'ip' AS ip, payload->'ok' AS ok FROM events WHERE id = 1", []),
    ("query", "SELECT kind FROM events WHERE payload @> $1", [{"reason": "idle"}]),
    ("query", "SELECT kind FROM events WHERE 'web' = ANY(tags)", []),
    ("query", "SELECT array_length(tags, 1) AS n, tags[1] AS first FROM events WHERE id = 1", []),
    ("query", "SELECT at > now() - INTERVAL '1 hour' AS recent FROM events WHERE id = 1", []),
    ("query", "SELECT '2026-01-31'::date + INTERVAL '1 month' AS next", []),
    ("query", "SELECT date_trunc('day', '2026-02-16T10:30:00Z'::timestamptz) AS day", []),
    (
        "query",
        "SELECT u.name, count(e.id) AS events FROM users u LEFT JOIN events e "
        "ON e.user_id = u.id GROUP BY u.name ORDER BY u.name",
        [],
    ),
    (
        "query",
        "WITH active AS (SELECT * FROM users WHERE active) "
        "SELECT string_agg(name, ', ' ORDER BY name) AS names FROM active",
        [],
    ),
    ("query", "SELECT name, row_number() OVER (ORDER BY id DESC) AS rn FROM users ORDER BY id", []),
    (
        "execute",
        "INSERT INTO users (email, name) VALUES ($1, $2) "
        "ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name",
        ["bob@example.com", "Robert"],
    ),
    (
        "execute",
        "INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ["bob@example.com", "Nobody"],
    ),
    ("query", "SELECT name FROM users WHERE email = $1", ["bob@example.com"]),
    ("query", "SELECT COALESCE(NULL, $1) AS v, NULLIF(1, 1) AS n", ["fallback"]),
    ("query", "SELECT upper(name) AS u, length(name) AS l FROM users WHERE id = $1", [3]),
    ("query", "SELECT * FROM generate_series(1, 3) AS g", []),
    ("query", "SELECT gen_random_uuid() IS NOT NULL AS has_uuid", []),
    ("query", "SELECT '550e8400-e29b-41d4-a716-446655440000'::uuid AS id", []),
    ("query", "SELECT 10 / 4 AS int_div, 10 / 4.0 AS num_div, 2 ^ 10 AS power", []),
    ("query", "SELECT $1::jsonb -> 'a' -> 1 AS second", [{"a": [10, 20]}]),
    ("query", "SELECT true AS yes, false AS no, NULL::text AS nothing", []),
    ("query", "SELECT '\\x6869'::bytea AS raw", []),
    ("execute", "DELETE FROM events WHERE kind = $1", ["logout"]),
    ("query", "INSERT INTO events (kind) VALUES ('sneaky')", []),
    ("execute", "SELECT * FROM users", []),
    ("query", "SELECT * FROM no_such_table", []),
    ("query", "SELECT name FROM users WHERE id = ?", [1]),
    ("execute", "UPDATE users SET active = NOT active WHERE id = ANY($1::int[])", [[1, 2]]),
    ("query", "SELECT id, active FROM users ORDER BY id", []),
    (
        "query",
        "SELECT id FROM users WHERE name IS DISTINCT FROM 'Cy' ORDER BY id LIMIT 2 OFFSET 1",
        [],
    ),
    ("execute", "ALTER TABLE users ADD COLUMN score NUMERIC(6,2) DEFAULT 0", []),
    ("execute", "UPDATE users SET score = score + $1 WHERE active", [12.5]),
    ("query", "SELECT sum(score) AS total, avg(score)::numeric(6,2) AS mean FROM users", []),
    ("query", "SELECT id FROM users WHERE email SIMILAR TO '(ada|cy)%' ORDER BY id", []),
    ("query", "SELECT extract(year FROM '2026-02-16'::date) AS y", []),
]

MYSQL: list[Item] = [
    (
        "execute",
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, "
        "email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(100), active BOOLEAN NOT NULL DEFAULT 1, "
        "created_at DATETIME NOT NULL DEFAULT '2026-01-01 00:00:00') ENGINE=InnoDB",
        [],
    ),
    ("execute", "INSERT INTO users (email, name) VALUES (?, ?)", ["ada@example.com", "Ada"]),
    (
        "execute",
        "INSERT INTO users (email, name, active) VALUES (?, ?, ?), (?, ?, ?)",
        ["bob@example.com", "Bob", False, "cy@example.com", "Cy", True],
    ),
    ("query", "SELECT id, email FROM users ORDER BY id", []),
    ("execute", "UPDATE users SET name = ? WHERE id = ?", ["Ada L.", 1]),
    ("execute", "UPDATE users SET name = ? WHERE id = ?", ["Ada L.", 1]),
    ("query", "SELECT name FROM users WHERE id = ?", [1]),
    ("query", "SELECT count(*) FROM users", []),
    ("query", "SELECT COUNT(*) AS n FROM users WHERE active", []),
    ("query", "SELECT email FROM users WHERE email LIKE ? ORDER BY email", ["ADA%"]),
    ("query", "SELECT active, created_at FROM users WHERE id = 2", []),
    (
        "execute",
        "INSERT INTO users (email, name) VALUES (?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)",
        ["bob@example.com", "Robert"],
    ),
    (
        "execute",
        "INSERT IGNORE INTO users (email, name) VALUES (?, ?)",
        ["bob@example.com", "Nobody"],
    ),
    ("execute", "REPLACE INTO users (id, email, name) VALUES (3, 'cy@example.com', 'Cyrus')", []),
    ("query", "SELECT id, name FROM users ORDER BY id", []),
    (
        "execute",
        "CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
        "user_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, meta JSON, "
        "placed_at DATETIME NOT NULL DEFAULT NOW(), "
        "FOREIGN KEY (user_id) REFERENCES users(id)) DEFAULT CHARSET=utf8mb4",
        [],
    ),
    (
        "execute",
        "INSERT INTO orders (user_id, total, meta) VALUES (?, ?, ?)",
        [1, "19.50", {"coupon": "X1", "items": 2}],
    ),
    (
        "execute",
        "INSERT INTO orders (user_id, total) VALUES (?, ?), (?, ?)",
        [1, 5.25, 2, "100.00"],
    ),
    ("query", "SELECT id, user_id, total FROM orders ORDER BY id", []),
    (
        "query",
        "SELECT JSON_EXTRACT(meta, '$.coupon') AS coupon, "
        "JSON_UNQUOTE(JSON_EXTRACT(meta, '$.coupon')) AS plain FROM orders WHERE id = 1",
        [],
    ),
    (
        "query",
        "SELECT u.name, SUM(o.total) AS spent FROM users u JOIN orders o "
        "ON o.user_id = u.id GROUP BY u.name ORDER BY u.name",
        [],
    ),
    ("query", "SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ', ') AS names FROM users", []),
    ("query", "SELECT placed_at > NOW() - INTERVAL 1 HOUR AS recent FROM orders WHERE id = 1", []),
    ("query", "SELECT DATE_ADD('2026-01-31', INTERVAL 1 MONTH) AS next", []),
    ("query", "SELECT DATE_FORMAT('2026-02-16 10:30:00', '%Y/%m/%d') AS day", []),
    (
        "query",
        "SELECT IFNULL(NULL, ?) AS v, CONCAT(name, '!') AS shout FROM users WHERE id = ?",
        ["fallback", 1],
    ),
    ("query", "SELECT id FROM users ORDER BY id LIMIT 1, 2", []),
    ("query", "SELECT IF(active, 'yes', 'no') AS a FROM users ORDER BY id", []),
    ("query", "SELECT 10 / 4 AS d, 10 DIV 4 AS i, MOD(10, 4) AS m", []),
    ("query", "SELECT CAST(? AS UNSIGNED) * 2 AS doubled", ["21"]),
    ("query", "SELECT UPPER(name) AS u, CHAR_LENGTH(name) AS l FROM users WHERE id = ?", [3]),
    ("query", "SELECT LAST_INSERT_ID() >= 0 AS ok", []),
    ("execute", "DELETE FROM orders WHERE total < ?", [10]),
    ("query", "INSERT INTO orders (user_id, total) VALUES (1, 1)", []),
    ("execute", "SELECT * FROM users", []),
    ("query", "SELECT * FROM no_such_table", []),
    ("query", "SELECT name FROM users WHERE id = $1", [1]),
    (
        "query",
        "SELECT table_name AS t FROM information_schema.tables "
        "WHERE table_schema = DATABASE() ORDER BY table_name",
        [],
    ),
    ("execute", "UPDATE orders SET total = total * 1.1 WHERE user_id = ?", [1]),
    ("query", "SELECT total FROM orders ORDER BY id", []),
    ("query", "SELECT `name` FROM `users` WHERE `email` = ?", ["ada@example.com"]),
    ("query", "SELECT TRUE AS yes, FALSE AS no, NULL AS nothing", []),
    ("query", "SELECT UNHEX('6869') AS raw", []),
]

CORPUS = {"postgres": POSTGRES, "mysql": MYSQL}


def answer(response: httpx.Response) -> Any:
    """An item's answer: the success payload, or just the refusal's status."""
    body = response.json()
    if response.status_code == 200 and body.get("success"):
        return body["data"]
    return {"status": response.status_code}


def run_corpus(http: httpx.Client, kind: str) -> list[Any]:
    """Run ``kind``'s corpus on a fresh store; the answers, in order. Deletes the store."""
    created = http.post("/stores", json={"name": f"corpus-{kind}", "kind": kind})
    assert created.status_code == 201, created.text
    store_id = created.json()["data"]["id"]
    try:
        return [
            answer(
                http.post(f"/stores/{store_id}/{operation}", json={"sql": sql, "params": params})
            )
            for operation, sql, params in CORPUS[kind]
        ]
    finally:
        http.delete(f"/stores/{store_id}")


def _record() -> None:
    from durable_stores_client.fake import FakeServer

    fake = FakeServer(
        postgres_url=os.environ["DURABLE_STORES_FAKE_POSTGRES_URL"],
        mysql_url=os.environ["DURABLE_STORES_FAKE_MYSQL_URL"],
    )
    with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
        versions = {
            "postgres": "PostgreSQL 15 (" + os.environ["DURABLE_STORES_FAKE_POSTGRES_URL"] + ")",
            "mysql": "MariaDB 10.11 (" + os.environ["DURABLE_STORES_FAKE_MYSQL_URL"] + ")",
        }
        recorded = {
            kind: {"recorded_from": versions[kind], "answers": run_corpus(http, kind)}
            for kind in CORPUS
        }
    fake.reset()
    EXPECTED.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {', '.join(f'{k}: {len(v)}' for k, v in CORPUS.items())} -> {EXPECTED}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    _record()
