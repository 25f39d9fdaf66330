"""Reading dbt artifacts tolerantly: only the keys Clew needs, whatever else a dbt release adds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_api.dbt.artifacts import load_json, read_project
from graph_api.dbt.columns import column_flows
from graph_api.dbt.lineage import relation_parents, table_assertions
from graph_api.dbt.sql import parse_model
from graph_api.errors import ValidationError

JAFFLE = Path(__file__).parent / "fixtures" / "dbt" / "jaffle"


def _load(name: str) -> dict:
    return json.loads((JAFFLE / name).read_text())


def test_the_jaffle_project_reads_with_catalog_types_and_manifest_descriptions() -> None:
    project = read_project(_load("manifest.json"), _load("catalog.json"))
    assert project.name == "jaffle"
    assert project.adapter_type == "postgres"
    assert project.problems == []
    # Tests are no relations; models, seeds, snapshots and sources are.
    assert "test.jaffle.not_null_orders_order_id" not in project.nodes
    assert {n.resource_type for n in project.nodes.values()} == {
        "model",
        "seed",
        "snapshot",
        "source",
    }
    customers = project.nodes["model.jaffle.customers"]
    assert customers.description.startswith("One row per customer")
    assert customers.tags == ("mart",)
    # The catalog's columns, in its order, with its types; the manifest's descriptions.
    assert [(c.name, c.data_type) for c in customers.columns][:4] == [
        ("customer_id", "integer"),
        ("first_name", "text"),
        ("last_name", "text"),
        ("first_order", "date"),
    ]
    assert customers.columns[0].description == "The customer's key."
    assert project.nodes["source.jaffle.raw.raw_customers"].columns[3].tags == ("pii",)


def test_dependency_order_puts_parents_first_and_ephemeral_models_are_passed_through() -> None:
    project = read_project(_load("manifest.json"))
    order = [n.unique_id for n in project.in_dependency_order()]
    for node in project.nodes.values():
        for parent in node.depends_on:
            assert order.index(parent) < order.index(node.unique_id)
    customers = project.nodes["model.jaffle.customers"]
    assert relation_parents(project, customers) == [
        "model.jaffle.stg_customers",
        "model.jaffle.stg_orders",
        "model.jaffle.stg_payments",  # through the ephemeral int_order_payments
    ]
    ids = {uid: f"t-{uid}" for uid, n in project.nodes.items() if not n.ephemeral}
    edges = {(a.source_id, a.target_id) for a in table_assertions(project, ids)}
    assert ("t-model.jaffle.stg_payments", "t-model.jaffle.orders") in edges
    assert not any("int_order_payments" in s or "int_order_payments" in t for s, t in edges)


def test_unknown_keys_and_odd_shapes_are_ignored() -> None:
    manifest = _load("manifest.json")
    manifest["a_new_top_level_key"] = {"x": 1}
    node = manifest["nodes"]["model.jaffle.orders"]
    node["columns"] = ["not", "a", "dict"]
    node["tags"] = "one-tag"
    node["config"] = None
    del node["depends_on"]  # falls back to parent_map
    manifest["nodes"]["model.jaffle.broken"] = "not an object"
    project = read_project(manifest)
    orders = project.nodes["model.jaffle.orders"]
    assert orders.tags == ("one-tag",)
    assert orders.columns == ()
    assert orders.depends_on == ("model.jaffle.stg_orders", "model.jaffle.int_order_payments")
    assert [p.code for p in project.problems] == ["UNREADABLE_NODE"]


def test_a_manifest_written_by_dbt_test_says_what_to_run_instead() -> None:
    project = read_project(_load("manifest_tested.json"))
    [problem] = project.problems
    assert problem.code == "NO_COMPILED_CODE"
    assert "dbt compile" in problem.message and "dbt build" in problem.message


@pytest.mark.parametrize(
    ("data", "field"),
    [(b"{not json", "manifest"), (b"[1, 2]", "manifest"), (b"{}", "manifest")],
)
def test_what_is_no_manifest_is_refused_with_what_to_upload(data: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_project(load_json(data, what="manifest", field_path="manifest"))
    assert caught.value.field == field
    assert "manifest" in caught.value.message


def test_column_lineage_follows_the_compiled_sql_through_the_ephemeral_model() -> None:
    project = read_project(_load("manifest.json"), _load("catalog.json"))
    known = {
        uid: [c.name for c in node.columns]
        for uid, node in project.nodes.items()
        if not node.ephemeral
    }
    flows, outputs, problems = column_flows(project, known, parse_model)
    assert problems == []
    found = {
        (
            f.source_uid.rsplit(".", 1)[1],
            f.source_column,
            f.target_uid.rsplit(".", 1)[1],
            f.target_column,
        ): f.transformation.value
        for f in flows
    }
    assert found[("raw_customers", "id", "stg_customers", "customer_id")] == "DIRECT"
    assert found[("raw_payments", "amount", "stg_payments", "amount")] == "ETL"
    assert found[("stg_orders", "order_date", "customers", "first_order")] == "AGGREGATION"
    # __dbt__cte__int_order_payments is followed to the relation it reads.
    assert found[("stg_payments", "amount", "customers", "customer_lifetime_value")] == (
        "AGGREGATION"
    )
    assert found[("stg_payments", "payment_method", "orders", "credit_card_amount")] == (
        "CONDITIONAL"
    )
    assert not any("int_order_payments" in key[0] for key in found)
    # The snapshot's columns come from its SQL: neither manifest nor catalog lists them.
    assert outputs["snapshot.jaffle.customers_snapshot"] == [
        "customer_id",
        "first_name",
        "last_name",
        "email",
    ]


@pytest.mark.parametrize(
    ("select", "code", "named"),
    [
        (
            "select o.order_id, o.customer_id, o.order_date, o.status",
            "UNDECLARED_RELATION",
            "scratch.orders_copy",
        ),
        ("select order_id, customer_id, order_date, status", "UNRESOLVED_COLUMNS", "order_id"),
    ],
)
def test_sql_reading_a_relation_dbt_does_not_know_is_reported(
    select: str, code: str, named: str
) -> None:
    manifest = _load("manifest.json")
    node = manifest["nodes"]["model.jaffle.orders"]
    node["compiled_code"] = node["compiled_code"].replace(
        'select * from "jaffle"."analytics"."stg_orders"',
        f'{select} from "jaffle"."scratch"."orders_copy" o',
    )
    project = read_project(manifest, _load("catalog.json"))
    _, _, problems = column_flows(project, {}, parse_model)
    assert [p.code for p in problems] == [code]
    assert named in problems[0].message


def test_join_and_group_columns_are_marked_and_confidence_is_the_sql_proposals() -> None:
    project = read_project(_load("manifest.json"), _load("catalog.json"))
    known = {u: [c.name for c in n.columns] for u, n in project.nodes.items() if not n.ephemeral}
    flows, _, _ = column_flows(project, known, parse_model)
    kinds = {
        (f.source_uid.rsplit(".", 1)[1], f.source_column, f.target_column): f.transformation.value
        for f in flows
        if f.target_uid == "model.jaffle.customers"
    }
    # customers joins stg_orders on customer_id and carries no value of stg_orders.order_id.
    assert kinds[("stg_customers", "customer_id", "first_name")] == "JOIN"
    assert kinds[("stg_orders", "customer_id", "first_name")] == "GROUP_BY"
    # A column that carries the value stays a value edge, never also a JOIN edge.
    assert kinds[("stg_customers", "customer_id", "customer_id")] == "DIRECT"
    assert {f.confidence for f in flows} == {0.9}  # everything resolved

    # A column its relation does not have lowers the model's confidence, as in a SQL proposal.
    manifest = _load("manifest.json")
    node = manifest["nodes"]["model.jaffle.stg_orders"]
    node["compiled_code"] = node["compiled_code"].replace("status", "statuz", 1)
    project = read_project(manifest, _load("catalog.json"))
    flows, _, _ = column_flows(project, known, parse_model)
    scores = {f.confidence for f in flows if f.target_uid == "model.jaffle.stg_orders"}
    assert len(scores) == 1 and scores.pop() < 0.9
