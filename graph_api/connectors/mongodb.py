"""MongoDB (and servers speaking its wire protocol, such as FerretDB) through pymongo.

Collections have no declared schema, so `introspect` infers one from a bounded sample:

- Nested documents become dotted paths (`address.city`), as MongoDB's own query language
  names them. Documents inside arrays contribute paths the same way (`items.sku`).
- `observed_types` counts, per path, the sampled documents in which the path held a value
  of each BSON type, named as `$type` names them ("string", "int", "object", "array", ...;
  an explicit null is "null"). A document counts once per type, however many array
  elements matched.
- `data_type` is the one non-null type seen; arrays read `array<elem>` (elem the one element
  type, or "mixed"); paths with several non-null types read "mixed" and say which in their
  comment; a path seen only as null reads "null". The counts stay in `observed_types`.
- `is_array` marks a path that held an array in any sampled document.
- A path is nullable unless every sampled document held a non-null value there; `_id` is
  the primary key and never nullable.

The sample prefers `$sample` (random) and falls back to the first documents in natural
order when the server rejects it (FerretDB does not implement `$sample`); a note says which.
"""

from __future__ import annotations

import datetime
import functools
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from graph_api.connectors.base import (
    SETTINGS,
    ColumnInfo,
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    Missing,
    ObservedType,
    SettingsError,
    TableInfo,
    TableRef,
    TestReport,
    elapsed_ms,
)
from graph_api.connectors.network import text_reason
from graph_api.connectors.registry import register
from graph_api.connectors.tls import CaFile
from graph_api.models import SourceType, TableKind
from graph_api.names import did_you_mean

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.collection import Collection
    from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

SAMPLE_SIZE = 1000
MAX_COLUMNS = 2000
# Deeper nesting than this is almost always a recursive structure, not a schema.
MAX_DEPTH = 20
DEFAULT_PORT = 27017

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


@dataclass
class _PathStats:
    """What the sample showed at one dotted path."""

    types: Counter[str] = field(default_factory=Counter)  # documents per BSON type
    element_types: Counter[str] = field(default_factory=Counter)  # documents per element type
    non_null_docs: int = 0


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
            reply = self._connect().admin.command(
                "listDatabases", nameOnly=True, authorizedDatabases=True
            )
            names = [str(entry["name"]) for entry in reply.get("databases", [])]
        except _errors().OperationFailure:
            return
        except _errors().PyMongoError as exc:
            raise self._classify(exc) from None
        if database in names:
            return
        raise self.error(
            FailureReason.DATABASE_NOT_FOUND,
            f"Database '{database}' does not exist on {self._where()}."
            f"{did_you_mean(database, names)}",
            hint="Check the database name (MongoDB names are case-sensitive).",
            missing=Missing("database", database),
        )

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
        collection = self._connect()[database][table]
        documents, used_sample, rejection = self._sample(collection)
        count = self._estimated_count(collection)
        stats = _collect(documents)
        columns, truncated = _columns(stats, len(documents))
        notes = [_sample_note(len(documents), count, used_sample, rejection)]
        if truncated:
            notes.append(f"Only the first {MAX_COLUMNS} of {len(stats)} fields are listed.")
        return TableInfo(
            schema=database,
            name=table,
            kind=kind,
            row_count=count,
            columns=columns,
            indexes=self._indexes(collection) if kind is TableKind.COLLECTION else [],
            notes=notes,
            positions_from_names=True,
        )

    def _sample(
        self, collection: Collection[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], bool, str | None]:
        """The sampled documents, whether `$sample` drew them, and why not if not."""
        max_ms = int(self.config.query_timeout * 1000)
        try:
            sampled = collection.aggregate(
                [{"$sample": {"size": SAMPLE_SIZE}}], maxTimeMS=max_ms, batchSize=SAMPLE_SIZE
            )
            return list(sampled), True, None
        except _errors().OperationFailure as exc:
            if not _rejects_sample(exc):
                raise
            reason = str((exc.details or {}).get("errmsg") or exc)
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
        return sorted(_describe_index(spec) for spec in collection.list_indexes())

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


# Inference from the sample


def _collect(documents: Iterable[Mapping[str, Any]]) -> dict[str, _PathStats]:
    stats: dict[str, _PathStats] = {}
    for document in documents:
        # Sets, so a document counts once per type however many array elements matched.
        values: dict[str, set[str]] = {}
        elements: dict[str, set[str]] = {}
        for path, value, is_element in _walk(document, (), 0):
            target = elements if is_element else values
            target.setdefault(path, set()).add(_bson_type(value))
        for path, types in values.items():
            entry = stats.setdefault(path, _PathStats())
            entry.types.update(types)
            entry.element_types.update(elements.get(path, ()))
            if types - {"null"}:
                entry.non_null_docs += 1
    return stats


def _walk(value: Any, prefix: tuple[str, ...], depth: int) -> Iterator[tuple[str, Any, bool]]:
    """(dotted path, value, whether the value is an array element) for every nested value."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            path = (*prefix, str(key))
            yield ".".join(path), child, False
            yield from _walk_child(child, path, depth + 1)


def _walk_child(value: Any, path: tuple[str, ...], depth: int) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(value, Mapping):
        yield from _walk(value, path, depth)
    elif isinstance(value, list):
        for element in value:
            yield ".".join(path), element, True
            if isinstance(element, Mapping):
                yield from _walk(element, path, depth + 1)
            elif isinstance(element, list):
                yield from _walk_child(element, path, depth + 1)


def _bson_type(value: Any) -> str:
    # Names as MongoDB's $type operator spells them.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _bson().Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return _other_types().get(type(value), type(value).__name__)


@functools.cache
def _other_types() -> dict[type, str]:
    bson = _bson()
    return {
        bson.ObjectId: "objectId",
        bson.Decimal128: "decimal",
        bson.Timestamp: "timestamp",
        bson.Regex: "regex",
        bson.Code: "javascript",
        bson.MinKey: "minKey",
        bson.MaxKey: "maxKey",
        bson.DBRef: "dbPointer",
        bytes: "binData",
        bson.Binary: "binData",
        uuid.UUID: "binData",
        datetime.datetime: "date",
    }


def _columns(stats: Mapping[str, _PathStats], sampled: int) -> tuple[list[ColumnInfo], bool]:
    # `_id` first, then paths in name order with parents before their children.
    order = sorted(stats, key=lambda p: (p != "_id", tuple(p.split("."))))
    truncated = len(order) > MAX_COLUMNS
    columns = [
        _column(path, stats[path], sampled, position)
        for position, path in enumerate(order[:MAX_COLUMNS], start=1)
    ]
    return columns, truncated


def _column(path: str, entry: _PathStats, sampled: int, position: int) -> ColumnInfo:
    is_id = path == "_id"
    data_type, comment = _data_type(entry, sampled)
    return ColumnInfo(
        name=path,
        data_type=data_type,
        nullable=not is_id and entry.non_null_docs < sampled,
        primary_key=is_id,
        ordinal_position=position,
        comment=comment,
        is_array="array" in entry.types,
        observed_types=[
            ObservedType(type=name, count=count)
            for name, count in sorted(entry.types.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


def _data_type(entry: _PathStats, sampled: int) -> tuple[str, str | None]:
    non_null = [name for name in entry.types if name != "null"]
    if not non_null:
        return "null", None
    if len(non_null) == 1:
        (only,) = non_null
        if only == "array":
            return f"array<{_element_type(entry)}>", None
        return only, None
    seen = ", ".join(
        f"{name} in {count}" for name, count in sorted(entry.types.items(), key=lambda i: -i[1])
    )
    return "mixed", f"Types vary: {seen} of {sampled} sampled documents."


def _element_type(entry: _PathStats) -> str:
    elements = [name for name in entry.element_types if name != "null"]
    if not elements:
        return "null" if entry.element_types else "unknown"
    return elements[0] if len(elements) == 1 else "mixed"


def _sample_note(sampled: int, count: int | None, used_sample: bool, rejection: str | None) -> str:
    of = f" of ~{count}" if count is not None else ""
    noun = "document" if sampled == 1 else "documents"
    if used_sample:
        return f"Fields inferred from {sampled}{of} {noun} drawn at random with $sample."
    why = f" ({rejection})" if rejection else ""
    return (
        f"Fields inferred from the first {sampled}{of} {noun} in natural order "
        f"(find with limit {SAMPLE_SIZE}): the server rejected $sample{why}."
    )


def _describe_index(spec: Mapping[str, Any]) -> str:
    keys = []
    for key, direction in dict(spec.get("key") or {}).items():
        if direction in (1, 1.0):
            keys.append(str(key))
        elif direction in (-1, -1.0):
            keys.append(f"{key} desc")
        else:
            keys.append(f"{key} {direction}")  # text, 2dsphere, hashed, ...
    flags = [flag for flag in ("unique", "sparse") if spec.get(flag)]
    if spec.get("partialFilterExpression"):
        flags.append("partial")
    if spec.get("expireAfterSeconds") is not None:
        flags.append(f"ttl {spec['expireAfterSeconds']}s")
    suffix = f" {' '.join(flags)}" if flags else ""
    return f"{spec.get('name')} ({', '.join(keys)}){suffix}"


# Small helpers


def _driver() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import pymongo
    import pymongo.errors
    import pymongo.uri_parser

    return pymongo


def _errors() -> Any:
    return _driver().errors


def _bson() -> Any:
    import bson

    return bson


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
