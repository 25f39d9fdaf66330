"""Documenting tables and fields through GraphQL, against the real Neo4j."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient

CREATE_TABLE = """
mutation Create($input: CreateTableInput!) {
  createTable(input: $input) {
    __typename
    ... on CreateTableSuccess {
      table { id name schema qualifiedName kind isManual source { id } tags }
      fields { id name dataType nullable primaryKey ordinalPosition }
    }
    ... on UserError { code message field }
  }
}
"""

CREATE_SOURCE = """
mutation ($name: String!) {
  createSource(input: {name: $name, type: POSTGRESQL}) {
    ... on SourceSuccess { source { id name } }
    ... on UserError { code message }
  }
}
"""


async def create_table(gql: GraphQLClient, **input: object) -> dict:
    data = await gql(CREATE_TABLE, {"input": input})
    return data["createTable"]


async def create_source(gql: GraphQLClient, name: str) -> str:
    data = await gql(CREATE_SOURCE, {"name": name})
    return data["createSource"]["source"]["id"]


async def test_manual_table_with_three_fields_reads_back_nested(gql: GraphQLClient) -> None:
    created = await create_table(
        gql,
        name="customers",
        schema="crm",
        description="One row per customer",
        tags=["pii", "gold"],
        fields=[
            {"name": "id", "dataType": "BIGINT", "nullable": False, "primaryKey": True},
            {"name": "email", "dataType": "VARCHAR(320)"},
            {"name": "created_at", "dataType": "TIMESTAMP"},
        ],
    )
    assert created["__typename"] == "CreateTableSuccess"
    assert created["table"]["qualifiedName"] == "crm.customers"
    assert created["table"]["isManual"] is True
    assert created["table"]["source"] is None
    assert [f["ordinalPosition"] for f in created["fields"]] == [1, 2, 3]

    data = await gql(
        """query ($id: ID!) {
             table(id: $id) {
               name description tags
               fields { name dataType nullable primaryKey table { id name } }
             }
           }""",
        {"id": created["table"]["id"]},
    )
    table = data["table"]
    assert table["description"] == "One row per customer"
    assert table["tags"] == ["pii", "gold"]
    assert [f["name"] for f in table["fields"]] == ["id", "email", "created_at"]
    assert table["fields"][0]["primaryKey"] is True and table["fields"][0]["nullable"] is False
    assert {f["table"]["id"] for f in table["fields"]} == {created["table"]["id"]}


async def test_duplicate_qualified_name_is_a_conflict_only_within_one_source(
    gql: GraphQLClient,
) -> None:
    await create_table(gql, name="orders", schema="sales")
    again = await create_table(gql, name="orders", schema="sales")
    assert again["__typename"] == "ConflictError"
    assert again["code"] == "CONFLICT"
    assert "sales.orders" in again["message"] and "already exists" in again["message"]

    # The same name in another schema, or under a source, is a different table.
    assert (await create_table(gql, name="orders", schema="archive"))["__typename"] == (
        "CreateTableSuccess"
    )
    source_id = await create_source(gql, "warehouse")
    bound = await create_table(gql, name="orders", schema="sales", sourceId=source_id)
    assert bound["__typename"] == "CreateTableSuccess"
    assert bound["table"]["source"] == {"id": source_id}


async def test_invalid_input_names_the_field_and_says_what_to_do(gql: GraphQLClient) -> None:
    blank = await create_table(gql, name="   ")
    assert blank == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": "The table name cannot be empty; type a name.",
        "field": "input.name",
    }
    missing_source = await create_table(gql, name="t", sourceId="no-such-source")
    assert missing_source["__typename"] == "NotFoundError"
    assert "no-such-source" in missing_source["message"]
    assert missing_source["field"] == "input.sourceId"


async def test_create_fields_is_all_or_nothing(gql: GraphQLClient) -> None:
    table = (await create_table(gql, name="events", fields=[{"name": "id"}]))["table"]
    mutation = """
      mutation ($t: ID!, $fields: [FieldInput!]!) {
        createFields(tableId: $t, fields: $fields) {
          __typename
          ... on CreateFieldsSuccess { fields { name ordinalPosition } }
          ... on UserError { code message field }
        }
      }"""
    clash = await gql(mutation, {"t": table["id"], "fields": [{"name": "kind"}, {"name": "id"}]})
    assert clash["createFields"]["__typename"] == "ConflictError"
    assert clash["createFields"]["field"] == "fields[1].name"
    twice = await gql(mutation, {"t": table["id"], "fields": [{"name": "a"}, {"name": "a"}]})
    assert twice["createFields"]["__typename"] == "ValidationError"
    assert "appears twice" in twice["createFields"]["message"]

    fields = await gql(
        "query ($id: ID!) { table(id: $id) { fields { name } } }", {"id": table["id"]}
    )
    assert [f["name"] for f in fields["table"]["fields"]] == ["id"]

    ok = await gql(mutation, {"t": table["id"], "fields": [{"name": "kind"}, {"name": "at"}]})
    assert ok["createFields"]["fields"] == [
        {"name": "kind", "ordinalPosition": 2},
        {"name": "at", "ordinalPosition": 3},
    ]


async def test_update_and_delete_table_report_what_changed(gql: GraphQLClient) -> None:
    table = (await create_table(gql, name="stg_users", fields=[{"name": "id"}, {"name": "name"}]))[
        "table"
    ]
    updated = await gql(
        """mutation ($id: ID!) {
             updateTable(id: $id, input: {schema: "staging", description: null, tags: ["raw"]}) {
               ... on TableSuccess { table { qualifiedName description tags } }
             }
           }""",
        {"id": table["id"]},
    )
    assert updated["updateTable"]["table"] == {
        "qualifiedName": "staging.stg_users",
        "description": None,
        "tags": ["raw"],
    }
    deleted = await gql(
        """mutation ($id: ID!) {
             deleteTable(id: $id) {
               ... on DeleteTableSuccess {
                 qualifiedName deletedFieldCount deletedLineageCount deletedFieldIds
               }
             }
           }""",
        {"id": table["id"]},
    )
    assert deleted["deleteTable"]["qualifiedName"] == "staging.stg_users"
    assert deleted["deleteTable"]["deletedFieldCount"] == 2
    assert deleted["deleteTable"]["deletedLineageCount"] == 0
    field_id = deleted["deleteTable"]["deletedFieldIds"][0]
    gone = await gql(
        "query ($t: ID!, $f: ID!) { table(id: $t) { id } field(id: $f) { id } }",
        {"t": table["id"], "f": field_id},
    )
    assert gone == {"table": None, "field": None}
    again = await gql(
        "mutation ($id: ID!) { deleteTable(id: $id) { ... on UserError { code } } }",
        {"id": table["id"]},
    )
    assert again["deleteTable"] == {"code": "NOT_FOUND"}


async def test_bind_and_unbind_a_table(gql: GraphQLClient) -> None:
    source_id = await create_source(gql, "billing-db")
    table = (await create_table(gql, name="invoices"))["table"]
    bind = """mutation ($t: ID!, $s: ID!) {
      bindTableToSource(tableId: $t, sourceId: $s) {
        __typename
        ... on TableSuccess { table { isManual source { name } } }
        ... on UserError { code message }
      }
    }"""
    bound = await gql(bind, {"t": table["id"], "s": source_id})
    assert bound["bindTableToSource"]["table"] == {
        "isManual": False,
        "source": {"name": "billing-db"},
    }
    listed = await gql("query ($s: ID!) { source(id: $s) { tables { name } } }", {"s": source_id})
    assert listed["source"]["tables"] == [{"name": "invoices"}]

    # A manual table of the same name can exist while the first one is bound...
    twin = (await create_table(gql, name="invoices"))["table"]
    # ...but cannot join it in the same source.
    clash = await gql(bind, {"t": twin["id"], "s": source_id})
    assert clash["bindTableToSource"]["__typename"] == "ConflictError"

    unbound = await gql(
        """mutation ($t: ID!) { unbindTableFromSource(tableId: $t) {
             __typename ... on TableSuccess { table { isManual source { name } } }
             ... on UserError { message } } }""",
        {"t": table["id"]},
    )
    # Unbinding would give two manual tables the same name: refused, nothing changed.
    assert unbound["unbindTableFromSource"]["__typename"] == "ConflictError"
    await gql("mutation ($id: ID!) { deleteTable(id: $id) { __typename } }", {"id": twin["id"]})
    unbound = await gql(
        """mutation ($t: ID!) { unbindTableFromSource(tableId: $t) {
             ... on TableSuccess { table { isManual source { name } } } } }""",
        {"t": table["id"]},
    )
    assert unbound["unbindTableFromSource"]["table"] == {"isManual": True, "source": None}


async def test_tables_filter_and_page_with_total_count(gql: GraphQLClient) -> None:
    source_id = await create_source(gql, "lake")
    for i in range(7):
        await create_table(
            gql,
            name=f"t{i}",
            kind="VIEW" if i % 2 else "TABLE",
            tags=["finance"] if i < 3 else [],
            sourceId=source_id if i >= 5 else None,
            description="monthly revenue rollup" if i == 4 else None,
        )
    query = """query ($first: Int, $after: String, $s: ID, $manual: Boolean!, $kind: TableKind,
                      $tags: [String!], $text: String) {
      tables(first: $first, after: $after, sourceId: $s, manualOnly: $manual, kind: $kind,
             tags: $tags, text: $text) {
        totalCount pageInfo { hasNextPage endCursor } nodes { name }
      }
    }"""
    names: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"first": 3, "after": after, "manual": False}))["tables"]
        assert page["totalCount"] == 7
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == [f"t{i}" for i in range(7)]

    async def names_for(**filters: object) -> list[str]:
        page = (await gql(query, {"manual": False, **filters}))["tables"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["name"] for n in page["nodes"]]

    assert await names_for(manual=True) == ["t0", "t1", "t2", "t3", "t4"]
    assert await names_for(s=source_id) == ["t5", "t6"]
    assert await names_for(kind="VIEW") == ["t1", "t3", "t5"]
    assert await names_for(tags=["finance"], kind="TABLE") == ["t0", "t2"]
    assert await names_for(text="revenue") == ["t4"]
    assert await names_for(text="REVEN") == ["t4"]


async def test_bad_page_arguments_are_explained(gql: GraphQLClient) -> None:
    errors = await gql.errors("{ tables(first: 0) { totalCount } }")
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert "'first' must be between 1 and" in errors[0]["message"]
    errors = await gql.errors('{ tables(after: "garbage") { totalCount } }')
    assert "not one this service gave out" in errors[0]["message"]


@pytest.mark.parametrize("query", ["email", "EMAIL addr", "e-mail: (address)"])
async def test_search_ranks_tables_and_fields(gql: GraphQLClient, query: str) -> None:
    await create_table(
        gql,
        name="contacts",
        description="email addresses of customers",
        fields=[{"name": "email", "description": "primary email address"}, {"name": "phone"}],
    )
    await create_table(gql, name="unrelated", fields=[{"name": "amount"}])
    data = await gql(
        """query ($q: String!) { search(query: $q) {
             score node { __typename ... on Table { name } ... on Field { name table { name } } }
           } }""",
        {"q": query},
    )
    hits = data["search"]
    assert hits, "expected matches"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    found = {(h["node"]["__typename"], h["node"]["name"]) for h in hits}
    assert ("Field", "email") in found and ("Table", "contacts") in found
    assert ("Table", "unrelated") not in found


async def test_search_finds_words_inside_identifiers(gql: GraphQLClient) -> None:
    await create_table(gql, name="customer_orders", fields=[{"name": "CustomerID"}])
    await create_table(gql, name="inventory", fields=[{"name": "sku"}])

    async def found(query: str) -> set[str]:
        data = await gql(
            """query ($q: String!) { search(query: $q) {
                 node { ... on Table { name } ... on Field { name } } } }""",
            {"q": query},
        )
        return {hit["node"]["name"] for hit in data["search"]}

    assert await found("orders") == {"customer_orders"}
    assert await found("customer") == {"customer_orders", "CustomerID"}
    assert await found("customer_id") == {"CustomerID", "customer_orders"}
    assert await found("sku") == {"sku"}


async def test_a_page_of_search_results_is_one_statement(gql: GraphQLClient) -> None:
    for i in range(12):
        await create_table(gql, name=f"ledger_{i:02d}", fields=[{"name": f"ledger_entry_{i}"}])
    store = gql.store
    before = store.statements_sent
    data = await gql(
        """{ search(query: "ledger", limit: 20) {
             score node { ... on Table { name fields { name } } ... on Field { name } } } }"""
    )
    # The page itself, then one batch for the tables' fields.
    assert store.statements_sent - before == 2
    hits = data["search"]
    assert len(hits) == 20
    tables = [h["node"] for h in hits if "fields" in h["node"]]
    assert tables and all(len(t["fields"]) == 1 for t in tables)
    assert {h["node"]["name"] for h in hits} <= {f"ledger_{i:02d}" for i in range(12)} | {
        f"ledger_entry_{i}" for i in range(12)
    }


async def test_history_records_who_changed_what(gql: GraphQLClient) -> None:
    table = (await create_table(gql, name="ledger"))["table"]
    await gql(
        'mutation ($id: ID!) { updateTable(id: $id, input: {description: "GL"}) { __typename } }',
        {"id": table["id"]},
        actor="steward@example.com",
    )
    data = await gql(
        "query ($id: ID!) { history(entityId: $id) { totalCount nodes { action actor before after } } }",
        {"id": table["id"]},
    )
    history = data["history"]
    assert history["totalCount"] == 2
    update, create = history["nodes"]
    assert update["action"] == "UPDATE" and update["actor"] == "steward@example.com"
    assert update["before"]["description"] is None and update["after"]["description"] == "GL"
    assert create["action"] == "CREATE" and create["actor"] == "tester"


async def test_deleting_a_source_whose_table_clashes_with_a_manual_one_is_a_conflict(
    gql: GraphQLClient,
) -> None:
    source_id = await create_source(gql, "crm-db")
    await create_table(gql, name="accounts", sourceId=source_id)
    await create_table(gql, name="accounts")
    result = await gql(
        "mutation ($id: ID!) { deleteSource(id: $id) { __typename ... on UserError { message } } }",
        {"id": source_id},
    )
    assert result["deleteSource"]["__typename"] == "ConflictError"
    assert "manual table" in result["deleteSource"]["message"]


async def test_a_cursor_from_another_list_is_explained(gql: GraphQLClient) -> None:
    table = (await create_table(gql, name="t1"))["table"]
    await create_table(gql, name="t2")
    page = await gql("{ tables(first: 1) { pageInfo { endCursor } } }")
    cursor = page["tables"]["pageInfo"]["endCursor"]
    errors = await gql.errors(
        "query ($id: ID!, $after: String) { history(entityId: $id, after: $after) { totalCount } }",
        {"id": table["id"], "after": cursor},
    )
    assert errors[0]["extensions"]["code"] == "VALIDATION"
    assert "another list" in errors[0]["message"]


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("orders\u202egpj.exe", "the invisible character U+202E (right-to-left override)"),
        ("cust\u200bomers", "the invisible character U+200B (zero width space)"),
        ("ledger\x07", "the invisible character U+0007"),
        ("a\tb", "a tab"),
    ],
)
async def test_names_with_control_or_invisible_characters_are_refused(
    gql: GraphQLClient, name: str, found: str
) -> None:
    refused = await create_table(gql, name=name)
    assert refused == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": f"The table name {name!r} contains {found}; names and tags cannot hold "
        "control or invisible characters (they make one name look like another, and an export "
        "to Excel drops them): remove it.",
        "field": "input.name",
    }
    field = await create_table(gql, name="t", fields=[{"name": name}])
    assert field["__typename"] == "ValidationError" and field["field"] == "input.fields[0].name"
    tag = await create_table(gql, name="t", tags=["ok", name])
    assert tag["__typename"] == "ValidationError" and tag["field"] == "input.tags[1]"
    # Letters of every script stay welcome.
    assert (await create_table(gql, name="naïve_日本語_données"))["__typename"] == (
        "CreateTableSuccess"
    )


async def test_a_search_word_too_long_is_explained_not_an_internal_error(
    gql: GraphQLClient,
) -> None:
    await create_table(gql, name="orders")
    word = "x" * 1001
    for query in (
        "query ($q: String!) { tables(text: $q) { totalCount } }",
        "query ($q: String!) { search(query: $q) { score } }",
    ):
        errors = await gql.errors(query, {"q": word})
        assert errors[0]["extensions"]["code"] == "VALIDATION", errors
        assert errors[0]["message"] == (
            "The search text is 1,001 characters long; the limit is 1,000. Search for a few "
            "words of the name or description."
        )
    errors = await gql.errors(
        "query ($q: String!) { tables(text: $q) { totalCount } }", {"q": "y" * 300}
    )
    assert errors[0]["message"].endswith(
        "is 300 characters long; no name is longer than 255. Search for a shorter word."
    )


async def test_a_backslash_searches_for_a_backslash_not_for_everything(
    gql: GraphQLClient,
) -> None:
    await create_table(gql, name="orders")
    await create_table(gql, name="customers")

    for text in ("\\", "\\\\", "*", '"'):
        data = await gql(
            "query ($q: String!) { tables(text: $q) { totalCount nodes { name } } }", {"q": text}
        )
        assert data["tables"] == {"totalCount": 0, "nodes": []}, text
    data = await gql('{ tables(text: "ord") { totalCount } }')
    assert data["tables"]["totalCount"] == 1


async def test_each_mutation_names_the_offending_input_by_its_own_arguments(
    gql: GraphQLClient,
) -> None:
    # The service checks a list of fields and says `fields[0].name`; createField has one
    # field, called `input`, so that is what its error names.
    table = (await create_table(gql, name="audited", fields=[{"name": "id"}]))["table"]
    create_field = """
      mutation ($t: ID!, $input: FieldInput!) {
        createField(tableId: $t, input: $input) {
          __typename ... on UserError { code message field }
        }
      }"""
    blank = (await gql(create_field, {"t": table["id"], "input": {"name": " "}}))["createField"]
    assert blank == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": "The field name cannot be empty; type a name.",
        "field": "input.name",
    }
    taken = (await gql(create_field, {"t": table["id"], "input": {"name": "id"}}))["createField"]
    assert taken["__typename"] == "ConflictError" and taken["field"] == "input.name"
    missing = (await gql(create_field, {"t": "no-such-table", "input": {"name": "x"}}))[
        "createField"
    ]
    assert missing["__typename"] == "NotFoundError" and missing["field"] == "tableId"

    # createTable names the same check inside its own field list.
    listed = await create_table(gql, name="t2", fields=[{"name": "a"}, {"name": " "}])
    assert listed["__typename"] == "ValidationError" and listed["field"] == "input.fields[1].name"

    # updateField and updateTable name `input` for the changes and `id` for the entity.
    update_field = """
      mutation ($id: ID!, $input: UpdateFieldInput!) {
        updateField(id: $id, input: $input) { __typename ... on UserError { field } }
      }"""
    field_id = (
        await gql("query ($id: ID!) { table(id: $id) { fields { id } } }", {"id": table["id"]})
    )["table"]["fields"][0]["id"]
    assert (await gql(update_field, {"id": field_id, "input": {"dataType": "x" * 300}}))[
        "updateField"
    ] == {"__typename": "ValidationError", "field": "input.dataType"}
    assert (await gql(update_field, {"id": "gone", "input": {"name": "n"}}))["updateField"] == {
        "__typename": "NotFoundError",
        "field": "id",
    }
    bind = """
      mutation ($t: ID!, $s: ID!) {
        bindTableToSource(tableId: $t, sourceId: $s) { __typename ... on UserError { field } }
      }"""
    assert (await gql(bind, {"t": table["id"], "s": "no-such-source"}))["bindTableToSource"] == {
        "__typename": "NotFoundError",
        "field": "sourceId",
    }
    assert (await gql(bind, {"t": "no-such-table", "s": "no-such-source"}))[
        "bindTableToSource"
    ] == {"__typename": "NotFoundError", "field": "tableId"}
