"""A store config need not be a JSON object: the fake keeps it as the server does."""

from __future__ import annotations

from typing import Any

import pytest

from durable_stores_client.fake import FakeServer

#: Configs that are JSON values but not objects.
NON_OBJECTS: list[Any] = [
    [1, "two", {"password": "hunter2"}],
    [],
    "host=db",
    "",
    5,
    2.5,
    True,
    False,
]


@pytest.mark.parametrize("profile", ["contract", "agentkernel"])
@pytest.mark.parametrize("kind", ["postgres", "mysql", "redis"])
@pytest.mark.parametrize("config", NON_OBJECTS, ids=repr)
def test_a_non_sqlite_store_keeps_a_non_object_config(profile: str, kind: str, config: Any) -> None:
    fake = FakeServer(profile=profile)
    with fake.client() as client:
        store = client.create_store(name="s", kind=kind, config=config)
        for seen in (store, client.get_store(store.id), *client.list_stores()):
            assert seen.config == config
            assert type(seen.config) is type(config)
            assert seen.to_dict()["config"] == config
            assert "hunter2" not in repr(seen)
    [record] = fake.stores
    assert record.config == config
    assert type(record.config) is type(config)
    assert "hunter2" not in repr(record)


@pytest.mark.parametrize("profile", ["contract", "agentkernel"])
@pytest.mark.parametrize("config", [*NON_OBJECTS, ["path"], "path", [{"path": "x.db"}]], ids=repr)
def test_a_sqlite_store_with_a_non_object_config_gets_the_default_path(
    profile: str, config: Any
) -> None:
    # The server's `config.get("path")` is None for a value that is not an object.
    with FakeServer(profile=profile).client() as client:
        store = client.create_store(name="s", kind="sqlite", config=config)
        assert store.config == {"path": f".agentkernel/stores/{store.id}.db"}
        client.execute_store(store.id, sql="CREATE TABLE t (x INTEGER)")
        client.execute_store(store.id, sql="INSERT INTO t VALUES (?)", params=[7])
        assert list(client.query_store(store.id, sql="SELECT x FROM t").rows) == [{"x": 7}]


def test_a_sqlite_store_with_a_non_object_config_gets_a_file_under_data_dir(tmp_path: Any) -> None:
    with FakeServer(data_dir=tmp_path).client() as client:
        store = client.create_store(name="s", kind="sqlite", config=["a.db"])
        assert store.config == {"path": f"{tmp_path}/stores/{store.id}.db"}
        client.execute_store(store.id, sql="CREATE TABLE t (x INTEGER)")
    assert (tmp_path / "stores" / f"{store.id}.db").exists()
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("config", ["host=127.0.0.1", ["host"], 6379], ids=repr)
def test_connect_configs_takes_a_non_object_config_as_naming_no_server(config: Any) -> None:
    with FakeServer(connect_configs=True).client() as client:
        redis = client.create_store(name="r", kind="redis", config=config)
        assert client.command_store(redis.id, ["SET", "k", "v"]).result == "OK"
        assert client.command_store(redis.id, ["GET", "k"]).result == "v"
        postgres = client.create_store(name="p", kind="postgres", config=config)
        assert list(client.query_store(postgres.id, sql="SELECT 1 AS one").rows) == [{"one": 1}]
        assert postgres.config == config
