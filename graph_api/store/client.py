"""The one place that sends Cypher to Neo4j.

Every statement is named (see ``cypher.py``) and every value travels as a parameter.
Reads run as one auto-commit statement (``Store._read_once``), single-statement writes go
through ``driver.execute_query``; multi-statement units of work go through a managed write
transaction (``Store.transaction``), which the driver may retry, so the work passed to it
must be safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from typing import Any, Protocol, TypeVar

from neo4j import (
    READ_ACCESS,
    AsyncDriver,
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    AsyncTransaction,
    Bookmarks,
    Record,
    RoutingControl,
    TrustCustomCAs,
)
from neo4j.exceptions import ClientError, DriverError, Neo4jError, TransientError

from graph_api import metrics, tracing
from graph_api.errors import RateLimitedError, ValidationError
from graph_api.settings import Settings
from graph_api.store import bookmarks
from graph_api.store.cypher import CypherRegistry

T = TypeVar("T")
Row = dict[str, Any]


class BeforeCommit(Protocol):
    """Work a transaction gathers as it runs and sends once, as its last statement."""

    def __init__(self) -> None: ...

    async def flush(self, tx: Tx) -> None: ...


B = TypeVar("B", bound=BeforeCommit)
log = logging.getLogger(__name__)


@contextmanager
def _observed(statement: str) -> Iterator[None]:
    """Each statement counted and timed (/metrics) and traced, by its registry name."""
    with tracing.statement_span(statement), metrics.statement_timer(statement):
        yield


@contextmanager
def _known_bookmarks() -> Iterator[None]:
    """A bookmark the client sent back that this database does not know is the client's
    mistake (a header from another Clew, or made up), not a bug."""
    try:
        yield
    except TransientError as exc:
        if exc.code != "Neo.TransientError.Transaction.BookmarkTimeout":
            raise
        # The database member reached has not applied those writes within Neo4j's wait
        # (db.transaction.bookmark_ready_timeout, 30 s by default), even after retries.
        raise RateLimitedError(
            f"The catalog's database has not yet caught up with the write your "
            f"{bookmarks.HEADER} header names; nothing was changed. Retry in a few seconds.",
            retry_after=5.0,
        ) from None
    except ClientError as exc:
        if "Bookmark" not in (exc.code or ""):
            raise
        raise ValidationError(
            f"The {bookmarks.HEADER} header names a transaction this catalog's database does "
            "not know; send back only what a response of this Clew gave, or leave it out.",
            field=bookmarks.HEADER,
        ) from None


def _scope(routing: RoutingControl) -> tuple[str, ...]:
    """The bookmarks this request's statements must wait for; notes when it writes."""
    scope = bookmarks.current()
    if scope is None:
        return ()
    if routing is RoutingControl.WRITE:
        scope.wrote = True
    return scope.wait_for


def create_driver(settings: Settings) -> AsyncDriver:
    auth = (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None
    tls: dict[str, Any] = {}
    if settings.neo4j_trusted_ca is not None:
        # Settings allow this only with bolt:// or neo4j://: the driver refuses these
        # options on +s/+ssc URIs, whose scheme already decides encryption and trust.
        tls = {
            "encrypted": True,
            "trusted_certificates": TrustCustomCAs(str(settings.neo4j_trusted_ca)),
        }
    return AsyncGraphDatabase.driver(
        settings.bolt_uri,
        auth=auth,
        **tls,
        # Keep failures quick and visible: a dead database should not hang requests.
        connection_timeout=10.0,
        connection_acquisition_timeout=30.0,
        max_transaction_retry_time=15.0,
        user_agent="clew",
        # "Label does not exist" on an empty database is noise; deprecations still log.
        notifications_disabled_classifications=["UNRECOGNIZED"],
    )


class Tx:
    """A running write transaction that runs named statements."""

    def __init__(self, store: Store, tx: AsyncManagedTransaction | AsyncTransaction) -> None:
        self._store = store
        self._tx = tx
        # Run once the transaction has committed (e.g. publishing change events), never
        # for an attempt that the driver rolled back and retried.
        self.after_commit: list[Callable[[], None]] = []
        self._before_commit: dict[type[BeforeCommit], BeforeCommit] = {}

    def before_commit(self, kind: type[B]) -> B:
        """This transaction's one `kind` of work to send last, just before it commits (made on
        first use); a retried attempt starts with none."""
        if kind not in self._before_commit:
            self._before_commit[kind] = kind()
        work = self._before_commit[kind]
        assert isinstance(work, kind)
        return work

    async def finish(self) -> None:
        for work in self._before_commit.values():
            await work.flush(self)

    async def run(
        self, statement: str, /, *, slots: Mapping[str, Enum | int] | None = None, **params: Any
    ) -> list[Row]:
        self._store.statements_sent += 1
        with _observed(statement):
            result = await self._tx.run(self._store.cypher.render(statement, slots), params)
            return [record.data() async for record in result]


class Store:
    def __init__(
        self, driver: AsyncDriver, *, database: str | None, cypher: CypherRegistry
    ) -> None:
        self.driver = driver
        self.database = database
        self.cypher = cypher
        # Counts statements sent; tests use it to prove that DataLoaders batch.
        self.statements_sent = 0

    async def read(
        self,
        statement: str,
        /,
        *,
        slots: Mapping[str, Enum | int] | None = None,
        plain: bool = False,
        **params: Any,
    ) -> list[Row]:
        """With ``plain``, the statement returns only maps, lists and scalars (no nodes,
        relationships or paths), so the driver's walk that turns those into dicts is skipped:
        over a third of the decoding of a big lineage graph."""
        return await self._execute(statement, slots, params, RoutingControl.READ, plain=plain)

    async def write(
        self, statement: str, /, *, slots: Mapping[str, Enum | int] | None = None, **params: Any
    ) -> list[Row]:
        return await self._execute(statement, slots, params, RoutingControl.WRITE)

    async def _execute(
        self,
        statement: str,
        slots: Mapping[str, Enum | int] | None,
        params: dict[str, Any],
        routing: RoutingControl,
        *,
        plain: bool = False,
    ) -> list[Row]:
        query = self.cypher.render(statement, slots)
        self.statements_sent += 1
        wait_for = _scope(routing)
        with _observed(statement):
            if not wait_for:
                records = (
                    await self._read_once(query, params)
                    if routing is RoutingControl.READ
                    else (
                        await self.driver.execute_query(
                            query, params, database_=self.database, routing_=routing
                        )
                    ).records
                )
                if plain:
                    return [dict(record) for record in records]
                return [record.data() for record in records]
            return await self._execute_after(query, params, routing, wait_for)

    async def _read_once(self, query: str, params: dict[str, Any]) -> list[Record]:
        """A read as one auto-commit statement: one round trip to Neo4j, where a managed
        transaction (what execute_query runs) takes two, the second for its COMMIT; that is
        half the driver work of a small request. A failure the driver would retry (a replica
        gone, a leader switch) is retried the driver's way, through execute_query: a read is
        safe to run twice. Bookmarks are shared with execute_query's, so a read still sees
        this process's writes."""
        try:
            async with self.driver.session(
                database=self.database,
                default_access_mode=READ_ACCESS,
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            ) as session:
                result = await session.run(query, params)
                return (await result.to_eager_result()).records
        except (Neo4jError, DriverError) as exc:
            if not exc.is_retryable():
                raise
        records, _, _ = await self.driver.execute_query(
            query, params, database_=self.database, routing_=RoutingControl.READ
        )
        return records

    async def _execute_after(
        self, query: str, params: dict[str, Any], routing: RoutingControl, wait_for: tuple[str, ...]
    ) -> list[Row]:
        """What execute_query does, in a session that first waits for `wait_for`."""

        async def work(tx: AsyncManagedTransaction) -> list[Row]:
            result = await tx.run(query, params)
            return [record.data() async for record in result]

        with _known_bookmarks():
            async with self.driver.session(
                database=self.database,
                bookmarks=Bookmarks.from_raw_values(wait_for),
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            ) as session:
                if routing is RoutingControl.READ:
                    return await session.execute_read(work)
                return await session.execute_write(work)

    async def latest_bookmarks(self) -> list[str]:
        """The bookmarks of this process's latest commits (a request's own among them)."""
        manager = self.driver.execute_query_bookmark_manager
        return list(await manager.get_bookmarks())

    async def transaction(self, work: Callable[[Tx], Awaitable[T]], *, retry: bool = True) -> T:
        """Runs `work` in one write transaction. With `retry` (the default) the driver runs it
        again on a transient error; without, the first error is final: for a unit of work so
        large that running it twice costs more than reporting the failure (an import that
        ran out of transaction memory would only run out again)."""
        attempts: list[Tx] = []

        async def unit(tx: AsyncManagedTransaction | AsyncTransaction) -> T:
            attempts.append(Tx(self, tx))
            result = await work(attempts[-1])
            await attempts[-1].finish()
            return result

        wait_for = _scope(RoutingControl.WRITE)
        # Share the bookmark manager of execute_query so reads see this transaction's writes.
        with _known_bookmarks():
            async with self.driver.session(
                database=self.database,
                bookmarks=Bookmarks.from_raw_values(wait_for) if wait_for else None,
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            ) as session:
                if retry:
                    result = await session.execute_write(unit)
                else:
                    async with await session.begin_transaction() as tx:
                        result = await unit(tx)
                        await tx.commit()
        for callback in attempts[-1].after_commit:
            callback()
        return result

    async def run_schema(self, statement: str) -> None:
        """Run one schema statement (migrations only): auto-commit, since schema
        commands cannot share a transaction with writes."""
        self.statements_sent += 1
        with _observed("migration"):
            async with self.driver.session(database=self.database) as session:
                result = await session.run(statement)
                await result.consume()

    async def close(self) -> None:
        await self.driver.close()
