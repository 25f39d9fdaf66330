"""Elasticsearch 8 through the official client (its major pinned to the server's: an 8.x
server refuses a 9.x client's compatibility headers).

An index's mapping is its schema. `introspect` flattens `properties` into dotted paths:

- `object` fields list their sub-fields (`dimensions.width_cm`); the object itself is a
  column of type "object".
- `nested` fields read "nested" and are arrays of objects (`is_array=True`). Other fields
  are not marked as arrays: any Elasticsearch field may hold one value or several, and the
  mapping cannot tell.
- Multi-fields (`fields`) are columns of their own (`name.keyword`, type "keyword"), with a
  comment naming the field they index differently. Runtime fields are listed too.
- Type parameters a user needs to read the data stay in the type: `date(format=yyyy-MM-dd)`,
  `dense_vector(dims=3, similarity=cosine)`, `scaled_float(scaling_factor=100)`.
- Every column is nullable: a mapping declares no required field.
- A closed index keeps its mapping, which is read as for an open one; it has no count, and a
  note says it is closed.
- No primary key: every document's `_id` is its key, but it is metadata outside the
  mapping, so a note says so instead of a made-up column.

An alias or data stream resolves to its backing indices; their properties are merged, and a
path mapped to different types in different indices reads "type1|type2" with a note.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from graph_api.connectors.base import (
    ColumnInfo,
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    Missing,
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
    from elastic_transport import TransportError
    from elasticsearch import ApiError, Elasticsearch

DEFAULT_PORT = 9200
MAX_COLUMNS = 5000  # Elasticsearch's own default field limit is 1000 per index
MAX_DEPTH = 20  # index.mapping.depth.limit defaults to 20


@dataclass
class _Field:
    """One dotted path across the indices behind the name introspected."""

    types: dict[str, list[str]] = field(default_factory=dict)  # mapping type -> indices
    comment: str | None = None
    is_array: bool = False


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
            names = self._names()
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc) from None
        refs = [TableRef(schema=None, name=name, kind=TableKind.INDEX) for name in names]
        return refs[: max(limit, 0)]

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        try:
            return self._introspect(table)
        except (_transport().TransportError, _es().ApiError) as exc:
            raise self._classify(exc, table=table) from None

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

    def _names(self) -> list[str]:
        # _resolve/index lists what the account may see (wildcards expand to authorized
        # names only), where _cat/indices would need `monitor` on every index.
        answer = self._connect().indices.resolve_index(name="*", expand_wildcards="open")
        names: set[str] = set()
        for kind in ("indices", "aliases", "data_streams"):
            for entry in answer.body.get(kind) or []:
                if "hidden" not in (entry.get("attributes") or []):
                    names.add(str(entry["name"]))
        # Dot-names are system or hidden by convention (.kibana, .security, .ds-*).
        return sorted(name for name in names if not name.startswith("."))

    def _introspect(self, table: str) -> TableInfo:
        client = self._connect()
        try:
            answer = client.indices.get_mapping(index=table)
        except _es().NotFoundError:
            raise self._not_found(table) from None
        except _es().ApiError as exc:
            if _error_type(exc) == "index_closed_exception":
                raise self._closed(table, exc) from None
            raise
        mappings = {str(index): body.get("mappings") or {} for index, body in answer.body.items()}
        if not mappings:
            raise self._not_found(table)  # a pattern that matched nothing
        fields = _merge(mappings)
        columns = [
            _column(path, entry, position)
            for position, (path, entry) in enumerate(list(fields.items())[:MAX_COLUMNS], start=1)
        ]
        notes = [*self._resolution_notes(table, sorted(mappings)), *_conflict_notes(fields)]
        if len(fields) > MAX_COLUMNS:
            notes.append(f"Only the first {MAX_COLUMNS} of {len(fields)} fields are listed.")
        notes.append(
            "Elasticsearch mappings declare no primary key: each document's _id is its key."
        )
        row_count: int | None = None
        try:
            row_count = int(client.count(index=table).body["count"])
        except _es().ApiError as exc:
            if _error_type(exc) != "index_closed_exception":
                raise
            # A closed index keeps its mapping but cannot be counted or searched.
            closed = _error_index(exc) or table
            notes.append(
                f"Index '{closed}' is closed: its mapping is read as stored, but it has no "
                f"document count and cannot be searched until it is opened (POST /{closed}/_open)."
            )
        return TableInfo(
            schema=None,
            name=table,
            kind=TableKind.INDEX,
            comment=_description(mappings),
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

    def _not_found(self, table: str) -> ConnectorError:
        try:
            candidates = self._names()
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


# Mappings


def _merge(mappings: Mapping[str, Mapping[str, Any]]) -> dict[str, _Field]:
    merged: dict[str, _Field] = {}
    for index in sorted(mappings):
        mapping = mappings[index]
        flattened = [
            *_flatten(mapping.get("properties") or {}, ()),
            *_runtime_fields(mapping.get("runtime") or {}),
        ]
        for path, type_name, comment, is_array in flattened:
            entry = merged.setdefault(path, _Field(comment=comment, is_array=is_array))
            entry.types.setdefault(type_name, []).append(index)
            entry.is_array = entry.is_array or is_array
    # Name order with parents before children, whichever index a path came from.
    return {path: merged[path] for path in sorted(merged, key=lambda p: tuple(p.split(".")))}


def _flatten(
    properties: Mapping[str, Any], prefix: tuple[str, ...]
) -> Iterator[tuple[str, str, str | None, bool]]:
    """(path, type, comment, is_array) for every property, parents before children."""
    if len(prefix) > MAX_DEPTH:
        return
    for name in sorted(properties):
        spec = properties[name] or {}
        path = (*prefix, name)
        dotted = ".".join(path)
        # Objects omit "type": having properties is what makes them objects.
        type_name = _type_name(spec)
        yield dotted, type_name, _comment(spec), type_name == "nested"
        if "properties" in spec:
            yield from _flatten(spec["properties"] or {}, path)
        for sub_name in sorted(spec.get("fields") or {}):
            sub = spec["fields"][sub_name] or {}
            yield (
                f"{dotted}.{sub_name}",
                _type_name(sub),
                f"Multi-field of {dotted}: the same value, indexed as {sub.get('type')}.",
                False,
            )


# Mapping parameters that say how to read a value, kept with its type.
_TYPE_PARAMETERS = ("format", "dims", "element_type", "similarity", "scaling_factor")


def _type_name(spec: Mapping[str, Any]) -> str:
    """'keyword', 'date(format=yyyy-MM-dd)', 'dense_vector(dims=3, similarity=cosine)'."""
    name = str(spec.get("type") or "object")
    parameters = [
        f"{key}={_parameter(spec[key])}" for key in _TYPE_PARAMETERS if spec.get(key) is not None
    ]
    return f"{name}({', '.join(parameters)})" if parameters else name


def _parameter(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _runtime_fields(runtime: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    for name in sorted(runtime):
        spec = runtime[name] or {}
        yield (
            name,
            _type_name({"type": "keyword", **spec}),
            "Runtime field: computed at query time.",
            False,
        )


def _comment(spec: Mapping[str, Any]) -> str | None:
    if spec.get("type") == "alias":
        return f"Field alias of {spec.get('path')}."
    if spec.get("index") is False:
        return "Not indexed: stored in _source but not searchable."
    if spec.get("enabled") is False:
        return "Disabled object: kept in _source, not parsed or indexed."
    return None


def _column(path: str, entry: _Field, position: int) -> ColumnInfo:
    return ColumnInfo(
        name=path,
        data_type="|".join(sorted(entry.types)),
        nullable=True,
        primary_key=False,
        ordinal_position=position,
        comment=entry.comment,
        is_array=entry.is_array,
    )


def _conflict_notes(fields: Mapping[str, _Field]) -> list[str]:
    notes = []
    for path, entry in fields.items():
        if len(entry.types) > 1:
            how = "; ".join(
                f"{type_name} in {', '.join(indices)}"
                for type_name, indices in sorted(entry.types.items())
            )
            notes.append(f"Field {path} is mapped differently across indices: {how}.")
    return notes


def _description(mappings: Mapping[str, Mapping[str, Any]]) -> str | None:
    for index in sorted(mappings):
        meta = mappings[index].get("_meta") or {}
        if isinstance(meta, Mapping) and meta.get("description"):
            return str(meta["description"])
    return None


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
