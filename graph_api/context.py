"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graph_api.events import Broker
from graph_api.loaders import Loaders
from graph_api.secrets import SecretBox
from graph_api.services.catalog import CatalogService
from graph_api.services.lineage import LineageService
from graph_api.services.sources import ConnectorPool, SourceService
from graph_api.settings import Settings
from graph_api.store.client import Store


@dataclass
class Context:
    settings: Settings
    store: Store
    # Who is acting, for the audit trail. Until authentication lands this is the
    # X-Clew-User header, or "anonymous".
    actor: str
    request_id: str
    broker: Broker
    secret_box: SecretBox
    connectors: ConnectorPool
    loaders: Loaders = field(init=False)
    catalog: CatalogService = field(init=False)
    lineage: LineageService = field(init=False)
    sources: SourceService = field(init=False)
    request: Any = None
    response: Any = None

    def __post_init__(self) -> None:
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
