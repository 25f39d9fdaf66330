"""Relevance-ranked search across tables and fields."""

from __future__ import annotations

from graph_api.models import Field, SearchHit, Table
from graph_api.store.client import Store
from graph_api.store.text_search import lucene_query


class SearchRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def search(self, text: str, *, limit: int) -> list[SearchHit]:
        query = lucene_query(text)
        if query is None:
            return []
        rows = await self._store.read("search/catalog", query=query, limit=limit)
        return [
            SearchHit(
                item=(Table if r["kind"] == "TABLE" else Field).from_record(r["item"]),
                score=r["score"],
            )
            for r in rows
        ]
