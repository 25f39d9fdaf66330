"""The export reads the catalog a page at a time: whatever the page size, and however many
fields a table has, the file holds every row exactly once and in the same order."""

from __future__ import annotations

import json

import pytest

from graph_api.interchange.format import Encoding
from graph_api.services.exports import ExportService
from graph_api.services.imports import ImportService
from graph_api.store.client import Store
from tests.interchange.conftest import GOLDEN, export, import_fixed_catalog


async def test_tiny_pages_give_the_golden_export(transfer: ImportService, store: Store) -> None:
    await import_fixed_catalog(transfer, store)

    for page_size in (1, 2, 3):
        text = (await export(transfer, Encoding.JSON, page_size=page_size)).decode("utf-8")
        assert text == (GOLDEN / "catalog.json.txt").read_text(encoding="utf-8"), page_size


async def _wide_tables(store: Store) -> None:
    """Two tables of 50 fields (one field of each without a position) and, between them, a
    table without fields."""
    await store.driver.execute_query(
        """
        UNWIND ['s.a_wide', 's.b_empty', 's.c_wide'] AS qualified_name
        CREATE (t:Table {id: 'id-' + qualified_name, schema: 's',
                         name: split(qualified_name, '.')[1], qualified_name: qualified_name,
                         source_key: '__manual__', tags: []})
        WITH t WHERE t.name <> 'b_empty'
        UNWIND range(1, 50) AS i
        CREATE (t)-[:HAS_FIELD]->(:Field {id: t.id + '-f' + i, table_id: t.id,
                                          name: 'f' + right('0' + i, 2),
                                          ordinal_position: CASE i WHEN 25 THEN null
                                                            ELSE 51 - i END})
        """,
        database_=store.database,
    )


def _in_order(table: str) -> list[tuple[str, str, int | None]]:
    by_position = [(table, f"f{i:02}", 51 - i) for i in range(50, 0, -1) if i != 25]
    return [*by_position, (table, "f25", None)]  # no position: after the others


@pytest.mark.parametrize("page_size", [7, 50, 1000])
async def test_a_table_wider_than_a_page_is_exported_whole_and_in_order(
    transfer: ImportService, store: Store, page_size: int
) -> None:
    await _wide_tables(store)

    data = json.loads(await export(transfer, Encoding.JSON, page_size=page_size))

    fields = [(f["table"], f["name"], f["ordinal_position"]) for f in data["fields"]]
    assert fields == _in_order("a_wide") + _in_order("c_wide")
    assert [t["name"] for t in data["tables"]] == ["a_wide", "b_empty", "c_wide"]


async def test_no_piece_of_the_stream_holds_more_fields_than_a_page(
    transfer: ImportService, store: Store
) -> None:
    # Pages used to hold whole tables, so a catalog of wide tables came as one huge piece.
    await _wide_tables(store)

    stream = await ExportService(store).export(Encoding.JSON, page_size=7)
    pieces = [piece async for piece in stream]

    per_piece = [piece.count(b'"ordinal_position"') for piece in pieces]
    assert sum(per_piece) == 100
    assert max(per_piece) == 7
