"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graph_api.auth.roles import Principal
from graph_api.errors import AuthenticationError, ValidationError
from graph_api.events import Broker
from graph_api.loaders import LineageKey, Loaders
from graph_api.secrets import SecretBox
from graph_api.services.catalog import CatalogService
from graph_api.services.identity import IdentityService
from graph_api.services.lineage import LineageService
from graph_api.services.sources import ConnectorPool, SourceService
from graph_api.settings import Settings
from graph_api.store.client import Store

# A request's nested lineage walks may hold this many times CLEW_LINEAGE_MAX_NODES in all.
LINEAGE_BUDGET_FACTOR = 10


@dataclass
class Context:
    settings: Settings
    store: Store
    # The signed-in user; None until someone signs in (then only `login` answers).
    principal: Principal | None
    identity: IdentityService
    request_id: str
    broker: Broker
    secret_box: SecretBox
    connectors: ConnectorPool
    # Who is acting, for the audit trail: the principal's username.
    actor: str = field(init=False)
    loaders: Loaders = field(init=False)
    catalog: CatalogService = field(init=False)
    lineage: LineageService = field(init=False)
    sources: SourceService = field(init=False)
    request: Any = None
    response: Any = None
    # The graphql-transport-ws connection_init payload (WebSocket only).
    connection_params: dict[str, Any] | None = None
    # Why the presented token was refused, told to the caller by any field that needs one.
    auth_error: AuthenticationError | None = None
    # Nested `upstream`/`downstream` under a page of tables or fields each walk up to their
    # maxNodes: together they may not exceed this many nodes per request.
    lineage_nodes_requested: int = field(default=0, init=False)
    _lineage_roots: set[LineageKey] = field(default_factory=set, init=False)
    # The token a WebSocket signed in with: its operations share this context, so each one
    # checks it again (a user disabled or demoted meanwhile loses their rights at once).
    ws_authorization: str | None = None

    def __post_init__(self) -> None:
        self.sign_in(self.principal)

    async def recheck_sign_in(self) -> None:
        if self.ws_authorization is None:
            return
        principal, self.auth_error = await self.identity.try_authenticate(self.ws_authorization)
        if principal != self.principal:
            self.sign_in(principal)

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

    def sign_in(self, principal: Principal | None) -> None:
        """Acts for this principal from now on (a WebSocket signs in after it connects)."""
        self.principal = principal
        self.actor = principal.username if principal else "anonymous"
        self.loaders = Loaders.create(self.store)
        self.catalog = CatalogService(self.store, actor=self.actor, broker=self.broker)
        self.lineage = LineageService(self.store, actor=self.actor, broker=self.broker)
        self.sources = SourceService(
            self.store,
            actor=self.actor,
            secret_box=self.secret_box,
            pool=self.connectors,
            broker=self.broker,
            test_timeout=self.settings.connection_test_timeout,
        )


Info = StrawberryInfo[Context, None]
