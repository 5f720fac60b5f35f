"""Agent memory on a SQLite store: conversation history and facts that survive restarts.

A small ``AgentMemory`` class an agent could use as is: ``ensure_store`` makes it safe
to start many times (the store is created once, then found by name), the schema uses
``IF NOT EXISTS``, and every value goes through bound parameters.

Runs against the bundled fake server by default; set ``DURABLE_STORES_BASE_URL``
to run it against a real server.

    python examples/agent_memory.py
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from durable_stores_client import Client
from durable_stores_client.fake import FakeServer

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY,
        session TEXT NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session, id)",
    """CREATE TABLE IF NOT EXISTS facts (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
)


class AgentMemory:
    """An agent's long-term memory, kept in one SQLite store."""

    def __init__(self, client: Client, name: str) -> None:
        self._client = client
        self.store = client.ensure_store(name=name, kind="sqlite")
        for statement in SCHEMA:
            client.execute_store(self.store.id, sql=statement)

    def add_message(self, session: str, role: str, content: str) -> int:
        """Append a message to a session; returns its id."""
        result = self._client.execute_store(
            self.store.id,
            sql="INSERT INTO messages (session, role, content) VALUES (?, ?, ?)",
            params=[session, role, content],
        )
        assert result.last_insert_rowid is not None
        return result.last_insert_rowid

    def history(self, session: str, *, last: int = 10) -> list[dict[str, Any]]:
        """The last ``last`` messages of a session, oldest first."""
        result = self._client.query_store(
            self.store.id,
            sql="""SELECT id, role, content FROM (
                       SELECT id, role, content FROM messages
                       WHERE session = ? ORDER BY id DESC LIMIT ?
                   ) ORDER BY id""",
            params=[session, last],
        )
        return list(result)

    def remember(self, key: str, value: str) -> None:
        """Store a fact, replacing an older value."""
        self._client.execute_store(
            self.store.id,
            sql="INSERT INTO facts (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params=[key, value],
        )

    def recall(self, key: str) -> str | None:
        """A fact's value, or ``None`` when the agent never learned it."""
        row = self._client.query_store(
            self.store.id, sql="SELECT value FROM facts WHERE key = ?", params=[key]
        ).first()
        return None if row is None else str(row["value"])


def make_client() -> Client:
    """A client for the real server when one is configured, else for an in-process fake."""
    if os.environ.get("DURABLE_STORES_BASE_URL"):
        return Client()
    return FakeServer().client()


def main() -> None:
    name = f"agent-memory-{uuid.uuid4().hex[:8]}"
    with make_client() as client:
        memory = AgentMemory(client, name)
        try:
            memory.add_message("s-1", "user", "My name is Ada. I prefer short answers.")
            memory.add_message("s-1", "assistant", "Got it, Ada.")
            memory.remember("user.name", "Ada")
            memory.remember("user.style", "short answers")
            memory.remember("user.style", "short answers, with examples")

            # A restart: a new AgentMemory on the same store finds everything again.
            again = AgentMemory(client, name)
            assert again.store.id == memory.store.id
            for message in again.history("s-1"):
                print(f"{message['role']:>9}: {message['content']}")
            print(f"user.name  = {again.recall('user.name')}")
            print(f"user.style = {again.recall('user.style')}")
            print(f"user.city  = {again.recall('user.city')}")
        finally:
            client.delete_store(memory.store.id)


if __name__ == "__main__":
    main()
