"""Running checks against a target, and always cleaning up the stores they made."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

import httpx

from .._version import __version__
from ._catalogue import CHECKS
from ._cleanup import StoreLedger
from ._context import CheckContext
from ._model import (
    Check,
    CheckFailed,
    CheckResult,
    CheckSkipped,
    Difference,
    Outcome,
    not_executable_reason,
)
from ._report import Report
from ._wire import store_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from ._target import Target

__all__ = ["ContractRunner", "run_contract"]


#: How many stores ``GET /stores`` shows at most, and how often a sweep lists again.
_LIST_LIMIT = 200
_MAX_SWEEPS = 50

#: What each heavy (``large``) check does, for the reason it is skipped.
_HEAVY = {
    "routes.body-too-large": "sends a 16 MiB body",
    "routes.body-at-limit": "sends a 16 MiB body",
    "stores.list.at-most-200": "creates 201 stores",
}


class ContractRunner:
    """Runs checks against one target and deletes every store they create.

    Each check gets a fresh `CheckContext`; the stores it creates are deleted as
    soon as it ends, whatever the outcome. `close` (or leaving the ``with`` block)
    then sweeps the server once more for any store named with this run's prefix,
    so nothing is left behind even after a failure or Ctrl-C.

    Args:
        target: The server to verify.
        include_large: Also run the heavy checks: those that send 16 MiB bodies
            or create more than 200 stores.

    Attributes:
        prefix: The unique name prefix of every store this run creates
            (``contract-<random>-``).
    """

    def __init__(self, target: Target, *, include_large: bool = False):
        self.target = target
        self.include_large = include_large
        self.prefix = f"contract-{secrets.token_hex(4)}-"
        self._ledger = StoreLedger()
        self._http = httpx.Client(
            base_url=target.base_url,
            transport=target.transport,
            timeout=target.timeout,
            follow_redirects=False,
            headers={"user-agent": f"durable-stores-contract/{__version__}"},
        )
        self._closed = False
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(
            (s for s in target.secret_values() if len(s) >= 4), key=len, reverse=True
        )

    def __repr__(self) -> str:
        return f"ContractRunner(base_url={self.target.base_url!r}, prefix={self.prefix!r})"

    def __enter__(self) -> ContractRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def skip_reason(self, check: Check) -> str | None:
        """Why ``check`` cannot run against this target, or None if it can."""
        missing = sorted(check.kinds - self.target.kinds)
        if missing:
            return f"needs {' and '.join(missing)} stores; add {','.join(missing)} to --kinds"
        if check.needs_api_key and self.target.api_key is None:
            return "needs the server's API key (--api-key) to verify authentication"
        if check.large and not self.include_large:
            return f"{_HEAVY.get(check.id, 'a heavy check')}; opt in with --include-large"
        return None

    def run_check(self, check: Check) -> CheckResult:
        """Run one check and return its result; its stores are deleted before returning.

        An unexpected exception (a connection error, a client exception) is a
        failure whose detail names it. ``KeyboardInterrupt`` propagates after
        clean-up.
        """
        if self._closed:
            raise RuntimeError("this ContractRunner is closed; create a new one")
        reason = self.skip_reason(check)
        if reason is not None:
            return CheckResult(check, Outcome.SKIPPED, reason)
        context = CheckContext(
            self.target, self._http, prefix=self.prefix, check_id=check.id, ledger=self._ledger
        )
        started = time.perf_counter()
        try:
            check.run(context)
        except CheckFailed as failure:
            outcome, detail, differences = Outcome.FAILED, failure.detail, failure.differences
        except CheckSkipped as skip:
            outcome, detail, differences = Outcome.SKIPPED, skip.reason, ()
        except Exception as exc:
            # A check through Client meets the 501 of an engine the server cannot run as
            # an APIError: skipped, as for a check on the wire.
            cannot_run = not_executable_reason(getattr(exc, "status_code", None), str(exc))
            if cannot_run is not None:
                outcome, detail, differences = Outcome.SKIPPED, cannot_run, ()
            else:
                outcome, detail, differences = Outcome.FAILED, _describe(exc), ()
        else:
            outcome, detail, differences = Outcome.PASSED, "", ()
        finally:
            context.close()
        return CheckResult(
            check,
            outcome,
            self._mask(detail),
            tuple(
                Difference(d.what, self._mask(d.expected), self._mask(d.actual))
                for d in differences
            ),
            duration=time.perf_counter() - started,
        )

    def _mask(self, text: str) -> str:
        """Mask the target's literal secrets, should a server's answer echo them."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def run(
        self,
        checks: Iterable[Check] | None = None,
        *,
        strict: bool = False,
        on_result: Callable[[CheckResult], object] | None = None,
    ) -> Report:
        """Run ``checks`` (default: the whole catalogue) in order and report.

        Args:
            checks: The checks to run.
            strict: Judge the report strictly (recommended clauses count too).
            on_result: Called with each result as soon as it is known.
        """
        started = time.perf_counter()
        results: list[CheckResult] = []
        for check in CHECKS if checks is None else checks:
            result = self.run_check(check)
            results.append(result)
            if on_result is not None:
                on_result(result)
        return Report(
            results=tuple(results),
            base_url=self.target.base_url,
            kinds=tuple(sorted(self.target.kinds)),
            strict=strict,
            duration=time.perf_counter() - started,
        )

    def sweep(self) -> int:
        """Delete every store this run created that still exists; return how many.

        Finds them by the ids the run recorded and by the run's name prefix, so a
        store whose create answer could not be read is found too. The list shows
        only the 200 newest stores, so while a full listing still shows some of
        the run's stores, it lists again after deleting them.
        """
        deleted = self._delete(list(self._ledger.ids))
        tried: set[str] = set()
        for _ in range(_MAX_SWEEPS):
            records = self._list()
            found = [
                record["id"]
                for record in records
                if isinstance(record, dict)
                and str(record.get("name", "")).startswith(self.prefix)
                and isinstance(record.get("id"), str)
                and record["id"] not in tried
            ]
            tried.update(found)
            deleted += self._delete(found)
            if not found or len(records) < _LIST_LIMIT:
                break
        return deleted

    def _list(self) -> list[Any]:
        try:
            response = self._send("GET", "/stores")
            body = response.json() if response.is_success else None
        except (httpx.HTTPError, ValueError):
            return []
        records = body.get("data") if isinstance(body, dict) else None
        return records if isinstance(records, list) else []

    def _delete(self, store_ids: list[str]) -> int:
        deleted = 0
        for store_id in store_ids:
            try:
                response = self._send("DELETE", store_path(store_id))
            except httpx.HTTPError:
                continue
            if response.is_success:
                deleted += 1
            if response.is_success or response.status_code == 404:
                self._ledger.discard(store_id)
        return deleted

    def _send(self, method: str, path: str) -> httpx.Response:
        headers = {}
        if self.target.api_key is not None:
            headers["authorization"] = f"Bearer {self.target.api_key}"
        return self._http.request(method, path, headers=headers)

    @property
    def leftover_ids(self) -> tuple[str, ...]:
        """Ids of stores this run created that it could not delete (yet)."""
        return tuple(self._ledger.ids)

    def close(self) -> None:
        """Sweep up any store this run left behind, then close the HTTP connection."""
        if self._closed:
            return
        try:
            self.sweep()
        finally:
            self._closed = True
            self._http.close()


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"raised {name}: {text}" if text else f"raised {name}"


def run_contract(
    target: Target,
    checks: Iterable[Check] | None = None,
    *,
    strict: bool = False,
    include_large: bool = False,
    on_result: Callable[[CheckResult], object] | None = None,
) -> Report:
    """Run the contract suite against ``target`` and return the report.

    Every store the run creates is deleted before this returns, also when a check
    fails or the run is interrupted (``KeyboardInterrupt`` propagates after the
    clean-up).

    Args:
        target: The server to verify.
        checks: The checks to run (default: all, see `select_checks`).
        strict: Judge the report strictly: recommended clauses count too.
        include_large: Also run the heavy checks (16 MiB bodies, 201 stores).
        on_result: Called with each result as soon as it is known.

    Example:
        >>> from durable_stores_client.contract import Target, run_contract
        >>> report = run_contract(Target("http://localhost:18888"))  # doctest: +SKIP
        >>> print(report.format_table())  # doctest: +SKIP
    """
    with ContractRunner(target, include_large=include_large) as runner:
        return runner.run(checks, strict=strict, on_result=on_result)
