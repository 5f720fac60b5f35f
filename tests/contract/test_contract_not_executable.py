"""CONTRACT.md: a kind the server cannot run (the fake without fakeredis) is skipped, saying why."""

from __future__ import annotations

import sys

import pytest
from contract_support import API_KEY, target_for

from durable_stores_client.contract import run_contract
from durable_stores_client.fake import FakeServer


def test_redis_checks_skip_on_the_501_of_a_server_without_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fakeredis", None)  # as without the fake extra
    fake = FakeServer(api_key=API_KEY)
    target = target_for(fake.transport(), async_transport=fake.async_transport())
    report = run_contract(target, strict=True)

    assert [(r.check.id, r.detail) for r in report.failed] == []
    assert report.ok
    skipped_for_501 = [r for r in report.skipped if "answered 501" in r.detail]
    assert skipped_for_501 != [], "no check met the 501"
    for result in skipped_for_501:
        assert "redis" in result.check.kinds, result.check.id
        assert result.detail.startswith("the server cannot run this store kind here (it answered")
        assert "not executable in this runtime yet" in result.detail
    # Redis checks that need no engine (a SQL endpoint on a redis store) still pass.
    assert any("redis" in r.check.kinds for r in report.passed)
    assert fake.stores == []
