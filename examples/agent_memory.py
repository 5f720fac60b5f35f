"""Agent memory on a SQLite store: conversation history and facts that survive restarts.

A small ``AgentMemory`` class an agent could use as is: ``client.store(name=...)`` makes
it safe to start many times (the store is created once, then found by name), the schema
uses ``IF NOT EXISTS``, every value goes through bound parameters, and facts come back
as a typed ``Fact`` class.

Runs against the bundled fake server by default; set ``DURABLE_STORES_BASE_URL``
to run it against a real server.

    python examples/agent_memory.py
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Fact:
    """One thing the agent learned."""

    key: str
    value: str


class AgentMemory:
    """An agent's long-term memory, kept in one SQLite store."""

    def __init__(self, client: Client, name: str) -> None:
        self.store = client.store(name=name, kind="sqlite")  # get or create by name
        for statement in SCHEMA:
            self.store.execute(statement)

    def add_message(self, session: str, role: str, content: str) -> int:
        """Append a message to a session; returns its id."""
        result = self.store.execute(
            "INSERT INTO messages (session, role, content) VALUES (?, ?, ?)",
            [session, role, content],
        )
        assert result.last_insert_rowid is not None
        return result.last_insert_rowid

    def history(self, session: str, *, last: int = 10) -> list[dict[str, Any]]:
        """The last ``last`` messages of a session, oldest first."""
        result = self.store.query(
            """SELECT id, role, content FROM (
                   SELECT id, role, content FROM messages
                   WHERE session = ? ORDER BY id DESC LIMIT ?
               ) ORDER BY id""",
            [session, last],
        )
        return list(result)

    def remember(self, key: str, value: str) -> None:
        """Store a fact, replacing an older value."""
        self.store.execute(
            "INSERT INTO facts (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def recall(self, key: str) -> str | None:
        """A fact's value, or ``None`` when the agent never learned it."""
        fact = self.store.query("SELECT key, value FROM facts WHERE key = ?", [key]).first_as(Fact)
        return None if fact is None else fact.value

    def facts(self) -> list[Fact]:
        """Everything the agent learned, by key."""
        return self.store.query("SELECT key, value FROM facts ORDER BY key").rows_as(Fact)


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
            assert again.store == memory.store
            for message in again.history("s-1"):
                print(f"{message['role']:>9}: {message['content']}")
            print(f"user.name  = {again.recall('user.name')}")
            print(f"user.style = {again.recall('user.style')}")
            print(f"user.city  = {again.recall('user.city')}")
            print(f"all facts  = {[fact.key for fact in again.facts()]}")
        finally:
            memory.store.delete()


if __name__ == "__main__":
    main()
