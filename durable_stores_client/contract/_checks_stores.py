"""Checks of the store routes: create, list, get, delete, and 404s on unknown ids."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from ._expect import listed
from ._registry import check

if TYPE_CHECKING:
    import httpx

    from ._context import CheckContext, Diffs

__all__: list[str] = []

_UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_RECORD_FIELDS = ("id", "name", "kind", "config", "created_at", "updated_at")


def _timestamp_key(value: str) -> tuple[int, ...]:
    """A sort key for an RFC 3339 timestamp, exact to the nanosecond."""
    match = _RFC3339.match(value)
    if match is None:
        return ()
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    nanos = int((fraction or ".")[1:].ljust(9, "0"))
    minutes = 0
    if offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
    moment = datetime.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second)
    ) - datetime.timedelta(minutes=minutes)
    return (*moment.timetuple()[:6], nanos)


def _record_diffs(diffs: Diffs, record: Any, *, name: str, kind: str) -> None:
    """Compare a store record's required fields and types."""
    if not isinstance(record, dict):
        diffs.add("data", "a store record object", repr(type(record).__name__))
        return
    for field in _RECORD_FIELDS:
        diffs.require(field in record, f"data.{field}", "present", record.get(field, "omitted"))
    diffs.field("data.name", record, "name", name)
    diffs.field("data.kind", record, "kind", kind)
    # config is any JSON value: the server keeps a non-object config as given.


# -- create -----------------------------------------------------------------------


@check(
    "stores.create.status-201",
    "POST /stores answers 201 with the new store record in the success envelope",
    kinds=("sqlite",),
)
def _create_201(ctx: CheckContext) -> None:
    name = ctx.name()
    response = ctx.request("POST", "/stores", json={"name": name, "kind": "sqlite"})
    record = ctx.expect_success(response, 201)
    diffs = ctx.diffs(response)
    _record_diffs(diffs, record, name=name, kind="sqlite")
    diffs.raise_if_any()


@check(
    "stores.record.fields",
    "A store record has id, name, kind, config, created_at, updated_at; sandbox omitted when unset",
    kinds=("sqlite",),
)
def _record_fields(ctx: CheckContext) -> None:
    name = ctx.name()
    record = ctx.create_store("sqlite", name=name)
    diffs = ctx.diffs(request="POST /stores")
    diffs.require("sandbox" not in record, "data.sandbox", "omitted", record.get("sandbox"))
    diffs.raise_if_any()
    listing = ctx.request("GET", "/stores")
    stores = ctx.expect_success(listing, 200)
    diffs = ctx.diffs(listing)
    for entry in stores if isinstance(stores, list) else ():
        if isinstance(entry, dict) and entry.get("id") == record["id"]:
            diffs.require("sandbox" not in entry, "data[].sandbox", "omitted", entry.get("sandbox"))
    diffs.raise_if_any()
    response = ctx.request("GET", ctx.store_path(record["id"]))
    data = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    _record_diffs(diffs, data, name=name, kind="sqlite")
    if isinstance(data, dict):
        diffs.require("sandbox" not in data, "data.sandbox", "omitted", data.get("sandbox"))
        for field in ("id", "name", "kind", "created_at", "updated_at"):
            if field in data:
                diffs.require(
                    isinstance(data[field], str), f"data.{field}", "a string", data[field]
                )
    diffs.raise_if_any()


@check(
    "stores.record.id-uuid7",
    "Store ids are lowercase hyphenated UUIDv7 made by the server, unique per store",
    kinds=("sqlite",),
)
def _id_uuid7(ctx: CheckContext) -> None:
    first = ctx.create_store("sqlite")
    second = ctx.create_store("sqlite")
    diffs = ctx.diffs(request="POST /stores")
    for record in (first, second):
        diffs.require(
            bool(_UUID7.match(record["id"])), "data.id", "a lowercase UUIDv7", record["id"]
        )
    diffs.require(first["id"] != second["id"], "data.id", "a new id per store", second["id"])
    diffs.raise_if_any()


@check(
    "stores.record.timestamps",
    "created_at and updated_at are RFC 3339 timestamps with an offset (Z or +00:00)",
    kinds=("sqlite",),
)
def _timestamps(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    diffs = ctx.diffs(request="POST /stores")
    for field in ("created_at", "updated_at"):
        value = record.get(field)
        diffs.require(
            isinstance(value, str) and bool(_RFC3339.match(value)),
            f"data.{field}",
            "an RFC 3339 timestamp with offset, at most 9 fractional digits",
            value,
        )
    diffs.raise_if_any()


@check(
    "stores.create.sqlite-default-path",
    'A sqlite store created without config gets config {"path": "<data root>/stores/<id>.db"}',
    kinds=("sqlite",),
)
def _sqlite_default_path(ctx: CheckContext) -> None:
    response = ctx.request("POST", "/stores", json={"name": ctx.name(), "kind": "sqlite"})
    _expect_default_sqlite_path(ctx, response)


def _expect_default_sqlite_path(ctx: CheckContext, response: httpx.Response) -> None:
    """The created record's config is exactly ``{"path": "<data root>/stores/<id>.db"}``."""
    record = ctx.expect_success(response, None)
    diffs = ctx.diffs(response)
    config = record.get("config") if isinstance(record, dict) else None
    store_id = record.get("id") if isinstance(record, dict) else None
    if diffs.require(isinstance(config, dict), "data.config", "a JSON object", config):
        assert isinstance(config, dict)
        diffs.require(set(config) == {"path"}, "data.config keys", '["path"]', sorted(config))
        path = str(config.get("path", "")).replace("\\", "/")
        diffs.require(
            path.endswith(f"stores/{store_id}.db"),
            "data.config.path",
            f'a path ending in "stores/{store_id}.db"',
            config.get("path"),
        )
    diffs.raise_if_any()


@check(
    "stores.create.sqlite-config-replaced",
    'A sqlite store created with a config that has no "path" gets config replaced by '
    '{"path": "<data root>/stores/<id>.db"} (other keys dropped; a config that is not an '
    "object has no path either)",
    kinds=("sqlite",),
)
def _sqlite_config_replaced(ctx: CheckContext) -> None:
    for config in ({"contract_marker": "replaced"}, ["path"], "path", 5):
        body = {"name": ctx.name(), "kind": "sqlite", "config": config}
        response = ctx.request("POST", "/stores", json=body)
        _expect_default_sqlite_path(ctx, response)


@check(
    "stores.create.config-kept",
    "The config given on create is returned as given: opaque JSON, nested values unchanged",
    kinds=("redis",),
)
def _config_kept(ctx: CheckContext) -> None:
    # A redis store: its config is opaque to the server (a sqlite path would make a file).
    marker = {"nested": [1, "two", None, {"three": 3.5}], "flag": True}
    config = {**ctx.target.config_for("redis"), "contract_marker": marker}
    response = ctx.request(
        "POST", "/stores", json={"name": ctx.name(), "kind": "redis", "config": config}
    )
    ctx.expect_success(response, None, fields={"config": config})


@check(
    "stores.create.config-not-object-kept",
    "A non-sqlite store created with a config that is not an object (a list, a string, a "
    "number, a boolean) keeps it exactly as given",
    kinds=("redis",),
)
def _config_not_object_kept(ctx: CheckContext) -> None:
    for config in ([1, "two", {"three": 3.5}], "contract-marker", 42, True):
        body = {"name": ctx.name(), "kind": "redis", "config": config}
        response = ctx.request("POST", "/stores", json=body)
        ctx.expect_success(response, None, fields={"config": config})


@check(
    "stores.create.config-default-empty",
    "A non-sqlite store created without config, or with config null, has config {}",
    kinds=("redis",),
)
def _config_default_empty(ctx: CheckContext) -> None:
    for extra in ({}, {"config": None}):
        body = {"name": ctx.name(), "kind": "redis", **extra}
        response = ctx.request("POST", "/stores", json=body)
        ctx.expect_success(response, None, fields={"config": {}})


@check(
    "stores.create.sandbox-unknown",
    "A sandbox the server does not know: 201 with the sandbox kept in the record, or 400 "
    "\"sandbox '<name>' does not exist\" (a daemon that checks sandboxes) creating nothing",
    kinds=("sqlite",),
)
def _sandbox_unknown(ctx: CheckContext) -> None:
    name = ctx.name()
    sandbox = f"{ctx.prefix}no-such-sandbox"
    response = ctx.request(
        "POST", "/stores", json={"name": name, "kind": "sqlite", "sandbox": sandbox}
    )
    if response.status_code == 400:
        ctx.expect_error(response, 400, f"sandbox '{sandbox}' does not exist")
        expect_not_listed(ctx, name)
        return
    ctx.expect_success(response, None, fields={"sandbox": sandbox})


@check(
    "stores.create.sandbox-existing",
    "A store tied to an existing sandbox (--sandbox NAME) is created and keeps it, in the "
    "record create returns and in GET",
    kinds=("sqlite",),
)
def _sandbox_existing(ctx: CheckContext) -> None:
    sandbox = ctx.target.sandbox
    if sandbox is None:
        ctx.skip("needs the name of a sandbox that exists on the server; pass --sandbox NAME")
    response = ctx.request(
        "POST", "/stores", json={"name": ctx.name(), "kind": "sqlite", "sandbox": sandbox}
    )
    record = ctx.expect_success(response, None, fields={"sandbox": sandbox})
    response = ctx.request("GET", ctx.store_path(record["id"]))
    ctx.expect_success(response, 200, fields={"sandbox": sandbox})


@check(
    "stores.create.sandbox-empty-kept",
    'An empty sandbox ("sandbox": "") is kept as "", not omitted: only null or absent is unset',
    kinds=("sqlite",),
)
def _sandbox_empty(ctx: CheckContext) -> None:
    response = ctx.request(
        "POST", "/stores", json={"name": ctx.name(), "kind": "sqlite", "sandbox": ""}
    )
    record = ctx.expect_success(response, None, fields={"sandbox": ""})
    response = ctx.request(
        "POST", "/stores", json={"name": ctx.name(), "kind": "sqlite", "sandbox": None}
    )
    record = ctx.expect_success(response, None)
    diffs = ctx.diffs(response)
    diffs.require("sandbox" not in record, "data.sandbox", "omitted", record.get("sandbox"))
    diffs.raise_if_any()


@check(
    "stores.create.name-trimmed",
    "Store names are stored trimmed",
    kinds=("sqlite",),
)
def _name_trimmed(ctx: CheckContext) -> None:
    name = ctx.name()
    response = ctx.request("POST", "/stores", json={"name": f"  {name}\t ", "kind": "sqlite"})
    ctx.expect_success(response, None, fields={"name": name})


@check(
    "stores.create.unknown-fields-ignored",
    "Unknown extra fields in the create body are ignored",
    kinds=("sqlite",),
)
def _unknown_fields(ctx: CheckContext) -> None:
    name = ctx.name()
    body = {"name": name, "kind": "sqlite", "contract_unknown": {"a": [1]}, "shelf": 3}
    response = ctx.request("POST", "/stores", json=body)
    record = ctx.expect_success(response, None)
    diffs = ctx.diffs(response)
    _record_diffs(diffs, record, name=name, kind="sqlite")
    diffs.raise_if_any()


@check("stores.create.invalid-json", 'A create body that is not JSON: 400 "Invalid JSON: ..."')
def _create_invalid_json(ctx: CheckContext) -> None:
    response = ctx.request(
        "POST",
        "/stores",
        content=b'{"name": "broken", "kind": ',
        headers={"content-type": "application/json"},
    )
    ctx.expect_error(response, 400, prefix="Invalid JSON: ")


@check("stores.create.missing-name", 'A create body without name: 400 "Invalid JSON: ..."')
def _create_missing_name(ctx: CheckContext) -> None:
    response = ctx.request("POST", "/stores", json={"kind": "sqlite"})
    ctx.expect_error(response, 400, prefix="Invalid JSON: ")


@check("stores.create.missing-kind", 'A create body without kind: 400 "Invalid JSON: ..."')
def _create_missing_kind(ctx: CheckContext) -> None:
    response = ctx.request("POST", "/stores", json={"name": ctx.name()})
    ctx.expect_error(response, 400, prefix="Invalid JSON: ")


@check(
    "stores.create.wrong-types",
    'name or kind of the wrong JSON type: 400 "Invalid JSON: ..."',
)
def _create_wrong_types(ctx: CheckContext) -> None:
    for body in (
        {"name": 42, "kind": "sqlite"},
        {"name": ctx.name(), "kind": ["sqlite"]},
        ["not", "an", "object"],
    ):
        ctx.expect_error(ctx.request("POST", "/stores", json=body), 400, prefix="Invalid JSON: ")


@check("stores.create.blank-name", 'A name blank after trimming: 400 "name is required"')
def _create_blank_name(ctx: CheckContext) -> None:
    for name in ("", "   \t"):
        response = ctx.request("POST", "/stores", json={"name": name, "kind": "sqlite"})
        ctx.expect_error(response, 400, "name is required")


@check(
    "stores.create.unknown-kind",
    'A kind other than sqlite, postgres, mysql, redis (exact, lowercase): 400 "Invalid JSON: '
    'unknown variant ..."',
)
def _create_unknown_kind(ctx: CheckContext) -> None:
    for kind in ("oracle", "SQLite"):
        response = ctx.request("POST", "/stores", json={"name": ctx.name(), "kind": kind})
        ctx.expect_error(response, 400, prefix="Invalid JSON: unknown variant")


@check(
    "stores.create.rejected-creates-nothing",
    "A rejected create leaves no store behind",
    kinds=("sqlite",),
)
def _rejected_creates_nothing(ctx: CheckContext) -> None:
    name = ctx.name()
    ctx.request("POST", "/stores", json={"name": name, "kind": "oracle"})
    expect_not_listed(ctx, name)


def expect_not_listed(ctx: CheckContext, name: str) -> None:
    """No store named ``name`` is listed (a refused create made nothing)."""
    response = ctx.request("GET", "/stores")
    stores = ctx.expect_success(response, 200)
    names = listed(stores, "name")
    diffs = ctx.diffs(response)
    diffs.require(name not in names, "data", f"no store named {name}", name)
    diffs.raise_if_any()


# -- get, list, delete ---------------------------------------------------------------


@check(
    "stores.get.status-200",
    "GET /stores/{id} answers 200 with the same record create returned",
    kinds=("sqlite",),
)
def _get_200(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    response = ctx.request("GET", ctx.store_path(record["id"]))
    ctx.expect_success(response, 200, data=record)


@check(
    "stores.list.status-200",
    "GET /stores answers 200 with an array of store records that includes a new store",
    kinds=("sqlite",),
)
def _list_200(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    response = ctx.request("GET", "/stores")
    data = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    if diffs.require(isinstance(data, list), "data", "an array of store records", data):
        matching = [s for s in data if isinstance(s, dict) and s.get("id") == record["id"]]
        if diffs.require(bool(matching), "data", f"a record with id {record['id']}", "none"):
            diffs.equal(f"data[id={record['id']}]", record, matching[0])
        diffs.require(len(data) <= 200, "data length", "at most 200", len(data))
    diffs.raise_if_any()


@check(
    "stores.list.newest-first",
    "GET /stores lists stores newest first (created_at descending)",
    kinds=("sqlite",),
)
def _list_newest_first(ctx: CheckContext) -> None:
    older = ctx.create_store("sqlite", name=ctx.name("older"))
    newer = ctx.create_store("sqlite", name=ctx.name("newer"))
    response = ctx.request("GET", "/stores")
    data = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    if not diffs.require(isinstance(data, list), "data", "an array of store records", data):
        diffs.raise_if_any()
    ids = listed(data, "id")
    if older["id"] in ids and newer["id"] in ids:
        diffs.require(
            ids.index(newer["id"]) < ids.index(older["id"]),
            "order",
            "the store created second listed before the one created first",
            [older["name"], newer["name"]],
        )
    else:
        diffs.add("data", "both new stores listed", f"{len(ids)} stores without both")
    keys = [_timestamp_key(str(s.get("created_at", ""))) for s in data if isinstance(s, dict)]
    diffs.require(
        keys == sorted(keys, reverse=True),
        "order",
        "created_at descending",
        listed(data, "created_at")[:6],
    )
    diffs.raise_if_any()


#: How many stores ``GET /stores`` answers at most.
LIST_LIMIT = 200


@check(
    "stores.list.at-most-200",
    "GET /stores answers at most 200 records: with more stores, exactly the 200 newest, "
    "newest first",
    kinds=("sqlite",),
    large=True,
)
def _list_at_most_200(ctx: CheckContext) -> None:
    # The run's stores are the server's newest (run it against a quiet server), so
    # after LIST_LIMIT + 1 creates the list is the last LIST_LIMIT of them.
    made = [ctx.create_store("sqlite", name=ctx.name("cap")) for _ in range(LIST_LIMIT + 1)]
    created = [record["id"] for record in made]
    response = ctx.request("GET", "/stores")
    data = ctx.expect_success(response, 200)
    diffs = ctx.diffs(response)
    if not diffs.require(isinstance(data, list), "data", "an array of store records", data):
        diffs.raise_if_any()
    records = [s for s in data if isinstance(s, dict)]
    ids = [s.get("id") for s in records]
    diffs.equal("data length", LIST_LIMIT, len(data))
    ours = set(created)
    foreign = [i for i in ids if i not in ours]
    diffs.require(not foreign, "data", f"only the {LIST_LIMIT} stores created last", foreign[:3])
    keys = [_timestamp_key(str(s.get("created_at", ""))) for s in records]
    diffs.require(
        keys == sorted(keys, reverse=True),
        "order",
        "created_at descending",
        [s.get("created_at") for s in records][:6],
    )
    # Left out may only be stores no newer than every one listed (ties tolerated).
    oldest_listed = min(keys, default=())
    newer_left_out = [
        record["name"]
        for record in made
        if record["id"] not in ids
        and _timestamp_key(str(record.get("created_at", ""))) > oldest_listed
    ]
    diffs.require(
        not newer_left_out,
        "data",
        "the store created first left out, no newer one",
        newer_left_out[:3],
    )
    diffs.raise_if_any()


@check(
    "stores.delete.status-200",
    'DELETE /stores/{id} answers 200 with data "deleted"',
    kinds=("sqlite",),
)
def _delete_200(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    response = ctx.request("DELETE", ctx.store_path(record["id"]))
    ctx.expect_success(response, 200, data="deleted")


@check(
    "stores.delete.gone",
    'A deleted store is gone: GET answers 404 "Store not found" and the list omits it',
    kinds=("sqlite",),
)
def _delete_gone(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    ctx.request("DELETE", ctx.store_path(record["id"]))
    ctx.expect_error(ctx.request("GET", ctx.store_path(record["id"])), 404, "Store not found")
    response = ctx.request("GET", "/stores")
    data = ctx.expect_success(response, 200)
    ids = listed(data, "id")
    diffs = ctx.diffs(response)
    diffs.require(record["id"] not in ids, "data", "the deleted store not listed", record["id"])
    diffs.raise_if_any()


# -- unknown ids ---------------------------------------------------------------------

_OPERATION_BODIES: dict[str, tuple[str, str | None, dict[str, Any] | None]] = {
    "get": ("GET", None, None),
    "delete": ("DELETE", None, None),
    "query": ("POST", "query", {"sql": "SELECT 1"}),
    "execute": ("POST", "execute", {"sql": "CREATE TABLE contract_never (x)"}),
    "command": ("POST", "command", {"command": ["PING"]}),
}


def _unknown_id_check(operation: str) -> None:
    method, suffix, body = _OPERATION_BODIES[operation]

    @check(
        f"stores.{operation}.unknown-id-404",
        f'{operation} on an unknown store id: 404 "Store not found"',
    )
    def _unknown(ctx: CheckContext) -> None:
        path = ctx.store_path(ctx.unknown_id, suffix)
        if body is None:
            response = ctx.request(method, path)
        else:
            response = ctx.request(method, path, json=body)
        ctx.expect_error(response, 404, "Store not found")


for _operation in _OPERATION_BODIES:
    _unknown_id_check(_operation)


@check(
    "stores.get.id-is-data",
    "Ids are looked up by id only: a store's name, or an encoded id like ../x, is not an id",
    kinds=("sqlite",),
)
def _id_is_data(ctx: CheckContext) -> None:
    record = ctx.create_store("sqlite")
    ctx.expect_error(ctx.request("GET", ctx.store_path(record["name"])), 404, "Store not found")
    ctx.expect_error(ctx.request("GET", ctx.store_path(f"../{record['id']}")), 404)


# -- bodies before lookup ---------------------------------------------------------------


@check(
    "stores.query.body-before-lookup",
    'A bad query body on an unknown id answers 400 (not 404): "sql is required", "Invalid JSON"',
)
def _query_body_first(ctx: CheckContext) -> None:
    path = ctx.store_path(ctx.unknown_id, "query")
    ctx.expect_error(ctx.request("POST", path, json={"sql": "  "}), 400, "sql is required")
    response = ctx.request(
        "POST", path, content=b"{not json", headers={"content-type": "application/json"}
    )
    ctx.expect_error(response, 400, prefix="Invalid JSON: ")


@check(
    "stores.execute.body-before-lookup",
    'A bad execute body on an unknown id answers 400 (not 404): "sql is required"',
)
def _execute_body_first(ctx: CheckContext) -> None:
    path = ctx.store_path(ctx.unknown_id, "execute")
    ctx.expect_error(ctx.request("POST", path, json={"sql": ""}), 400, "sql is required")
    ctx.expect_error(ctx.request("POST", path, json={}), 400, prefix="Invalid JSON: ")


@check(
    "stores.command.body-before-lookup",
    'A bad command body on an unknown id answers 400 (not 404): "command must not be empty"',
)
def _command_body_first(ctx: CheckContext) -> None:
    path = ctx.store_path(ctx.unknown_id, "command")
    response = ctx.request("POST", path, json={"command": []})
    ctx.expect_error(response, 400, "command must not be empty")
    ctx.expect_error(ctx.request("POST", path, json={}), 400, prefix="Invalid JSON: ")
