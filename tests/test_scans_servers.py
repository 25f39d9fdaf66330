"""A scan of MariaDB, FerretDB (MongoDB's protocol) and Elasticsearch through the API: the first
scan adds what the source holds, a change in the source comes back as exactly that change,
and what went away is marked missing."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest
from elasticsearch import Elasticsearch
from pymongo import MongoClient

from tests.conftest import GraphQLClient
from tests.servers import fixtures as servers
from tests.servers.fixtures import SERVERS_DIR
from tests.servers.nosql import ES_USERS
from tests.servers.nosql import ServerInfo as NoSqlInfo
from tests.servers.sql import TEST_USER
from tests.servers.sql import ServerInfo as SqlInfo
from tests.test_scans import CREATE, JOB, START, tables

mariadb, ferretdb, elasticsearch = servers.mariadb, servers.ferretdb, servers.elasticsearch
ES_ADMIN, ES_PASSWORD = "clew_admin", ES_USERS["clew_admin"][0]


async def scan(gql: GraphQLClient, source_id: str, **options: Any) -> dict[str, Any]:
    started = await gql(START, {"input": {"sourceId": source_id, **options}})
    assert started["startScan"]["__typename"] == "StartScanSuccess", started
    await gql.services.scans.wait(started["startScan"]["job"]["id"])
    job = (await gql(JOB, {"id": started["startScan"]["job"]["id"]}))["scanJob"]
    assert job["status"] == "SUCCEEDED", job
    return job["report"]


async def register(gql: GraphQLClient, source_type: str, **connection: Any) -> str:
    data = await gql(
        CREATE,
        {"input": {"name": source_type.lower(), "type": source_type, "connection": connection}},
    )
    return data["createSource"]["source"]["id"]


def _root(statements: list[str]) -> None:
    conn = pymysql.connect(
        unix_socket=str(SERVERS_DIR / "mariadb" / "mariadb.sock"),
        user=pwd.getpwuid(os.geteuid()).pw_name,
        autocommit=True,
    )
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


@pytest.fixture
def shop_db(mariadb: SqlInfo) -> Iterator[SqlInfo]:
    _root(
        [
            "DROP DATABASE IF EXISTS svc_shop",
            "CREATE DATABASE svc_shop",
            "CREATE TABLE svc_shop.items (id BIGINT PRIMARY KEY, label VARCHAR(40), price "
            "DECIMAL(8,2)) COMMENT='What we sell'",
            "CREATE TABLE svc_shop.stock (item_id BIGINT NOT NULL, qty INT)",
            "CREATE VIEW svc_shop.cheap AS SELECT id FROM svc_shop.items WHERE price < 5",
            f"GRANT SELECT, SHOW VIEW ON svc_shop.* TO '{TEST_USER}'@'%'",
        ]
    )
    yield mariadb
    _root([f"REVOKE ALL PRIVILEGES ON svc_shop.* FROM '{TEST_USER}'@'%'", "DROP DATABASE svc_shop"])


async def test_mariadb(gql: GraphQLClient, shop_db: SqlInfo) -> None:
    source_id = await register(
        gql,
        "MYSQL",
        host=shop_db.host,
        port=shop_db.port,
        database=shop_db.database,
        username=shop_db.user,
        password=shop_db.password,
    )
    first = await scan(gql, source_id, namespaces=["svc_shop"])
    assert sorted(t["qualifiedName"] for t in first["added"]) == [
        "svc_shop.cheap",
        "svc_shop.items",
        "svc_shop.stock",
    ]
    catalog = await tables(gql, source_id)
    items = {f["name"]: f for f in catalog["svc_shop.items"]["fields"]}
    assert items["price"]["dataType"] == "decimal(8,2)" and items["id"]["primaryKey"]
    assert "price" in catalog["svc_shop.cheap"]["definition"]

    _root(
        [
            "ALTER TABLE svc_shop.items DROP COLUMN label, MODIFY price DECIMAL(10,2)",
            "DROP TABLE svc_shop.stock",
        ]
    )
    again = await scan(gql, source_id, namespaces=["svc_shop"])
    (change,) = again["changed"]
    assert change["qualifiedName"] == "svc_shop.items"
    assert change["columnsRemoved"] == ["label"]
    assert change["columnsChanged"] == [
        {
            "name": "price",
            # MariaDB renumbers the columns after a dropped one.
            "before": {"dataType": "decimal(8,2)", "ordinalPosition": 3},
            "after": {"dataType": "decimal(10,2)", "ordinalPosition": 2},
        }
    ]
    assert [t["qualifiedName"] for t in again["missing"]] == ["svc_shop.stock"]
    assert (await tables(gql, source_id))["svc_shop.stock"]["missing"]


@pytest.fixture
def mongo(ferretdb: NoSqlInfo) -> Iterator[MongoClient[dict[str, Any]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(ferretdb.host, ferretdb.port)
    client.drop_database("svc_app")
    client["svc_app"]["users"].insert_many([{"_id": i, "name": f"u{i}"} for i in range(3)])
    client["svc_app"]["events"].insert_one({"kind": "login"})
    yield client
    client.drop_database("svc_app")
    client.close()


async def test_ferretdb(gql: GraphQLClient, ferretdb: NoSqlInfo, mongo: MongoClient[Any]) -> None:
    source_id = await register(
        gql, "MONGODB", host=ferretdb.host, port=ferretdb.port, database="svc_app"
    )
    first = await scan(gql, source_id, namespaces=["svc_app"])
    assert sorted(t["qualifiedName"] for t in first["added"]) == ["svc_app.events", "svc_app.users"]
    mongo["svc_app"]["users"].insert_one({"_id": 9, "name": "n", "email": "e@x"})
    mongo["svc_app"]["events"].drop()
    again = await scan(gql, source_id, namespaces=["svc_app"])
    assert [(t["qualifiedName"], t["columnsAdded"]) for t in again["changed"]] == [
        ("svc_app.users", ["email"])
    ]
    assert [t["qualifiedName"] for t in again["missing"]] == ["svc_app.events"]


@pytest.fixture
def indices(elasticsearch: NoSqlInfo) -> Iterator[Elasticsearch]:
    client = Elasticsearch(
        f"http://{elasticsearch.host}:{elasticsearch.port}", basic_auth=(ES_ADMIN, ES_PASSWORD)
    )
    names = "svc-orders,svc-users"
    client.indices.delete(index=names, ignore_unavailable=True)
    settings = {"number_of_replicas": 0, "number_of_shards": 1}
    client.indices.create(
        index="svc-orders", settings=settings, mappings={"properties": {"total": {"type": "long"}}}
    )
    client.indices.create(
        index="svc-users", settings=settings, mappings={"properties": {"name": {"type": "keyword"}}}
    )
    yield client
    client.indices.delete(index=names, ignore_unavailable=True)
    client.close()


async def test_elasticsearch(
    gql: GraphQLClient, elasticsearch: NoSqlInfo, indices: Elasticsearch
) -> None:
    source_id = await register(
        gql,
        "ELASTICSEARCH",
        host=elasticsearch.host,
        port=elasticsearch.port,
        username=ES_ADMIN,
        password=ES_PASSWORD,
    )
    first = await scan(gql, source_id, namespaces=["svc-*"])
    assert sorted(t["qualifiedName"] for t in first["added"]) == ["svc-orders", "svc-users"]
    indices.indices.put_mapping(index="svc-orders", properties={"currency": {"type": "keyword"}})
    indices.indices.delete(index="svc-users")
    again = await scan(gql, source_id, namespaces=["svc-*"])
    assert [(t["qualifiedName"], t["columnsAdded"]) for t in again["changed"]] == [
        ("svc-orders", ["currency"])
    ]
    assert [t["qualifiedName"] for t in again["missing"]] == ["svc-users"]
