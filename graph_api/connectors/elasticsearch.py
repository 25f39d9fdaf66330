"""Elasticsearch 8 through the official client (its major pinned to the server's: an 8.x
server refuses a 9.x client's compatibility headers).

An index's mapping is its schema, read as elasticsearch_mapping.py describes.

An alias or data stream resolves to its backing indices; their properties are merged, and a
path mapped to different types in different indices reads "type1|type2" with a note.
Aliases and data streams are tables of their own kinds (ALIAS, DATA_STREAM).

A source has one namespace, `*` (every index, alias and data stream the account may see);
a scan takes any pattern (`logs-*`) or comma-separated list, and reads it with three requests
whatever it matches: _resolve/index for the names, one _mapping request, one _search whose
terms aggregation on _index counts the documents of every index. `introspect` runs the same
readers on one name.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from graph_api.connectors.base import (
    EVERYTHING,
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    Missing,
    NamespaceInfo,
    ScanWarning,
    TableFilter,
    TableInfo,
    TableRef,
    TestReport,
    did_you_mean,
    elapsed_ms,
)
from graph_api.connectors.elasticsearch_mapping import (
    MAX_COLUMNS,
    column,
    conflict_notes,
    description,
    merge,
)
from graph_api.connectors.network import text_reason
from graph_api.connectors.registry import register
from graph_api.connectors.tls import CaFile
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    from elastic_transport import TransportError
    from elasticsearch import ApiError, Elasticsearch

DEFAULT_PORT = 9200


# The namespace discover names: every index, alias and data stream. A scan takes any other
# pattern or comma-separated list as well.
ALL = "*"
# At most this many indices are counted per request (Elasticsearch's own bucket limit).
MAX_INDICES = 65536
_SCANNED_KINDS = (TableKind.INDEX, TableKind.ALIAS, TableKind.DATA_STREAM)
# What _resolve/index answers: kind, key of its list, key of each entry's indices.
_RESOLVED = (
    (TableKind.INDEX, "indices", None),
    (TableKind.ALIAS, "aliases", "indices"),
    (TableKind.DATA_STREAM, "data_streams", "backing_indices"),
)


@dataclass(frozen=True)
class _Resolved:
    kinds: dict[str, TableKind]
    members: dict[str, list[str]]  # the concrete indices behind each name


@dataclass(frozen=True)
class Counts:
    """Documents per index, as one search counted them; `complete` when every shard
    answered, so an index without a bucket holds none."""

    by_index: dict[str, int]
    complete: bool

    def total(self, indices: list[str]) -> int | None:
        """The documents of `indices` together, or None when one was not counted."""
        if not self.complete and not all(index in self.by_index for index in indices):
            return None
        return sum(self.by_index.get(index, 0) for index in indices)


class ElasticsearchConnector(Connector):
    type = SourceType.ELASTICSEARCH
    default_port = DEFAULT_PORT
    accepts_api_key = True

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__(config)
        self._client: Elasticsearch | None = None
        self._ca_file = CaFile(self, "clew-elasticsearch-ca-")

    # The contract

    def test(self) -> TestReport:
        started = time.perf_counter()
        try:
            client = self._connect().options(request_timeout=self.config.connect_timeout)
            info = client.info()
        except ConnectorError as exc:
            return TestReport.failure(exc, latency_ms=elapsed_ms(started))
        except (_transport().TransportError, _es().ApiError) as exc:
            error = self._classify(exc, timeout=self.config.connect_timeout)
            return TestReport.failure(error, latency_ms=elapsed_ms(started))
        version = (info.body.get("version") or {}).get("number")
        return TestReport(
            ok=True,
            latency_ms=elapsed_ms(started),
            product="Elasticsearch",
            version=str(version) if version else None,
        )

    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        try:
            kinds = self._resolve("*").kinds
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc) from None
        refs = [TableRef(schema=None, name=name, kind=kinds[name]) for name in sorted(kinds)]
        return refs[: max(limit, 0)]

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        try:
            return self._introspect(table)
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc, table=table) from None

    def discover(self) -> list[NamespaceInfo]:
        try:
            kinds = Counter(self._resolve("*").kinds.values())
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc) from None
        return [
            NamespaceInfo(
                name=ALL,
                counts={kind: kinds[kind] for kind in _SCANNED_KINDS},
                comment="Every index, alias and data stream the account may see; a scan "
                "also takes any other pattern (logs-*) or a comma-separated list.",
            )
        ]

    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        try:
            resolved = self._resolve(namespace)
            chosen = sorted(n for n, k in resolved.kinds.items() if table_filter.matches(n, k))
            if not resolved.kinds:
                raise self._no_match(namespace)
            if not chosen:
                return
            mappings = self._mappings(namespace)
            missing = {i for n in chosen for i in resolved.members[n]} - set(mappings)
            if missing:  # e.g. an alias's index outside the pattern: one more request
                mappings.update(self._mappings(",".join(sorted(missing))))
            counts, closed = self._counts(namespace)
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc, table=namespace) from None
        for name in chosen:
            members = resolved.members[name]
            yield self._table(
                name,
                resolved.kinds[name],
                {index: mappings[index] for index in members if index in mappings},
                counts.total(members),
                closed,
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._ca_file.close()

    # Connecting

    def _connect(self) -> Elasticsearch:
        if self._client is None:
            try:
                self._client = _es().Elasticsearch(**self._client_options())
            except ValueError as exc:  # the client validates hosts and TLS options up front
                raise self.error(
                    FailureReason.UNKNOWN,
                    f"The connection settings are not valid: {exc}",
                    hint="Check the URI's form (https://host:9200) and the TLS settings.",
                ) from None
        return self._client

    def _client_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "hosts": [self._host()],
            "request_timeout": self.config.query_timeout,
            # One node answers or it does not; retries would only multiply the wait.
            "max_retries": 0,
            "retry_on_timeout": False,
        }
        if self.config.api_key:
            options["api_key"] = self.config.api_key
        elif self.config.username:
            options["basic_auth"] = (self.config.username, self.config.password or "")
        if self._scheme() == "https":
            options.update(self._tls_options())
        return options

    def _host(self) -> str | dict[str, Any]:
        if self.config.uri:
            return self.config.uri
        return {
            "scheme": self._scheme(),
            "host": self.config.host or "localhost",
            "port": self.config.port or DEFAULT_PORT,
        }

    def _scheme(self) -> str:
        if self.config.uri:
            return urlsplit(self.config.uri).scheme or "http"
        return "https" if self.config.tls.enabled else "http"

    def _tls_options(self) -> dict[str, Any]:
        tls = self.config.tls
        options: dict[str, Any] = {"verify_certs": True}
        if tls.ca_certificate:
            # A file, not an SSLContext: with a context the client cannot switch off only
            # the host name check. The file lives until close().
            options["ca_certs"] = self._ca_file.path(tls.ca_certificate)
        if not tls.verify_hostname:
            options["ssl_assert_hostname"] = False
        return options

    # Reading

    def _resolve(self, pattern: str) -> _Resolved:
        """What `pattern` names that the account may see: indices, aliases and data streams
        (hidden and dot-named ones left out), each with the indices behind it."""
        # _resolve/index lists what the account may see (wildcards expand to authorized
        # names only), where _cat/indices would need `monitor` on every index.
        try:
            answer = self._connect().indices.resolve_index(name=pattern, expand_wildcards="open")
        except _es().NotFoundError:
            return _Resolved(kinds={}, members={})
        kinds: dict[str, TableKind] = {}
        members: dict[str, list[str]] = {}
        body = answer.body
        for kind, key, listed in _RESOLVED:
            for entry in body.get(key) or []:
                name = str(entry["name"])
                # Dot-names are system or hidden by convention (.kibana, .security, .ds-*).
                if "hidden" in (entry.get("attributes") or []) or name.startswith("."):
                    continue
                kinds[name] = kind
                members[name] = sorted(entry.get(listed) or []) if listed else [name]
        return _Resolved(kinds=kinds, members=members)

    def _mappings(self, pattern: str) -> dict[str, Mapping[str, Any]]:
        """Every concrete index's mapping behind `pattern`, in one request."""
        answer = self._connect().indices.get_mapping(index=pattern)
        return {str(index): body.get("mappings") or {} for index, body in answer.body.items()}

    def _counts(self, pattern: str) -> tuple[Counts, str | None]:
        """Documents per concrete index behind `pattern`, in one request (a terms
        aggregation on _index); or the closed index that stopped it."""
        aggregation = {"terms": {"field": "_index", "size": MAX_INDICES}}
        try:
            answer = self._connect().search(
                index=pattern, size=0, track_total_hits=False, aggs={"indices": aggregation}
            )
        except _es().ApiError as exc:
            if _error_type(exc) != "index_closed_exception":
                raise
            return Counts({}, complete=False), _error_index(exc) or pattern
        body = answer.body
        buckets = ((body.get("aggregations") or {}).get("indices") or {}).get("buckets")
        # An index without documents has no bucket; it was searched unless a shard failed.
        complete = not (body.get("_shards") or {}).get("failed")
        return Counts({str(b["key"]): int(b["doc_count"]) for b in buckets or []}, complete), None

    def _introspect(self, table: str) -> TableInfo:
        kind = self._resolve(table).kinds.get(table, TableKind.INDEX)
        try:
            mappings = self._mappings(table)
        except _es().NotFoundError:
            raise self._not_found(table) from None
        except _es().ApiError as exc:
            if _error_type(exc) == "index_closed_exception":
                raise self._closed(table, exc) from None
            raise
        if not mappings:
            raise self._not_found(table)  # a pattern that matched nothing
        counts, closed = self._counts(table)
        return self._table(table, kind, mappings, counts.total(list(mappings)), closed)

    def _table(
        self,
        name: str,
        kind: TableKind,
        mappings: dict[str, Mapping[str, Any]],
        row_count: int | None,
        closed: str | None,
    ) -> TableInfo:
        """The one way a name's mappings become a table, for `introspect` and scans alike."""
        fields = merge(mappings)
        columns = [
            column(path, entry, position)
            for position, (path, entry) in enumerate(list(fields.items())[:MAX_COLUMNS], start=1)
        ]
        notes = [*self._resolution_notes(name, sorted(mappings)), *conflict_notes(fields)]
        if len(fields) > MAX_COLUMNS:
            notes.append(f"Only the first {MAX_COLUMNS} of {len(fields)} fields are listed.")
        notes.append(
            "Elasticsearch mappings declare no primary key: each document's _id is its key."
        )
        if closed is not None:
            # A closed index keeps its mapping but cannot be counted or searched.
            row_count = None
            notes.append(
                f"Index '{closed}' is closed: its mapping is read as stored, but it has no "
                f"document count and cannot be searched until it is opened (POST /{closed}/_open)."
            )
        return TableInfo(
            schema=None,
            name=name,
            kind=kind,
            comment=description(mappings),
            row_count=row_count,
            columns=columns,
            notes=notes,
            positions_from_names=True,
        )

    def _closed(self, table: str, exc: ApiError) -> ConnectorError:
        name = _error_index(exc) or table
        return self.error(
            FailureReason.UNSUPPORTED,
            f"Index '{name}' is closed, and its mapping could not be read.",
            hint=f"Open it (POST /{table}/_open) and fetch the columns again.",
            detail=_reason(exc),
        )

    def _resolution_notes(self, table: str, indices: list[str]) -> list[str]:
        if indices == [table]:
            return []
        what = "a data stream" if all(i.startswith(".ds-") for i in indices) else "an alias"
        listed = ", ".join(indices[:20]) + (", ..." if len(indices) > 20 else "")
        noun = "index" if len(indices) == 1 else "indices"
        return [
            f"'{table}' is {what} of {len(indices)} {noun}: {listed}; their mappings are merged."
        ]

    def _no_match(self, pattern: str) -> ConnectorError:
        try:
            candidates = sorted(self._resolve("*").kinds)
        except (_transport().TransportError, _es().ApiError):
            candidates = []
        return self.error(
            FailureReason.DATABASE_NOT_FOUND,
            f"No index, alias or data stream that the account may see matches '{pattern}'."
            f"{did_you_mean(pattern, candidates)}",
            hint=f"Scan '{ALL}' for everything, or check the pattern (names are lower case).",
            missing=Missing("index", pattern),
        )

    def _not_found(self, table: str) -> ConnectorError:
        try:
            candidates = sorted(self._resolve("*").kinds)
        except (_transport().TransportError, _es().ApiError):
            candidates = []  # suggestions are a courtesy; the account may not list indices
        return self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"No index, alias or data stream is named '{table}'.{did_you_mean(table, candidates)}",
            hint="Check the index name (names are lower case) and that the account may see it.",
            missing=Missing("index", table),
        )

    # Errors

    def _classify(
        self,
        exc: TransportError | ApiError,
        *,
        table: str | None = None,
        timeout: float | None = None,
    ) -> ConnectorError:
        where = self._where()
        if isinstance(exc, _es().AuthenticationException):
            return self.error(
                FailureReason.AUTHENTICATION_FAILED,
                f"{where} refused the credentials{self._of_user()}.",
                detail=_reason(exc),
            )
        if isinstance(exc, _es().AuthorizationException):
            what = f"'{table}'" if table else "this"
            return self.error(
                FailureReason.PERMISSION_DENIED,
                f"The account{self._of_user(quoted=True)} may not read {what}.",
                detail=_reason(exc),
            )
        if isinstance(exc, _es().ApiError) and _error_type(exc) == "index_closed_exception":
            return self._closed(table or "?", exc)
        if isinstance(exc, _es().NotFoundError) and table is not None:
            return self._not_found(table)
        if isinstance(exc, _es().UnsupportedProductError):
            return self.error(
                FailureReason.UNSUPPORTED,
                f"{where} does not identify itself as Elasticsearch (no X-Elastic-Product "
                "header); OpenSearch and other look-alikes need their own connector.",
            )
        if isinstance(exc, _es().ApiError):
            return self.error(
                FailureReason.UNKNOWN,
                f"{where} answered with HTTP status {exc.status_code}.",
                detail=_reason(exc),
            )
        return self._classify_transport(
            cast("TransportError", exc), where, timeout or self.config.query_timeout
        )

    def _classify_transport(
        self, exc: TransportError, where: str, timeout: float
    ) -> ConnectorError:
        text = _transport_text(exc).lower()
        if isinstance(exc, _transport().ConnectionTimeout) or (
            isinstance(exc, _transport().ConnectionError) and "timed out" in text
        ):
            return self.error(
                FailureReason.TIMEOUT, f"{where} did not answer within {timeout:g} seconds."
            )
        reason = text_reason(text)
        if reason is FailureReason.HOST_NOT_FOUND:
            return self.error(FailureReason.HOST_NOT_FOUND, f"{where} does not resolve.")
        if reason is FailureReason.CONNECTION_REFUSED:
            return self.error(FailureReason.CONNECTION_REFUSED, f"{where} refused the connection.")
        if isinstance(exc, _transport().TlsError) or reason is FailureReason.TLS_ERROR:
            return self.error(
                FailureReason.TLS_ERROR,
                f"The TLS handshake with {where} failed.",
                detail=_tls_detail(exc),
            )
        return self.error(FailureReason.UNKNOWN, f"Could not talk to {where}.", detail=str(exc))

    def _of_user(self, *, quoted: bool = False) -> str:
        user = self.config.username or next(iter(self.config.usernames()), None)
        if self.config.api_key or not user:
            return " (API key)" if self.config.api_key and not quoted else ""
        return f" '{user}'" if quoted else f" of user '{user}'"

    def _where(self) -> str:
        if self.config.uri:
            parts = urlsplit(self.config.uri)
            host = parts.hostname or "the Elasticsearch server"
            return f"{host}:{parts.port}" if parts.port else host
        return f"{self.config.host or 'localhost'}:{self.config.port or DEFAULT_PORT}"


register(ElasticsearchConnector)


# Small helpers


def _reason(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error")
    if isinstance(error, Mapping) and error.get("reason"):
        return str(error["reason"])
    if isinstance(error, str):
        return error
    return str(exc.message)


def _error_type(exc: ApiError) -> str | None:
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error")
    return str(error.get("type")) if isinstance(error, Mapping) and error.get("type") else None


def _error_index(exc: ApiError) -> str | None:
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error")
    return str(error.get("index")) if isinstance(error, Mapping) and error.get("index") else None


def _transport_text(exc: TransportError) -> str:
    # The client wraps urllib3's error, which wraps the socket's: read every layer.
    parts = [str(exc), *(str(inner) for inner in getattr(exc, "errors", ()) or ())]
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 10:
        parts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return " | ".join(parts)


def _tls_detail(exc: TransportError) -> str:
    # The useful words sit deep inside urllib3's wrapping; cut them out of it.
    text = _transport_text(exc)
    for marker in ("certificate verify failed", "wrong version number", "hostname '"):
        start = text.find(marker)
        if start >= 0:
            detail = text[start:].split(" (_ssl.c")[0].split(" | ")[0]
            return detail.rstrip(" ('\")")
    return str(exc)


def _es() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import elasticsearch

    return elasticsearch


def _transport() -> Any:
    import elastic_transport

    return elastic_transport
