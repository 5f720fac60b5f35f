"""Running the command line in-process as users run it (tests/ is on sys.path through its conftest).

`durable_stores` calls the published ``durable-stores`` console script: the entry point
the package declares, found with `importlib.metadata`, so a test runs exactly what the
installed command runs (its argument handling and exit code included), not a private
function.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

SCRIPT_NAME = "durable-stores"

#: The snippet a child Python runs to call the console script with ``sys.argv[1:]``.
RUN_SCRIPT_SNIPPET = (
    "from importlib.metadata import entry_points\n"
    f"entry_points(group='console_scripts')[{SCRIPT_NAME!r}].load()()\n"
)


def console_script() -> Callable[[], object]:
    """The function installed as the ``durable-stores`` console script."""
    (entry,) = entry_points(group="console_scripts", name=SCRIPT_NAME)
    script: Callable[[], object] = entry.load()
    return script


def durable_stores(argv: Sequence[str]) -> int:
    """Run ``durable-stores ARGV...`` in this process and return its exit code.

    The script reads ``sys.argv`` and ends with `SystemExit`, as the installed
    command does; ``sys.argv`` is restored afterwards.
    """
    script = console_script()
    saved = sys.argv
    sys.argv = [SCRIPT_NAME, *argv]
    try:
        script()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        raise AssertionError(f"the console script exited with {exc.code!r}") from None
    finally:
        sys.argv = saved
    raise AssertionError("the console script returned instead of exiting")
