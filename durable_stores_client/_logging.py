"""The ``durable_stores_client`` logger and the ``DURABLE_STORES_LOG`` switch.

Every attempt is logged at DEBUG (method, path, status or error, attempt,
elapsed milliseconds since the call started); retries and giving up are logged
at INFO. Log records carry the same values as ``extra`` attributes
(``method``, ``path``, ``status``, ``attempt``, ``elapsed_ms``) for structured
handlers. Nothing secret is ever logged: no headers, no bodies, no API key.

The logger has a :class:`logging.NullHandler`, so nothing is printed unless the
application configures logging, or sets ``DURABLE_STORES_LOG=debug`` (or
``info``), which makes the first client created install a stderr handler at
that level.

httpcore's DEBUG trace logs the exception of a failed exchange, and h11 quotes
the raw line it could not parse there: a server may have echoed the
``Authorization`` header into it. A filter on httpcore's loggers leaves such
quoted bytes out of those records (see :func:`._redaction.drop_quoted_bytes`).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TYPE_CHECKING

from ._redaction import drop_quoted_bytes

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ENV_LOG", "logger", "setup_from_env"]

#: The logger every message of this package goes to.
logger = logging.getLogger("durable_stores_client")
logger.addHandler(logging.NullHandler())

#: The environment variable that turns on logging to stderr.
ENV_LOG = "DURABLE_STORES_LOG"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}

#: httpcore's loggers whose DEBUG trace records quote a failed exchange's exception.
_HTTPCORE_TRACE_LOGGERS = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


def _drop_quoted_bytes(record: logging.LogRecord) -> bool:
    """Leave raw bytes quoted by h11 out of an httpcore trace record (never drops it)."""
    if isinstance(record.msg, str) and "exception=" in record.msg:
        record.msg = drop_quoted_bytes(record.msg)
    return True


for _name in _HTTPCORE_TRACE_LOGGERS:
    logging.getLogger(_name).addFilter(_drop_quoted_bytes)
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


_handler: _StderrHandler | None = None


def setup_from_env(environ: Mapping[str, str] | None = None, *, stacklevel: int = 2) -> None:
    """Apply ``DURABLE_STORES_LOG`` (``debug`` or ``info``; unset or empty: leave logging alone).

    Installs one stderr handler on the ``durable_stores_client`` logger (once)
    and sets the logger's level. Any other value warns and changes nothing.

    Args:
        environ: The environment (default ``os.environ``).
        stacklevel: The ``stacklevel`` of that warning, counted from the caller.
    """
    global _handler  # noqa: PLW0603 - one handler per process
    value = (os.environ if environ is None else environ).get(ENV_LOG, "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(
            f"{ENV_LOG}={value!r} is not 'debug' or 'info'; client logging stays off",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
        return
    if _handler is None:
        _handler = _StderrHandler()
        _handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(_handler)
    logger.setLevel(level)
