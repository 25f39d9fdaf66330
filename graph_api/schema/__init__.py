"""The GraphQL schema: the per-domain Query, Mutation and Subscription pieces merged."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graph_api.schema.catalog import CatalogMutation, CatalogQuery
from graph_api.schema.errors import ShapeErrors
from graph_api.schema.events import CatalogSubscription
from graph_api.schema.identity import IdentityMutation, IdentityQuery
from graph_api.schema.limits import MaxLineageTraversals
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


# Strawberry's ValidationCache keys its (process-wide) cache on the document AND the rule
# classes. QueryDepthLimiter and MaxAliasesLimiter make a new rule class each time they are
# built, so building them per request (as extension factories) made every request a cache
# miss: the same document was validated again each time. Their rule classes are made once here.
_VALIDATION_RULES = (
    *QueryDepthLimiter(max_depth=15).validation_rules,
    *MaxAliasesLimiter(max_alias_count=50).validation_rules,
    MaxLineageTraversals,
)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(),
        extensions=[
            ShapeErrors,
            lambda: MaxTokensLimiter(max_token_count=20_000),
            lambda: AddValidationRules(list(_VALIDATION_RULES)),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
    )


schema = build_schema()
