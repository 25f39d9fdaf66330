"""Who may do what: signing in, roles on every operation, API tokens, and the audit trail
naming each actor; over HTTP and WebSocket as clients use them."""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from neo4j import GraphDatabase
from starlette.testclient import TestClient

from graph_api import cli
from graph_api.app import create_app
from graph_api.auth import tokens
from graph_api.auth.roles import Role
from graph_api.auth.throttle import LoginThrottle
from graph_api.auth.throttle import digest as throttle_digest
from graph_api.errors import ClewError
from graph_api.schema import schema
from graph_api.schema.permissions import required_role
from graph_api.secrets import generate_key
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.conftest import LOGIN, TEST_PASSWORD, GraphQLClient, sign_in


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def call(client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any):
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


CREATE_TABLE = """mutation ($name: String!) { createTable(input: {name: $name, fields: [{name: "id"}, {name: "email"}]}) {
  ... on CreateTableSuccess { table { id fields { id name } } } } }"""
FIELD_LINEAGE = """mutation ($up: ID!, $down: ID!) { createFieldLineage(edges: [{upstreamId: $up, downstreamId: $down, lineageSource: INFERRED}]) {
  ... on LineageChangeSuccess { results { edge { id reviewState } } } ... on UserError { message } } }"""
APPROVE = """mutation ($id: ID!) { approveLineage(ids: [$id]) {
  ... on LineageChangeSuccess { results { edge { reviewState reviewedBy } } } ... on UserError { message } } }"""


def test_every_root_field_declares_the_role_it_needs() -> None:
    public = {("Mutation", "login")}
    undeclared = []
    for type_name in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(type_name)
        for field in definition.fields:  # type: ignore[union-attr]
            if (type_name, field.python_name) in public:
                assert required_role(field) is None
            elif required_role(field) is None:
                undeclared.append(f"{type_name}.{field.python_name}")
    assert undeclared == []
    mutation = {f.python_name: required_role(f) for f in schema.get_type_by_name("Mutation").fields}  # type: ignore[union-attr]
    assert mutation["approve_lineage"] is Role.STEWARD
    assert mutation["create_field_lineage"] is Role.EDITOR
    assert mutation["create_source"] is Role.ADMIN


def test_viewer_editor_steward_each_see_their_limits_and_the_history_names_them(
    client: TestClient,
) -> None:
    admin = sign_in(client, "root-admin")
    viewer = sign_in(client, "vera", Role.VIEWER)
    editor = sign_in(client, "ed", Role.EDITOR)
    steward = sign_in(client, "stella", Role.STEWARD)

    refused = call(client, CREATE_TABLE, viewer, name="orders")
    assert codes(refused) == ["FORBIDDEN"]
    message = refused["errors"][0]["message"]
    assert "VIEWER" in message and "EDITOR" in message and "administrator" in message
    assert refused["data"] is None

    orders = call(client, CREATE_TABLE, editor, name="orders")["data"]["createTable"]["table"]
    mart = call(client, CREATE_TABLE, editor, name="mart")["data"]["createTable"]["table"]
    declared = call(
        client, FIELD_LINEAGE, editor, up=orders["fields"][1]["id"], down=mart["fields"][1]["id"]
    )
    edge = declared["data"]["createFieldLineage"]["results"][0]["edge"]
    assert edge["reviewState"] == "PENDING"

    not_allowed = call(client, APPROVE, editor, id=edge["id"])
    assert codes(not_allowed) == ["FORBIDDEN"]
    assert "STEWARD" in not_allowed["errors"][0]["message"]

    approved = call(client, APPROVE, steward, id=edge["id"])["data"]["approveLineage"]
    assert approved["results"] == [{"edge": {"reviewState": "APPROVED", "reviewedBy": "stella"}}]

    # The viewer can read everything, including who did what.
    history = call(
        client,
        "query ($id: ID!) { history(entityId: $id) { nodes { action actor } } }",
        viewer,
        id=edge["id"],
    )["data"]["history"]["nodes"]
    assert {(h["action"], h["actor"]) for h in history} >= {("CREATE", "ed"), ("APPROVE", "stella")}
    table_history = call(
        client,
        "query ($id: ID!) { history(entityId: $id) { nodes { actor } } }",
        admin,
        id=orders["id"],
    )["data"]["history"]["nodes"]
    assert table_history == [{"actor": "ed"}]


def test_without_a_token_only_login_answers_and_says_how_to_sign_in(client: TestClient) -> None:
    body = call(client, "{ tables { totalCount } }")
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "login" in body["errors"][0]["message"]
    assert "Authorization: Bearer" in body["errors"][0]["message"]
    # GraphiQL still loads its schema without a token.
    assert "errors" not in call(client, "{ __schema { queryType { name } } }")


THROTTLES = "{ signInThrottles { kind name failures retryAfterSeconds } }"


def test_guessing_slows_the_guesser_down_but_never_locks_the_user_out(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    admin = sign_in(client, "throttle-admin")
    # The victim signed in from this client before (sign_in does), so it is a known client.
    sign_in(client, "mallory-target", Role.VIEWER)
    identity = client.app.state.identity  # type: ignore[attr-defined]
    # Frozen time: the delays below are asserted, never waited for.
    identity.throttle._clock = lambda: 5000.0

    def stranger(password: str) -> str:
        try:
            client.portal.call(
                functools.partial(identity.login, "mallory-target", password, client="203.0.113.66")
            )
        except ClewError as exc:
            return f"{exc.code.value}: {exc.message}"
        return "SIGNED_IN"

    with caplog.at_level(logging.WARNING, logger="graph_api"):
        failures = [stranger(f"guess-guess-{n}") for n in range(5)]
    assert all(f.startswith("UNAUTHENTICATED: Wrong username or password") for f in failures)
    # The guesser now waits before each try, even with the right password...
    slowed = stranger(TEST_PASSWORD)
    assert slowed.startswith("RATE_LIMITED: Too many failed sign-ins; wait 1 second before")
    # ...while the user, on a device that signed in as them before, gets in at once.
    login = call(client, LOGIN, u="mallory-target", p=TEST_PASSWORD)["data"]["login"]
    assert "token" in login, login
    # Administrators are told: a warning in the log, and a query.
    assert any("sign-ins slowed down" in r.getMessage() for r in caplog.records)
    # (the user's success cleared the username's count; the address's count stays)
    [stranger(f"again-{n}") for n in range(6)]
    throttles = call(client, THROTTLES, admin)["data"]["signInThrottles"]
    assert {"kind": "USERNAME", "name": "mallory-target"}.items() <= throttles[0].items()
    assert codes(call(client, THROTTLES, sign_in(client, "nosy", Role.STEWARD))) == ["FORBIDDEN"]
    # An unknown username gets the same answer as a wrong password.
    unknown = call(client, LOGIN, u="nobody-here", p="whatever-whatever")["data"]["login"]
    assert unknown["message"] == failures[0].partition(": ")[2]


def test_over_long_usernames_and_passwords_cost_nothing(client: TestClient) -> None:
    identity = client.app.state.identity  # type: ignore[attr-defined]
    before = len(identity.throttle)
    # A megabyte never gets past the anonymous body cap (tests/test_http_hardening.py)...
    refused = client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": "u" * 1_000_000, "p": "whatever-whatever"}},
    )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # ...and what fits in it is refused before the throttle and the database.
    long_name = call(client, LOGIN, u="u" * 10_000, p="whatever-whatever")["data"]["login"]
    assert long_name["code"] == "VALIDATION"
    assert "at most 64 characters" in long_name["message"]
    long_password = call(client, LOGIN, u="someone", p="p" * 5000)["data"]["login"]
    assert long_password["code"] == "VALIDATION"
    # Refused before the throttle: nothing was stored for them.
    assert len(identity.throttle) == before


def test_the_throttle_keeps_fixed_size_keys_purges_expired_ones_and_delays_progressively() -> None:
    now = [1000.0]
    throttle = LoginThrottle(free_failures=3, clock=lambda: now[0])
    user = throttle_digest("user", "x" * 10_000_000)
    assert len(user) == 32
    address = throttle_digest("address", "198.51.100.1")
    waits = []
    for _ in range(8):
        throttle.failed(user, kind="username", label="x" * 10_000_000)
        waits.append(throttle.retry_after(user=user, client=address))
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32]
    assert throttle.throttled()[0].label == "x" * 64
    for n in range(1000):
        throttle.failed(throttle_digest("user", f"sprayed-{n}"), kind="username", label="s")
    assert len(throttle) == 1001
    now[0] += 901  # past the window: all of them expired
    throttle.failed(throttle_digest("user", "late"), kind="username", label="late")
    assert len(throttle) == 1
    assert throttle.retry_after(user=user, client=address) == 0


def test_an_api_token_cannot_change_the_password_and_wrong_current_ones_are_throttled(
    client: TestClient,
) -> None:
    signed_in = sign_in(client, "leaky", Role.EDITOR)
    client.app.state.identity.throttle._clock = lambda: 5000.0  # type: ignore[attr-defined]
    create = 'mutation { createApiToken(name: "ci") { ... on CreateApiTokenSuccess { secret } } }'
    secret = call(client, create, signed_in)["data"]["createApiToken"]["secret"]
    leaked = {"Authorization": f"Bearer {secret}"}
    change = (
        "mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, "
        "newPassword: $n) { __typename ... on UserError { code message } } }"
    )
    refused = call(client, change, leaked, c=TEST_PASSWORD, n="a-brand-new-password")
    assert codes(refused) == ["FORBIDDEN"]
    assert "An API token cannot change a password" in refused["errors"][0]["message"]

    answers = [
        call(client, change, signed_in, c=f"guess-{n:04d}-guess", n="a-brand-new-password")
        for n in range(6)
    ]
    assert [a["data"]["changePassword"]["code"] for a in answers[:5]] == ["VALIDATION"] * 5
    assert codes(answers[5]) == ["RATE_LIMITED"]


def test_re_enabling_a_user_does_not_revive_old_tokens_and_a_reset_ends_api_tokens(
    client: TestClient,
) -> None:
    admin = sign_in(client, "keeper")
    worker = sign_in(client, "returner", Role.EDITOR)
    create = 'mutation { createApiToken(name: "job") { ... on CreateApiTokenSuccess { secret } } }'
    api = {
        "Authorization": f"Bearer {call(client, create, worker)['data']['createApiToken']['secret']}"
    }
    toggle = 'mutation ($d: Boolean!) { setUserDisabled(username: "returner", disabled: $d) { __typename } }'
    assert "errors" not in call(client, toggle, admin, d=True)
    assert "errors" not in call(client, toggle, admin, d=False)
    for stale in (worker, api):
        assert codes(call(client, "{ me { username } }", stale)) == ["UNAUTHENTICATED"]
    fresh = sign_in(client, "returner")
    assert call(client, "{ me { username } }", fresh)["data"]["me"] == {"username": "returner"}

    api = {
        "Authorization": f"Bearer {call(client, create, fresh)['data']['createApiToken']['secret']}"
    }
    assert "errors" not in call(client, "{ me { username } }", api)
    reset = 'mutation { resetUserPassword(username: "returner") { __typename } }'
    assert "errors" not in call(client, reset, admin)
    assert codes(call(client, "{ me { username } }", api)) == ["UNAUTHENTICATED"]


def test_bad_and_expired_tokens_say_what_to_do(client: TestClient, settings: Settings) -> None:
    garbage = call(client, "{ me { username } }", {"Authorization": "Bearer not-a-token"})
    assert codes(garbage) == ["UNAUTHENTICATED"]
    assert "sign in again" in garbage["errors"][0]["message"]

    sign_in(client, "old-timer", Role.VIEWER)
    user = client.portal.call(client.app.state.identity.users_by_username, "old-timer")  # type: ignore[attr-defined]
    key = tokens.derive_signing_key(settings.secret_keys[0])
    expired = tokens.issue_sign_in_token(key=key, user_id=user.id, ttl=timedelta(seconds=-5))
    body = call(client, "{ me { username } }", {"Authorization": f"Bearer {expired.token}"})
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "expired" in body["errors"][0]["message"]

    wrong_scheme = call(client, "{ me { username } }", {"Authorization": "Basic dXNlcjpwdw=="})
    assert "Bearer" in wrong_scheme["errors"][0]["message"]


def test_a_token_accepted_before_is_refused_once_it_expires(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its signature is checked once and remembered; its expiry is checked on every request.
    sign_in(client, "short-lived", Role.VIEWER)
    user = client.portal.call(client.app.state.identity.users_by_username, "short-lived")  # type: ignore[attr-defined]
    key = tokens.derive_signing_key(settings.secret_keys[0])
    issued = tokens.issue_sign_in_token(key=key, user_id=user.id, ttl=timedelta(minutes=5))
    header = {"Authorization": f"Bearer {issued.token}"}
    assert call(client, "{ me { username } }", header)["data"]["me"] == {"username": "short-lived"}
    later = issued.expires_at.timestamp() + 1
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    body = call(client, "{ me { username } }", header)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "expired" in body["errors"][0]["message"]


def test_role_changes_and_disabling_apply_to_the_very_next_request(client: TestClient) -> None:
    admin = sign_in(client, "boss")
    worker = sign_in(client, "wendy", Role.VIEWER)
    assert codes(call(client, CREATE_TABLE, worker, name="t1")) == ["FORBIDDEN"]

    promote = 'mutation { setUserRole(username: "wendy", role: EDITOR) { ... on UserSuccess { user { role } } } }'
    assert call(client, promote, admin)["data"]["setUserRole"]["user"]["role"] == "EDITOR"
    assert "errors" not in call(client, CREATE_TABLE, worker, name="t1")

    disable = 'mutation { setUserDisabled(username: "wendy", disabled: true) { ... on UserSuccess { user { disabled } } } }'
    assert call(client, disable, admin)["data"]["setUserDisabled"]["user"]["disabled"] is True
    refused = call(client, "{ me { username } }", worker)
    assert codes(refused) == ["UNAUTHENTICATED"]
    assert "disabled" in refused["errors"][0]["message"]
    relogin = call(client, LOGIN, u="wendy", p=TEST_PASSWORD)["data"]["login"]
    assert relogin["code"] == "UNAUTHENTICATED"


def test_the_last_administrator_cannot_be_demoted_or_disabled(client: TestClient) -> None:
    admin = sign_in(client, "only-admin")
    demote = 'mutation { setUserRole(username: "only-admin", role: VIEWER) { ... on UserError { code message } } }'
    refused = call(client, demote, admin)["data"]["setUserRole"]
    assert refused["code"] == "CONFLICT"
    assert "last enabled administrator" in refused["message"]
    assert call(client, "{ me { role } }", admin)["data"]["me"]["role"] == "ADMIN"


def test_api_tokens_work_until_revoked_and_only_their_hash_is_stored(
    client: TestClient, settings: Settings
) -> None:
    robot = sign_in(client, "pipeline", Role.EDITOR)
    created = call(
        client,
        'mutation { createApiToken(name: "nightly dbt", expiresInDays: 30) { '
        "... on CreateApiTokenSuccess { secret token { id name hint expiresAt } } } }",
        robot,
    )["data"]["createApiToken"]
    secret = created["secret"]
    assert secret.startswith("clew_") and created["token"]["hint"] == secret[:9] + "…"
    as_token = {"Authorization": f"Bearer {secret}"}
    made = call(client, CREATE_TABLE, as_token, name="from_robot")
    assert "errors" not in made
    table_id = made["data"]["createTable"]["table"]["id"]
    actor = call(
        client,
        "query ($id: ID!) { history(entityId: $id) { nodes { actor } } }",
        as_token,
        id=table_id,
    )
    assert actor["data"]["history"]["nodes"] == [{"actor": "pipeline"}]

    listed = call(client, "{ apiTokens { name hint lastUsedAt revokedAt } }", robot)
    assert listed["data"]["apiTokens"][0]["name"] == "nightly dbt"
    assert listed["data"]["apiTokens"][0]["lastUsedAt"] is not None
    assert secret not in str(listed)

    with GraphDatabase.driver(
        settings.bolt_uri, auth=(settings.neo4j_user, settings.neo4j_password)
    ) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) RETURN properties(n) AS p", database_=settings.neo4j_database
        )
    stored = str([r["p"] for r in records])
    assert secret not in stored and TEST_PASSWORD not in stored
    assert "$argon2id$" in stored

    revoke = call(
        client,
        "mutation ($id: ID!) { revokeApiToken(id: $id) { ... on ApiTokenSuccess { token { revokedAt } } } }",
        robot,
        id=created["token"]["id"],
    )
    assert revoke["data"]["revokeApiToken"]["token"]["revokedAt"] is not None
    after = call(client, "{ me { username } }", as_token)
    assert codes(after) == ["UNAUTHENTICATED"]
    assert "revoked" in after["errors"][0]["message"]


def test_someone_elses_api_token_cannot_be_revoked_by_a_non_admin(client: TestClient) -> None:
    owner = sign_in(client, "owner", Role.EDITOR)
    other = sign_in(client, "other", Role.STEWARD)
    token_id = call(
        client,
        'mutation { createApiToken(name: "mine") { ... on CreateApiTokenSuccess { token { id } } } }',
        owner,
    )["data"]["createApiToken"]["token"]["id"]
    refused = call(
        client,
        "mutation ($id: ID!) { revokeApiToken(id: $id) { ... on UserError { code } } }",
        other,
        id=token_id,
    )
    assert refused["data"]["revokeApiToken"] == {"code": "NOT_FOUND"}
    everyone = call(client, "{ apiTokens(everyone: true) { name } }", other)
    assert codes(everyone) == ["FORBIDDEN"]


def test_websocket_subscriptions_need_a_token_in_connection_init(client: TestClient) -> None:
    viewer = sign_in(client, "watcher", Role.VIEWER)
    editor = sign_in(client, "maker", Role.EDITOR)
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": "subscription { catalogChanges { entityType actor } }"},
    }
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(subscribe)
        message = ws.receive_json()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    broker = client.app.state.broker  # type: ignore[attr-defined]
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = viewer["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(subscribe)
        for _ in range(100):
            if broker.subscriber_count("catalog"):
                break
            time.sleep(0.02)
        call(client, CREATE_TABLE, editor, name="watched")
        message = ws.receive_json()
        assert message["payload"]["data"]["catalogChanges"] == {
            "entityType": "TABLE",
            "actor": "maker",
        }


def test_export_download_needs_a_token(client: TestClient) -> None:
    refused = client.get("/export?format=json")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in refused.json()["error"]["message"]
    viewer = sign_in(client, "reader", Role.VIEWER)
    assert client.get("/export?format=json", headers=viewer).status_code == 200
    # The template holds no catalog data and stays public.
    assert client.get("/export/template.xlsx").status_code == 200


async def test_importing_with_allow_downgrade_needs_a_steward(gql: GraphQLClient) -> None:
    query = """mutation ($file: Upload!) { importCatalog(input: {file: $file, allowDowngrade: true}) { __typename } }"""
    errors = await gql.errors(query, {"file": "never read"}, role=Role.EDITOR)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert "allowDowngrade" in errors[0]["message"] and "STEWARD" in errors[0]["message"]


def test_weak_passwords_and_bad_usernames_are_refused_with_the_rule(client: TestClient) -> None:
    admin = sign_in(client, "chief")
    weak = call(
        client,
        'mutation { createUser(input: {username: "newbie", password: "short"}) { ... on UserError { code message field } } }',
        admin,
    )["data"]["createUser"]
    assert weak == {
        "code": "VALIDATION",
        "message": weak["message"],
        "field": "input.password",
    }
    assert "12 characters" in weak["message"]
    bad_name = call(
        client,
        'mutation { createUser(input: {username: "no spaces please"}) { ... on UserError { field } } }',
        admin,
    )["data"]["createUser"]
    assert bad_name == {"field": "input.username"}
    generated = call(
        client,
        'mutation { createUser(input: {username: "newbie", role: EDITOR}) { ... on CreateUserSuccess { generatedPassword user { role } } } }',
        admin,
    )["data"]["createUser"]
    assert generated["user"]["role"] == "EDITOR"
    login = call(client, LOGIN, u="NewBie", p=generated["generatedPassword"])["data"]["login"]
    assert "token" in login  # usernames match case-insensitively


def test_cli_bootstraps_the_first_admin_once_and_manages_users(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.neo4j_password)
    monkeypatch.setenv("CLEW_SECRET_KEYS", settings.secret_keys[0])
    monkeypatch.delenv("CLEW_ADMIN_PASSWORD", raising=False)

    def clew(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        with redirect_stdout(out):
            code = cli.main(list(args))
        return code, out.getvalue()

    code, printed = clew("user", "bootstrap")
    assert code == 0 and "shown only this once" in printed
    password = printed.split("password:")[1].split()[0]
    login = call(client, LOGIN, u="admin", p=password)["data"]["login"]
    admin = {"Authorization": f"Bearer {login['token']}"}
    assert clew("user", "bootstrap") == (0, "users exist already.\n")

    assert clew("user", "create", "dora", "steward")[0] == 0
    assert clew("user", "set-role", "dora", "viewer") == (0, "dora is now VIEWER\n")
    code, listed = clew("user", "list")
    assert "admin\tADMIN" in listed and "dora\tVIEWER" in listed
    assert clew("user", "disable", "dora") == (0, "dora is disabled\n")
    history = call(
        client,
        "query ($id: ID!) { history(entityId: $id) { nodes { action actor } } }",
        admin,
        id=client.portal.call(client.app.state.identity.users_by_username, "dora").id,  # type: ignore[attr-defined]
    )["data"]["history"]["nodes"]
    assert {h["actor"] for h in history} == {f"cli:{__import__('getpass').getuser()}"}
    assert len(history) == 3


def test_only_stewards_can_import_lineage_as_approved(client: TestClient) -> None:
    catalog = {
        "tables": [{"schema": "crm", "name": "leads"}, {"schema": "mart", "name": "lead_dim"}],
        "table_lineage": [
            {
                "upstream_schema": "crm",
                "upstream_table": "leads",
                "downstream_schema": "mart",
                "downstream_table": "lead_dim",
                "lineage_source": "APPROVED",
            }
        ],
    }
    query = (
        "mutation ($file: Upload!) { importCatalog(input: {file: $file, wait: true}) {"
        " ... on ImportCatalogSuccess { job { status report { outcome errorCount"
        " problems { code row message } } } } } }"
    )

    def upload(headers: dict[str, str]) -> dict[str, Any]:
        operations = {"query": query, "variables": {"file": None}}
        response = client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("catalog.json", json.dumps(catalog).encode(), "application/json")},
            headers=headers,
        )
        return response.json()["data"]["importCatalog"]["job"]

    refused = upload(sign_in(client, "eddie", Role.EDITOR))
    assert refused["report"]["outcome"] == "NOTHING_APPLIED"
    [problem] = refused["report"]["problems"]
    assert problem["code"] == "ROLE_REQUIRED"
    assert problem["row"] == 1
    assert "STEWARD" in problem["message"] and "crm.leads" in problem["message"]

    accepted = upload(sign_in(client, "stew", Role.STEWARD))
    assert accepted["report"]["outcome"] == "APPLIED"
    assert accepted["report"]["errorCount"] == 0


def test_an_editor_cannot_declare_lineage_already_approved(client: TestClient) -> None:
    editor = sign_in(client, "eager", Role.EDITOR)
    a = call(client, CREATE_TABLE, editor, name="a")["data"]["createTable"]["table"]
    b = call(client, CREATE_TABLE, editor, name="b")["data"]["createTable"]["table"]
    approved = """mutation ($u: ID!, $d: ID!) { createTableLineage(edges: [{upstreamId: $u, downstreamId: $d, lineageSource: APPROVED}], onDuplicate: UPDATE) { __typename } }"""
    refused = call(client, approved, editor, u=a["id"], d=b["id"])
    assert codes(refused) == ["FORBIDDEN"]
    assert "APPROVED" in refused["errors"][0]["message"]
    steward = sign_in(client, "sage", Role.STEWARD)
    assert "errors" not in call(client, approved, steward, u=a["id"], d=b["id"])


def test_websocket_operations_follow_the_users_current_rights(client: TestClient) -> None:
    admin = sign_in(client, "ops-admin")
    worker = sign_in(client, "ws-worker", Role.EDITOR)
    subscribe = {
        "type": "subscribe",
        "payload": {"query": "subscription { catalogChanges { entityType } }"},
    }
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = worker["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        disable = (
            'mutation { setUserDisabled(username: "ws-worker", disabled: true) { __typename } }'
        )
        assert "errors" not in call(client, disable, admin)
        ws.send_json({"id": "after", **subscribe})
        message = ws.receive_json()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "disabled" in message["payload"][0]["message"]


def test_a_password_reset_ends_earlier_sign_ins(client: TestClient) -> None:
    admin = sign_in(client, "reset-admin")
    victim = sign_in(client, "victim", Role.EDITOR)
    reset = 'mutation { resetUserPassword(username: "victim") { ... on ResetPasswordSuccess { generatedPassword } } }'
    new_password = call(client, reset, admin)["data"]["resetUserPassword"]["generatedPassword"]
    stale = call(client, "{ me { username } }", victim)
    assert codes(stale) == ["UNAUTHENTICATED"]
    assert "password was changed" in stale["errors"][0]["message"]
    login = call(client, LOGIN, u="victim", p=new_password)["data"]["login"]
    fresh = {"Authorization": f"Bearer {login['token']}"}
    assert call(client, "{ me { username } }", fresh)["data"]["me"] == {"username": "victim"}


def test_an_api_token_cannot_create_another(client: TestClient) -> None:
    owner = sign_in(client, "token-owner", Role.EDITOR)
    mint = 'mutation { createApiToken(name: "first") { ... on CreateApiTokenSuccess { secret } } }'
    secret = call(client, mint, owner)["data"]["createApiToken"]["secret"]
    refused = call(client, mint, {"Authorization": f"Bearer {secret}"})
    assert codes(refused) == ["FORBIDDEN"]
    assert "sign in with your password" in refused["errors"][0]["message"]


async def test_concurrent_wrong_passwords_cannot_outrun_the_throttle(gql: GraphQLClient) -> None:
    identity = gql.identity
    await identity.create_user(
        actor="test", username="target", role=Role.VIEWER, password=TEST_PASSWORD
    )

    async def guess(i: int) -> str:
        try:
            await identity.login("target", f"wrong-guess-{i:04d}", client=f"10.0.0.{i}")
        except ClewError as exc:
            return exc.code.value
        return "SIGNED_IN"

    results = await asyncio.gather(*(guess(i) for i in range(20)))
    assert results.count("UNAUTHENTICATED") == 5
    assert results.count("RATE_LIMITED") == 15


async def test_two_admins_disabling_each_other_at_once_leave_one_admin(
    gql: GraphQLClient,
) -> None:
    identity = gql.identity
    for name in ("ann", "ben"):
        await identity.create_user(actor="test", username=name, role=Role.ADMIN, password=None)

    async def disable(actor: str, target: str) -> str:
        try:
            await identity.set_disabled(actor=actor, username=target, disabled=True)
        except ClewError as exc:
            return exc.code.value
        return "DISABLED"

    results = await asyncio.gather(disable("ann", "ben"), disable("ben", "ann"))
    assert sorted(results) == ["CONFLICT", "DISABLED"]
    admins = [u for u in await identity.users() if u.role == "ADMIN" and not u.disabled]
    assert len(admins) == 1


def test_an_editor_import_cannot_create_or_change_sources(client: TestClient) -> None:
    query = (
        "mutation ($file: Upload!) { importCatalog(input: {file: $file, wait: true}) {"
        " ... on ImportCatalogSuccess { job { report { outcome problems { code message } } } } } }"
    )
    catalog = {"sources": [{"name": "warehouse", "type": "POSTGRESQL"}]}
    operations = {"query": query, "variables": {"file": None}}
    response = client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("c.json", json.dumps(catalog).encode(), "application/json")},
        headers=sign_in(client, "importer", Role.EDITOR),
    )
    report = response.json()["data"]["importCatalog"]["job"]["report"]
    assert report["outcome"] == "NOTHING_APPLIED"
    [problem] = report["problems"]
    assert problem["code"] == "ROLE_REQUIRED" and "ADMIN" in problem["message"]


def test_an_anonymous_upload_is_refused_before_it_is_read(client: TestClient) -> None:
    operations = {
        "query": "mutation ($f: Upload!) { importCatalog(input: {file: $f}) { __typename } }",
        "variables": {"f": None},
    }
    response = client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("big.csv", b"schema,name\n" * 1000, "text/csv")},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "Sign in before uploading" in response.json()["error"]["message"]


def test_a_running_subscription_ends_when_its_user_is_disabled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_api.schema import permissions

    monkeypatch.setattr(permissions, "RECHECK_SECONDS", 0.0)
    admin = sign_in(client, "sub-admin")
    watcher = sign_in(client, "sub-watcher", Role.VIEWER)
    broker = client.app.state.broker  # type: ignore[attr-defined]
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = watcher["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "s",
                "type": "subscribe",
                "payload": {
                    "query": 'subscription { catalogChanges(entityTypes: ["TABLE"]) { entityType } }'
                },
            }
        )
        for _ in range(100):
            if broker.subscriber_count("catalog"):
                break
            time.sleep(0.02)
        call(client, CREATE_TABLE, admin, name="seen")
        assert ws.receive_json()["payload"]["data"]["catalogChanges"] == {"entityType": "TABLE"}

        disable = (
            'mutation { setUserDisabled(username: "sub-watcher", disabled: true) { __typename } }'
        )
        assert "errors" not in call(client, disable, admin)
        call(client, CREATE_TABLE, admin, name="unseen")
        message = ws.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "data" not in message["payload"] or message["payload"]["data"] is None
        assert ws.receive_json()["type"] == "complete"
    for _ in range(100):
        if broker.subscriber_count("catalog") == 0:
            break
        time.sleep(0.02)
    assert broker.subscriber_count("catalog") == 0


def test_graphiql_style_connection_params_sign_a_websocket_in(client: TestClient) -> None:
    # GraphiQL sends the Headers editor's entries as the connection_init payload as they are.
    headers = sign_in(client, "explorer", Role.VIEWER)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": headers})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ me { username role } }"}}
        )
        message = ws.receive_json()
        assert message["payload"]["data"]["me"] == {"username": "explorer", "role": "VIEWER"}


def _ws_query(ws: Any, op_id: str, query: str) -> dict[str, Any]:
    ws.send_json({"id": op_id, "type": "subscribe", "payload": {"query": query}})
    message = ws.receive_json()
    assert message["type"] == "next", message
    assert ws.receive_json() == {"id": op_id, "type": "complete"}
    return message["payload"]


def test_each_websocket_operation_reads_fresh_data_and_has_its_own_lineage_budget(
    client: TestClient,
) -> None:
    # Strawberry builds one context per socket; loaders and budgets kept on it went stale.
    admin = sign_in(client, "ws-reader")
    table = call(client, CREATE_TABLE, admin, name="before")["data"]["createTable"]["table"]
    for n in range(5):
        call(client, CREATE_TABLE, admin, name=f"more-{n}")
    read = f'{{ table(id: "{table["id"]}") {{ name }} }}'
    walk = "{ tables(first: 6) { edges { node { %s(maxNodes: 5000) { truncated } } } } }"
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = admin["Authorization"].removeprefix("Bearer ")
        ws.send_json({"type": "connection_init", "payload": {"authorization": token}})
        assert ws.receive_json()["type"] == "connection_ack"
        assert _ws_query(ws, "1", read)["data"]["table"] == {"name": "before"}
        rename = (
            'mutation ($id: ID!) { updateTable(id: $id, input: {name: "after"}) { __typename } }'
        )
        assert "errors" not in call(client, rename, admin, id=table["id"])
        assert _ws_query(ws, "2", read)["data"]["table"] == {"name": "after"}

        # 6 walks of 5,000 nodes fit one operation's budget of 50,000; two such operations
        # on one socket must not add up to a refusal.
        for op_id, direction in (("3", "upstream"), ("4", "downstream"), ("5", "upstream")):
            payload = _ws_query(ws, op_id, walk % direction)
            assert "errors" not in payload, payload["errors"]
            assert len(payload["data"]["tables"]["edges"]) == 6


def _addresses_counted(client: TestClient, forwarded_for: str) -> set[str]:
    identity = client.app.state.identity  # type: ignore[attr-defined]
    identity.throttle.client_free_failures = 1  # every counted address shows at once
    client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": "someone", "p": "wrong-wrong-wrong"}},
        headers={"X-Forwarded-For": forwarded_for},
    )
    throttled = client.portal.call(identity.throttled_sign_ins)
    return {t.label for t in throttled if t.kind == "address"}


def test_x_forwarded_for_is_believed_only_from_configured_proxies(
    settings: Settings, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    # A caller on the same host must not choose the address the throttle counts (nor pose
    # as the address a victim signed in from before).
    with TestClient(create_app(settings)) as client:
        assert _addresses_counted(client, "198.51.100.7") == {"testclient"}
    assert "X-Forwarded-For is trusted from nobody" in capsys.readouterr().err

    behind_proxy = replace(settings, trusted_proxies=("testclient",))
    with TestClient(create_app(behind_proxy)) as client:
        assert _addresses_counted(client, "198.51.100.7") == {"198.51.100.7"}
    assert Settings.from_env({"CLEW_TRUSTED_PROXIES": "10.0.0.2, 10.1.0.0/16"}).trusted_proxies == (
        "10.0.0.2",
        "10.1.0.0/16",
    )


def test_clew_serve_leaves_x_forwarded_for_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("CLEW_SECRET_KEYS", generate_key())
    assert cli.main(["serve"]) == 0
    assert seen["proxy_headers"] is False


def test_user_history_import_reports_and_source_addresses_are_not_for_every_viewer(
    client: TestClient,
) -> None:
    admin = sign_in(client, "curator")
    viewer = sign_in(client, "peeker", Role.VIEWER)
    editor = sign_in(client, "uploader", Role.EDITOR)
    peeker = client.portal.call(client.app.state.identity.users_by_username, "peeker")  # type: ignore[attr-defined]
    history = "query ($id: ID!) { history(entityId: $id) { edges { node { action } } } }"
    assert call(client, history, admin, id=peeker.id)["data"]["history"]["edges"]
    assert codes(call(client, history, viewer, id=peeker.id)) == ["FORBIDDEN"]

    create = (
        'mutation { createSource(input: {name: "wh", type: POSTGRESQL, connection: '
        '{host: "db.internal", port: 5432, database: "sales", username: "clew_reader"}}) '
        "{ ... on SourceSuccess { source { id } } ... on UserError { message } } }"
    )
    assert "errors" not in call(client, create, admin)
    read = "{ sources { edges { node { connection { host port database username } } } } }"
    [seen_by_admin] = call(client, read, admin)["data"]["sources"]["edges"]
    assert seen_by_admin["node"]["connection"]["host"] == "db.internal"
    [seen_by_viewer] = call(client, read, viewer)["data"]["sources"]["edges"]
    assert seen_by_viewer["node"]["connection"] == {
        "host": None,
        "port": None,
        "database": None,
        "username": None,
    }

    query = (
        "mutation ($file: Upload!) { importCatalog(input: {file: $file, wait: true}) {"
        " ... on ImportCatalogSuccess { job { id } } } }"
    )
    response = client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("secret-plans.json", json.dumps({"tables": []}).encode(), "application/json")},
        headers=editor,
    )
    job_id = response.json()["data"]["importCatalog"]["job"]["id"]
    job = "query ($id: ID!) { importJob(id: $id) { fileName } }"
    assert call(client, job, editor, id=job_id)["data"]["importJob"] == {
        "fileName": "secret-plans.json"
    }
    assert call(client, job, admin, id=job_id)["data"]["importJob"] is not None
    assert call(client, job, viewer, id=job_id)["data"]["importJob"] is None
