"""A source's password, API key or URI never leaves the service: not in GraphQL responses, not
in history, connection-test records or subscription frames, not in exports and not in logs.

Selections are built by introspecting the types, so a field added later is covered too.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import graphql
import pytest

from graph_api.interchange.format import Encoding
from graph_api.logs import JsonFormatter, configure_logging
from graph_api.schema import schema
from graph_api.services.exports import ExportService
from graph_api.store.client import Store
from tests.conftest import GraphQLClient

CLOSED_PORT = 1  # nothing listens there: every connection attempt fails at once


def selection(type_name: str, depth: int = 3) -> str:
    """Every field of a type (and of the types it holds, `depth` levels down) that takes no
    required argument."""
    named = schema._schema.get_type(type_name)
    assert named is not None, type_name
    return _select(named, depth)


def _select(named: graphql.GraphQLNamedType, depth: int) -> str:
    if isinstance(named, graphql.GraphQLUnionType):
        parts = [f"... on {t.name} {_select(t, depth)}" for t in named.types]
        return "{ __typename " + " ".join(parts) + " }"
    assert isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
    parts = []
    for name, field in named.fields.items():
        if any(
            graphql.is_non_null_type(a.type) and a.default_value is graphql.Undefined
            for a in field.args.values()
        ):
            continue
        inner = graphql.get_named_type(field.type)
        if isinstance(inner, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {_select(inner, depth - 1)}")
    return "{ " + " ".join(parts or ["__typename"]) + " }"


class Captured(logging.Handler):
    """Every record, formatted as production formats it (JSON lines) and as plain text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json = JsonFormatter()
        self.plain = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.json.format(record))
        self.lines.append(self.plain.format(record))
        if record.exc_info:
            self.lines.append(self.plain.formatException(record.exc_info))


@pytest.fixture
def logs() -> Iterator[Captured]:
    """The service's logging as CLEW_LOG_LEVEL=DEBUG configures it, captured."""
    root = logging.getLogger()
    neo4j_logger = logging.getLogger("neo4j")
    saved = (root.level, root.handlers[:], neo4j_logger.level)
    configure_logging("DEBUG")
    handler = Captured()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        neo4j_logger.setLevel(saved[2])


class Seen:
    """Everything a user, an operator or an export could read."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, value: Any) -> None:
        self.texts.append(
            (where, value if isinstance(value, str) else json.dumps(value, default=str))
        )

    def assert_free_of(self, *secrets: str) -> None:
        forms = {form for s in secrets for form in (s, quote(s, safe=""), json.dumps(s)[1:-1])}
        leaks = [
            (where, text[max(0, text.find(form) - 200) : text.find(form) + 50])
            for where, text in self.texts
            for form in forms
            if form in text
        ]
        assert not leaks, leaks


async def execute(gql: GraphQLClient, seen: Seen, where: str, query: str, **variables: Any) -> Any:
    result = await schema.execute(query, variable_values=variables, context_value=gql.context())
    seen.add(where, {"data": result.data, "errors": [e.formatted for e in result.errors or []]})
    return result


async def stored_ciphertexts(store: Store) -> list[str]:
    records, _, _ = await store.driver.execute_query(
        "MATCH (s:Source) RETURN properties(s) AS p", database_=store.database
    )
    found = [v for r in records for k, v in r["p"].items() if k.startswith("secret_") and v]
    assert found, "the secrets should be stored (encrypted) on the source"
    return found


async def test_a_postgres_password_never_leaks(
    gql: GraphQLClient, store: Store, logs: Captured
) -> None:
    password = f"S3cr3t-P@ss-{uuid.uuid4()}"
    new_password = f"N3w-S3cr3t-{uuid.uuid4()}"
    unsaved_password = f"Uns4ved-{uuid.uuid4()}"
    seen = Seen()
    result_fields = selection("SourceResult")

    created = await execute(
        gql,
        seen,
        "createSource",
        f"""mutation ($pw: String!) {{
              createSource(input: {{name: "warehouse", type: POSTGRESQL, connection: {{
                host: "127.0.0.1", port: {CLOSED_PORT}, database: "dw", username: "clew",
                password: $pw, connectTimeout: 1}}}}) {result_fields}
            }}""",
        pw=password,
    )
    source = created.data["createSource"]["source"]
    assert source["connection"]["password"] == "******"
    source_id = source["id"]

    # Subscribe before the test runs so its frame is captured too.
    frames: list[Any] = []
    subscription = await schema.subscribe(
        f"subscription ($id: ID!) {{ connectionTestResults(sourceId: $id) "
        f"{selection('ConnectionTestResult')} }}",
        variable_values={"id": source_id},
        context_value=gql.context(),
    )
    assert not isinstance(subscription, graphql.ExecutionResult), subscription

    async def first_frame() -> None:
        async for frame in subscription:  # type: ignore[union-attr]
            frames.append({"data": frame.data, "errors": [e.formatted for e in frame.errors or []]})
            return

    listener = asyncio.create_task(first_frame())
    await asyncio.sleep(0)

    tested = await execute(
        gql,
        seen,
        "testConnection",
        f"mutation ($id: ID!) {{ testConnection(sourceId: $id) {selection('TestConnectionResult')} }}",
        id=source_id,
    )
    assert tested.data["testConnection"]["result"]["success"] is False
    await asyncio.wait_for(listener, 30)
    assert frames, "the connection test should be streamed"
    seen.add("connectionTestResults frame", frames)

    await execute(
        gql,
        seen,
        "updateSource",
        f"""mutation ($id: ID!, $pw: String!) {{
              updateSource(id: $id, input: {{description: "the warehouse",
                connection: {{password: $pw}}}}) {result_fields}
            }}""",
        id=source_id,
        pw=new_password,
    )
    await execute(
        gql,
        seen,
        "testConnection after update",
        f"mutation ($id: ID!) {{ testConnection(sourceId: $id) {selection('TestConnectionResult')} }}",
        id=source_id,
    )
    await execute(
        gql,
        seen,
        "testConnectionConfig",
        f"""mutation ($pw: String!) {{
              testConnectionConfig(input: {{type: POSTGRESQL, connection: {{
                host: "127.0.0.1", port: {CLOSED_PORT}, username: "clew", password: $pw,
                connectTimeout: 1}}}}) {selection("TestConnectionResult")}
            }}""",
        pw=unsaved_password,
    )
    await execute(
        gql,
        seen,
        "source",
        f"query ($id: ID!) {{ source(id: $id) {selection('Source')} }}",
        id=source_id,
    )
    await execute(gql, seen, "sources", f"{{ sources {selection('SourceConnection')} }}")
    await execute(
        gql,
        seen,
        "connectionTests",
        f"query ($id: ID!) {{ connectionTests(sourceId: $id) {selection('ConnectionTestResultConnection')} }}",
        id=source_id,
    )
    await execute(
        gql,
        seen,
        "history",
        f"query ($id: ID!) {{ history(entityId: $id) {selection('ChangeConnection')} }}",
        id=source_id,
    )
    introspected = await execute(
        gql,
        seen,
        "introspectTable",
        f"""query ($id: ID!) {{ introspectTable(sourceId: $id, tableName: "orders")
              {selection("IntrospectedTable")} }}""",
        id=source_id,
    )
    assert introspected.errors, "introspection cannot reach a closed port"
    await execute(
        gql,
        seen,
        "sourceTables",
        f"query ($id: ID!) {{ sourceTables(sourceId: $id) {selection('SourceTableRef')} }}",
        id=source_id,
    )

    await add_exports(ExportService(store), seen)
    seen.texts.extend(("log", line) for line in logs.lines)
    assert logs.lines, "the capture should see the service's log records"

    seen.assert_free_of(password, new_password, unsaved_password, *await stored_ciphertexts(store))


async def test_a_mongodb_uri_with_credentials_never_leaks(
    gql: GraphQLClient, store: Store, logs: Captured
) -> None:
    password = f"M0ngo-P@ss-{uuid.uuid4()}"
    uri = f"mongodb://clew:{quote(password, safe='')}@127.0.0.1:{CLOSED_PORT}/catalog"
    seen = Seen()
    created = await execute(
        gql,
        seen,
        "createSource",
        f"""mutation ($uri: String!) {{
              createSource(input: {{name: "events", type: MONGODB,
                connection: {{uri: $uri, database: "catalog", connectTimeout: 1}}}}) {selection("SourceResult")}
            }}""",
        uri=uri,
    )
    assert created.data["createSource"]["__typename"] == "SourceSuccess", created
    source_id = created.data["createSource"]["source"]["id"]
    tested = await execute(
        gql,
        seen,
        "testConnection",
        f"mutation ($id: ID!) {{ testConnection(sourceId: $id) {selection('TestConnectionResult')} }}",
        id=source_id,
    )
    assert tested.data["testConnection"]["result"]["success"] is False
    # A URI the driver rejects must not be echoed back in the error either.
    broken = uri.replace(f":{CLOSED_PORT}/", ":notaport/")
    await execute(
        gql,
        seen,
        "testConnectionConfig",
        f"""mutation ($uri: String!) {{
              testConnectionConfig(input: {{type: MONGODB, connection: {{uri: $uri, database: "catalog",
                connectTimeout: 1}}}}) {selection("TestConnectionResult")}
            }}""",
        uri=broken,
    )
    await execute(
        gql,
        seen,
        "source",
        f"query ($id: ID!) {{ source(id: $id) {selection('Source')} }}",
        id=source_id,
    )
    await execute(
        gql,
        seen,
        "history",
        f"query ($id: ID!) {{ history(entityId: $id) {selection('ChangeConnection')} }}",
        id=source_id,
    )
    await execute(
        gql,
        seen,
        "introspectTable",
        f"""query ($id: ID!) {{ introspectTable(sourceId: $id, tableName: "orders")
                        {selection("IntrospectedTable")} }}""",
        id=source_id,
    )
    await add_exports(ExportService(store), seen)
    seen.texts.extend(("log", line) for line in logs.lines)

    seen.assert_free_of(password, uri, broken, *await stored_ciphertexts(store))


async def add_exports(service: ExportService, seen: Seen) -> None:
    for encoding in Encoding:
        stream = await service.export(encoding)
        data = b"".join([chunk async for chunk in stream])
        if data[:2] == b"PK":  # xlsx, zip of CSV files: look inside every member
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    seen.add(
                        f"export {encoding.value}:{name}",
                        archive.read(name).decode("utf-8", "replace"),
                    )
        else:
            seen.add(f"export {encoding.value}", data.decode("utf-8"))
