"""The network front end: keep-alive, concurrency, raw HTTP robustness, clean shutdown."""

from __future__ import annotations

import json
import socket
from functools import partial
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from concurrency import in_threads
from fake_helpers import create, ok
from waiting import wait_for

from durable_stores_client import AsyncClient, Client
from durable_stores_client.fake import FakeServer


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def _raw(url: str, payload: bytes, *, read_until_close: bool = False) -> bytes:
    """Send raw bytes on a new connection and return what the server answers."""
    with socket.create_connection(_address(url), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            data = b"".join(chunks)
            if not read_until_close and b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
        return b"".join(chunks)


def _envelope(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def test_serve_yields_a_loopback_url_and_frees_the_port(fake: FakeServer) -> None:
    with fake.serve() as url:
        host, port = _address(url)
        assert host == "127.0.0.1"
        assert httpx.get(f"{url}/health").json() == {"success": True, "data": "ok"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")
    # the same port can be bound again right away
    with fake.serve(port=port) as again:
        assert again == url


def test_keep_alive_serves_many_requests_on_one_connection(fake: FakeServer) -> None:
    with fake.serve() as url:
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection(_address(url), timeout=5) as sock:
            for _ in range(3):
                sock.sendall(request)
                data = b""
                while not data.endswith(b'"data":"ok"}'):
                    chunk = sock.recv(4096)
                    assert chunk, "the server closed a keep-alive connection"
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200 OK\r\n")
                assert b"Connection: close" not in data


@pytest.mark.slow  # eight writer threads
def test_eight_threads_writing_to_one_store_lose_no_rows(fake: FakeServer) -> None:
    per_thread = 25
    with fake.serve() as url, Client(base_url=url) as client:
        store = client.create_store(name="shared", kind="sqlite")
        client.execute_store(store.id, sql="CREATE TABLE t (worker INTEGER, n INTEGER)")

        def work(worker: int) -> None:
            with Client(base_url=url) as own:
                for n in range(per_thread):
                    own.execute_store(
                        store.id, sql="INSERT INTO t VALUES (?, ?)", params=[worker, n]
                    )

        assert in_threads(work, 8) == [None] * 8
        result = client.query_store(
            store.id, sql="SELECT count(*) AS n, count(DISTINCT worker || ':' || n) AS d FROM t"
        )
        assert result.one() == {"n": 8 * per_thread, "d": 8 * per_thread}


async def test_many_concurrent_async_requests(tmp_path: object) -> None:
    fake = FakeServer()
    with fake.serve() as url:
        async with AsyncClient(base_url=url) as client:
            store = await client.create_store(name="s", kind="sqlite")
            await client.execute_store(store.id, sql="CREATE TABLE t (n INTEGER)")
            async with anyio.create_task_group() as group:
                for n in range(50):
                    group.start_soon(
                        partial(client.execute_store, store.id, "INSERT INTO t VALUES (?)", [n])
                    )
            total = await client.query_store(store.id, sql="SELECT count(*), sum(n) FROM t")
            assert list(total.one().values()) == [50, sum(range(50))]
        async with fake.async_client() as inproc:
            async with anyio.create_task_group() as group:
                for n in range(20):
                    group.start_soon(partial(inproc.create_store, name=f"s{n}", kind="redis"))
            assert len(await inproc.list_stores()) == 21


def test_chunked_request_bodies_are_read(fake: FakeServer) -> None:
    with fake.serve() as url:
        body = json.dumps({"name": "chunky", "kind": "sqlite"}).encode()
        chunked = b"".join(
            f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:5], body[5:])
        )
        raw = _raw(
            url,
            b"POST /stores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked
            + b"0\r\n\r\n",
        )
        status, envelope = _envelope(raw)
        assert status == 201
        assert envelope["success"] is True
    assert [s.name for s in fake.stores] == ["chunky"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /health HTTP/9.9\r\n\r\n", 400),
        (b"GET /health HTTP/2.0\r\n\r\n", 400),
        (b"POST /stores HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (
            b"POST /stores HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            400,
        ),
        (b"POST /stores HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /stores HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400),
        (b"POST /stores HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST /stores HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"BREW /pot HTTP/1.1\r\n\r\n", 404),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_malformed_http_still_gets_the_envelope(
    fake: FakeServer, payload: bytes, status: int
) -> None:
    with fake.serve() as url:
        raw = _raw(url, payload, read_until_close=status != 404)
        got, envelope = _envelope(raw)
        assert got == status
        assert envelope["success"] is False
        assert isinstance(envelope["error"], str)
        # and the server keeps serving
        assert httpx.get(f"{url}/health").status_code == 200


def test_huge_declared_body_is_413_without_reading_it(fake: FakeServer) -> None:
    with fake.serve() as url:
        raw = _raw(
            url,
            b"POST /stores HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n{",
            read_until_close=True,
        )
        status, envelope = _envelope(raw)
        assert status == 413
        assert envelope == {
            "success": False,
            "error": "Request body exceeds the maximum size of 16777216 bytes",
        }
        assert b"Connection: close" in raw
    assert fake.requests[-1].status == 413


def test_a_body_shorter_than_its_content_length_is_a_400_and_creates_nothing(
    fake: FakeServer,
) -> None:
    # CONTRACT.md's deviations table: 400 "Invalid JSON: body shorter than its Content-Length".
    with fake.serve() as url:
        with socket.create_connection(_address(url), timeout=5) as sock:
            sock.sendall(b'POST /stores HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"name"')
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        assert json.loads(body) == {
            "success": False,
            "error": "Invalid JSON: body shorter than its Content-Length",
        }
        assert httpx.get(f"{url}/health").status_code == 200
    assert fake.stores == []


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "5_0", "1 2", "\u0665"])
def test_a_malformed_content_length_is_a_400(fake: FakeServer, value: str) -> None:
    with fake.serve() as url:
        request = f"POST /stores HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\n{{}}"
        raw = _raw(url, request.encode("utf-8"), read_until_close=True)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body) == {"success": False, "error": "Invalid Content-Length header"}
    assert fake.stores == []


def test_disconnect_fault_closes_the_socket_without_an_answer(fake: FakeServer) -> None:
    with fake.serve() as url:
        fake.inject("list", disconnect=True)
        raw = _raw(url, b"GET /stores HTTP/1.1\r\nHost: x\r\n\r\n", read_until_close=True)
        assert raw == b""


def test_client_hanging_up_during_a_delay_means_not_applied(fake: FakeServer) -> None:
    with fake.serve() as url:
        fake.inject("create", delay=1.0)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/stores", json={"name": "s", "kind": "sqlite"}, timeout=0.1)
        # The server notices the hang-up on its own thread, when the delay ends.
        wait_for(lambda: fake.requests, what="the hung-up request to be recorded")
        assert [r.status for r in fake.requests] == [None]
        assert fake.stores == []


def test_shutdown_hangs_up_idle_keep_alive_connections(fake: FakeServer) -> None:
    with fake.serve() as url:
        sock = socket.create_connection(_address(url), timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    try:
        assert sock.recv(1) == b""  # the server closed its side
    finally:
        sock.close()


def test_real_client_with_api_key_over_http() -> None:
    fake = FakeServer(api_key="k3y")
    with fake.serve() as url, Client(base_url=url, api_key="k3y") as client:
        store = client.ensure_store(name="s", kind="sqlite")
        assert client.get_store(store.id).name == "s"
    assert all(r.headers["authorization"] == "***" for r in fake.requests)


def test_front_ends_share_one_state(fake: FakeServer) -> None:
    with fake.serve() as url, httpx.Client(base_url=url) as remote:
        sid = create(remote, "shared")
        with fake.client() as local:
            assert local.get_store(sid).name == "shared"
        with fake.patch("http://patched.test"):
            assert ok(httpx.get(f"http://patched.test/stores/{sid}"))["name"] == "shared"


def test_head_answers_have_no_body_and_keep_the_connection_usable(fake: FakeServer) -> None:
    with fake.serve() as url, httpx.Client(base_url=url) as http:
        for path in ("/health", "/stores", "/nope"):
            head = http.head(path)
            assert head.status_code == 404
            assert head.content == b""
            assert http.get("/health").json() == {"success": True, "data": "ok"}


def test_http_1_0_closes_unless_keep_alive_is_asked_for(fake: FakeServer) -> None:
    with fake.serve() as url:
        closed = _raw(url, b"GET /health HTTP/1.0\r\n\r\n", read_until_close=True)
        assert b"Connection: close" in closed
        with socket.create_connection(_address(url), timeout=5) as sock:
            for _ in range(2):
                sock.sendall(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                data = b""
                while not data.endswith(b'"data":"ok"}'):
                    chunk = sock.recv(4096)
                    assert chunk
                    data += chunk
                assert b"Connection: keep-alive" in data


@pytest.mark.slow  # writer threads
def test_concurrent_redis_commands_lose_no_increment(fake: FakeServer) -> None:
    with fake.serve() as url, httpx.Client(base_url=url) as http:
        sid = create(http, "counter", "redis")

        def work(_: int) -> None:
            with httpx.Client(base_url=url) as own:
                for _ in range(50):
                    ok(own.post(f"/stores/{sid}/command", json={"command": ["INCR", "n"]}))

        assert in_threads(work, 8) == [None] * 8
        assert ok(http.post(f"/stores/{sid}/command", json={"command": ["GET", "n"]})) == {
            "result": "400"
        }


def test_chunked_body_over_the_limit_is_413_and_the_connection_survives(fake: FakeServer) -> None:
    chunk = b"x" * (1 << 20)
    piece = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with fake.serve() as url, socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(b"POST /stores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(17):
            sock.sendall(piece)
        sock.sendall(b"0\r\n\r\n" + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while not data.endswith(b'"data":"ok"}'):
            received = sock.recv(65536)
            assert received, data
            data += received
        first, _, second = data.partition(b"HTTP/1.1 200")
        assert first.startswith(b"HTTP/1.1 413 ")
        assert b"Request body exceeds the maximum size of 16777216 bytes" in first
        assert second
