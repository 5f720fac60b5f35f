"""pytest plugin: run the contract suite as tests against a server you name.

Registered through the ``pytest11`` entry point as ``durable_stores_contract``.
It only adds command line options and fixtures, and does nothing unless a test
uses them (see `durable_stores_client.contract.pytest_checks`)::

    pytest --durable-stores-contract-url http://localhost:18888 tests/test_contract.py
    pytest --pyargs durable_stores_client.contract.tests \\
        --durable-stores-contract-url http://localhost:18888

Options (each with an environment variable, used when the option is not given):

- ``--durable-stores-contract-url`` / ``DURABLE_STORES_CONTRACT_URL``: the server.
  Without it, contract tests are skipped.
- ``--durable-stores-contract-api-key`` / ``DURABLE_STORES_CONTRACT_API_KEY``.
- ``--durable-stores-contract-kinds`` / ``DURABLE_STORES_CONTRACT_KINDS``
  (default ``sqlite,redis``).
- ``--durable-stores-contract-store-config KIND=JSON`` (repeatable) /
  ``DURABLE_STORES_CONTRACT_STORE_CONFIG`` (a JSON object of kind to config).
- ``--durable-stores-contract-sandbox NAME`` / ``DURABLE_STORES_CONTRACT_SANDBOX``:
  a sandbox that exists on the server (``stores.create.sandbox-existing`` is
  skipped without it).
- ``--durable-stores-contract-strict`` / ``DURABLE_STORES_CONTRACT_STRICT=1``:
  recommended clauses fail instead of xfail.
- ``--durable-stores-contract-include-large`` /
  ``DURABLE_STORES_CONTRACT_INCLUDE_LARGE=1``: also run the heavy checks (16 MiB
  bodies, 201 stores).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest

from ._options import parse_kinds, parse_store_config
from ._target import DEFAULT_KINDS, Target

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._runner import ContractRunner

_URL = "DURABLE_STORES_CONTRACT_URL"
_API_KEY = "DURABLE_STORES_CONTRACT_API_KEY"
_KINDS = "DURABLE_STORES_CONTRACT_KINDS"
_STORE_CONFIG = "DURABLE_STORES_CONTRACT_STORE_CONFIG"
_SANDBOX = "DURABLE_STORES_CONTRACT_SANDBOX"
_STRICT = "DURABLE_STORES_CONTRACT_STRICT"
_LARGE = "DURABLE_STORES_CONTRACT_INCLUDE_LARGE"
_TRUE = ("1", "true", "yes", "on")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--durable-stores-contract-*`` options."""
    group = parser.getgroup("durable-stores-contract", "Durable Stores contract suite")
    group.addoption(
        "--durable-stores-contract-url",
        metavar="URL",
        help=f"run contract tests against the server at URL (or ${_URL}); skipped without it",
    )
    group.addoption(
        "--durable-stores-contract-api-key",
        metavar="KEY",
        help=f"the server's API key (or ${_API_KEY}); auth checks are skipped without it",
    )
    group.addoption(
        "--durable-stores-contract-kinds",
        metavar="KINDS",
        help=f"store kinds to cover, comma-separated (or ${_KINDS}; default sqlite,redis)",
    )
    group.addoption(
        "--durable-stores-contract-store-config",
        metavar="KIND=JSON",
        action="append",
        default=[],
        help=f"engine config for stores of KIND (repeatable; or ${_STORE_CONFIG} as a JSON "
        "object of kind to config)",
    )
    group.addoption(
        "--durable-stores-contract-sandbox",
        metavar="NAME",
        help=f"a sandbox that exists on the server (or ${_SANDBOX}); the check of a store "
        "tied to it is skipped without it",
    )
    group.addoption(
        "--durable-stores-contract-strict",
        action="store_true",
        default=False,
        help=f"recommended clauses fail instead of xfail (or ${_STRICT}=1)",
    )
    group.addoption(
        "--durable-stores-contract-include-large",
        action="store_true",
        default=False,
        help=f"also run the heavy checks: 16 MiB bodies, 201 stores (or ${_LARGE}=1)",
    )


def _setting(config: pytest.Config, option: str, env: str) -> Any:
    value = config.getoption(option)
    if value in (None, False, []):
        return os.environ.get(env) or None
    return value


def _flag(config: pytest.Config, option: str, env: str) -> bool:
    if config.getoption(option):
        return True
    return os.environ.get(env, "").strip().lower() in _TRUE


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the contract target in pytest's header, when one is set."""
    url = _setting(config, "durable_stores_contract_url", _URL)
    return f"durable-stores contract: {url}" if url else None


def target_from_config(config: pytest.Config) -> Target | None:
    """The `Target` the options and environment name, or None when no URL is set.

    Raises:
        pytest.UsageError: A malformed kinds list or store config.
    """
    url = _setting(config, "durable_stores_contract_url", _URL)
    if not url:
        return None
    try:
        kinds_text = _setting(config, "durable_stores_contract_kinds", _KINDS)
        kinds = parse_kinds(kinds_text) if kinds_text else frozenset(DEFAULT_KINDS)
        store_config: dict[str, Any] = {}
        env_config = os.environ.get(_STORE_CONFIG)
        if env_config:
            loaded = json.loads(env_config)
            if not isinstance(loaded, dict):
                raise ValueError(f"${_STORE_CONFIG} must be a JSON object of kind to config")
            store_config.update(loaded)
        for item in config.getoption("durable_stores_contract_store_config"):
            kind, value = parse_store_config(item)
            store_config[kind] = value
        return Target(
            str(url),
            api_key=_setting(config, "durable_stores_contract_api_key", _API_KEY),
            kinds=kinds,
            store_config=store_config,
            sandbox=_setting(config, "durable_stores_contract_sandbox", _SANDBOX),
        )
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"durable-stores contract: {exc}") from None


@pytest.fixture(scope="session")
def durable_stores_contract_target(pytestconfig: pytest.Config) -> Target:
    """The server the contract tests verify; override it to aim them elsewhere.

    Skips the requesting test when neither ``--durable-stores-contract-url`` nor
    ``DURABLE_STORES_CONTRACT_URL`` is set.
    """
    target = target_from_config(pytestconfig)
    if target is None:
        pytest.skip(
            "no contract target: pass --durable-stores-contract-url URL or set "
            f"{_URL} to run the Durable Stores contract suite"
        )
    return target


@pytest.fixture(scope="session")
def durable_stores_contract_strict(pytestconfig: pytest.Config) -> bool:
    """Whether recommended clauses fail (instead of xfail)."""
    return _flag(pytestconfig, "durable_stores_contract_strict", _STRICT)


@pytest.fixture(scope="session")
def durable_stores_contract_runner(
    durable_stores_contract_target: Target, pytestconfig: pytest.Config
) -> Iterator[ContractRunner]:
    """A `ContractRunner` for the session; it deletes every store it created at the end."""
    # Neither an optional dependency nor a cycle: a measured speed trick. The catalogue
    # costs about 32 ms to import, which every pytest run loading this plugin would pay.
    from ._runner import ContractRunner  # noqa: PLC0415 - 32 ms off every pytest start

    include_large = _flag(pytestconfig, "durable_stores_contract_include_large", _LARGE)
    with ContractRunner(durable_stores_contract_target, include_large=include_large) as runner:
        yield runner
