"""Table.history: the table's own changes and its fields', deleted fields included."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.test_catalog import create_table

HISTORY = """query ($id: ID!, $first: Int, $after: String) { table(id: $id) {
  history(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { entityType entityId action actor before after }
  } } }"""


async def test_a_tables_history_holds_its_fields_changes_even_of_a_deleted_field(
    gql: GraphQLClient,
) -> None:
    made = await create_table(
        gql, name="orders", schema="shop",
        fields=[{"name": "id", "dataType": "int"}, {"name": "note", "dataType": "text"}],
    )  # fmt: skip
    table_id = made["table"]["id"]
    other = await create_table(gql, name="other", fields=[{"name": "x"}])
    field_ids = {f["name"]: f["id"] for f in made["fields"]}
    updated = await gql(
        """mutation ($id: ID!) { updateField(id: $id, input: {description: "Order number"}) {
             __typename } }""",
        {"id": field_ids["id"]},
        actor="ed",
    )
    assert updated["updateField"]["__typename"] == "FieldSuccess"
    deleted = await gql(
        "mutation ($id: ID!) { deleteField(id: $id) { __typename } }",
        {"id": field_ids["note"]},
        actor="ed",
    )
    assert "Error" not in deleted["deleteField"]["__typename"], deleted
    await gql(
        'mutation ($id: ID!) { updateTable(id: $id, input: {description: "Orders"}) { __typename } }',
        {"id": table_id},
    )

    history = (await gql(HISTORY, {"id": table_id}))["table"]["history"]
    seen = [(c["entityType"], c["entityId"], c["action"]) for c in history["nodes"]]
    assert seen[:3] == [
        ("TABLE", table_id, "UPDATE"),
        ("FIELD", field_ids["note"], "DELETE"),
        ("FIELD", field_ids["id"], "UPDATE"),
    ]
    # Created in one transaction, so at one time.
    assert set(seen[3:]) == {
        ("TABLE", table_id, "CREATE"),
        ("FIELD", field_ids["id"], "CREATE"),
        ("FIELD", field_ids["note"], "CREATE"),
    }
    assert history["totalCount"] == 6
    assert {c["entityId"] for c in history["nodes"]} == {table_id, *field_ids.values()}
    assert other["table"]["id"] not in {c["entityId"] for c in history["nodes"]}
    assert next(c for c in history["nodes"] if c["action"] == "DELETE")["before"]["name"] == "note"

    # Paged like every list, newest first.
    first = (await gql(HISTORY, {"id": table_id, "first": 4}))["table"]["history"]
    rest = (
        await gql(HISTORY, {"id": table_id, "first": 4, "after": first["pageInfo"]["endCursor"]})
    )["table"]["history"]
    assert len(first["nodes"]) == 4 and first["pageInfo"]["hasNextPage"]
    assert first["nodes"] + rest["nodes"] == history["nodes"]
