"""Real NoSQL servers for the connector tests: FerretDB (MongoDB wire protocol) and
Elasticsearch 8, started on 127.0.0.1 only, seeded with a small shop.

Both come from tests/servers/install_nosql.sh (FerretDB built from tests/servers/ferretdb,
Elasticsearch's integ-test distribution from Maven Central). Each server owns one directory
under `base_dir`, with its data, log and pid files; starting twice adopts the running one,
stopping twice is harmless, and a stop from another process works through the pid files.

    base_dir/certs/          a throwaway CA and a server certificate for "localhost"
    base_dir/ferretdb/       data/, ferretdb.log, ferretdb.pid
    base_dir/elasticsearch/  config/, data/, logs/, run/es.pid, es.log, proxy.pid, proxy.log

Elasticsearch runs with security on (file realm users, see ES_USERS) and as the unprivileged
user `clew-es` (it refuses root). The integ-test distribution ships only four modules, which
has three consequences the tests live with:
- no `rest-root` module, so `GET /` (the client's `info()`) is missing. A small proxy in front
  of the node (`_RootProxy`, run as `python nosql.py es-proxy`) answers `GET /` and `HEAD /`
  from the node's own `/_nodes/_local` and cluster state, with the caller's credentials, so
  401 and 403 still come from Elasticsearch itself; every other request passes through
  untouched. It also offers the same thing over TLS, with the test CA's certificate.
- no `data-streams` module: `GET /_data_stream` is not routed, and no data stream is seeded.
- no `analysis-common`, so the `.security` index cannot be created: API keys cannot be made
  (a made-up one is still refused with a real 401), and only file-realm users log in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import http.client
import json
import os
import pwd
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("CLEW_CACHE_DIR", REPO_ROOT / ".clew" / "cache"))
FERRETDB_BIN = CACHE_DIR / "ferretdb"
ES_VERSION = os.environ.get("CLEW_ES_VERSION", "8.19.3")
ES_HOME = CACHE_DIR / f"elasticsearch-{ES_VERSION}"
ES_SYSTEM_USER = "clew-es"
INSTALL_HINT = "run tests/servers/install_nosql.sh"

# name -> (password, roles). Roles come from _ES_ROLES or are built in (superuser).
ES_USERS: dict[str, tuple[str, str]] = {
    "clew_admin": ("admin-Secret-1", "superuser"),
    "clew_reader": ("reader-Secret-2", "products_reader"),
    "clew_nobody": ("nobody-Secret-3", ""),
}
_ES_ROLES = """\
# Reads the products index and nothing else; cluster monitor answers GET /.
products_reader:
  cluster: [monitor]
  indices:
    - names: ["products"]
      privileges: [read, view_index_metadata]
"""

_READY_TIMEOUT = 180.0
_POLL = 0.25


class ServerError(Exception):
    """A test server could not be started; the message says what to do."""


@dataclass(frozen=True)
class ServerInfo:
    product: str
    version: str
    host: str
    port: int
    base_dir: Path
    log_file: Path
    tls_port: int | None = None
    ca_certificate: str | None = None  # PEM of the CA that signed the TLS listener's cert
    tls_hostname: str | None = None  # the only name that certificate is valid for
    users: dict[str, str] = field(default_factory=dict)  # name -> password
    reused: bool = False  # already running before this call: leave it running


# FerretDB


# Default ports sit below Linux's ephemeral range (32768-60999): a port inside it can be held,
# for a moment, by any outgoing connection on the machine, and the server then fails to start.
def start_ferretdb(base_dir: Path, port: int = 27117) -> ServerInfo:
    """FerretDB on 127.0.0.1:`port` (plain) and `port + 1` (TLS), database `shop` seeded."""
    if not FERRETDB_BIN.is_file():
        raise ServerError(f"FerretDB is not built ({FERRETDB_BIN} is missing): {INSTALL_HINT}.")
    home = Path(base_dir).resolve() / "ferretdb"
    home.mkdir(parents=True, exist_ok=True)
    certs = _ensure_certs(Path(base_dir).resolve() / "certs")
    pid_file, log_file = home / "ferretdb.pid", home / "ferretdb.log"
    reused = _alive(_read_pid(pid_file)) is not None
    if not reused:
        _require_free(port, "FerretDB")
        _require_free(port + 1, "FerretDB (TLS)")
        _rotate(log_file)
        command = [
            str(FERRETDB_BIN),
            f"-listen=127.0.0.1:{port}",
            f"-tls-listen=127.0.0.1:{port + 1}",
            f"-tls-cert={certs.cert_file}",
            f"-tls-key={certs.key_file}",
            f"-data-dir={home / 'data'}",
            "-log-level=error",
        ]
        process = _spawn(command, log_file)
        pid_file.write_text(str(process.pid))
        _wait(lambda: _mongo_ready(port), process.pid, log_file, "FerretDB")
    version = _seed_mongo(port)
    return ServerInfo(
        product="FerretDB",
        version=version,
        host="127.0.0.1",
        port=port,
        base_dir=home,
        log_file=log_file,
        tls_port=port + 1,
        ca_certificate=certs.ca_pem,
        tls_hostname="localhost",
        reused=reused,
    )


def stop_ferretdb(base_dir: Path) -> bool:
    """Stops the FerretDB of `base_dir`; True if one was running."""
    return _stop(Path(base_dir).resolve() / "ferretdb" / "ferretdb.pid")


def _mongo_ready(port: int) -> bool:
    import pymongo

    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        "127.0.0.1", port, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def _seed_mongo(port: int) -> str:
    """Drops and rebuilds database `shop`; returns the server's reported MongoDB version."""
    import pymongo
    from bson import ObjectId

    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        "127.0.0.1", port, serverSelectionTimeoutMS=5000
    )
    try:
        client.drop_database("shop")
        shop = client["shop"]
        rng = random.Random(7)  # the same shop every run
        customers = [_customer(i, rng, ObjectId) for i in range(40)]
        shop["customers"].insert_many(customers)
        shop["customers"].create_index("email", unique=True)
        orders = [_order(i, rng, customers) for i in range(60)]
        shop["orders"].insert_many(orders)
        shop["orders"].create_index("customer_id")
        shop["orders"].create_index([("status", 1), ("placed_at", -1)])
        return str(client.admin.command("buildInfo")["version"])
    finally:
        client.close()


_CITIES = [("Lisbon", "PT"), ("Porto", "PT"), ("Lyon", "FR"), ("Ghent", "BE"), ("Graz", "AT")]
_FIRST = ["Ana", "Bruno", "Chloe", "Dirk", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
_LAST = ["Silva", "Martin", "Peeters", "Huber", "Costa", "Moreau", "Janssens", "Gruber"]
_TAGS = ["vip", "newsletter", "wholesale", "returns", "b2b", "eu"]
_SKUS = [("SKU-100", "Kettle"), ("SKU-200", "Teapot"), ("SKU-300", "Mug"), ("SKU-400", "Tray")]


def _customer(i: int, rng: random.Random, object_id: Any) -> dict[str, Any]:
    first, last = _FIRST[i % len(_FIRST)], _LAST[i % len(_LAST)]
    city, country = _CITIES[i % len(_CITIES)]
    doc: dict[str, Any] = {
        "_id": object_id(f"{i + 1:024x}"),
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "address": {
            "street": f"{rng.randint(1, 200)} Rua Nova",
            "city": city,
            "country": country,
            "geo": {"lat": round(rng.uniform(38, 48), 4), "lng": round(rng.uniform(-9, 16), 4)},
        },
        "tags": rng.sample(_TAGS, k=rng.randint(0, 3)),
        "signed_up": dt.datetime(2024, 1, 1) + dt.timedelta(days=i * 9),
        # Most ages are numbers; a legacy import left a few as text (mixed types).
        "age": str(20 + i) if i % 10 == 3 else 20 + i,
    }
    if i % 3 == 0:  # a nested document only members have
        doc["loyalty"] = {"tier": ["bronze", "silver", "gold"][i % 3], "points": i * 15}
    if i % 4 == 0:  # only some customers have a phone (a partial field)
        doc["phone"] = f"+351 91{i:07d}"
    if i % 8 == 1:  # an explicit null, which is not the same as absent
        doc["phone"] = None
    return doc


def _order(i: int, rng: random.Random, customers: list[dict[str, Any]]) -> dict[str, Any]:
    # Prices are doubles: FerretDB v1 does not support Decimal128 (it drops the connection).
    items: list[dict[str, Any]] = [
        {
            "sku": sku,
            "title": title,
            "qty": rng.randint(1, 4),
            "price": rng.randint(300, 9000) / 100,
        }
        for sku, title in rng.sample(_SKUS, k=rng.randint(1, 3))
    ]
    return {
        "customer_id": customers[i % len(customers)]["_id"],
        "placed_at": dt.datetime(2025, 3, 1) + dt.timedelta(hours=i * 7),
        "status": rng.choice(["placed", "paid", "shipped", "delivered"]),
        "items": items,
        "total": round(sum(item["qty"] * item["price"] for item in items), 2),
        "shipping": {"method": rng.choice(["post", "courier"]), "cost": 4.9},
    }


# Elasticsearch


def start_elasticsearch(base_dir: Path, port: int = 29200) -> ServerInfo:
    """Elasticsearch 8 behind the root proxy on 127.0.0.1:`port` (plain) and `port + 1`
    (TLS); the node itself listens on `port + 10` (HTTP) and `port + 110` (transport)."""
    if not (ES_HOME / "bin" / "elasticsearch").is_file():
        raise ServerError(
            f"Elasticsearch {ES_VERSION} is not installed ({ES_HOME}): {INSTALL_HINT}."
        )
    java_home = _java_home()
    home = Path(base_dir).resolve() / "elasticsearch"
    certs = _ensure_certs(Path(base_dir).resolve() / "certs")
    node_port, transport_port = port + 10, port + 110
    es_pid, es_log = home / "run" / "es.pid", home / "es.log"
    proxy_pid, proxy_log = home / "proxy.pid", home / "proxy.log"
    admin = ("clew_admin", ES_USERS["clew_admin"][0])

    reused = _alive(_read_pid(es_pid)) is not None
    if not reused:
        _require_free(node_port, "Elasticsearch")
        _require_free(transport_port, "Elasticsearch (transport)")
        _prepare_es_home(home, node_port, transport_port, java_home)
        _rotate(es_log)
        es_pid.unlink(missing_ok=True)  # stale: its process is gone
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": java_home,
            "ES_PATH_CONF": str(home / "config"),
            "ES_JAVA_OPTS": "-Xms256m -Xmx256m",
            # Its temporary files (and the launcher's) stay under the base dir, not /tmp.
            "ES_TMPDIR": str(home / "tmp"),
            "CLI_JAVA_OPTS": f"-Djava.io.tmpdir={home / 'tmp'}",
            "HOME": str(home),
            "LANG": "C.UTF-8",
        }
        command = [str(ES_HOME / "bin" / "elasticsearch"), "-p", str(es_pid)]
        process = _spawn(command, es_log, env=env, as_user=_es_user())
        _wait(
            lambda: _es_health(node_port, admin) and es_pid.exists(),
            process.pid,
            es_log,
            "Elasticsearch",
        )
    if _alive(_read_pid(proxy_pid)) is None:
        _require_free(port, "the Elasticsearch root proxy")
        _require_free(port + 1, "the Elasticsearch root proxy (TLS)")
        _rotate(proxy_log)
        build = _es_build_info()
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "es-proxy",
            f"--listen=127.0.0.1:{port}",
            f"--tls-listen=127.0.0.1:{port + 1}",
            f"--cert={certs.cert_file}",
            f"--key={certs.key_file}",
            f"--upstream=127.0.0.1:{node_port}",
            f"--build={json.dumps(build)}",
        ]
        process = _spawn(command, proxy_log)
        proxy_pid.write_text(str(process.pid))
        _wait(lambda: _es_root(port, admin), process.pid, proxy_log, "the root proxy")
    _seed_es(node_port, admin)
    return ServerInfo(
        product="Elasticsearch",
        version=ES_VERSION,
        host="127.0.0.1",
        port=port,
        base_dir=home,
        log_file=es_log,
        tls_port=port + 1,
        ca_certificate=certs.ca_pem,
        tls_hostname="localhost",
        users={name: password for name, (password, _) in ES_USERS.items()},
        reused=reused,
    )


def stop_elasticsearch(base_dir: Path) -> bool:
    """Stops the Elasticsearch of `base_dir` and its proxy; True if either was running."""
    home = Path(base_dir).resolve() / "elasticsearch"
    proxy = _stop(home / "proxy.pid")
    # -p names the server JVM; its launcher exits with it. SIGTERM lets it close shards.
    node = _stop(home / "run" / "es.pid", grace=60.0)
    return proxy or node


def _prepare_es_home(home: Path, node_port: int, transport_port: int, java_home: str) -> None:
    config = home / "config"
    for sub in ("data", "logs", "run", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    if not (config / "jvm.options").exists():
        shutil.copytree(ES_HOME / "config", config, dirs_exist_ok=True)
    (config / "elasticsearch.yml").write_text(
        "\n".join(
            [
                "cluster.name: clew-test",
                "node.name: clew-test",
                f"path.data: {home / 'data'}",
                f"path.logs: {home / 'logs'}",
                "network.host: 127.0.0.1",
                f"http.port: {node_port}",
                f"transport.port: {transport_port}",
                "discovery.type: single-node",
                "xpack.security.enabled: true",
                # Loopback only, one node: TLS on the node adds nothing the proxy does not test.
                "xpack.security.http.ssl.enabled: false",
                "xpack.security.transport.ssl.enabled: false",
                # A nearly full shared disk must not turn the test indices read-only.
                "cluster.routing.allocation.disk.threshold_enabled: false",
                "",
            ]
        )
    )
    (config / "roles.yml").write_text(_ES_ROLES)
    user = _es_user()
    if user is not None:
        _chown_tree(home, user)
    _add_es_users(config, java_home, user)


def _add_es_users(config: Path, java_home: str, user: pwd.struct_passwd | None) -> None:
    users_file = config / "users"
    existing = users_file.read_text() if users_file.exists() else ""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": java_home,
        "ES_PATH_CONF": str(config),
    }
    for name, (password, roles) in ES_USERS.items():
        if any(line.startswith(f"{name}:") for line in existing.splitlines()):
            continue
        command = [str(ES_HOME / "bin" / "elasticsearch-users"), "useradd", name, "-p", password]
        if roles:
            command += ["-r", roles]
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, **_user_kwargs(user)
        )
        if result.returncode != 0:
            raise ServerError(f"elasticsearch-users useradd {name} failed: {result.stderr[-2000:]}")


def _es_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None  # not root: Elasticsearch runs as whoever we are
    try:
        return pwd.getpwnam(ES_SYSTEM_USER)
    except KeyError:
        raise ServerError(
            f"Elasticsearch refuses to run as root and user {ES_SYSTEM_USER} is missing: "
            f"{INSTALL_HINT}."
        ) from None


def _user_kwargs(user: pwd.struct_passwd | None) -> dict[str, Any]:
    if user is None:
        return {}
    # extra_groups=[] drops root's supplementary groups along with its uid.
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _chown_tree(root: Path, user: pwd.struct_passwd) -> None:
    for path in [root, *root.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    # Elasticsearch must reach its directories through the parents; widening someone's
    # home directory is not ours to do, so say what is in the way instead.
    for parent in root.parents:
        if not parent.stat().st_mode & 0o001:
            raise ServerError(
                f"User {user.pw_name} cannot enter {parent}; put the test servers' base "
                "directory somewhere every user may traverse."
            )


def _java_home() -> str:
    configured = os.environ.get("ES_JAVA_HOME") or os.environ.get("JAVA_HOME")
    if configured and (Path(configured) / "bin" / "java").exists():
        return configured
    java = shutil.which("java")
    if java is None:
        raise ServerError(
            "Elasticsearch 8 needs Java 17 or newer: install openjdk-17-jre-headless."
        )
    return str(Path(java).resolve().parent.parent)


def _es_build_info() -> dict[str, Any]:
    # What GET / reports that _nodes does not: the server jar's manifest has it.
    manifest: dict[str, str] = {}
    with zipfile.ZipFile(ES_HOME / "lib" / f"elasticsearch-{ES_VERSION}.jar") as jar:
        for line in jar.read("META-INF/MANIFEST.MF").decode().splitlines():
            key, _, value = line.partition(": ")
            manifest[key.strip()] = value.strip()
    return {
        "build_date": manifest.get("Build-Date", ""),
        "lucene_version": manifest.get("X-Compile-Lucene-Version", ""),
        "build_snapshot": manifest.get("X-Compile-Elasticsearch-Snapshot") == "true",
    }


def _es_request(
    port: int,
    method: str,
    path: str,
    auth: tuple[str, str] | None,
    body: Any = None,
    *,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    import base64

    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def _es_health(port: int, auth: tuple[str, str]) -> bool:
    try:
        status, _ = _es_request(
            port, "GET", "/_cluster/health?wait_for_status=yellow&timeout=1s", auth
        )
    except (OSError, http.client.HTTPException, ValueError):
        return False
    return status == 200


def _es_root(port: int, auth: tuple[str, str]) -> bool:
    try:
        status, body = _es_request(port, "GET", "/", auth)
    except (OSError, http.client.HTTPException, ValueError):
        return False
    return status == 200 and bool(body and body.get("version"))


_PRODUCTS_MAPPING: dict[str, Any] = {
    "_meta": {"description": "What the shop sells, one document per product."},
    # Without a script a runtime field reads the same-named value from _source.
    "runtime": {"brand": {"type": "keyword"}},
    "properties": {
        "sku": {"type": "keyword"},
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "description": {"type": "text"},
        "price": {"type": "float"},
        "in_stock": {"type": "boolean"},
        "created_at": {"type": "date"},
        "tags": {"type": "keyword"},
        "dimensions": {
            "properties": {
                "width_cm": {"type": "float"},
                "height_cm": {"type": "float"},
                "packaging": {"properties": {"material": {"type": "keyword"}}},
            }
        },
        "variants": {
            "type": "nested",
            "properties": {
                "color": {"type": "keyword"},
                "size": {"type": "keyword"},
                "stock": {"type": "integer"},
            },
        },
    },
}
# Last year's catalogue: price was mapped as double then (a conflict seen through the alias),
# and it had a field the current index dropped.
_ARCHIVE_MAPPING: dict[str, Any] = {
    "properties": {
        "sku": {"type": "keyword"},
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "price": {"type": "double"},
        "discontinued_at": {"type": "date"},
    }
}


def _seed_es(port: int, auth: tuple[str, str]) -> None:
    for index in ("products", "products_archive", "orders_private", "audit-hidden"):
        status, body = _es_request(port, "DELETE", f"/{index}", auth)
        if status not in (200, 404):
            raise ServerError(f"Could not delete test index {index}: {body}")
    _create_index(port, auth, "products", {"mappings": _PRODUCTS_MAPPING})
    _create_index(port, auth, "products_archive", {"mappings": _ARCHIVE_MAPPING})
    _create_index(
        port,
        auth,
        "orders_private",
        {"mappings": {"properties": {"order_id": {"type": "keyword"}}}},
    )
    _create_index(
        port,
        auth,
        "audit-hidden",
        {"settings": {"index.hidden": True}, "mappings": {"properties": {"at": {"type": "date"}}}},
    )
    lines: list[str] = []
    for i in range(12):
        lines.append(json.dumps({"index": {"_index": "products", "_id": f"p{i}"}}))
        lines.append(json.dumps(_product(i)))
    for i in range(3):
        lines.append(json.dumps({"index": {"_index": "products_archive", "_id": f"a{i}"}}))
        lines.append(json.dumps({"sku": f"OLD-{i}", "name": f"Old kettle {i}", "price": 9.5}))
    _bulk(port, auth, "\n".join(lines) + "\n")
    status, body = _es_request(
        port,
        "POST",
        "/_aliases",
        auth,
        {
            "actions": [
                {"add": {"index": "products", "alias": "catalog"}},
                {"add": {"index": "products_archive", "alias": "catalog"}},
            ]
        },
    )
    if status != 200:
        raise ServerError(f"Could not create alias catalog: {body}")


def _product(i: int) -> dict[str, Any]:
    sku, title = _SKUS[i % len(_SKUS)]
    return {
        "sku": f"{sku}-{i}",
        "name": f"{title} no. {i}",
        "description": f"A sturdy {title.lower()} for everyday use.",
        "price": 10 + i * 2.5,
        "in_stock": i % 3 != 0,
        "created_at": f"2025-0{1 + i % 9}-1{i % 10}T10:00:00Z",
        "tags": ["kitchen", "gift"] if i % 2 else ["kitchen"],
        "dimensions": {"width_cm": 12 + i, "height_cm": 20.5, "packaging": {"material": "card"}},
        "variants": [
            {"color": "red", "size": "S", "stock": i},
            {"color": "blue", "size": "M", "stock": i + 3},
        ],
    }


def _create_index(port: int, auth: tuple[str, str], name: str, body: dict[str, Any]) -> None:
    settings = body.setdefault("settings", {})
    settings.setdefault("number_of_replicas", 0)  # one node: replicas would stay unassigned
    status, answer = _es_request(port, "PUT", f"/{name}", auth, body)
    if status != 200:
        raise ServerError(f"Could not create test index {name}: {answer}")


def _bulk(port: int, auth: tuple[str, str], ndjson: str) -> None:
    import base64

    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/_bulk?refresh=true",
            body=ndjson.encode(),
            headers={"Content-Type": "application/x-ndjson", "Authorization": f"Basic {token}"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    if response.status != 200 or answer.get("errors"):
        raise ServerError(f"Seeding Elasticsearch failed: {str(answer)[:2000]}")


# The root proxy (runs in its own process: `python nosql.py es-proxy ...`)


class _RootProxy(BaseHTTPRequestHandler):
    """Passes requests through to the node, answering `GET /` and `HEAD /` itself.

    The answer has the Root API's documented shape
    (https://www.elastic.co/guide/en/elasticsearch/reference/8.19/rest-api-root.html):
    name, cluster_name, cluster_uuid, version{number, build_flavor, build_type, build_hash,
    build_date, build_snapshot, lucene_version, minimum_wire_compatibility_version,
    minimum_index_compatibility_version}, tagline. Its values come from the node's
    `GET /_nodes/_local` and `GET /_cluster/state/metadata` (both need the `monitor` cluster
    privilege, as `GET /` does), asked with the caller's own credentials; an error from
    either is passed back as the node sent it (only the refused request's path reads `/`),
    so authentication and authorization stay the node's. A 403 names the action
    `cluster:monitor/nodes/info` where the real endpoint's names `cluster:monitor/main`.
    """

    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 9200)
    build: dict[str, Any] = {}

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the node logs what matters; a line per request drowns it

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command in ("GET", "HEAD") and urlsplit(self.path).path in ("", "/"):
            status, headers, payload = self._root()
        else:
            status, headers, payload = self._forward(self.command, self.path, body)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _forward(
        self, method: str, path: str, body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        skip = {"host", "connection", "content-length", "keep-alive", "transfer-encoding"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in skip]
            return response.status, kept, payload
        finally:
            connection.close()

    def _root(self) -> tuple[int, list[tuple[str, str]], bytes]:
        fields = "cluster_name,nodes.*.name,nodes.*.version,nodes.*.build_flavor,"
        fields += "nodes.*.build_type,nodes.*.build_hash"
        nodes_path = f"/_nodes/_local?filter_path={fields}"
        status, headers, payload = self._forward("GET", nodes_path, None)
        if status != 200:
            # The node names the request it refused; name the one the caller made.
            return status, headers, payload.replace(nodes_path.encode(), b"/")
        nodes = json.loads(payload)
        state_status, state_headers, state = self._forward(
            "GET", "/_cluster/state/metadata?filter_path=metadata.cluster_uuid", None
        )
        if state_status != 200:
            return state_status, state_headers, state
        node = next(iter(nodes["nodes"].values()))
        answer = {
            "name": node["name"],
            "cluster_name": nodes["cluster_name"],
            "cluster_uuid": json.loads(state)["metadata"]["cluster_uuid"],
            "version": {
                "number": node["version"],
                "build_flavor": node["build_flavor"],
                "build_type": node["build_type"],
                "build_hash": node["build_hash"],
                "build_date": self.build.get("build_date", ""),
                "build_snapshot": self.build.get("build_snapshot", False),
                "lucene_version": self.build.get("lucene_version", ""),
                # Elasticsearch 8.19's compatibility floor, as its Root API reports it.
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }
        # The node's own headers: X-elastic-product and the negotiated content type.
        return 200, headers, json.dumps(answer, indent=2).encode()


def _serve_proxy(argv: list[str]) -> None:
    options = dict(arg.removeprefix("--").split("=", 1) for arg in argv)
    host, port = options["upstream"].rsplit(":", 1)
    _RootProxy.upstream = (host, int(port))
    _RootProxy.build = json.loads(options.get("build", "{}"))
    servers = [_bind(options["listen"])]
    if options.get("tls-listen"):
        secure = _bind(options["tls-listen"])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options["cert"], options["key"])
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        servers.append(secure)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in servers:
        server.shutdown()


def _bind(address: str) -> ThreadingHTTPServer:
    host, port = address.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"the proxy listens on loopback only, not {host}")
    server = ThreadingHTTPServer((host, int(port)), _RootProxy)
    server.daemon_threads = True
    return server


# Certificates


@dataclass(frozen=True)
class _Certs:
    ca_pem: str
    cert_file: Path
    key_file: Path


def _ensure_certs(directory: Path) -> _Certs:
    """A CA and a server certificate valid for DNS name `localhost` only (not 127.0.0.1),
    so tests can reach the same listener with a matching and a mismatching host name."""
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    if all(p.exists() for p in (ca_file, cert_file, key_file)) and _valid_for_a_day(cert_file):
        return _Certs(ca_file.read_text(), cert_file, key_file)

    from tests.servers.certs import make_ca, make_server_cert, write_cert, write_key

    directory.mkdir(parents=True, exist_ok=True)
    month = dt.timedelta(days=30)
    ca_key, ca = make_ca("Clew test CA", valid=month)
    key, cert = make_server_cert(ca_key, ca, dns_names=["localhost"], valid=month)
    write_key(key_file, key)
    write_cert(cert_file, cert)
    write_cert(ca_file, ca)
    return _Certs(ca_file.read_text(), cert_file, key_file)


def _valid_for_a_day(cert_file: Path) -> bool:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    remaining = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    return remaining > dt.timedelta(days=1)


# Processes


def _spawn(
    command: list[str],
    log_file: Path,
    *,
    env: dict[str, str] | None = None,
    as_user: pwd.struct_passwd | None = None,
) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log_file.parent,
            # Its own session: a Ctrl-C in the test terminal does not kill it mid-seed,
            # and stopping it can signal the whole group.
            start_new_session=True,
            **_user_kwargs(as_user),
        )
    _children[process.pid] = process
    return process


# Processes we launched; polling reaps them, so a dead one is not mistaken for alive.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _wait(ready: Any, pid: int, log_file: Path, what: str) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if ready():
            return
        if _alive(pid) is None:
            raise ServerError(f"{what} exited while starting. Last log lines:\n{_tail(log_file)}")
        time.sleep(_POLL)
    _terminate(pid, grace=10.0)
    raise ServerError(
        f"{what} did not become ready within {_READY_TIMEOUT:g}s (stopped). "
        f"Last log lines:\n{_tail(log_file)}"
    )


def _stop(pid_file: Path, *, grace: float = 20.0) -> bool:
    pid = _alive(_read_pid(pid_file))
    if pid is not None:
        _terminate(pid, grace=grace)
    pid_file.unlink(missing_ok=True)
    return pid is not None


def _terminate(pid: int, *, grace: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _alive(pid) is None:
            return
        time.sleep(_POLL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int | None) -> int | None:
    if pid is None:
        return None
    child = _children.get(pid)
    if child is not None:
        return pid if child.poll() is None else None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # someone else's process: alive, but not ours to judge
    # A zombie (exited, not yet reaped by its parent) still answers kill(pid, 0).
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid
    return None if state == "Z" else pid


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _require_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServerError(
                    f"Port {port} for {what} is taken by another program; pick another port."
                ) from None
            raise


def _rotate(log_file: Path) -> None:
    if log_file.exists():
        log_file.replace(log_file.with_name(log_file.name + ".1"))


def _tail(log_file: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextlib.contextmanager
def silent_socket() -> Iterator[tuple[str, int]]:
    """A loopback port whose listener accepts connections (the kernel completes the
    handshake) but never reads or answers: what a firewall that drops replies looks like."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()


def unused_port() -> int:
    """A loopback port nothing listens on (bound and released: refused when dialled)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "es-proxy":
        _serve_proxy(sys.argv[2:])
    else:
        raise SystemExit("usage: nosql.py es-proxy --listen=H:P --upstream=H:P [...]")
