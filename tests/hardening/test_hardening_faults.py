"""Faults: 1,000 mixed operations through the fake's network front end while the fake injects
503s, 429s with ``Retry-After``, delays and dropped connections on about 30 % of the calls.

The schedule comes from a fixed seed; before each call the test decides whether to inject a
fault and which, so it knows exactly what the call must do:

* reads (``list``, ``get``, ``query``) and ``delete`` retry every injected failure: they succeed
  when the fault lasts for at most ``max_retries`` attempts, else raise the typed error for the
  last failure (``InternalServerError`` 503, ``RateLimitError`` 429, ``APIConnectionError``);
* writes (``create``, ``execute``, ``command``) retry 503 and 429 only (the request was not
  applied); a dropped connection raises ``APIConnectionError`` and a timeout
  ``APITimeoutError``, both without a retry: the write may or may not have been applied;
* a ``Retry-After`` over 60 s makes any call give up at once with ``RateLimitError``.

Exactly-once, defined precisely. Every write carries a unique token (an ``execute`` inserts a
row holding it, a ``command`` pushes it onto a Redis list, a ``create`` uses it as the name).
Afterwards, counting what the stores hold:

* no token is present twice (writes duplicated = 0);
* every write reported successful is present (writes lost = 0);
* a write that failed with a status (503, 429: "not applied") is absent;
* a write that failed ambiguously (connection dropped or timed out after sending) may be
  present or absent, and is counted in the report as one or the other.

The backoff sleep is injected (recorded, not slept), so the run takes seconds; the only real
waits are the injected server delays.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hardening_report import ReliabilityFigures

from durable_stores_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    DurableStoresError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
)
from durable_stores_client.fake import FakeServer

pytestmark = pytest.mark.slow  # many operations, faults and generated cases

SECTION = "faults"
SEED = 20260216
OPERATIONS = 1000
FAULT_RATE = 0.3
MAX_RETRIES = 2
#: Client timeout for calls that get a long delay; other calls use a roomy one so a busy CI
#: machine never turns an ordinary call into a timeout.
SHORT_TIMEOUT = 0.3
ROOMY_TIMEOUT = 10.0
LONG_DELAY = 0.6
SHORT_DELAY = 0.01
#: A ``Retry-After`` given as an HTTP date this many seconds ahead.
DATE_SECONDS = 20
DATE_AHEAD = f"http-date+{DATE_SECONDS}s"

READS = ("list", "get", "query", "delete")
WRITES = ("create", "execute", "command")
WEIGHTS = {
    "execute": 30,
    "command": 14,
    "create": 8,
    "query": 20,
    "get": 10,
    "list": 10,
    "delete": 8,
}


@dataclass(frozen=True)
class Fault:
    """One planned injection: what ``fake.inject`` gets, and what the call must do."""

    kind: str
    times: int
    status: int | None = None
    #: Seconds, or ``DATE_AHEAD``: an HTTP date that many seconds ahead, made at injection.
    retry_after: float | str | None = None
    delay: float = 0.0
    disconnect: bool = False


def plan_fault(rng: random.Random, operation: str) -> Fault | None:
    """Pick the fault for one call (None for about 70 % of calls)."""
    if rng.random() >= FAULT_RATE:
        return None
    write = operation in WRITES
    roll = rng.random()
    if roll < 0.32:
        return Fault("503", rng.choice([1, 1, 2, 3]), status=503)
    if roll < 0.60:
        return Fault(
            "429",
            rng.choice([1, 2, 3]),
            status=429,
            retry_after=rng.choice([0, 1, 2.5, 30, DATE_AHEAD]),
        )
    if roll < 0.64:
        return Fault("429-too-long", 1, status=429, retry_after=rng.choice([61, 120, 3600]))
    if roll < 0.84:
        # A dropped connection on a write is ambiguous: the client must not retry it, so one
        # injection is all the call will consume.
        return Fault("disconnect", 1 if write else rng.choice([1, 2, 3]), disconnect=True)
    if roll < 0.95:
        return Fault("short-delay", 1, delay=SHORT_DELAY)
    return Fault("long-delay", 1, delay=LONG_DELAY)


def expected_error(operation: str, fault: Fault | None) -> type[DurableStoresError] | None:
    """The typed error the call must raise under ``fault``, or None when it must succeed."""
    if fault is None or fault.kind == "short-delay":
        return None
    attempts = MAX_RETRIES + 1
    if fault.kind == "429-too-long":
        return RateLimitError
    if fault.kind in {"503", "429"}:
        if fault.times < attempts:
            return None
        return InternalServerError if fault.kind == "503" else RateLimitError
    if operation in WRITES:
        return APITimeoutError if fault.kind == "long-delay" else APIConnectionError
    if fault.kind == "long-delay":
        return None
    return None if fault.times < attempts else APIConnectionError


@dataclass
class Ledger:
    """What happened to every call, for the figures and the exactly-once check."""

    outcomes: Counter[str] = field(default_factory=Counter)
    faults_injected: int = 0
    calls_with_a_fault: int = 0
    faults_by_kind: Counter[str] = field(default_factory=Counter)
    written_ok: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in WRITES})
    failed_not_applied: dict[str, set[str]] = field(
        default_factory=lambda: {k: set() for k in WRITES}
    )
    failed_ambiguous: dict[str, set[str]] = field(
        default_factory=lambda: {k: set() for k in WRITES}
    )
    #: (id, name) of stores the run created and has not deleted yet.
    live_created: list[tuple[str, str]] = field(default_factory=list)
    deleted: dict[str, str] = field(default_factory=dict)
    delete_failed: dict[str, str] = field(default_factory=dict)
    timeouts: list[float] = field(default_factory=list)
    #: The retries (backoff sleeps) the faults called for, call by call.
    retries_expected: int = 0


@dataclass
class Rig:
    fake: FakeServer
    url: str
    sqlite_id: str
    redis_id: str


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    fake = FakeServer(data_dir=tmp_path)
    with fake.serve() as url:
        with Client(url) as client:
            sqlite = client.create_store(name="ledger", kind="sqlite")
            redis = client.create_store(name="events", kind="redis")
            client.execute_store(
                sqlite.id, sql="CREATE TABLE log (id INTEGER PRIMARY KEY, token TEXT NOT NULL)"
            )
        # Leaving serve() waits for the requests still in a delay: the fake notices the
        # client hanging up and records them first.
        yield Rig(fake, url, sqlite.id, redis.id)


AnyClient = Client | AsyncClient


async def settle(value: Any) -> Any:
    """Await ``value`` when the async client returned a coroutine."""
    return await value if inspect.isawaitable(value) else value


def make_call(rig: Rig, client: AnyClient, operation: str, token: str) -> Callable[[], Any]:
    """The call for ``operation`` (a value, or an awaitable on the async client)."""
    if operation == "execute":
        return lambda: client.execute_store(
            rig.sqlite_id, sql="INSERT INTO log (token) VALUES (?)", params=[token]
        )
    if operation == "command":
        return lambda: client.command_store(rig.redis_id, command=["RPUSH", "events", token])
    if operation == "create":
        return lambda: client.create_store(name=token, kind="redis")
    if operation == "query":
        return lambda: client.query_store(rig.sqlite_id, sql="SELECT count(*) AS n FROM log")
    if operation == "get":
        return lambda: client.get_store(rig.sqlite_id)
    assert operation == "list"
    return client.list_stores


def expected_sleeps(operation: str, fault: Fault | None) -> int:
    """How many backoff sleeps (= retries) the call must take under ``fault``."""
    if fault is None or fault.kind in {"short-delay", "429-too-long"}:
        return 0
    if fault.kind in {"503", "429"}:
        return min(fault.times, MAX_RETRIES)
    if operation in WRITES:
        return 0  # dropped or timed out after sending: never retried
    return min(fault.times, MAX_RETRIES)


@pytest.mark.parametrize(
    ("flavour", "operations"),
    [
        ("sync", OPERATIONS),
        ("async", OPERATIONS // 4),
        ("in_process", OPERATIONS // 4),
        ("async_in_process", OPERATIONS // 4),
    ],
)
async def test_operations_under_faults_keep_every_write_exactly_once(
    rig: Rig, flavour: str, operations: int, reliability_figures: ReliabilityFigures
) -> None:
    """1,000 calls on the sync client over HTTP (the headline figures); 250 on the async client
    over HTTP, and 250 on each client through the fake's in-process transports (where a delay
    past the timeout and a dropped connection are simulated rather than real)."""
    rng = random.Random(SEED)
    ledger = Ledger()
    sleeps: list[float] = []

    async def no_async_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(
        sleep=sleeps.append, async_sleep=no_async_sleep, random=random.Random(SEED + 1).random
    )
    options: dict[str, Any] = {
        "timeout": ROOMY_TIMEOUT,
        "max_retries": MAX_RETRIES,
        "retry_policy": policy,
    }
    main: AnyClient
    if flavour == "sync":
        main = Client(rig.url, **options)
    elif flavour == "async":
        main = AsyncClient(rig.url, **options)
    elif flavour == "in_process":
        main = Client(transport=rig.fake.transport(), **options)
    else:
        main = AsyncClient(transport=rig.fake.async_transport(), **options)
    try:
        await run_schedule(rig, main, rng, ledger, sleeps, operations)
    finally:
        await settle(main.close() if isinstance(main, Client) else main.aclose())
    await given_up_requests_recorded(rig, ledger)
    report(rig, ledger, sleeps, operations, flavour, reliability_figures)


async def given_up_requests_recorded(rig: Rig, ledger: Ledger) -> None:
    """Wait until the fake has recorded every request a client gave up on in a long delay.

    Over HTTP the fake notices the hang-up on its own thread, so such a request may be
    recorded after the call returned; it is recorded with no status and no fault.
    """
    expected = ledger.faults_by_kind["long-delay"]
    deadline = time.monotonic() + 10

    def recorded() -> int:
        return sum(1 for r in rig.fake.requests if r.status is None and not r.fault)

    while recorded() < expected and time.monotonic() < deadline:  # noqa: ASYNC110 - the fake has no event, only its log
        await asyncio.sleep(0.01)
    assert recorded() >= expected, f"{recorded()} of {expected} given-up requests recorded"


async def run_schedule(
    rig: Rig,
    main: AnyClient,
    rng: random.Random,
    ledger: Ledger,
    sleeps: list[float],
    operations: int,
) -> None:
    """Run ``operations`` calls, injecting the planned fault before each; check each outcome."""
    short = main.with_options(timeout=SHORT_TIMEOUT)
    names = list(WEIGHTS)
    weights = [WEIGHTS[name] for name in names]
    for index in range(operations):
        operation = rng.choices(names, weights)[0]
        if operation == "delete" and not ledger.live_created:
            operation = "get"
        token = f"w{index:04d}-{rng.getrandbits(32):08x}"
        fault = plan_fault(rng, operation)
        client = main
        if fault is not None:
            rig.fake.inject(
                operation,
                status=fault.status,
                times=fault.times,
                retry_after=(
                    email.utils.formatdate(time.time() + DATE_SECONDS, usegmt=True)
                    if fault.retry_after == DATE_AHEAD
                    else fault.retry_after
                ),
                delay=fault.delay,
                disconnect=fault.disconnect,
            )
            ledger.calls_with_a_fault += 1
            ledger.faults_injected += fault.times
            ledger.faults_by_kind[fault.kind] += fault.times
            if fault.kind == "long-delay":
                client = short
        expected = expected_error(operation, fault)
        if operation == "delete":
            victim, victim_name = ledger.live_created.pop()

            def action(client: AnyClient = client, victim: str = victim) -> Any:
                return client.delete_store(victim)

        else:
            action = make_call(rig, client, operation, token)
        label = f"#{index} {operation} under {fault}"
        slept_before = len(sleeps)
        started = time.monotonic()
        failure: DurableStoresError | None = None
        result: Any = None
        try:
            result = await settle(action())
        except DurableStoresError as error:
            failure = error
        elapsed = time.monotonic() - started
        if failure is not None:
            assert expected is not None, f"{label}: unexpected {failure!r}"
            assert type(failure) is expected, f"{label}: {type(failure).__name__}, not {expected}"
            if isinstance(failure, APITimeoutError):
                ledger.timeouts.append(elapsed)
            ledger.outcomes[f"{operation}: {type(failure).__name__}"] += 1
            if operation in WRITES:
                ambiguous = isinstance(failure, APIConnectionError)
                bucket = ledger.failed_ambiguous if ambiguous else ledger.failed_not_applied
                bucket[operation].add(token)
            if operation == "delete":
                ledger.delete_failed[victim] = victim_name
        else:
            assert expected is None, f"{label}: succeeded, expected {expected}"
            ledger.outcomes[f"{operation}: ok"] += 1
            if operation in WRITES:
                ledger.written_ok[operation].add(token)
            if operation == "create":
                ledger.live_created.append((result.id, result.name))
            if operation == "delete":
                ledger.deleted[victim] = victim_name
        slept = sleeps[slept_before:]
        assert len(slept) == expected_sleeps(operation, fault), f"{label}: slept {slept}"
        ledger.retries_expected += expected_sleeps(operation, fault)
        if fault is not None and fault.kind == "429":
            if fault.retry_after == DATE_AHEAD:  # whole seconds on the wire, minus time spent
                assert all(DATE_SECONDS - 3 <= wait <= DATE_SECONDS for wait in slept), slept
            else:
                assert slept == [fault.retry_after] * len(slept), f"{label}: Retry-After ignored"


def report(
    rig: Rig,
    ledger: Ledger,
    sleeps: list[float],
    operations: int,
    flavour: str,
    reliability_figures: ReliabilityFigures,
) -> None:
    """Check the run's invariants against what the stores hold; record the figures."""
    figures = verify_exactly_once(rig, ledger)
    for elapsed in ledger.timeouts:
        # A behavioural bound with a generous margin: a timed-out write gives up after about
        # one timeout; it neither waits for the server's delay nor retries.
        assert elapsed < SHORT_TIMEOUT + 2.0, f"APITimeoutError only after {elapsed:.2f}s"

    requests = [entry for entry in rig.fake.requests if entry.operation != "health"]
    injected_answers = ledger.faults_injected - ledger.faults_by_kind["short-delay"]
    injected_answers -= ledger.faults_by_kind["long-delay"]
    assert sum(1 for entry in requests if entry.fault) == injected_answers, (
        "every injected status and disconnect was consumed by the call it was meant for"
    )
    unexpected_5xx = [
        entry for entry in requests if entry.status and entry.status >= 500 and not entry.fault
    ]
    # Every POST carries an Idempotency-Key; a retry reuses its call's key, and a key is never
    # shared by two different requests.
    by_key: dict[str, set[tuple[str, str]]] = {}
    attempts_per_key: Counter[str] = Counter()
    for entry in requests:
        if entry.method != "POST":
            continue
        assert entry.idempotency_key, f"POST without an Idempotency-Key: {entry}"
        by_key.setdefault(entry.idempotency_key, set()).add((entry.path, repr(entry.body)))
        attempts_per_key[entry.idempotency_key] += 1
    assert all(len(requests_) == 1 for requests_ in by_key.values()), "a key reused across calls"
    retried_with_same_key = sum(1 for n in attempts_per_key.values() if n > 1)
    assert retried_with_same_key > 0
    reliability_figures.set(
        SECTION if flavour == "sync" else f"{SECTION}_{flavour}",
        seed=SEED,
        operations=operations,
        fault_rate=FAULT_RATE,
        calls_with_a_fault=ledger.calls_with_a_fault,
        faults_injected=ledger.faults_injected,
        retries_taken=len(sleeps),
        requests_sent=len(requests),
        timeouts_raised=len(ledger.timeouts),
        longest_timeout_seconds=round(max(ledger.timeouts, default=0.0), 3),
        client_timeout_seconds=SHORT_TIMEOUT,
        server_5xx_not_injected=len(unexpected_5xx),
        post_calls_retried_with_the_same_key=retried_with_same_key,
        **figures,
        **{f"faults_{kind}": n for kind, n in sorted(ledger.faults_by_kind.items())},
        **{f"outcome {key}": n for key, n in sorted(ledger.outcomes.items())},
    )
    assert not unexpected_5xx, unexpected_5xx[:3]
    # No sleep outside a call's own retries; and the seeded schedule does make them retry.
    assert len(sleeps) == ledger.retries_expected
    assert ledger.retries_expected > 0, "the schedule must make the clients retry"
    assert figures["writes_lost"] == 0
    assert figures["writes_duplicated"] == 0
    assert figures["writes_applied_after_a_not_applied_error"] == 0
    assert figures["rows_without_a_write"] == 0


def verify_exactly_once(rig: Rig, ledger: Ledger) -> dict[str, int]:
    """Count what the stores hold against the ledger; return the exactly-once figures."""
    with Client(rig.url) as client:
        return _count(rig, ledger, client)


def _count(rig: Rig, ledger: Ledger, client: Client) -> dict[str, int]:
    rows = client.query_store(rig.sqlite_id, sql="SELECT token FROM log ORDER BY id").rows
    events = client.command_store(rig.redis_id, command=["LRANGE", "events", "0", "-1"]).result
    assert isinstance(events, list)
    stores = client.list_stores()
    for store_id in ledger.deleted:
        with pytest.raises(NotFoundError):
            client.get_store(store_id)
    present = {
        "execute": Counter(row["token"] for row in rows),
        "command": Counter(events),
        "create": Counter(store.name for store in stores if store.name.startswith("w")),
    }
    deleted_names = set(ledger.deleted.values())
    uncertain_names = set(ledger.delete_failed.values())
    lost = duplicated = refused_applied = phantom = ambiguous_applied = ambiguous_absent = 0
    for operation in WRITES:
        counts = present[operation]
        duplicated += sum(n - 1 for n in counts.values() if n > 1)
        ok = ledger.written_ok[operation]
        refused = ledger.failed_not_applied[operation]
        ambiguous = ledger.failed_ambiguous[operation]
        if operation == "create":
            # Deleted on purpose later (the delete succeeded: it was there), or a delete that
            # failed ambiguously: present or not, neither is a lost write.
            assert not (deleted_names & set(counts)), "a deleted store is back"
            ok = ok - deleted_names - uncertain_names
            counts = Counter({n: c for n, c in counts.items() if n not in uncertain_names})
        lost += len(ok - set(counts))
        refused_applied += len(refused & set(counts))
        phantom += len(set(counts) - ok - ambiguous)
        ambiguous_applied += len(ambiguous & set(counts))
        ambiguous_absent += len(ambiguous - set(counts))
    return {
        "writes_reported_ok": sum(len(tokens) for tokens in ledger.written_ok.values()),
        "writes_failed_not_applied": sum(len(t) for t in ledger.failed_not_applied.values()),
        "writes_failed_ambiguous": sum(len(t) for t in ledger.failed_ambiguous.values()),
        "writes_failed_ambiguous_applied": ambiguous_applied,
        "writes_failed_ambiguous_absent": ambiguous_absent,
        "writes_lost": lost,
        "writes_duplicated": duplicated,
        "writes_applied_after_a_not_applied_error": refused_applied,
        "rows_without_a_write": phantom,
    }


@pytest.mark.parametrize("operation", ["execute", "get"])
def test_a_timeout_raises_api_timeout_error_within_the_timeout_plus_a_margin(
    rig: Rig, operation: str
) -> None:
    """A write gives up after one timeout; a read after ``max_retries + 1`` of them (backoff
    sleeps are injected). The margin is generous: this bounds behaviour (no hang, no waiting
    for the server's delay), it does not measure speed."""
    timeout = 0.25
    attempts = 1 if operation == "execute" else MAX_RETRIES + 1
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 0.5)
    rig.fake.inject(operation, delay=3.0, times=attempts)
    with Client(rig.url, timeout=timeout, max_retries=MAX_RETRIES, retry_policy=policy) as client:
        call = (
            (
                lambda: client.execute_store(
                    rig.sqlite_id, sql="INSERT INTO log (token) VALUES ('t')"
                )
            )
            if operation == "execute"
            else (lambda: client.get_store(rig.sqlite_id))
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            call()
        elapsed = time.monotonic() - started
    assert elapsed >= timeout * attempts * 0.9, "gave up before the timeout"
    assert elapsed < timeout * attempts + 2.0, f"took {elapsed:.2f}s"
    assert len(sleeps) == attempts - 1
    assert str(timeout) in str(caught.value) or "timed out" in str(caught.value).lower()
