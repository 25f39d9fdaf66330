"""Clew against a Neo4j that requires TLS, with a throwaway private CA made per run.

A private CA is trusted through NEO4J_TRUSTED_CA with bolt:// or neo4j://, and +ssc works
too; a client that does not trust the certificate, or does not encrypt at all, is refused
rather than quietly talking in plain text. Settings reject the combinations that cannot work.
"""

from __future__ import annotations

import datetime
import os
import shutil
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import AsyncGraphDatabase
from neo4j.exceptions import ServiceUnavailable

from graph_api import neo4j_local
from graph_api.events import Broker
from graph_api.secrets import generate_key
from graph_api.settings import REPO_ROOT, Settings, SettingsError
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.migrations import apply_migrations
from tests.conftest import GraphQLClient
from tests.servers.certs import make_ca, make_server_cert, write_cert, write_key

# Restarts Neo4j or fuzzes: left out of `make test-fast`.
pytestmark = pytest.mark.slow

TLS_PORT = int(os.environ.get("CLEW_TEST_TLS_NEO4J_PORT", "7697"))
TLS_DIR = Path(os.environ.get("CLEW_TEST_TLS_DATA_DIR", REPO_ROOT / ".clew" / "test-tls")) / "neo4j"

needs_neo4j = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("mvn") is None,
    reason="needs java and mvn on PATH to run a throwaway Neo4j",
)

CREATE = """
mutation ($name: String!) {
  createTable(input: {name: $name, schema: "tls", fields: [{name: "id", dataType: "INT"}]}) {
    ... on CreateTableSuccess { table { id } }
  }
}
"""
READ = "query ($id: ID!) { table(id: $id) { qualifiedName fields { name } } }"


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA certificate clients are told to trust
    other_ca: Path  # a CA that did not sign the server's certificate
    server: Path  # private.key and public.crt for Neo4j


def _make_pki(root: Path) -> Pki:
    day = datetime.timedelta(days=1)
    ca_key, ca = make_ca("Clew test CA", valid=day)
    write_cert(root / "ca.crt", ca)
    write_cert(root / "other-ca.crt", make_ca("Clew unrelated CA", valid=day)[1])
    server = root / "server"
    server.mkdir()
    key, cert = make_server_cert(
        ca_key, ca, dns_names=["localhost"], ip_addresses=["127.0.0.1"], valid=day
    )
    write_key(server / "private.key", key)
    write_cert(server / "public.crt", cert)
    return Pki(ca=root / "ca.crt", other_ca=root / "other-ca.crt", server=server)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return _make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_neo4j(pki: Pki) -> Iterator[neo4j_local.LocalNeo4jStatus]:
    # A server left over from an interrupted run holds the previous run's certificate.
    neo4j_local.stop(data_dir=TLS_DIR)
    status = neo4j_local.start(data_dir=TLS_DIR, port=TLS_PORT, tls_dir=pki.server)
    yield status
    neo4j_local.stop(data_dir=TLS_DIR)


def tls_settings(uri: str, trusted_ca: Path | None = None) -> Settings:
    env = {
        "NEO4J_URI": uri,
        "NEO4J_PASSWORD": neo4j_local.password(data_dir=TLS_DIR),
        "CLEW_SECRET_KEYS": generate_key(),
    }
    if trusted_ca is not None:
        env["NEO4J_TRUSTED_CA"] = str(trusted_ca)
    return Settings.from_env(env)


@pytest.fixture
async def opened() -> AsyncIterator[list[Store]]:
    stores: list[Store] = []
    yield stores
    for store in stores:
        await store.close()


def open_store(settings: Settings, opened: list[Store]) -> Store:
    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    opened.append(store)
    return store


def certificate_rejected(exc: BaseException | None) -> bool:
    """Whether a certificate check failed somewhere under ``exc``; with neo4j:// URIs
    it sits inside the group of failed routing requests."""
    if exc is None:
        return False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return True
    if isinstance(exc, BaseExceptionGroup) and any(
        certificate_rejected(inner) for inner in exc.exceptions
    ):
        return True
    return certificate_rejected(exc.__cause__ or exc.__context__)


@needs_neo4j
def test_start_reports_tls_and_the_uri_it_checked(
    tls_neo4j: neo4j_local.LocalNeo4jStatus, pki: Pki
) -> None:
    assert tls_neo4j.tls is True
    assert tls_neo4j.bolt_uri == f"bolt+ssc://127.0.0.1:{TLS_PORT}"
    with pytest.raises(neo4j_local.LocalNeo4jError, match="already running .* with TLS"):
        neo4j_local.start(data_dir=TLS_DIR, port=TLS_PORT)


@needs_neo4j
@pytest.mark.parametrize(
    ("scheme", "trust_ca"),
    [("neo4j", True), ("bolt", True), ("neo4j+ssc", False)],
)
async def test_service_works_over_tls(
    tls_neo4j: neo4j_local.LocalNeo4jStatus,
    pki: Pki,
    opened: list[Store],
    scheme: str,
    trust_ca: bool,
) -> None:
    settings = tls_settings(f"{scheme}://127.0.0.1:{TLS_PORT}", pki.ca if trust_ca else None)
    store = open_store(settings, opened)
    assert store.driver.encrypted
    await apply_migrations(store)
    gql = GraphQLClient(store, settings, Broker())
    name = f"t_{uuid.uuid4().hex[:8]}"

    created = await gql(CREATE, {"name": name})
    table_id = created["createTable"]["table"]["id"]
    read = await gql(READ, {"id": table_id})

    assert read["table"] == {"qualifiedName": f"tls.{name}", "fields": [{"name": "id"}]}


@needs_neo4j
@pytest.mark.parametrize(
    ("scheme", "use_other_ca"),
    [("neo4j+s", False), ("neo4j", True)],
    ids=["system-cas", "unrelated-ca"],
)
async def test_untrusted_certificate_is_refused(
    tls_neo4j: neo4j_local.LocalNeo4jStatus,
    pki: Pki,
    opened: list[Store],
    scheme: str,
    use_other_ca: bool,
) -> None:
    settings = tls_settings(
        f"{scheme}://127.0.0.1:{TLS_PORT}", pki.other_ca if use_other_ca else None
    )
    store = open_store(settings, opened)
    with pytest.raises(ServiceUnavailable) as refused:
        await store.driver.verify_connectivity()
    assert certificate_rejected(refused.value), refused.value


@needs_neo4j
async def test_plain_bolt_is_refused_by_the_server(
    tls_neo4j: neo4j_local.LocalNeo4jStatus,
) -> None:
    auth = neo4j_local.auth(data_dir=TLS_DIR)
    async with AsyncGraphDatabase.driver(tls_neo4j.bolt_uri, auth=auth) as encrypted:
        await encrypted.verify_connectivity()  # the server is up and answering TLS clients
    async with AsyncGraphDatabase.driver(
        f"bolt://127.0.0.1:{TLS_PORT}", auth=auth, connection_timeout=5.0
    ) as plain:
        with pytest.raises(ServiceUnavailable) as refused:
            await plain.verify_connectivity()
    assert not certificate_rejected(refused.value)


def test_start_refuses_a_tls_dir_without_key_and_certificate(tmp_path: Path) -> None:
    (tmp_path / "public.crt").write_text("not used")
    with pytest.raises(neo4j_local.LocalNeo4jError, match="lacks private.key"):
        neo4j_local.start(data_dir=tmp_path / "neo4j", tls_dir=tmp_path)
    assert not (tmp_path / "neo4j" / "neo4j.pid").exists()


@pytest.mark.parametrize("uri", ["neo4j+s://db.example:7687", "bolt+ssc://db.example:7687"])
def test_trusted_ca_with_a_tls_scheme_is_a_settings_error(pki: Pki, uri: str) -> None:
    with pytest.raises(SettingsError, match="NEO4J_TRUSTED_CA.*use the same address with bolt"):
        tls_settings(uri, pki.ca)


def test_unreadable_trusted_ca_is_a_settings_error(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.crt"
    not_pem.write_text("this is no certificate\n")
    for path in (tmp_path / "missing.crt", not_pem):
        with pytest.raises(SettingsError, match="NEO4J_TRUSTED_CA="):
            tls_settings("neo4j://db.example:7687", path)


def test_trusted_ca_needs_a_neo4j_uri(pki: Pki) -> None:
    with pytest.raises(SettingsError, match="NEO4J_TRUSTED_CA needs NEO4J_URI"):
        Settings.from_env({"NEO4J_TRUSTED_CA": str(pki.ca)})
