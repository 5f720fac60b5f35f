"""Without the ``fake`` extra: the fake imports and serves, and ``patch()`` names the extra."""

from __future__ import annotations

import sys

import pytest

from durable_stores_client.fake import FakeServer


def test_patch_without_respx_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "respx", None)  # import respx now fails, as uninstalled
    monkeypatch.delitem(sys.modules, "durable_stores_client.fake._patch", raising=False)
    fake = FakeServer()
    with pytest.raises(ModuleNotFoundError) as info:
        fake.patch()
    assert str(info.value) == (
        'FakeServer.patch() needs respx: pip install "durable-stores-client[fake]"'
    )
    assert info.value.name == "respx"
    with fake.client() as client:  # the in-process front ends need no respx
        assert client.list_stores() == []
