"""The request log masks secret-looking headers on every request, not only the first.

(The decision per header name is remembered, since the same names come back on every
request; these tests pin that the remembered answer is the right one both ways.)
"""

from __future__ import annotations

import httpx
import pytest

from durable_stores_client.fake import FakeServer

SECRET = {
    "Authorization": "Bearer sk-live-1234567890",
    "Cookie": "session=abc123",
    "X-Api-Key": "key-123456",
    "X-DB-Password": "hunter2",
    "X-Session-Token": "tok-987654",
    "X-Client-Secret": "s3cr3t",
}
PLAIN = {"X-Trace": "trace-1", "X-Tenant": "acme", "Accept": "application/json"}


def _send_three_times(http: httpx.Client) -> None:
    for _ in range(3):
        response = http.get("/stores", headers={**SECRET, **PLAIN})
        assert response.status_code == 200


@pytest.mark.parametrize("front_end", ["transport", "http"])
def test_secret_headers_are_masked_every_time(front_end: str) -> None:
    fake = FakeServer()
    if front_end == "transport":
        with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
            _send_three_times(http)
    else:
        with fake.serve() as url, httpx.Client(base_url=url) as http:
            _send_three_times(http)
    assert len(fake.requests) == 3
    for recorded in fake.requests:
        for name in SECRET:
            assert recorded.headers[name.lower()] == "***", name
        for name, value in PLAIN.items():
            assert recorded.headers[name.lower()] == value, name
    log = repr(fake.requests)
    for value in SECRET.values():
        assert value not in log
