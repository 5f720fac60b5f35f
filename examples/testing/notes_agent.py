"""A tiny agent that keeps notes in a SQLite store: the code under test.

It is written the way agent code usually is: it takes a client if you give it one,
and otherwise builds its own from the environment (``DURABLE_STORES_BASE_URL``).
``test_notes_agent.py`` shows how to test both styles against the bundled fake.
"""

from __future__ import annotations

from durable_stores_client import APIError, Client


class NotesAgent:
    """Writes and reads notes in a store named ``notes``."""

    def __init__(self, client: Client | None = None, *, store_name: str = "notes") -> None:
        self.client = client if client is not None else Client()
        self.store = self.client.store(name=store_name, kind="sqlite")
        self.store.execute(
            "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        )

    def add(self, body: str) -> int:
        """Keep a note; returns its id."""
        result = self.store.execute("INSERT INTO notes (body) VALUES (?)", [body])
        assert result.last_insert_rowid is not None
        return result.last_insert_rowid

    def notes(self) -> list[str]:
        """Every note, oldest first."""
        return [str(row["body"]) for row in self.store.query("SELECT body FROM notes ORDER BY id")]

    def count_or_none(self) -> int | None:
        """How many notes there are, or ``None`` when the store cannot answer right now."""
        try:
            count = self.store.query("SELECT count(*) AS n FROM notes").scalar()
        except APIError:
            return None
        return int(count)
