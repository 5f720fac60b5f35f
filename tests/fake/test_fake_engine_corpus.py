"""The corpus of everyday statements: every item right on the real engines; the emulation scored.

Expected answers were recorded from PostgreSQL 15 and MariaDB 10.11 (see
``engine_corpus.py``). Every postgres item must be right on the embedded
PostgreSQL (18) and on the URL's server; every mysql item on the URL's server.
The SQLite emulation's score is printed with the test run, not hidden.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from engine_corpus import CORPUS, EXPECTED, run_corpus
from engine_servers import MYSQL_URL_VAR, POSTGRES_TARGETS, postgres_url_for, url_or_skip
from fake_helpers import IGNORE_EMULATION_WARNING, without_the_postgres_extra

from durable_stores_client.fake import FakeServer


def _expected(kind: str) -> list[Any]:
    answers: list[Any] = json.loads(EXPECTED.read_text())[kind]["answers"]
    return answers


def _wrong(kind: str, answers: list[Any]) -> list[str]:
    return [
        f"#{index} {CORPUS[kind][index][1]!r}: expected {want}, got {got}"
        for index, (want, got) in enumerate(zip(_expected(kind), answers, strict=True))
        if want != got
    ]


def _answers(fake: FakeServer, kind: str) -> list[Any]:
    try:
        with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
            return run_corpus(http, kind)
    finally:
        fake.reset()


def test_the_corpus_is_big_enough_and_recorded_for_every_item() -> None:
    assert len(CORPUS["postgres"]) >= 40
    assert len(CORPUS["mysql"]) >= 30
    for kind, items in CORPUS.items():
        assert len(_expected(kind)) == len(items), f"re-record {EXPECTED.name} for {kind}"


@pytest.mark.parametrize("target", POSTGRES_TARGETS)
def test_every_postgres_item_is_right_on_the_real_engine(target: str) -> None:
    fake = FakeServer(postgres_url=postgres_url_for(target))
    assert _wrong("postgres", _answers(fake, "postgres")) == []


def test_every_mysql_item_is_right_on_a_real_mysql() -> None:
    fake = FakeServer(mysql_url=url_or_skip(MYSQL_URL_VAR))
    assert _wrong("mysql", _answers(fake, "mysql")) == []


@IGNORE_EMULATION_WARNING
def test_the_emulation_s_score_is_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    without_the_postgres_extra(monkeypatch)
    scores = {}
    for kind in CORPUS:
        answers = _answers(FakeServer(), kind)
        right = len(CORPUS[kind]) - len(_wrong(kind, answers))
        scores[kind] = (right, len(CORPUS[kind]))
    with capsys.disabled():
        print(
            "\nSQLite emulation on the engine corpus: "
            + ", ".join(f"{k} {r}/{n} ({100 * r // n}%)" for k, (r, n) in scores.items())
        )
    # The emulation is not the engine: it gets a part right, and never everything.
    for right, total in scores.values():
        assert 0 < right < total
