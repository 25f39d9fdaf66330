"""The same GraphQL document is validated once, not on every request (issue 14: the validation
cache missed on every request and validation took 38% of the server's CPU)."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from graph_api.schema import schema


async def test_a_repeated_document_is_validated_once() -> None:
    document = "query Repeated { __typename }"
    first = await schema.execute(document)
    assert first.errors is None
    cache = _get_validate_cache(256)
    before = cache.cache_info()
    for _ in range(3):
        again = await schema.execute(document)
        assert again.errors is None and again.data == {"__typename": "Query"}
    after = cache.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 3


async def test_the_cached_rules_still_refuse_too_deep_a_document() -> None:
    deep = "{ " + "tables { " * 20 + "id" + " }" * 20 + " }"
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
