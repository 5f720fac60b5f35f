"""``FakeServer``: the fake's state plus every front end."""

from __future__ import annotations

import contextlib
import copy
from typing import TYPE_CHECKING, Any

import attrs

from .._client import AsyncClient, Client
from ._engines.choice import EngineChoice
from ._handler import Handler
from ._http import HTTPFrontEnd
from ._profiles import make_profile
from ._state import State, make_fault
from ._transports import AsyncFakeTransport, FakeTransport

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator

    import respx

    from ._ids import Clock, IdSource
    from ._records import RecordedRequest, StoreRecord

#: The base URL ``client()`` and ``async_client()`` use. Never contacted: the
#: in-process transport answers whatever the host.
FAKE_BASE_URL = "http://localhost:18888"


class FakeServer:
    """An in-memory Durable Stores server for tests, reachable in-process or over HTTP.

    One state (stores and their engines, injected faults, idempotency keys,
    the request log) behind one handler; every front end
    (``client()``, ``transport()``, ``patch()``, ``serve()``) adapts its I/O to
    that handler, so they all answer exactly alike and share the same stores.

    Args:
        api_key: When set, every route but ``GET /health`` requires
            ``Authorization: Bearer <api_key>`` and answers 401 otherwise.
        data_dir: When set, SQLite stores are files under this directory (WAL,
            ``synchronous=NORMAL``, ``busy_timeout=5000``, ``foreign_keys=ON``);
            a relative ``config.path`` resolves under it and an absolute path or
            one escaping it is refused with 400. Without it, each store has its
            own private in-memory database (and ``config.path`` is nominal).
        clock: A zero-argument callable returning an *aware* ``datetime``, used
            for ``created_at``/``updated_at`` (written in UTC with 9 fractional
            digits, like the server). Default: the system clock, to the
            nanosecond.
        ids: Store ids: a zero-argument callable returning a string, or an
            iterable of strings used in order (running out is an error).
            Default: lowercase UUIDv7.
        postgres_url: Run postgres stores on this PostgreSQL server
            (``postgresql://user@host:5432/db``), one database per store, named
            with a prefix unique to this fake and dropped on delete and
            :meth:`reset`. Default: the embedded PostgreSQL (the ``postgres``
            extra), started on the first postgres store's first call; without
            the extra, an SQLite emulation (with a one-time warning).
        mysql_url: Run mysql stores on this MySQL/MariaDB server
            (``mysql://user@host:3306/db``), one database per store as above.
            Default: an SQLite emulation that takes only ``?`` placeholders and
            refuses MySQL-only SQL with a 400 saying it needs a real MySQL.
        redis_url: Run redis stores on this Redis server
            (``redis://host:6379/0``), each store on a logical database of its
            own (leased, flushed on delete and :meth:`reset`; 15 at a time on a
            default server). Default: fakeredis (the ``fake`` extra).
        connect_configs: Honour store configs as the daemon does: a postgres,
            mysql or redis store whose config names a server (``host``,
            ``port``, ``user``, ``password``, ``dbname``, ``db``) runs on that
            server, and the fake never creates nor drops its database.
        profile: The face the fake shows. ``"contract"`` (the default) answers as
            the contract says this project does; ``"agentkernel"`` reproduces the
            agentkernel server as it is today, every row of the left-hand column of
            CONTRACT.md's "Known deviations" table (a 500 on a duplicate name, writes
            run by ``query``, postgres/mysql ``params`` ignored, mysql values as
            strings and ``rows_affected`` 0, ``columns: []`` without rows, no
            idempotency, engine errors naming the step only; see
            ``docs/engines-and-fidelity.md``).
        sandboxes: The names of the sandboxes that exist: a create naming any
            other non-empty sandbox answers 400 ``sandbox '<name>' does not
            exist``, as the daemon does. Without it the contract profile stores
            any sandbox name unchecked, and the agentkernel profile knows none.

    Example:
        >>> fake = FakeServer(ids=iter(["s-1", "s-2"]))
        >>> with fake.client() as client:
        ...     store = client.create_store(name="notes", kind="sqlite")
        >>> store.id
        's-1'
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        postgres_url: str | None = None,
        mysql_url: str | None = None,
        redis_url: str | None = None,
        connect_configs: bool = False,
        profile: str = "contract",
        sandboxes: Iterable[str] | None = None,
    ) -> None:
        self._profile = make_profile(profile, sandboxes)
        engines = EngineChoice(
            postgres_url=postgres_url,
            mysql_url=mysql_url,
            redis_url=redis_url,
            connect_configs=connect_configs,
        )
        self._state = State(
            api_key=api_key, data_dir=data_dir, clock=clock, ids=ids, engines=engines
        )
        self._handler = Handler(self._state, self._profile)

    def __repr__(self) -> str:
        auth = "api_key=***" if self._state.api_key is not None else "no auth"
        face = "" if self._profile.name == "contract" else f", profile={self._profile.name}"
        return f"<FakeServer {len(self._state.stores)} stores, {auth}{face}>"

    @property
    def profile(self) -> str:
        """The face the fake shows: ``"contract"`` or ``"agentkernel"``."""
        return self._profile.name

    # -- in-process front ends ------------------------------------------

    def transport(self) -> FakeTransport:
        """An ``httpx.BaseTransport`` answering from this fake, for any ``httpx.Client``.

        Example:
            >>> import httpx
            >>> fake = FakeServer()
            >>> http = httpx.Client(base_url="http://fake", transport=fake.transport())
            >>> http.get("/health").json()
            {'success': True, 'data': 'ok'}
        """
        return FakeTransport(self._handler)

    def async_transport(self) -> AsyncFakeTransport:
        """An ``httpx.AsyncBaseTransport`` answering from this fake, for ``httpx.AsyncClient``."""
        return AsyncFakeTransport(self._handler)

    def client(self, **options: Any) -> Client:
        """A :class:`~durable_stores_client.Client` wired to this fake in-process.

        Args:
            **options: Any ``Client`` option (``api_key``, ``timeout``,
                ``max_retries``, ``headers``, ``base_url``, ...) except
                ``transport`` and ``http_client``, which the fake sets.
                ``api_key`` defaults to the fake's own key when it has one
                (pass another to test authentication failures).
        """
        return Client(**self._client_options(options), transport=self.transport())

    def async_client(self, **options: Any) -> AsyncClient:
        """An :class:`~durable_stores_client.AsyncClient` wired to this fake in-process.

        Args:
            **options: As for :meth:`client`.
        """
        return AsyncClient(**self._client_options(options), transport=self.async_transport())

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        for taken in ("transport", "http_client"):
            if taken in options:
                raise TypeError(
                    f"{taken}= cannot be combined with the fake's in-process transport; "
                    "use fake.transport() with your own httpx client instead"
                )
        defaults: dict[str, Any] = {"base_url": FAKE_BASE_URL}
        if self._state.api_key is not None:
            defaults["api_key"] = self._state.api_key
        return {**defaults, **options}

    def patch(self, base_url: str = FAKE_BASE_URL) -> respx.MockRouter:
        """Route every httpx request under ``base_url`` into this fake (built on respx).

        Covers code that builds its own ``httpx`` or SDK client. Needs respx, which the
        ``fake`` extra installs (without it, a ``ModuleNotFoundError`` names the extra). The
        returned respx router is a context manager (and a decorator); requests to other
        hosts fail as respx's unmocked requests do, unless you add routes to it.

        Example:
            >>> from durable_stores_client import Client
            >>> fake = FakeServer()
            >>> with fake.patch("http://localhost:18888"):
            ...     Client(base_url="http://localhost:18888").list_stores()
            []
        """
        try:
            from ._patch import make_router  # noqa: PLC0415 - respx (the fake extra) is optional
        except ModuleNotFoundError as exc:
            if exc.name != "respx":
                raise
            raise ModuleNotFoundError(
                'FakeServer.patch() needs respx: pip install "durable-stores-client[fake]"',
                name="respx",
            ) from None
        return make_router(self._handler, base_url)

    # -- network front end ------------------------------------------------

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve this fake over real HTTP/1.1 from a background thread.

        Keep-alive and concurrent connections are supported; on exit the
        server stops accepting, hangs up open connections and frees the port.

        Args:
            host: The address to bind (loopback by default).
            port: The port; 0 picks a free one.

        Yields:
            The base URL, such as ``"http://127.0.0.1:54321"``.
        """
        front_end = HTTPFrontEnd(self._handler, host, port)
        front_end.start()
        try:
            yield front_end.url
        finally:
            front_end.stop()

    # -- inspection and control -------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first (the last 10 000 are kept).

        Requests answered by an injected fault are included (``fault=True``),
        so retries are visible.
        """
        return list(self._state.log)

    @property
    def stores(self) -> list[StoreRecord]:
        """The current store records, oldest first (copies: changing them changes nothing)."""
        return [
            attrs.evolve(record, config=copy.deepcopy(record.config))
            for record in reversed(self._state.list_records(limit=None))
        ]

    def reset(self) -> None:
        """Delete every store and forget faults, idempotency keys and recorded requests.

        With ``data_dir``, database files stay on disk. The databases this fake
        made on PostgreSQL or MySQL servers are dropped, and its leased Redis
        databases flushed and given back.
        """
        self._state.reset()

    def inject(
        self,
        operation: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | str | None = None,
        delay: float = 0.0,
        disconnect: bool = False,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` fail, without touching state.

        Faults work the same through every front end and are consumed in the
        order they were injected.

        Args:
            operation: ``"list"``, ``"create"``, ``"get"``, ``"delete"``,
                ``"query"``, ``"execute"``, ``"command"``, or ``"*"`` for any.
            status: Answer the error envelope with this status (400-599)
                instead of running the call.
            times: How many calls the fault affects.
            retry_after: With ``status``: a ``Retry-After`` header, in seconds
                or as an HTTP date string.
            delay: Seconds to wait before answering. Alone, the call then runs
                normally (a slow server); when the client's read timeout is
                shorter, the client times out and the call is not applied.
            disconnect: Drop the connection without answering (in-process:
                ``httpx.RemoteProtocolError``); the call is not applied.
            message: With ``status``: the envelope's ``error`` (default: the
                status phrase, marked as injected).

        Raises:
            ValueError: An unknown operation or inconsistent arguments.
        """
        fault = make_fault(
            operation,
            status=status,
            times=times,
            retry_after=retry_after,
            delay=delay,
            disconnect=disconnect,
            message=message,
        )
        with self._state.lock:
            self._state.faults.append(fault)
