"""The fake's own limits: answer size, short bodies, paths under data_dir (issue 12)."""

from __future__ import annotations

import httpx
from fake_helpers import create, err, ok

from durable_stores_client.fake import FakeServer


def test_a_query_answer_over_the_fake_limit_is_a_400_naming_it(http: httpx.Client) -> None:
    """3,000 rows of 1 MB: refused while the rows arrive, before memory runs out (issue 12)."""
    sid = create(http)
    big = {
        "sql": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000) "
        "SELECT zeroblob(1000000) AS b FROM c"
    }
    err(
        http.post(f"/stores/{sid}/query", json=big),
        400,
        "failed executing store query: the answer would exceed the fake's limit of "
        "67108864 bytes (64 MiB); ask for fewer rows or smaller values",
    )
    small = {"sql": "SELECT length(zeroblob(1000000)) AS n"}
    assert ok(http.post(f"/stores/{sid}/query", json=small))["rows"] == [{"n": 1000000}]


def test_a_command_answer_over_the_fake_limit_is_a_400_naming_it(fake: FakeServer) -> None:
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        sid = create(http, "r", "redis")
        value = "v" * (15 * 1024 * 1024)
        for key in "abcde":
            ok(http.post(f"/stores/{sid}/command", json={"command": ["SET", key, value]}))
        err(
            http.post(f"/stores/{sid}/command", json={"command": ["MGET", *"abcde"]}),
            400,
            "the answer would exceed the fake's limit of 67108864 bytes (64 MiB); "
            "ask for fewer rows or smaller values",
        )
        got = ok(http.post(f"/stores/{sid}/command", json={"command": ["STRLEN", "a"]}))
        assert got["result"] == 15 * 1024 * 1024
