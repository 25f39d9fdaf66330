"""What every resolver receives, split by lifetime.

- `Services`: built once per process at start-up (the store, the identity service with its
  sign-in throttle, the event broker, the secret box, the connector pool, the settings, and the
  catalog, lineage and source services). Services hold no caller: every method that writes is
  told who acts (`actor=`), so one instance serves every request.
- `Connection`: who is signed in. One per HTTP request, and one per WebSocket for as long as
  it stays open (a socket signs in once, in its upgrade request or connection_init).
- `Context`: one per operation: fresh DataLoaders, the lineage budget and a request id, over
  HTTP and for every operation sent over a WebSocket (queries and mutations included). Loaders
  cache what they read, so a context that outlived its operation would serve stale names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graph_api.auth.roles import Principal
from graph_api.dbt.sql import parse_model
from graph_api.errors import AuthenticationError, ValidationError
from graph_api.events import Broker
from graph_api.loaders import LineageKey, Loaders
from graph_api.secrets import SecretBox
from graph_api.services.catalog import CatalogService
from graph_api.services.connections import ConnectorPool
from graph_api.services.dbt import DbtService
from graph_api.services.identity import IdentityService
from graph_api.services.lineage import LineageService
from graph_api.services.lineage_ingest import LineageIngestService
from graph_api.services.openlineage import OpenLineageService
from graph_api.services.origins import OriginService
from graph_api.services.scans.scanner import ScanService
from graph_api.services.scans.schedules import ScheduleService
from graph_api.services.sources import SourceService
from graph_api.services.sql_lineage import SqlLineageService
from graph_api.settings import Settings
from graph_api.store.client import Store

# A request's nested lineage walks may hold this many times CLEW_LINEAGE_MAX_NODES in all.
LINEAGE_BUDGET_FACTOR = 10


@dataclass(frozen=True, kw_only=True)
class Services:
    """What lives as long as the process: built once, at start-up, shared by every request."""

    settings: Settings
    store: Store
    identity: IdentityService
    broker: Broker
    secret_box: SecretBox
    connectors: ConnectorPool
    catalog: CatalogService
    lineage: LineageService
    sources: SourceService
    lineage_ingest: LineageIngestService
    origins: OriginService
    sql_lineage: SqlLineageService
    dbt: DbtService
    openlineage: OpenLineageService
    scans: ScanService
    schedules: ScheduleService

    @classmethod
    def create(cls, settings: Settings, store: Store, *, broker: Broker | None = None) -> Services:
        broker = broker or Broker()
        secret_box = SecretBox(list(settings.secret_keys))
        connectors = ConnectorPool()
        lineage = LineageService(store, broker=broker)
        catalog = CatalogService(store, lineage=lineage, broker=broker)
        sources = SourceService(
            store,
            catalog=catalog,
            secret_box=secret_box,
            pool=connectors,
            broker=broker,
            test_timeout=settings.connection_test_timeout,
        )
        ingest = LineageIngestService(store, broker=broker)
        sql_lineage = SqlLineageService(store, ingest=ingest)
        scans = ScanService(
            store, sources=sources, catalog=catalog, broker=broker, sql_lineage=sql_lineage
        )
        return cls(
            settings=settings,
            store=store,
            identity=IdentityService(store, settings),
            broker=broker,
            secret_box=secret_box,
            connectors=connectors,
            catalog=catalog,
            lineage=lineage,
            sources=sources,
            scans=scans,
            schedules=ScheduleService(store, scans=scans),
            lineage_ingest=ingest,
            origins=OriginService(store, lineage=lineage, broker=broker),
            sql_lineage=sql_lineage,
            dbt=DbtService(
                store, ingest=ingest, catalog=catalog, broker=broker, parser=parse_model
            ),
            openlineage=OpenLineageService(store, ingest=ingest, catalog=catalog, broker=broker),
        )


@dataclass(kw_only=True)
class Connection:
    """Who is signed in, for one HTTP request or one WebSocket connection."""

    principal: Principal | None = None
    # Why the presented token was refused, told to the caller by any field that needs one.
    auth_error: AuthenticationError | None = None
    # The token a WebSocket signed in with: each of its operations checks it again, so a
    # user disabled or demoted meanwhile loses their rights at once.
    ws_authorization: str | None = None
    # The graphql-transport-ws connection_init payload (WebSocket only).
    connection_params: dict[str, Any] | None = None
    request: Any = None
    response: Any = None

    def sign_in(self, principal: Principal | None) -> None:
        self.principal = principal


class Context:
    """One operation's context: the connection's user, the process's services, and state
    that belongs to this operation alone (loaders, budgets, request id)."""

    def __init__(
        self,
        services: Services,
        connection: Connection | None = None,
        *,
        request_id: str | None = None,
    ) -> None:
        self.services = services
        self.connection = connection or Connection()
        self.request_id = request_id or uuid.uuid4().hex
        # Nested `upstream`/`downstream` under a page of tables or fields each walk up to
        # their maxNodes: together they may not exceed this many nodes per operation.
        self.lineage_nodes_requested = 0
        self._lineage_roots: set[LineageKey] = set()
        self.loaders = Loaders.create(services.store)

    def for_operation(self, *, request_id: str | None = None) -> Context:
        """A new operation on the same connection: same user, fresh loaders and budgets."""
        return Context(self.services, self.connection, request_id=request_id)

    # The process-wide services, by their short names.
    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def identity(self) -> IdentityService:
        return self.services.identity

    @property
    def broker(self) -> Broker:
        return self.services.broker

    @property
    def secret_box(self) -> SecretBox:
        return self.services.secret_box

    @property
    def connectors(self) -> ConnectorPool:
        return self.services.connectors

    # The connection's state.
    @property
    def principal(self) -> Principal | None:
        return self.connection.principal

    @property
    def auth_error(self) -> AuthenticationError | None:
        return self.connection.auth_error

    @property
    def request(self) -> Any:
        return self.connection.request

    @property
    def response(self) -> Any:
        return self.connection.response

    @property
    def connection_params(self) -> dict[str, Any] | None:
        return self.connection.connection_params

    @connection_params.setter
    def connection_params(self, value: dict[str, Any] | None) -> None:
        # Strawberry stores the connection_init payload here.
        self.connection.connection_params = value

    async def recheck_sign_in(self) -> None:
        authorization = self.connection.ws_authorization
        if authorization is None:
            return
        principal, self.connection.auth_error = await self.identity.try_authenticate(authorization)
        if principal != self.principal:
            self.sign_in(principal)

    def sign_in(self, principal: Principal | None) -> None:
        """Acts for this principal from now on (a WebSocket signs in after it connects)."""
        self.connection.sign_in(principal)

    def spend_lineage_budget(self, key: LineageKey) -> None:
        if key in self._lineage_roots:
            return  # the same walk twice is loaded once
        self._lineage_roots.add(key)
        self.lineage_nodes_requested += key.max_nodes
        budget = self.settings.lineage_max_nodes * LINEAGE_BUDGET_FACTOR
        if self.lineage_nodes_requested > budget:
            raise ValidationError(
                f"This request asks for the lineage of {len(self._lineage_roots)} or more "
                f"tables or fields, up to {self.lineage_nodes_requested:,} nodes in all; one "
                f"request may ask for {budget:,}. Ask for fewer at a time (first), lower "
                "maxNodes, or use lineageGraph for one root."
            )

    @property
    def actor(self) -> str:
        """Who is acting, for the audit trail: the principal's username."""
        principal = self.principal
        return principal.username if principal else "anonymous"

    @property
    def catalog(self) -> CatalogService:
        return self.services.catalog

    @property
    def lineage(self) -> LineageService:
        return self.services.lineage

    @property
    def sources(self) -> SourceService:
        return self.services.sources


Info = StrawberryInfo[Context, None]
