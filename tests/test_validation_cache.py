"""The same GraphQL document is validated once, not on every request (issue 14: the validation
cache missed on every request and validation took 38% of the server's CPU)."""

from __future__ import annotations

from graph_api.schema import schema
from graph_api.schema.limits import _cached_validate


async def test_a_repeated_document_is_validated_once() -> None:
    document = "query Repeated { __typename }"
    first = await schema.execute(document)
    assert first.errors is None
    before = _cached_validate.cache_info()
    for _ in range(3):
        again = await schema.execute(document)
        assert again.errors is None and again.data == {"__typename": "Query"}
    after = _cached_validate.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 3


async def test_the_cached_rules_still_refuse_too_deep_a_document() -> None:
    deep = "{ " + "tables { " * 20 + "id" + " }" * 20 + " }"
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors
        assert result.errors[0].extensions["code"] == "QUERY_TOO_DEEP"
