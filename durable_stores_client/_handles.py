"""Store handles: a client and one store, so calls stop repeating ``store.id``.

``client.store(...)`` returns a :class:`StoreHandle` (``AsyncClient``: an
:class:`AsyncStoreHandle`). Each of its methods is one call of the client's
public operations with the store's id filled in (``query`` is
``query_store``, ``command`` is ``command_store``, ...): the same request
building, retries and errors, and no request path of its own.

:func:`handle_target` checks ``client.store()``'s arguments for both clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from . import _requests
from ._models import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._client import AsyncClient, Client
    from ._models import CommandArgument, ExecuteResult, QueryResult

__all__ = ["AsyncStoreHandle", "HandleTarget", "StoreHandle", "handle_target"]


class HandleTarget(NamedTuple):
    """What ``client.store(...)`` was asked for: a known store id, or a create body.

    Attributes:
        store_id: The id, when the call named the store (a :class:`Store` or
            ``id=``); None when it asked to get or create one by name.
        body: The validated create body (``name``, ``kind``, ...) otherwise.
    """

    store_id: str | None
    body: dict[str, Any] | None


def handle_target(
    store: object,
    *,
    id: object,
    name: object,
    kind: object,
    config: object,
    sandbox: object,
    extra_fields: object,
) -> HandleTarget:
    """Check ``client.store()``'s arguments: exactly one of a store, ``id=``, or ``name=``.

    Raises:
        TypeError: None or more than one of them, or a wrong type.
        ValueError: A blank id or name, or an unknown kind.
    """
    creating = any(value is not None for value in (name, kind, config, sandbox, extra_fields))
    given = [label for label, value in (("a Store", store), ("id=", id)) if value is not None]
    if creating:
        given.append("name=/kind=")
    if len(given) != 1:
        raise TypeError(
            "store() takes one of: a Store, id='<store id>', or name='notes', kind='sqlite' "
            f"(get or create by name); got {' and '.join(given) if given else 'none of them'}"
        )
    if store is not None:
        if not isinstance(store, Store):
            hint = " (pass id= for a store id)" if isinstance(store, str) else ""
            raise TypeError(f"store() takes a Store, got {type(store).__name__}{hint}")
        return HandleTarget(store.id, None)
    if id is not None:
        if not isinstance(id, str):
            raise TypeError(f"store() id must be a str, got {type(id).__name__}")
        _requests.store_path("store", id)  # the same id checks as every operation
        return HandleTarget(str(id), None)
    body = _requests.create_body(
        "store",
        None,
        name=name,
        kind=kind,
        config=config,
        sandbox=sandbox,
        extra_fields=extra_fields,
    )
    return HandleTarget(None, body)


class _Handle:
    """What both handles are: a client and a store id; equal when both are the same.

    Each handle has its own typed ``__init__`` and ``client`` (the reference docs show
    them) and its operations, with their own signatures and docstrings.
    """

    __slots__ = ("_client", "_id")

    _client: Client | AsyncClient
    _id: str
    #: The name a handle's repr and hash use (a subclass keeps its handle's).
    _name: ClassVar[str]

    @property
    def id(self) -> str:
        """The store's id."""
        return self._id

    def __eq__(self, other: object) -> bool:
        """Same client and same store id."""
        if not isinstance(other, type(self)):
            return NotImplemented
        return other._client is self._client and other._id == self._id

    def __hash__(self) -> int:
        """Hash of the store id (a handle's id and client never change)."""
        return hash((self._name, self.id))

    def __repr__(self) -> str:
        """Show the store id."""
        return f"{self._name}(id={self.id!r})"


class StoreHandle(_Handle):
    """One store on one :class:`Client`: its operations without repeating the id.

    Made by :meth:`Client.store`. Each method is the client operation named
    in its description, with this store's id: the same checks, retries and
    errors (which name that operation, e.g. ``query_store()``).

    Example:
        >>> memory = client.store(name="agent-memory", kind="sqlite")
        >>> _ = memory.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)")
        >>> memory.execute("INSERT INTO notes (body) VALUES (?)", ["hello"]).rows_affected
        1
        >>> memory.query("SELECT body FROM notes").scalar()
        'hello'
        >>> cache = client.store(name="cache", kind="redis")
        >>> cache.command("INCR", "visits")
        1

    Handles compare equal when they hold the same client and store id.
    """

    __slots__ = ()

    _name = "StoreHandle"
    _client: Client

    def __init__(self, client: Client, store_id: str) -> None:
        self._client = client
        self._id = store_id

    @property
    def client(self) -> Client:
        """The client the calls go through."""
        return self._client

    def get(self) -> Store:
        """The store's current record (:meth:`Client.get_store`)."""
        return self.client.get_store(self.id)

    def query(
        self,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> QueryResult:
        """Run a read-only SQL query (:meth:`Client.query_store`)."""
        return self.client.query_store(self.id, sql, params)

    def execute(
        self,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> ExecuteResult:
        """Run a SQL statement that changes data (:meth:`Client.execute_store`)."""
        return self.client.execute_store(self.id, sql, params)

    def command(self, *command: CommandArgument) -> Any:
        """Run a Redis command and return its reply (:meth:`Client.command_store`).

        ``cache.command("SET", "greeting", "hello")``, ``cache.command("INCRBY",
        "visits", 5)``: arguments as redis-py takes them.

        Returns:
            The reply's value (``CommandResult.result``): None for nil, an
            int, a str, a list, ...
        """
        return self.client.command_store(self.id, list(command)).result

    def delete(self, *, missing_ok: bool = False) -> None:
        """Delete the store (:meth:`Client.delete_store`)."""
        self.client.delete_store(self.id, missing_ok=missing_ok)


class AsyncStoreHandle(_Handle):
    """One store on one :class:`AsyncClient`; :class:`StoreHandle`'s methods, awaited.

    Made by ``await async_client.store(...)``.

    Example:
        >>> cache = await client.store(name="cache", kind="redis")
        >>> await cache.command("INCR", "visits")
        1
    """

    __slots__ = ()

    _name = "AsyncStoreHandle"
    _client: AsyncClient

    def __init__(self, client: AsyncClient, store_id: str) -> None:
        self._client = client
        self._id = store_id

    @property
    def client(self) -> AsyncClient:
        """The client the calls go through."""
        return self._client

    async def get(self) -> Store:
        """The store's current record (:meth:`AsyncClient.get_store`)."""
        return await self.client.get_store(self.id)

    async def query(
        self,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> QueryResult:
        """Run a read-only SQL query (:meth:`AsyncClient.query_store`)."""
        return await self.client.query_store(self.id, sql, params)

    async def execute(
        self,
        sql: str | Mapping[str, Any],
        params: list[Any] | tuple[Any, ...] | None = None,
    ) -> ExecuteResult:
        """Run a SQL statement that changes data (:meth:`AsyncClient.execute_store`)."""
        return await self.client.execute_store(self.id, sql, params)

    async def command(self, *command: CommandArgument) -> Any:
        """Run a Redis command and return its reply's value (see :meth:`StoreHandle.command`)."""
        return (await self.client.command_store(self.id, list(command))).result

    async def delete(self, *, missing_ok: bool = False) -> None:
        """Delete the store (:meth:`AsyncClient.delete_store`)."""
        await self.client.delete_store(self.id, missing_ok=missing_ok)
