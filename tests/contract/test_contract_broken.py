"""The suite can fail: broken variants of the fake fail exactly the checks about the break."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import contract_support as broken
import httpx
import pytest

from durable_stores_client.contract import Difference, run_contract, select_checks
from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # runs the whole suite against each broken variant

_ROW_READERS = {
    "sql.query.result",
    "sql.query.column-order",
    "sql.query.params",
    "sql.query.params-optional",
    # These count rows to prove nothing was written; with array rows they cannot.
    "sql.query.read-only",
    "sql.multiple-statements",
    "sqlite.to-json.null",
    "sqlite.to-json.integer",
    "sqlite.to-json.real",
    "sqlite.to-json.text",
    "sqlite.to-json.blob-base64",
    "sqlite.from-json.null",
    "sqlite.from-json.bool",
    "sqlite.from-json.integer",
    "sqlite.from-json.float",
    "sqlite.from-json.float-whole",
    "sqlite.from-json.text",
    "sqlite.from-json.array",
    "sqlite.from-json.object",
    "postgres.query.result",
    "postgres.params-bound",
    "mysql.query.result",
    "mysql.params-bound",
    "mysql.query.typed-values",
    "postgres.query.typed-values",
    "idempotency.execute-replay",
    "client.sql",  # the client refuses rows that are not objects (ProtocolError)
}

_NOT_FOUND_ANSWERS = {
    "envelope.error-shape",
    "routes.unknown-path",
    "routes.unknown-method",
    "stores.delete.gone",
    "stores.get.id-is-data",
    "stores.get.unknown-id-404",
    "stores.delete.unknown-id-404",
    "stores.query.unknown-id-404",
    "stores.execute.unknown-id-404",
    "stores.command.unknown-id-404",
}

Hooks = Callable[[FakeServer], dict[str, Any]]


def _answers(hook: Any) -> Hooks:
    """A variant whose answers ``hook`` rewrites."""
    return lambda fake: {"response": hook}


def _handles(hook: Any) -> Hooks:
    """A variant whose requests ``hook`` handles instead of the fake."""
    return lambda fake: {"request": hook}


VARIANTS: dict[str, tuple[Hooks, set[str]]] = {
    "200 instead of 201 on create": (
        _answers(broken.create_answers_200),
        {"stores.create.status-201"},
    ),
    "a store record without the envelope": (
        _answers(broken.get_without_envelope),
        {
            "stores.get.status-200",
            "stores.record.fields",
            "auth.right-key",
            "client.stores",
            "client.round-trip",
            "stores.create.secret-config-kept",  # it reads the record back too
            "routes.trailing-slash",
        },
    ),
    "data: null instead of omitted on 404": (
        _answers(broken.null_data_on_404),
        _NOT_FOUND_ANSWERS,
    ),
    "500 on a duplicate name (agentkernel today)": (
        _answers(broken.duplicate_name_500),
        {"stores.create.duplicate-name-409"},
    ),
    "a write accepted by query": (
        _handles(broken.query_runs_writes),
        {"sql.query.read-only"},
    ),
    "rows as arrays": (_answers(broken.rows_as_arrays), _ROW_READERS),
    "another 401 message": (
        _answers(broken.unauthorized_message),
        {"auth.missing-header", "auth.rejects-before-routing"},
    ),
    "/health behind auth": (
        _handles(broken.health_needs_auth),
        {"auth.health-open"},
    ),
    "list oldest first": (
        _answers(broken.oldest_first),
        {"stores.list.newest-first"},
    ),
    "405 for a wrong method": (
        _answers(broken.wrong_method_405),
        {"routes.unknown-method"},
    ),
    "Idempotency-Key ignored (agentkernel today)": (
        _handles(broken.ignore_idempotency_keys),
        {
            "idempotency.create-replay",
            "idempotency.key-reuse-conflict",
            "idempotency.execute-replay",
            "idempotency.command-replay",
            "idempotency.replay-after-delete",
        },
    ),
    "store lookup before body validation": (
        lambda fake: {"request": broken.lookup_before_body(fake)},
        {
            "stores.query.body-before-lookup",
            "stores.execute.body-before-lookup",
            "stores.command.body-before-lookup",
            "routes.malformed-bodies",  # it sends some to an unknown id, too
        },
    ),
    "a 500 for a body that is not UTF-8": (
        _handles(broken.crash_on_invalid_utf8),
        {"routes.malformed-bodies"},
    ),
    "sqlite config merged with the default path, not replaced": (
        _answers(broken.sqlite_config_merged),
        {"stores.create.sqlite-config-replaced"},
    ),
    "a stale last_insert_rowid after UPDATE and DELETE": (
        _answers(broken.stale_last_insert_rowid),
        {"sql.execute.rows-affected"},
    ),
    "non-string command elements coerced": (
        _handles(broken.command_elements_coerced),
        {"redis.command.strings-only"},
    ),
    "a number accepted as sql": (
        _handles(broken.sql_numbers_coerced),
        {"sql.query.invalid-body", "sql.execute.invalid-body"},
    ),
    "params given as an object accepted": (
        _handles(broken.params_object_as_values),
        {"sql.query.invalid-body", "sql.execute.invalid-body"},
    ),
    "Idempotency-Key forgotten once the store is deleted": (
        broken.rerun_when_the_store_is_gone,
        {"idempotency.replay-after-delete"},
    ),
    "password_secret dropped from config (agentkernel today)": (
        _answers(broken.secret_config_dropped),
        {"stores.create.secret-config-kept"},
    ),
    "/stores/ is not /stores": (
        _handles(broken.trailing_slash_404),
        {"routes.trailing-slash"},
    ),
    "Content-Length not checked against the body": (
        _handles(broken.framing_trusted),
        {"routes.malformed-content-length", "routes.short-body"},
    ),
    "engine errors without the engine's detail (agentkernel today)": (
        _answers(broken.engine_detail_dropped),
        {"sql.engine-error-detail"},
    ),
    "an unknown sandbox refused with another message": (
        _handles(broken.sandbox_refused_vaguely),
        {"stores.create.sandbox-unknown"},
    ),
    'a sandbox of "" omitted': (
        _answers(broken.empty_sandbox_dropped),
        {"stores.create.sandbox-empty-kept"},
    ),
    "mysql values as strings (agentkernel today)": (
        lambda fake: broken.for_kinds({"mysql"}, broken.values_as_text),
        {"mysql.query.typed-values"},
    ),
    "columns [] for an empty postgres or mysql result (agentkernel today)": (
        lambda fake: broken.for_kinds({"postgres", "mysql"}, broken.no_columns_without_rows),
        {"postgres.query.empty-columns", "mysql.query.empty-columns"},
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_broken_variant_fails_exactly_the_right_checks(fake: FakeServer, variant: str) -> None:
    hooks, expected = VARIANTS[variant]
    transport = broken.Broken(fake.transport(), **hooks(fake))

    report = run_contract(broken.target_for(transport), strict=True)

    assert set(report.failed_ids) == expected
    assert not report.ok
    assert fake.stores == []  # clean-up works against broken servers too


def test_a_daemon_refusing_unknown_sandboxes_passes_every_required_check(
    fake: FakeServer,
) -> None:
    # The agentkernel daemon refuses a sandbox it does not know: the suite accepts that
    # answer, and with --sandbox naming one it knows, a store tied to it must work.
    transport = broken.Broken(fake.transport(), request=broken.sandbox_checked({"build-runner"}))
    report = run_contract(broken.target_for(transport, sandbox="build-runner"), strict=True)
    assert [(r.check.id, r.detail) for r in report.failed] == []
    assert {"stores.create.sandbox-unknown", "stores.create.sandbox-existing"} <= {
        r.check.id for r in report.passed
    }

    wrong = run_contract(broken.target_for(transport, sandbox="elsewhere"), strict=True)
    assert wrong.failed_ids == {"stores.create.sandbox-existing", "client.round-trip"}
    assert fake.stores == []


def _all_but_oldest_200(records: list[Any]) -> list[Any]:
    return records[::-1]  # every store, newest first: no cap


def _oldest_200(records: list[Any]) -> list[Any]:
    return records[:200][::-1]  # LIMIT before ORDER BY: the first 200 ever made


HEAVY_VARIANTS: dict[str, tuple[Hooks, set[str]]] = {
    "413 for a body of exactly 16 MiB": (
        _handles(broken.limit_inclusive),
        {"routes.body-at-limit"},
    ),
    "the list not capped at 200": (
        lambda fake: {"response": broken.list_variant(fake, _all_but_oldest_200)},
        {"stores.list.at-most-200"},
    ),
    "the list holds the oldest 200": (
        lambda fake: {"response": broken.list_variant(fake, _oldest_200)},
        {"stores.list.at-most-200"},
    ),
}


@pytest.mark.parametrize("variant", list(HEAVY_VARIANTS))
def test_broken_variant_fails_the_heavy_checks(fake: FakeServer, variant: str) -> None:
    hooks, expected = HEAVY_VARIANTS[variant]
    transport = broken.Broken(fake.transport(), **hooks(fake))
    checks = select_checks(["routes.body-*", "stores.list.*"])

    report = run_contract(broken.target_for(transport), checks, include_large=True)

    assert set(report.failed_ids) == expected
    assert not report.skipped
    assert fake.stores == []


def test_a_recommended_failure_warns_unless_strict(fake: FakeServer) -> None:
    transport = broken.Broken(fake.transport(), response=broken.duplicate_name_500)
    target = broken.target_for(transport)

    lenient = run_contract(target)
    strict = run_contract(target, strict=True)

    assert lenient.failed_ids == strict.failed_ids == {"stores.create.duplicate-name-409"}
    assert lenient.ok
    assert lenient.exit_code == 0
    assert not strict.ok
    assert strict.exit_code == 1
    assert "1 warned" in lenient.summary()
    assert ", strict)" in strict.summary()


def test_a_required_failure_fails_without_strict(fake: FakeServer) -> None:
    transport = broken.Broken(fake.transport(), response=broken.create_answers_200)
    report = run_contract(broken.target_for(transport))
    assert not report.ok
    assert report.exit_code == 1


def test_failure_details_say_what_was_expected_and_what_came(fake: FakeServer) -> None:
    def run(**hooks: Any) -> dict[str, Any]:
        transport = broken.Broken(fake.transport(), **hooks)
        return {r.check.id: r for r in run_contract(broken.target_for(transport)).failed}

    created = run(response=broken.create_answers_200)["stores.create.status-201"]
    assert created.detail.startswith('POST /stores: status: expected 201, got 200 {"success": true')
    assert created.differences[0].what == "status"

    nulled = run(response=broken.null_data_on_404)["stores.get.unknown-id-404"]
    assert nulled.detail == "GET /stores/{unknown-id}: envelope data: expected omitted, got null"
    assert nulled.differences == (Difference("envelope data", "omitted", "null"),)

    written = run(request=broken.query_runs_writes)["sql.query.read-only"]
    assert written.detail.startswith(
        'POST /stores/{id}/query: status: expected 400 "query endpoint is read-only; use '
        'execute", got 200 {"success": true, "data": {"rows_affected": 1'
    )

    crashed = run(request=broken.crash_on_invalid_utf8)["routes.malformed-bodies"]
    assert crashed.detail == (
        "POST /stores with body b'\\xff\\xfe\\x00not utf-8': status: expected 400 "
        '"Invalid JSON: ...", got 500 "internal server error"'
    )

    arrays = run(response=broken.rows_as_arrays)["sqlite.to-json.blob-base64"]
    assert arrays.differences == (
        Difference("data.rows[0]", "an object keyed by column name", '["AP8Q/g=="]'),
    )


def test_a_server_echoing_secrets_has_them_masked_in_the_report(fake: FakeServer) -> None:
    def echo(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if response.status_code == 401:
            said = request.headers.get("authorization", "nothing")
            return httpx.Response(401, json={"success": False, "error": f"no ({said})"})
        if request.method == "POST" and request.url.path == "/stores":
            return httpx.Response(500, json={"success": False, "error": request.content.decode()})
        return response

    target = broken.target_for(
        broken.Broken(fake.transport(), response=echo),
        store_config={"redis": {"password": "hunter2-redis", "port": 6379}},
    )
    report = run_contract(target, select_checks(["auth", "redis.command.ok"]))

    texts = [r.detail for r in report.results]
    texts += [str(d) for r in report.results for d in r.differences]
    assert report.failed
    assert any("***" in text for text in texts)
    assert not any(broken.API_KEY in text or "hunter2" in text for text in texts)


def test_records_with_unknown_fields_pass_and_survive_the_client(fake: FakeServer) -> None:
    # A newer server adding record fields keeps the contract ("unknown fields must
    # survive"): no check may fail, and client.round-trip proves the client keeps them.
    def add_fields(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        body = broken.body_of(response)
        if not response.is_success or not isinstance(body, dict):
            return response
        data = body.get("data")
        for record in data if isinstance(data, list) else [data]:
            if isinstance(record, dict) and "created_at" in record:
                record["region"] = "eu-1"
                record["limits"] = {"max_bytes": 1024, "tags": ["a", None]}
        return httpx.Response(response.status_code, json=body)

    transport = broken.Broken(fake.transport(), response=add_fields)
    report = run_contract(broken.target_for(transport), strict=True)

    assert [(r.check.id, r.detail) for r in report.failed] == []
    assert "client.round-trip" in {r.check.id for r in report.passed}


def test_result_objects_with_more_fields_pass(fake: FakeServer) -> None:
    # Forward compatibility, as for records: a server adding fields to query, execute
    # and command results keeps the contract; only the contract's keys are judged.
    def add_field(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        body = broken.body_of(response)
        if len(broken.path_parts(request)) == 3 and response.status_code == 200:
            body["data"]["elapsed_ms"] = 1
            return httpx.Response(200, json=body)
        return response

    transport = broken.Broken(fake.transport(), response=add_field)
    report = run_contract(broken.target_for(transport), strict=True)

    assert [(r.check.id, r.detail) for r in report.failed] == []


def test_a_result_missing_a_field_or_not_an_object_still_fails(fake: FakeServer) -> None:
    def drop_row_count(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        body = broken.body_of(response)
        parts = broken.path_parts(request)
        if len(parts) == 3 and parts[2] == "query" and response.status_code == 200:
            del body["data"]["row_count"]
        if len(parts) == 3 and parts[2] == "command" and response.status_code == 200:
            body["data"] = [body["data"]["result"]]
        return httpx.Response(response.status_code, json=body)

    transport = broken.Broken(fake.transport(), response=drop_row_count)
    results = {
        r.check.id: r
        for r in run_contract(
            broken.target_for(transport), select_checks(["sql.query.result", "redis.command.ok"])
        ).failed
    }
    assert results["sql.query.result"].differences == (
        Difference("data.row_count", "2", "omitted"),
    )
    assert results["redis.command.ok"].differences == (
        Difference("data (SET)", '{"result": "OK"}', '["OK"]'),
    )
