"""How SQL lineage finds the tables a text names in the catalog, against the real Neo4j: by
name without regard to case, through an index, after a rename too."""

from __future__ import annotations

from graph_api.store.client import Store
from tests.conftest import GraphQLClient
from tests.test_sql_lineage_api import PROPOSE, table

SQL = "INSERT INTO mart.totals (id, amount) SELECT id, amount FROM sales.{name}"


async def test_a_table_is_found_by_its_name_in_any_case_and_after_a_rename(
    gql: GraphQLClient,
) -> None:
    await table(gql, "Sales", "Orders_Raw", ["id", "amount"])
    await table(gql, "mart", "totals", ["id", "amount"])

    def edges(proposal: dict) -> set[tuple[str, str]]:
        return {(e["upstreamName"], e["downstreamName"]) for e in proposal["fieldEdges"]}

    found = await gql(PROPOSE, {"sql": SQL.format(name="ORDERS_RAW"), "indirect": False})
    assert edges(found["proposeSqlLineage"]) == {
        ("Sales.Orders_Raw.id", "mart.totals.id"),
        ("Sales.Orders_Raw.amount", "mart.totals.amount"),
    }

    listed = await gql("""query { tables(first: 10) { edges { node { id qualifiedName } } } }""")
    [orders] = [
        e["node"]["id"]
        for e in listed["tables"]["edges"]
        if e["node"]["qualifiedName"] == "Sales.Orders_Raw"
    ]
    await gql(
        """mutation ($id: ID!) { updateTable(id: $id, input: {name: "OrdersArchive"}) {
             __typename } }""",
        {"id": orders},
    )
    renamed = await gql(PROPOSE, {"sql": SQL.format(name="ordersarchive"), "indirect": False})
    assert edges(renamed["proposeSqlLineage"]) == {
        ("Sales.OrdersArchive.id", "mart.totals.id"),
        ("Sales.OrdersArchive.amount", "mart.totals.amount"),
    }
    old = await gql(PROPOSE, {"sql": SQL.format(name="orders_raw"), "indirect": False})
    [missing] = old["proposeSqlLineage"]["unresolved"]
    assert missing["name"] == "sales.orders_raw" and missing["suggestions"] == [
        "Sales.OrdersArchive"
    ]


async def test_the_lookup_by_name_is_an_index_seek(store: Store) -> None:
    _, summary, _ = await store.driver.execute_query(
        "EXPLAIN " + store.cypher.render("sql/catalog_tables", None),
        {"names": ["orders"], "source_key": None},
        database_=store.database,
    )
    plan = str(summary.plan)
    assert "NodeIndexSeek" in plan and "Table(name_lower)" in plan, plan
