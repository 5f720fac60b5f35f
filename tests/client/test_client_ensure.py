"""ensure_store: find by trimmed name, kind checks, create when absent, safe under a race."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from assertions import exactly
from client_support import Either, fail, ok, record

from durable_stores_client import ConflictError, StoreKind, StoreKindConflictError
from durable_stores_client.fake import FakeServer

NOTES = record(id="id-notes", name="notes", kind="sqlite")
CACHE = record(id="id-cache", name="cache", kind="redis")


async def test_returns_the_existing_store_without_creating(
    api: Either, router: respx.MockRouter
) -> None:
    router.get("/stores").respond(200, json=ok([CACHE, NOTES]))
    create = router.post("/stores").respond(201, json=ok(NOTES))
    store = await api.ensure_store(name="notes", kind="sqlite")
    assert store.id == "id-notes"
    assert create.call_count == 0


async def test_matches_names_after_trimming(api: Either, router: respx.MockRouter) -> None:
    router.get("/stores").respond(200, json=ok([NOTES]))
    create = router.post("/stores").respond(201, json=ok(NOTES))
    store = await api.ensure_store({"name": "  notes\t", "kind": StoreKind.SQLITE})
    assert store.id == "id-notes"
    assert create.call_count == 0


async def test_existing_store_of_another_kind_is_a_conflict(
    api: Either, router: respx.MockRouter
) -> None:
    router.get("/stores").respond(200, json=ok([NOTES]))
    create = router.post("/stores").respond(201, json=ok(NOTES))
    with pytest.raises(
        ConflictError, match="already exists with kind 'sqlite', not 'redis'"
    ) as info:
        await api.ensure_store(name=" notes ", kind="redis")
    error = info.value
    assert type(error) is StoreKindConflictError
    # The client decided this from the listing: no status, answer or request id to blame.
    assert (error.status_code, error.response, error.request_id) == (None, None, None)
    assert (error.name, error.kind, error.existing_kind, error.store_id) == (
        "notes",
        "redis",
        "sqlite",
        "id-notes",
    )
    assert error.message == "store 'notes' exists with kind 'sqlite'"
    assert create.call_count == 0


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_names_compare_exactly_as_the_server_stores_them(flavour: str) -> None:
    """The server trims names with Rust's ``str::trim`` (Unicode White_Space): U+001F is
    kept, so ``"x\x1f"`` is another store than ``"x"``; U+3000 and U+2028 are trimmed."""
    fake = FakeServer()
    plain = fake.client().create_store(name="x", kind="sqlite")
    if flavour == "sync":
        with fake.client() as client:
            other = client.ensure_store(name="x\x1f", kind="sqlite")
            again = client.ensure_store(name="x\x1f", kind="sqlite")
            spaced = client.ensure_store(name="\u3000x\u2028", kind="sqlite")
    else:
        async with fake.async_client() as client:
            other = await client.ensure_store(name="x\x1f", kind="sqlite")
            again = await client.ensure_store(name="x\x1f", kind="sqlite")
            spaced = await client.ensure_store(name="\u3000x\u2028", kind="sqlite")
    with fake.client() as client:
        separator = client.ensure_store(name="\x1c", kind="redis")  # not blank to the server
    assert separator.name == "\x1c"
    assert other.name == "x\x1f"
    assert other.id != plain.id
    assert again.id == other.id
    assert spaced.id == plain.id
    assert sorted(record.name for record in fake.stores) == ["\x1c", "x", "x\x1f"]


async def test_creates_the_store_when_absent(api: Either, router: respx.MockRouter) -> None:
    router.get("/stores").respond(200, json=ok([CACHE]))
    create = router.post("/stores").respond(201, json=ok(NOTES))
    store = await api.ensure_store(name="notes", kind="sqlite", config={"path": "n.db"})
    assert store.id == "id-notes"
    assert json.loads(create.calls.last.request.content) == {
        "name": "notes",
        "kind": "sqlite",
        "config": {"path": "n.db"},
    }


@pytest.mark.parametrize(
    "conflict",
    [
        httpx.Response(409, json=fail("Store name already exists")),
        httpx.Response(500, json=fail("failed to create durable store metadata")),
    ],
    ids=["409", "agentkernel-500"],
)
async def test_a_racing_creator_wins_and_its_store_is_returned(
    api: Either, router: respx.MockRouter, conflict: httpx.Response
) -> None:
    listing = router.get("/stores")
    listing.side_effect = [
        httpx.Response(200, json=ok([])),
        httpx.Response(200, json=ok([NOTES])),
    ]
    create = router.post("/stores").mock(return_value=conflict)
    store = await api.ensure_store(name="notes", kind="sqlite")
    assert store.id == "id-notes"
    assert create.call_count == 1
    assert listing.call_count == 2


async def test_a_racing_creator_of_another_kind_is_a_conflict(
    api: Either, router: respx.MockRouter
) -> None:
    router.get("/stores").mock(
        side_effect=[
            httpx.Response(200, json=ok([])),
            httpx.Response(200, json=ok([record(id="x", name="notes", kind="redis")])),
        ]
    )
    router.post("/stores").respond(409, json=fail("Store name already exists"))
    with pytest.raises(ConflictError, match="with kind 'redis', not 'sqlite'"):
        await api.ensure_store(name="notes", kind="sqlite")


async def test_conflict_without_a_visible_store_is_raised(
    api: Either, router: respx.MockRouter
) -> None:
    router.get("/stores").respond(200, json=ok([]))
    router.post("/stores").respond(409, json=fail("Store name already exists"))
    with pytest.raises(
        ConflictError,
        match=exactly("create_store failed: POST /stores -> HTTP 409: Store name already exists"),
    ):
        await api.ensure_store(name="notes", kind="sqlite")


async def test_bad_arguments_fail_before_listing(api: Either, router: respx.MockRouter) -> None:
    route = router.route().respond(500)
    with pytest.raises(
        ValueError,
        match=exactly(
            "ensure_store() store kind must be one of mysql, postgres, redis, sqlite; got 'excel'"
        ),
    ):
        await api.ensure_store(name="notes", kind="excel")
    with pytest.raises(
        TypeError,
        match=exactly(
            "ensure_store() takes either a payload mapping or keyword fields, not both (got a"
            " payload and kind)"
        ),
    ):
        await api.ensure_store({"name": "notes", "kind": "sqlite"}, kind="sqlite")
    assert route.call_count == 0
