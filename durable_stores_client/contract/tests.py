"""The contract suite as ready-made pytest tests, one per check.

Run it against your server without writing any test code::

    pytest --pyargs durable_stores_client.contract.tests \\
        --durable-stores-contract-url http://localhost:18888

Without a URL (option or ``DURABLE_STORES_CONTRACT_URL``) every test is skipped.
See `durable_stores_client.contract.pytest_plugin` for the other options.
"""

from ._pytest import pytest_checks

test_contract = pytest_checks()
