"""Project-wide test settings.

Hypothesis explores new random examples on every local run (that is how the fuzz tests
found the fake's blocking-command hang), but CI must be repeatable: with ``CI`` set, every
property test is derandomized and keeps no example database.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
