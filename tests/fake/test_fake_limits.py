"""The fake's own limits: answer size, short bodies, paths under data_dir (issue 12)."""

from __future__ import annotations

import resource
import tracemalloc
from pathlib import Path

import httpx
import pytest
from engine_servers import (
    MYSQL_URL_VAR,
    POSTGRES_TARGETS,
    REDIS_URL_VAR,
    postgres_url_for,
    url_or_skip,
)
from fake_helpers import create, err, ok

from durable_stores_client import BadRequestError
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


#: The redis stores a test can run on: fakeredis, and the server in REDIS_URL_VAR.
_REDIS_TARGETS = ["fakeredis", "url"]


def _redis_fake(target: str) -> FakeServer:
    return FakeServer(redis_url=None if target == "fakeredis" else url_or_skip(REDIS_URL_VAR))


@pytest.mark.parametrize("target", _REDIS_TARGETS)
def test_a_command_answer_over_the_fake_limit_is_refused_before_it_is_built(target: str) -> None:
    """An MGET of one 15 MB key 6 times (90 MB): counted from the raw reply (issue 12)."""
    fake = _redis_fake(target)
    size = 15 * 1024 * 1024
    try:
        with fake.client() as client:
            store = client.create_store(name="r", kind="redis")
            client.command_store(store.id, command=["SET", "a", "v" * size])
            tracemalloc.start()
            try:
                with pytest.raises(BadRequestError) as caught:
                    client.command_store(store.id, command=["MGET", *["a"] * 6])
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert caught.value.message == (
                "failed executing store command: the answer would exceed the fake's limit of "
                "67108864 bytes (64 MiB); ask for fewer rows or smaller values"
            )
            if target == "fakeredis":
                # fakeredis replies with the stored value itself, six times: no JSON was
                # built (before, the fake held the answer three times over, 270 MB).
                assert peak < 6 * size // 20, peak
            # The store is usable afterwards, its data kept.
            assert client.command_store(store.id, command=["STRLEN", "a"]).result == size
            assert client.command_store(store.id, command=["INCR", "n"]).result == 1
    finally:
        fake.reset()


@pytest.mark.parametrize("target", _REDIS_TARGETS)
def test_a_command_answer_just_under_the_fake_limit_passes(target: str) -> None:
    fake = _redis_fake(target)
    # Text (2 bytes a character in UTF-8) whose whole body, {"result":"..."}, is
    # 64 bytes under the limit; sent in pieces below the fake's request limit.
    length = (67108864 - 64 - len('{"result":""}')) // 2
    piece = 4 * 1024 * 1024
    try:
        with fake.client() as client:
            store = client.create_store(name="r", kind="redis")
            for start in range(0, length, piece):
                text = "é" * min(piece, length - start)
                client.command_store(store.id, command=["APPEND", "a", text])
            value = client.command_store(store.id, command=["GET", "a"]).result
            assert value == "é" * length
    finally:
        fake.reset()


def test_a_store_cannot_open_another_stores_default_file(tmp_path: Path) -> None:
    """With data_dir, stores/<id>.db belongs to store <id> alone (issue 12)."""
    fake = FakeServer(data_dir=tmp_path)
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        owner = create(http, "owner")
        ok(http.post(f"/stores/{owner}/execute", json={"sql": "CREATE TABLE secret (x)"}))
        for number, path in enumerate(
            [f"stores/{owner}.db", f"stores/../stores/{owner}.db", "stores/mine.db"]
        ):
            config = {"path": path}
            text = err(
                http.post(
                    "/stores", json={"name": f"b{number}", "kind": "sqlite", "config": config}
                ),
                400,
            )
            assert text.startswith("config.path must not be inside the data directory's stores/")
        for number, path in enumerate(["shared.db-wal", "x.db-shm", "x.db-journal"]):
            config = {"path": path}
            text = err(
                http.post(
                    "/stores", json={"name": f"w{number}", "kind": "sqlite", "config": config}
                ),
                400,
            )
            assert text.startswith("config.path must not end in -wal, -shm or -journal")
        assert [s["id"] for s in ok(http.get("/stores"))] == [owner]
        tables = {"sql": "SELECT name FROM sqlite_master"}
        assert ok(http.post(f"/stores/{owner}/query", json=tables))["rows"] == [{"name": "secret"}]


def test_two_stores_naming_the_same_path_share_it_on_purpose(tmp_path: Path) -> None:
    fake = FakeServer(data_dir=tmp_path)
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        first = create(http, "a", config={"path": "shared/app.db"})
        second = create(http, "b", config={"path": "shared/../shared/app.db"})
        ok(http.post(f"/stores/{first}/execute", json={"sql": "CREATE TABLE t (x)"}))
        ok(http.post(f"/stores/{second}/execute", json={"sql": "INSERT INTO t VALUES (1)"}))
        count = {"sql": "SELECT count(*) AS n FROM t"}
        assert ok(http.post(f"/stores/{first}/query", json=count))["rows"] == [{"n": 1}]


def test_paths_the_os_refuses_are_400_not_500(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    fake = FakeServer(data_dir=tmp_path)
    paths = [
        "n" * 300 + ".db",
        "d" * 300 + "/x.db",
        "a-file/inner.db",
        "/".join(["d"] * 2000) + "/x.db",
        "loop/x.db",
    ]
    with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
        for number, path in enumerate(paths):
            body = {"name": f"p{number}", "kind": "sqlite", "config": {"path": path}}
            text = err(http.post("/stores", json=body), 400)
            assert "config.path" in text or "failed creating store database" in text, text
        assert ok(http.get("/stores")) == []


# 3,000 rows of 1 MB (3 GB) from the real engines: the rows are streamed from the server
# and counted as they arrive, so the fake stops after about 64 of them.
_LARGE_QUERIES = {
    "postgres": "SELECT repeat('x', 1000000) AS b FROM generate_series(1, 3000)",
    "mysql": "WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"
    " UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7"
    " UNION ALL SELECT 8 UNION ALL SELECT 9)"
    " SELECT REPEAT('x', 1000000) AS b FROM d a, d b, d c, (SELECT 0 UNION ALL SELECT 1"
    " UNION ALL SELECT 2) e",
}
_LARGE_RESULT_BYTES = 3000 * 1_000_000


def _refuses_a_large_answer_in_bounded_memory(fake: FakeServer, kind: str) -> None:
    try:
        with httpx.Client(base_url="http://f", transport=fake.transport()) as http:
            sid = create(http, kind, kind)
            ok(http.post(f"/stores/{sid}/execute", json={"sql": "CREATE TABLE t (n INT)"}))
            tracemalloc.start()
            try:
                response = http.post(f"/stores/{sid}/query", json={"sql": _LARGE_QUERIES[kind]})
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            err(
                response,
                400,
                f"{kind} query failed: the answer would exceed the fake's limit of "
                "67108864 bytes (64 MiB); ask for fewer rows or smaller values",
            )
            # The fake held about the limit (64 MiB), not the result (3 GB).
            assert peak < _LARGE_RESULT_BYTES // 20, peak
            # The store's connection is usable again, its data and its read-only guard kept.
            ok(http.post(f"/stores/{sid}/execute", json={"sql": "INSERT INTO t VALUES (7)"}))
            got = ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT n FROM t"}))
            assert got["rows"] == [{"n": 7}]
            write = {"sql": "INSERT INTO t VALUES (8)"}
            err(http.post(f"/stores/{sid}/query", json=write), 400)
            small = {"sql": "SELECT n FROM t WHERE n > 100"}
            assert ok(http.post(f"/stores/{sid}/query", json=small))["columns"] == ["n"]
            # execute refuses rows at the first one, not after the driver read all 3 GB
            # (the process's peak resident memory, which also sees libpq's buffers).
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            response = http.post(f"/stores/{sid}/execute", json={"sql": _LARGE_QUERIES[kind]})
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
            err(
                response,
                400,
                f"{kind} execute failed: execute does not accept statements that return rows; "
                "use the query endpoint",
            )
            assert grown < _LARGE_RESULT_BYTES // 10, grown
            ok(http.post(f"/stores/{sid}/execute", json={"sql": "DELETE FROM t"}))
            assert (
                ok(http.post(f"/stores/{sid}/query", json={"sql": "SELECT n FROM t"}))["rows"] == []
            )
    finally:
        fake.reset()


@pytest.mark.slow
@pytest.mark.parametrize("target", POSTGRES_TARGETS)
def test_a_postgres_answer_over_the_fake_limit_is_streamed_and_refused(target: str) -> None:
    fake = FakeServer(postgres_url=postgres_url_for(target))
    _refuses_a_large_answer_in_bounded_memory(fake, "postgres")


@pytest.mark.slow
def test_a_mysql_answer_over_the_fake_limit_is_streamed_and_refused() -> None:
    fake = FakeServer(mysql_url=url_or_skip(MYSQL_URL_VAR))
    _refuses_a_large_answer_in_bounded_memory(fake, "mysql")
