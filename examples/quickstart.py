"""Quick start: the synchronous client, from creating a store to deleting it.

Runs against the bundled fake server by default (no server needed). Set
``DURABLE_STORES_BASE_URL`` (and ``DURABLE_STORES_API_KEY`` if the server needs one)
to run the very same code against a real Durable Stores server.

    python examples/quickstart.py
"""

from __future__ import annotations

import os
import uuid

from durable_stores_client import Client
from durable_stores_client.fake import FakeServer


def make_client() -> Client:
    """A client for the real server when one is configured, else for an in-process fake."""
    if os.environ.get("DURABLE_STORES_BASE_URL"):
        return Client()  # reads DURABLE_STORES_BASE_URL and DURABLE_STORES_API_KEY
    return FakeServer().client()


def main() -> None:
    with make_client() as client:
        # A unique name, so running this twice against a real server never collides.
        store = client.create_store(name=f"quickstart-{uuid.uuid4().hex[:8]}", kind="sqlite")
        print(f"created store {store.name!r} ({store.kind.value}) id={store.id}")
        notes = client.store(store)  # a handle: the store's operations without its id
        try:
            notes.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            for body in ["buy milk", "write docs", "ship it"]:
                result = notes.execute("INSERT INTO notes (body) VALUES (?)", [body])
                print(f"inserted note {result.last_insert_rowid}: {body}")

            rows = notes.query("SELECT id, body FROM notes WHERE id > ? ORDER BY id", [1])
            print(f"columns: {rows.columns}")
            for row in rows:
                print(f"  {row['id']}: {row['body']}")

            count = notes.query("SELECT count(*) AS n FROM notes").scalar()
            print(f"{count} notes in total")

            # The client's own operations take the id: the same call, spelled out.
            first = client.query_store(store.id, "SELECT body FROM notes ORDER BY id")[0]
            print(f"first note: {first['body']}")

            names = [s.name for s in client.list_stores()]
            assert store.name in names
        finally:
            notes.delete()
            print(f"deleted store {store.name!r}")


if __name__ == "__main__":
    main()
