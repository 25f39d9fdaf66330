"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graph_api.auth.roles import Principal
from graph_api.errors import AuthenticationError
from graph_api.events import Broker
from graph_api.loaders import Loaders
from graph_api.secrets import SecretBox
from graph_api.services.catalog import CatalogService
from graph_api.services.identity import IdentityService
from graph_api.services.lineage import LineageService
from graph_api.services.sources import ConnectorPool, SourceService
from graph_api.settings import Settings
from graph_api.store.client import Store


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
    # The token a WebSocket signed in with: its operations share this context, so each one
    # checks it again (a user disabled or demoted meanwhile loses their rights at once).
    ws_authorization: str | None = None

    def __post_init__(self) -> None:
        self.sign_in(self.principal)

    async def recheck_sign_in(self) -> None:
        if self.ws_authorization is None:
            return
        try:
            principal, self.auth_error = (
                await self.identity.authenticate(self.ws_authorization),
                None,
            )
        except AuthenticationError as exc:
            principal, self.auth_error = None, exc
        if principal != self.principal:
            self.sign_in(principal)

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
