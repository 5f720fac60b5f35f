"""The SQLite emulation of postgres and mysql stores, used when no real engine is there.

- postgres without the ``postgres`` extra (and no ``postgres_url``): SQLite
  with ``$1``/``%s`` placeholders translated, after a one-time warning naming
  the install command.
- mysql without ``mysql_url`` (nothing embeds MySQL): SQLite, but honest
  about it: only MySQL's ``?`` placeholders are accepted, and the MySQL-only
  constructs SQLite cannot run are refused with a 400 that says they need a
  real MySQL. Each such store is logged as emulated when it is created.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import TYPE_CHECKING, Any

from . import EngineError
from ._placeholders import foreign_placeholder, outside_literals
from .postgres import INSTALL_POSTGRES
from .sqlite import SqliteEngine

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger("durable_stores_client.fake")

NEEDS_MYSQL = "needs a real MySQL: pass mysql_url"

#: MySQL-only constructs SQLite would refuse or silently run otherwise, by what they are.
_MYSQL_ONLY = tuple(
    (re.compile(pattern, re.IGNORECASE), what)
    for pattern, what in (
        (r"\bAUTO_INCREMENT\b", "AUTO_INCREMENT"),
        (r"\bON\s+DUPLICATE\s+KEY\b", "ON DUPLICATE KEY UPDATE"),
        (r"\bINSERT\s+IGNORE\b", "INSERT IGNORE"),
        (r"\bON\s+UPDATE\s+CURRENT_TIMESTAMP\b", "ON UPDATE CURRENT_TIMESTAMP"),
        (r"\bENGINE\s*=", "ENGINE="),
        (r"^\s*(?:SHOW|DESCRIBE|DESC)\b", "SHOW/DESCRIBE"),
        (
            r"\b(NOW|CURDATE|CURTIME|SYSDATE|UTC_TIMESTAMP|UNIX_TIMESTAMP|FROM_UNIXTIME|"
            r"DATE_FORMAT|DATE_ADD|DATE_SUB|DATEDIFF|TIMESTAMPDIFF|STR_TO_DATE|LAST_INSERT_ID|"
            r"FOUND_ROWS|IF|CONCAT|CONCAT_WS|LOCATE|SUBSTRING_INDEX|FIELD|FIND_IN_SET|"
            r"JSON_OBJECT|JSON_ARRAY|JSON_UNQUOTE|JSON_CONTAINS|UUID)\s*\(",
            "MySQL's {} function",
        ),
        (r"\bINTERVAL\s+\S+\s+(?:SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|YEAR)\b", "INTERVAL arithmetic"),
        (r"\bFOR\s+UPDATE\b", "SELECT ... FOR UPDATE"),
        (r"\bREGEXP\b|\bRLIKE\b", "REGEXP"),
    )
)

_warned_postgres = False


def postgres_emulation() -> SqliteEngine:
    """A postgres store on SQLite (no postgres extra): warn once per process."""
    global _warned_postgres  # noqa: PLW0603 - a one-time warning
    if not _warned_postgres:
        _warned_postgres = True
        warnings.warn(
            "postgres stores in the fake are emulated on SQLite because the embedded PostgreSQL "
            f"is not installed: {INSTALL_POSTGRES} (or pass postgres_url=)",
            RuntimeWarning,
            stacklevel=2,
        )
    return SqliteEngine(None, translate=True, report_last_insert_rowid=False)


def mysql_refusal(sql: str) -> str | None:
    """Why the mysql emulation cannot honestly run ``sql``, or None."""
    placeholder = foreign_placeholder(sql)
    if placeholder is not None:
        return f"MySQL takes only ? placeholders, not {placeholder}"
    code = outside_literals(sql)
    for pattern, what in _MYSQL_ONLY:
        match = pattern.search(code)
        if match is not None:
            name = match.group(1).upper() if match.groups() and match.group(1) else ""
            return f"{what.format(name)} {NEEDS_MYSQL}"
    return None


class MysqlEmulation(SqliteEngine):
    """A mysql store on SQLite: ``?`` placeholders only, MySQL-only constructs refused."""

    def __init__(self) -> None:
        super().__init__(None)
        logger.info(
            "mysql store emulated on SQLite (MySQL-only SQL is refused); "
            "pass mysql_url= to run it on a real MySQL"
        )

    def query(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """As SQLite's, after refusing what only MySQL runs."""
        self._refuse(sql, "failed executing store query")
        return super().query(sql, params)

    def execute(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """As SQLite's, after refusing what only MySQL runs."""
        self._refuse(sql, "failed executing store statement")
        return super().execute(sql, params)

    @staticmethod
    def _refuse(sql: str, step: str) -> None:
        problem = mysql_refusal(sql)
        if problem is not None:
            raise EngineError(f"{step}: {problem} (this mysql store is emulated on SQLite)")
