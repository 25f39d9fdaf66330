"""The GraphQL schema: the per-domain Query, Mutation and Subscription pieces merged."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graph_api.schema.catalog import CatalogMutation, CatalogQuery
from graph_api.schema.errors import ShapeErrors
from graph_api.schema.events import CatalogSubscription
from graph_api.schema.identity import IdentityMutation, IdentityQuery
from graph_api.schema.limits import RequestLimits
from graph_api.schema.lineage import LineageMutation, LineageQuery
from graph_api.schema.sources import SourceMutation, SourceQuery, SourceSubscription
from graph_api.schema.transfer import TransferMutation, TransferQuery, TransferSubscription

Query = merge_types(
    "Query", (CatalogQuery, SourceQuery, LineageQuery, TransferQuery, IdentityQuery)
)
Mutation = merge_types(
    "Mutation",
    (CatalogMutation, SourceMutation, LineageMutation, TransferMutation, IdentityMutation),
)
Subscription = merge_types(
    "Subscription", (CatalogSubscription, SourceSubscription, TransferSubscription)
)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(),
        # RequestLimits parses and validates (with caches), under every limit Clew sets.
        extensions=[ShapeErrors, RequestLimits],
    )


schema = build_schema()
