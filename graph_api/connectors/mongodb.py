"""MongoDB (and servers speaking its wire protocol, such as FerretDB) through pymongo.

Collections have no declared schema, so `introspect` infers one from a bounded sample, as
mongodb_inference.py describes. A scan reads each collection of a database the same way,
a few at a time (SCAN_WORKERS in parallel), and warns about one it may not read.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from graph_api.connectors.base import (
    EVERYTHING,
    SETTINGS,
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    Missing,
    NamespaceInfo,
    ScanWarning,
    SettingsError,
    TableFilter,
    TableInfo,
    TableRef,
    TestReport,
    did_you_mean,
    elapsed_ms,
)
from graph_api.connectors.mongodb_inference import (
    MAX_COLUMNS,
    SAMPLE_SIZE,
    collect,
    columns,
    describe_index,
    sample_note,
)
from graph_api.connectors.network import text_reason
from graph_api.connectors.registry import register
from graph_api.connectors.tls import CaFile
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.collection import Collection
    from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

DEFAULT_PORT = 27017
# Collections sampled at once by a scan: enough to hide round trips, few enough to leave the
# server (and the 2 cores of a small Clew host) to others.
SCAN_WORKERS = 4
# The server's own databases, never a user's namespace.
SYSTEM_DATABASES = frozenset({"admin", "config", "local"})


class _Rejected(Exception):
    """$sample is known to be rejected by this server."""


# Server error codes (MongoDB's error_codes.yml).
_UNAUTHORIZED = 13
_AUTHENTICATION_FAILED = 18
_NOT_IMPLEMENTED = 238
_UNRECOGNIZED_STAGE = 40324
_MAX_TIME_EXPIRED = 50

_URI_HINT = (
    "Check the URI's form (mongodb://user:password@host:port/database, with the user name "
    "and password percent-encoded) and its options."
)


class MongoDBConnector(Connector):
    type = SourceType.MONGODB
    default_port = DEFAULT_PORT

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], secrets: Mapping[str, str | None]) -> None:
        super().check_settings(settings, secrets)
        if settings.get("database"):
            return
        uri = secrets.get("uri")
        # A stored URI (only a placeholder here) was checked when it was given.
        if uri is not None and (not _looks_like_uri(uri) or _uri_database(uri)):
            return
        p = SETTINGS
        raise SettingsError(
            f"A MongoDB source needs {p}.database: the database whose collections Clew reads"
            + (", or a database in the URI (mongodb://host:port/database)." if uri else "."),
            field=f"{p}.database",
        )

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__(config)
        self._client: MongoClient[dict[str, Any]] | None = None
        # Why the server rejected $sample, once it did (FerretDB): later samples skip it.
        self._sample_rejected: str | None = None
        self._ca_file = CaFile(self, "clew-mongodb-ca-")

    # The contract

    def test(self) -> TestReport:
        started = time.perf_counter()
        try:
            self._preflight()
            database = self._database_name(None)
            client = self._connect()
            client.admin.command("ping")
            build = client.admin.command("buildInfo")
            # Reachable is not enough: the database the source reads must be there too.
            if not self._collections(database):
                self._require_database(database)
        except ConnectorError as exc:
            return TestReport.failure(exc, latency_ms=elapsed_ms(started))
        except _errors().PyMongoError as exc:
            return TestReport.failure(self._classify(exc), latency_ms=elapsed_ms(started))
        return TestReport(
            ok=True,
            latency_ms=elapsed_ms(started),
            product="MongoDB",
            version=str(build.get("version") or "") or None,
        )

    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        database = self._database_name(schema)
        try:
            found = self._collections(database)
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        if not found:
            self._require_database(database)
        refs = [TableRef(schema=database, name=name, kind=kind) for name, kind in found.items()]
        return sorted(refs, key=lambda ref: ref.name)[: max(limit, 0)]

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        database = self._database_name(schema)
        try:
            return self._introspect(database, table)
        except _errors().PyMongoError as exc:
            raise self._classify(exc, table=f"{database}.{table}") from None

    def discover(self) -> list[NamespaceInfo]:
        try:
            names = self._database_names()
            if names is None:  # the account may not list databases: the configured one
                names = [self._database_name(None)]
            found = []
            for name in sorted(n for n in names if n not in SYSTEM_DATABASES):
                kinds = Counter(self._collections(name).values())
                counts = {kind: kinds[kind] for kind in (TableKind.COLLECTION, TableKind.VIEW)}
                found.append(NamespaceInfo(name=name, counts=counts))
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        return found

    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        try:
            found = self._collections(namespace)
            if not found:
                self._require_database(namespace)
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        chosen = sorted((n, k) for n, k in found.items() if table_filter.matches(n, k))
        # Sampling is one collection at a time by nature: a few run at once, results in
        # name order. The first goes alone: it learns whether the server takes $sample.
        pool = ThreadPoolExecutor(max_workers=SCAN_WORKERS, thread_name_prefix="clew-mongo-scan")
        try:
            if chosen:
                yield self._scan_one(namespace, *chosen[0])
            yield from pool.map(lambda item: self._scan_one(namespace, *item), chosen[1:])
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._ca_file.close()

    # Connecting

    def _connect(self) -> MongoClient[dict[str, Any]]:
        if self._client is None:
            try:
                self._client = self._new_client()
            except (_errors().ConfigurationError, _errors().InvalidURI) as exc:
                raise self._classify(exc) from None
            except (ValueError, TypeError) as exc:  # what pymongo raises for a malformed URI
                raise self.error(
                    FailureReason.UNKNOWN,
                    f"The connection settings are not valid: {exc}",
                    hint=_URI_HINT,
                ) from None
        return self._client

    def _new_client(self) -> MongoClient[dict[str, Any]]:
        timeout_ms = int(self.config.connect_timeout * 1000)
        options: dict[str, Any] = {
            "serverSelectionTimeoutMS": timeout_ms,
            "connectTimeoutMS": timeout_ms,
            "socketTimeoutMS": int(self.config.query_timeout * 1000),
            "appname": "clew",
            # A catalog reads; a retried write is never needed.
            "retryWrites": False,
        }
        if self.config.username and not _uri_has_credentials(self.config.uri):
            options["username"] = self.config.username
        if self.config.password is not None and not _uri_has_credentials(self.config.uri):
            options["password"] = self.config.password
        options.update(self._tls_options())
        if self.config.uri:
            return _driver().MongoClient(self.config.uri, **options)
        return _driver().MongoClient(
            host=self.config.host or "localhost",
            port=self.config.port or DEFAULT_PORT,
            **options,
        )

    def _tls_options(self) -> dict[str, Any]:
        tls = self.config.tls
        if not tls.enabled:
            return {}
        options: dict[str, Any] = {"tls": True}
        if tls.ca_certificate:
            # pymongo takes a CA only as a file path; the file lives until close().
            options["tlsCAFile"] = self._ca_file.path(tls.ca_certificate)
        if not tls.verify_hostname:
            options["tlsAllowInvalidHostnames"] = True
        return options

    def _preflight(self) -> None:
        # pymongo retries an unresolvable or refusing host until the selection timeout and
        # then reports it; one plain connect per seed host answers those cases at once.
        hosts = self._hosts()
        outcomes = [self._probe(host, port) for host, port in hosts]
        if not outcomes or "ok" in outcomes or "other" in outcomes:
            return  # let the driver talk, and tell
        where = self._where()
        if all(outcome == "unresolved" for outcome in outcomes):
            raise self.error(FailureReason.HOST_NOT_FOUND, f"{where} does not resolve.")
        if all(outcome == "timeout" for outcome in outcomes):
            seconds = self.config.connect_timeout
            raise self.error(
                FailureReason.TIMEOUT, f"{where} did not answer within {seconds:g} seconds."
            )
        if "refused" in outcomes:
            raise self.error(FailureReason.CONNECTION_REFUSED, f"{where} refused the connection.")

    def _probe(self, host: str, port: int) -> str:
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                return "unresolved"
            return "other"  # a DNS outage is not a typo
        except (OSError, UnicodeError):
            return "other"
        try:
            with socket.create_connection((host, port), timeout=self.config.connect_timeout):
                return "ok"
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
        except OSError:
            return "other"

    def _hosts(self) -> list[tuple[str, int]]:
        if not self.config.uri:
            return [(self.config.host or "localhost", self.config.port or DEFAULT_PORT)]
        if self.config.uri.startswith("mongodb+srv://"):
            return []  # resolved through SRV records by the driver
        try:
            parsed = _driver().uri_parser.parse_uri(self.config.uri, warn=True)
        except (_errors().ConfigurationError, _errors().InvalidURI, ValueError):
            return []  # the driver will say what is wrong with it
        return [(str(host), int(port)) for host, port in parsed["nodelist"]]

    def _database_name(self, schema: str | None) -> str:
        name = schema or self.config.database or self._uri_database()
        if not name:
            raise self.error(
                FailureReason.DATABASE_NOT_FOUND,
                "No database is configured: give the source a database, or name it in the "
                "URI (mongodb://host:port/database).",
            )
        return name

    def _uri_database(self) -> str | None:
        return _uri_database(self.config.uri) if self.config.uri else None

    # Collections

    def _collections(self, database: str, *, name: str | None = None) -> dict[str, TableKind]:
        db = self._connect()[database]
        found: dict[str, TableKind] = {}
        wanted = {} if name is None else {"name": name}
        for spec in db.list_collections(filter=wanted, nameOnly=True, authorizedCollections=True):
            name = str(spec["name"])
            if name.startswith("system."):
                continue  # server-internal: views' definitions, the profiler
            found[name] = TableKind.VIEW if spec.get("type") == "view" else TableKind.COLLECTION
        return found

    def _require_database(self, database: str) -> None:
        # MongoDB creates databases on first write, so "no collections" and "no such
        # database" look alike; tell them apart where the account may list databases.
        try:
            names = self._database_names()
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        if names is None:
            return
        if database in names:
            return
        raise self.error(
            FailureReason.DATABASE_NOT_FOUND,
            f"Database '{database}' does not exist on {self._where()}."
            f"{did_you_mean(database, names)}",
            hint="Check the database name (MongoDB names are case-sensitive).",
            missing=Missing("database", database),
        )

    def _database_names(self) -> list[str] | None:
        """The databases the account may see, or None when it may not list them."""
        try:
            reply = self._connect().admin.command(
                "listDatabases", nameOnly=True, authorizedDatabases=True
            )
        except _errors().OperationFailure:
            return None
        return [str(entry["name"]) for entry in reply.get("databases", [])]

    def _introspect(self, database: str, table: str) -> TableInfo:
        kind = self._collections(database, name=table).get(table)
        if kind is None:
            others = self._collections(database)
            if not others:
                self._require_database(database)  # a missing database is named as such
            raise self.error(
                FailureReason.TABLE_NOT_FOUND,
                f"Collection '{table}' does not exist in database '{database}'."
                f"{did_you_mean(table, others)}",
                hint="Check the collection name (case-sensitive) and the database.",
                missing=Missing("collection", f"{database}.{table}"),
            )
        return self._read_collection(database, table, kind)

    def _read_collection(self, database: str, name: str, kind: TableKind) -> TableInfo:
        """The one reader of a collection's fields, for `introspect` and scans alike."""
        collection = self._connect()[database][name]
        documents, used_sample, rejection = self._sample(collection)
        count = self._estimated_count(collection)
        stats = collect(documents)
        fields, truncated = columns(stats, len(documents))
        notes = [sample_note(len(documents), count, used_sample, rejection)]
        if truncated:
            notes.append(f"Only the first {MAX_COLUMNS} of {len(stats)} fields are listed.")
        return TableInfo(
            schema=database,
            name=name,
            kind=kind,
            row_count=count,
            columns=fields,
            indexes=self._indexes(collection) if kind is TableKind.COLLECTION else [],
            notes=notes,
            positions_from_names=True,
        )

    def _scan_one(self, database: str, name: str, kind: TableKind) -> TableInfo | ScanWarning:
        try:
            return self._read_collection(database, name, kind)
        except _errors().OperationFailure as exc:
            # This collection could not be read or sampled; the others may still be.
            error = self._classify(exc, table=f"{database}.{name}")
            return ScanWarning(
                namespace=database, table=name, reason=error.reason, message=error.message
            )

    def _sample(
        self, collection: Collection[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], bool, str | None]:
        """The sampled documents, whether `$sample` drew them, and why not if not."""
        max_ms = int(self.config.query_timeout * 1000)
        reason = self._sample_rejected
        try:
            if reason is not None:
                raise _Rejected()
            sampled = collection.aggregate(
                [{"$sample": {"size": SAMPLE_SIZE}}], maxTimeMS=max_ms, batchSize=SAMPLE_SIZE
            )
            return list(sampled), True, None
        except _errors().OperationFailure as exc:
            if not _rejects_sample(exc):
                raise
            reason = self._sample_rejected = str((exc.details or {}).get("errmsg") or exc)
        except _Rejected:
            pass  # the server said so before: ask it no more
        first = collection.find({}, limit=SAMPLE_SIZE, max_time_ms=max_ms, batch_size=SAMPLE_SIZE)
        return list(first), False, reason

    def _estimated_count(self, collection: Collection[dict[str, Any]]) -> int | None:
        try:
            return collection.estimated_document_count(
                maxTimeMS=int(self.config.query_timeout * 1000)
            )
        except _errors().OperationFailure:
            return None  # views have no stored count; the sample still describes them

    def _indexes(self, collection: Collection[dict[str, Any]]) -> list[str]:
        return sorted(describe_index(spec) for spec in collection.list_indexes())

    # Errors

    def _classify(self, exc: PyMongoError, *, table: str | None = None) -> ConnectorError:
        text = str(exc)
        lowered = text.lower()
        where = self._where()
        if isinstance(exc, _errors().OperationFailure):
            return self._classify_operation(exc, table=table)
        if isinstance(exc, (_errors().ConfigurationError, _errors().InvalidURI)):
            if text_reason(lowered) is FailureReason.HOST_NOT_FOUND:
                return self.error(FailureReason.HOST_NOT_FOUND, f"{where} does not resolve.")
            return self.error(
                FailureReason.UNKNOWN,
                f"The connection settings are not valid: {text}",
                hint=_URI_HINT,
            )
        if isinstance(exc, _errors().ConnectionFailure):
            return self._classify_network(exc, where)
        return self.error(
            FailureReason.UNKNOWN, f"MongoDB at {where} reported an error.", detail=text
        )

    def _classify_operation(self, exc: OperationFailure, *, table: str | None) -> ConnectorError:
        message = str((exc.details or {}).get("errmsg") or exc)
        if exc.code == _AUTHENTICATION_FAILED:
            return self.error(
                FailureReason.AUTHENTICATION_FAILED,
                f"{self._where()} refused the credentials"
                + (f" of user '{self.config.username}'." if self.config.username else "."),
                detail=message,
            )
        if exc.code == _MAX_TIME_EXPIRED:
            seconds = self.config.query_timeout
            return self.error(
                FailureReason.TIMEOUT,
                f"Reading {table or 'the server'} took longer than {seconds:g} seconds.",
                hint="Raise the source's query timeout, or try when the server is less busy.",
            )
        if exc.code == _UNAUTHORIZED:
            what = f" to read '{table}'" if table else ""
            return self.error(
                FailureReason.PERMISSION_DENIED,
                f"The account is not authorized{what}.",
                detail=message,
            )
        return self.error(
            FailureReason.UNKNOWN, f"MongoDB at {self._where()} reported an error.", detail=message
        )

    def _classify_network(self, exc: ConnectionFailure, where: str) -> ConnectorError:
        reason = text_reason(_first_error(exc))
        if reason is FailureReason.HOST_NOT_FOUND:
            return self.error(FailureReason.HOST_NOT_FOUND, f"{where} does not resolve.")
        if reason is FailureReason.CONNECTION_REFUSED:
            return self.error(FailureReason.CONNECTION_REFUSED, f"{where} refused the connection.")
        if reason is FailureReason.TLS_ERROR:
            return self.error(
                FailureReason.TLS_ERROR,
                f"The TLS handshake with {where} failed.",
                detail=_first_error(exc),
            )
        # Nothing more specific: the server did not answer within the timeout.
        seconds = self.config.connect_timeout
        if isinstance(exc, _errors().ServerSelectionTimeoutError):
            return self.error(
                FailureReason.TIMEOUT, f"{where} did not answer within {seconds:g} seconds."
            )
        return self.error(
            FailureReason.TIMEOUT, f"The connection to {where} failed.", detail=_first_error(exc)
        )

    def _where(self) -> str:
        hosts = self._hosts()
        if hosts:
            return ", ".join(f"{host}:{port}" for host, port in hosts)
        return "the MongoDB server"


register(MongoDBConnector)


# Small helpers


def _driver() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import pymongo
    import pymongo.errors
    import pymongo.uri_parser

    return pymongo


def _errors() -> Any:
    return _driver().errors


def _rejects_sample(exc: OperationFailure) -> bool:
    if exc.code in (_NOT_IMPLEMENTED, _UNRECOGNIZED_STAGE):
        return True
    return "$sample" in str(exc) and exc.code not in (_UNAUTHORIZED, _AUTHENTICATION_FAILED)


def _first_error(exc: PyMongoError) -> str:
    # A selection timeout's text ends in the configured timeouts and the whole topology;
    # the part before them is the server's own error, the part a user can act on.
    text = str(exc).split(", Timeout:")[0]
    return text.split(" (configured timeouts:")[0].strip()


def _looks_like_uri(text: str) -> bool:
    return text.startswith(("mongodb://", "mongodb+srv://"))


def _uri_database(uri: str) -> str | None:
    """The database a URI names (mongodb://host/shop), without resolving anything."""
    parts = urlsplit(uri)
    name = unquote(parts.path.lstrip("/")) if parts.scheme.startswith("mongodb") else ""
    return name or None


def _uri_has_credentials(uri: str | None) -> bool:
    return bool(uri) and "@" in (urlsplit(uri).netloc if uri else "")
