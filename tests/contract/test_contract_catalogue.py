"""The catalogue, targets, differences and reports, without a server."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from assertions import exactly

from durable_stores_client.contract import (
    CHECKS,
    STORE_KINDS,
    Check,
    CheckFailed,
    CheckResult,
    Diffs,
    Level,
    Outcome,
    Report,
    Target,
    get_check,
    parse_kinds,
    parse_store_config,
    select_checks,
)

#: The clauses the contract's "Known deviations" table makes recommended, plus
#: multiple statements per call, which the contract does not pin down.
RECOMMENDED = {
    "stores.create.duplicate-name-409",
    "stores.create.secret-config-kept",
    "sql.query.read-only",
    "sql.multiple-statements",
    "idempotency.create-replay",
    "idempotency.replay-after-delete",
    "idempotency.key-reuse-conflict",
    "idempotency.execute-replay",
    "idempotency.command-replay",
    "postgres.params-bound",
    "mysql.params-bound",
    "mysql.execute.rows-affected",
    "mysql.query.typed-values",
    "postgres.query.empty-columns",
    "mysql.query.empty-columns",
    "sql.engine-error-detail",
    "routes.short-body",
    "sql.query.repeated-columns",
    "postgres.query.typed-values",
}


def test_ids_are_unique_and_well_formed() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    for check_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(\.[a-z0-9-]+)+", check_id), check_id


def test_every_check_has_a_one_line_clause_and_known_kinds() -> None:
    for check in CHECKS:
        assert check.clause.strip()
        assert "\n" not in check.clause
        assert check.kinds <= set(STORE_KINDS)


def test_recommended_clauses_are_exactly_the_known_deviations() -> None:
    assert {c.id for c in CHECKS if c.level is Level.RECOMMENDED} == RECOMMENDED


def test_the_catalogue_covers_every_route_and_area() -> None:
    areas = {c.area for c in CHECKS}
    assert areas == {
        "health",
        "envelope",
        "routes",
        "auth",
        "stores",
        "sql",
        "sqlite",
        "redis",
        "postgres",
        "mysql",
        "idempotency",
        "client",
    }
    for operation in ("get", "delete", "query", "execute", "command"):
        assert get_check(f"stores.{operation}.unknown-id-404")
    assert [c.id for c in CHECKS if c.large] == [
        "routes.body-too-large",
        "routes.body-at-limit",
        "stores.list.at-most-200",
    ]


def test_select_checks_by_glob_and_prefix() -> None:
    assert [c.id for c in select_checks(["health.ok"])] == ["health.ok"]
    redis = select_checks(["redis"])
    assert redis
    assert all(c.id.startswith("redis.") for c in redis)
    globbed = select_checks(["*.wrong-endpoint"])
    assert {c.id for c in globbed} == {
        "sql.command.wrong-endpoint",
        "redis.query.wrong-endpoint",
        "redis.execute.wrong-endpoint",
        "postgres.command.wrong-endpoint",
        "mysql.command.wrong-endpoint",
    }
    # Catalogue order, no duplicates, whatever the order of the patterns.
    both = select_checks(["sql.query.params", "health", "sql.query.params"])
    assert [c.id for c in both] == ["health.ok", "sql.query.params"]
    assert select_checks() == CHECKS
    with pytest.raises(ValueError, match="no contract check matches 'redi'"):
        select_checks(["redi"])


def test_get_check_names_similar_ids_when_unknown() -> None:
    with pytest.raises(KeyError, match=re.escape("checks in 'health': health.ok")):
        get_check("health.nope")


def test_target_validates_and_hides_secrets() -> None:
    target = Target(
        "http://server.example:18888/",
        api_key="sk-very-secret",
        store_config={"redis": {"password": "hunter2"}},
    )
    assert target.base_url == "http://server.example:18888"
    assert target.kinds == {"sqlite", "redis"}
    assert "sk-very-secret" not in repr(target)
    assert "hunter2" not in repr(target)
    assert target.config_for("redis") == {"password": "hunter2"}
    assert target.config_for("sqlite") == {}
    assert target.secret_values() == ("sk-very-secret", "hunter2")
    with pytest.raises(ValueError, match="unknown store kind 'oracle'"):
        Target("http://x", kinds=["sqlite", "oracle"])
    with pytest.raises(ValueError, match="store config given for unknown kind 'oracle'"):
        Target("http://x", store_config={"oracle": {}})
    with pytest.raises(
        TypeError, match=exactly("the store config for redis must be a JSON object")
    ):
        Target("http://x", store_config={"redis": ["a"]})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        Target("server.example:18888")


def test_parse_kinds_and_store_config() -> None:
    assert parse_kinds(" SQLite , redis,") == {"sqlite", "redis"}
    assert parse_store_config('redis={"port": 6379}') == ("redis", {"port": 6379})
    with pytest.raises(
        ValueError,
        match=exactly('expected KIND=JSON, e.g. redis=\'{"host": "127.0.0.1", "port": 6379}\''),
    ):
        parse_store_config('{"port": 6379}')


def test_differences_treat_json_types_strictly() -> None:
    diffs = Diffs("POST /stores/{id}/query")
    assert not diffs.equal("data.rows[0].v", 1, True)  # a bool is not the number 1
    assert not diffs.field("data.sandbox", {"sandbox": None}, "missing", "x")
    assert diffs.equal("data.v", [1, "a"], [1, "a"])
    with pytest.raises(CheckFailed) as failed:
        diffs.raise_if_any()
    assert failed.value.detail == (
        "POST /stores/{id}/query: data.rows[0].v: expected 1, got true; "
        'data.sandbox: expected "x", got omitted'
    )


def test_shown_values_mask_secret_keys_and_stay_short() -> None:
    diffs = Diffs("GET /stores/{id}")
    config = {"password": "hunter2", "api_token": "t0k", "host": "db"}
    assert not diffs.equal("data.config", config, {"host": "db"})
    assert not diffs.equal("data.v", "x" * 1000, "y")
    with pytest.raises(CheckFailed) as failed:
        diffs.raise_if_any()
    long = '"' + "x" * 158 + "…"  # 160 characters at most
    assert failed.value.detail == (
        'GET /stores/{id}: data.config: expected {"password": "***", "api_token": "***", '
        f'"host": "db"}}, got {{"host": "db"}}; data.v: expected {long}, got "y"'
    )


def _result(check_id: str, outcome: Outcome, level: Level, detail: str = "") -> CheckResult:
    check = Check(id=check_id, clause=f"clause of {check_id}", level=level, kinds=(), run=print)  # type: ignore[arg-type]
    return CheckResult(check, outcome, detail)


def _report(*, strict: bool) -> Report:
    return Report(
        results=(
            _result("a.pass", Outcome.PASSED, Level.REQUIRED),
            _result("a.warn", Outcome.FAILED, Level.RECOMMENDED, "GET /x: status: expected 1"),
            _result("a.skip", Outcome.SKIPPED, Level.REQUIRED, "needs redis stores"),
        ),
        base_url="http://server.example",
        kinds=("redis", "sqlite"),
        strict=strict,
        duration=1.5,
    )


def test_report_verdict_table_and_summary() -> None:
    lenient, strict = _report(strict=False), _report(strict=True)

    assert lenient.ok
    assert not strict.ok
    assert lenient.summary() == (
        "contract: 1 passed, 0 failed, 1 warned, 1 skipped of 3 checks against "
        "http://server.example (kinds: redis, sqlite) in 1.50s: OK"
    )
    assert strict.summary() == (
        "contract: 1 passed, 1 failed, 1 skipped of 3 checks against "
        "http://server.example (kinds: redis, sqlite, strict) in 1.50s: FAILED"
    )
    table = lenient.format_table().splitlines()
    assert table[0].split() == ["ID", "LEVEL", "RESULT", "DETAIL"]
    assert table[2].split()[:3] == ["a.warn", "recommended", "warn"]
    assert strict.format_table().splitlines()[2].split()[:3] == ["a.warn", "recommended", "FAIL"]
    assert [
        line.split()[0] for line in lenient.format_table(include_passed=False).splitlines()[1:3]
    ] == [
        "a.warn",
        "a.skip",
    ]


def test_report_junit_xml() -> None:
    lenient = ET.fromstring(_report(strict=False).to_junit_xml())
    strict = ET.fromstring(_report(strict=True).to_junit_xml())

    assert (lenient.get("tests"), lenient.get("failures"), lenient.get("skipped")) == (
        "3",
        "0",
        "1",
    )
    assert strict.get("failures") == "1"
    failure = strict.find("testcase[@name='a.warn']/failure")
    assert failure is not None
    assert failure.get("message") == "GET /x: status: expected 1"
    assert failure.text == "clause of a.warn"
    skipped = lenient.find("testcase[@name='a.skip']/skipped")
    assert skipped is not None
    assert skipped.get("message") == "needs redis stores"
    properties = {p.get("name"): p.get("value") for p in lenient.iter("property")}
    assert properties == {
        "base_url": "http://server.example",
        "kinds": "redis,sqlite",
        "strict": "false",
    }
