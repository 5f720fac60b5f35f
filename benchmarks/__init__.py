"""Benchmarks for durable-stores-client: ``python -m benchmarks [--quick] [--json FILE]``.

Six scenarios from issue 6, each comparing this SDK with a baseline measured in the same
run (raw httpx, ``json.loads``, the agentkernel SDK when installed, ``import httpx``).
See ``docs/benchmarks.md`` for what each ratio means and the latest full run.
"""
