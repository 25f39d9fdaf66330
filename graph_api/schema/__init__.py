"""The GraphQL schema: the per-domain Query, Mutation and Subscription pieces merged."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graph_api.errors import ClewError
from graph_api.schema.catalog import CatalogMutation, CatalogQuery
from graph_api.schema.dbt import DbtMutation
from graph_api.schema.errors import ShapeErrors
from graph_api.schema.events import CatalogSubscription
from graph_api.schema.identity import IdentityMutation, IdentityQuery
from graph_api.schema.interchange import ImportMutation, ImportQuery, ImportSubscription
from graph_api.schema.limits import RequestLimits
from graph_api.schema.lineage import LineageMutation, LineageQuery
from graph_api.schema.observability import operation_extensions
from graph_api.schema.openlineage import OpenLineageMutation, OpenLineageQuery
from graph_api.schema.origins import OriginMutation, OriginQuery
from graph_api.schema.scans import ScanMutation, ScanQuery, ScanSubscription
from graph_api.schema.sources import SourceMutation, SourceQuery, SourceSubscription
from graph_api.schema.sql_lineage import SqlLineageMutation, SqlLineageQuery

Query = merge_types(
    "Query",
    (
        CatalogQuery,
        SourceQuery,
        ScanQuery,
        LineageQuery,
        OriginQuery,
        SqlLineageQuery,
        ImportQuery,
        IdentityQuery,
        OpenLineageQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CatalogMutation,
        SourceMutation,
        ScanMutation,
        LineageMutation,
        OriginMutation,
        SqlLineageMutation,
        ImportMutation,
        IdentityMutation,
        DbtMutation,
        OpenLineageMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (CatalogSubscription, SourceSubscription, ScanSubscription, ImportSubscription),
)


class ClewSchema(strawberry.Schema):
    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        # Metrics always; tracing only while an exporter is configured (decided per operation).
        return [*super().get_extensions(sync), *operation_extensions()]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # The caller's own mistakes and refusals (invalid documents, limits, typed Clew
        # errors) are answered, not logged: logging each would copy every refused document,
        # however large, into the log. Unexpected errors are still logged (ShapeErrors logs
        # them too, with the request id).
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(e.original_error, (GraphQLError, ClewError))
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return ClewSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(),
        # RequestLimits parses and validates (with caches), under every limit Clew sets.
        extensions=[ShapeErrors, RequestLimits],
    )


schema = build_schema()
