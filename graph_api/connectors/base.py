"""The one contract every connector follows.

A connector is built from a validated, decrypted `ConnectionConfig`, talks to one database
with that database's own driver, and offers three operations: `test` (never raises for a
connection problem: it returns a report saying what went wrong in plain words), `list_tables`
(bounded, for a picker) and `introspect` (one table as the database sees it). Drivers are
synchronous; the service runs them in a worker thread, bounded by the config's timeouts.

Errors carry a `FailureReason` and a hint of what to check, and never contain a secret:
`scrub` removes every secret of the config from any text that leaves a connector.
"""

from __future__ import annotations

import abc
import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from graph_api.models import SourceType, TableKind


class FailureReason(Enum):
    HOST_NOT_FOUND = "HOST_NOT_FOUND"
    CONNECTION_REFUSED = "CONNECTION_REFUSED"
    TIMEOUT = "TIMEOUT"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    TLS_ERROR = "TLS_ERROR"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    DATABASE_NOT_FOUND = "DATABASE_NOT_FOUND"
    TABLE_NOT_FOUND = "TABLE_NOT_FOUND"
    UNSUPPORTED = "UNSUPPORTED"
    UNKNOWN = "UNKNOWN"


# What to check, per reason, when a connector has nothing more specific to say.
DEFAULT_HINTS: dict[FailureReason, str] = {
    FailureReason.HOST_NOT_FOUND: "Check the host name for typos and that it resolves from "
    "the Clew server (DNS, VPN).",
    FailureReason.CONNECTION_REFUSED: "Check the port, that the database is running, and that "
    "a firewall lets the Clew server in.",
    FailureReason.TIMEOUT: "The server did not answer in time: check host, port and firewall "
    "rules, or raise the connect timeout.",
    FailureReason.AUTHENTICATION_FAILED: "Check the user name and password (or API key), and "
    "that the account is not locked.",
    FailureReason.TLS_ERROR: "Check the TLS setting, the CA certificate and whether the host "
    "name matches the server's certificate.",
    FailureReason.PERMISSION_DENIED: "The account connected but may not read this; grant it "
    "read access to the catalog views or the object.",
    FailureReason.DATABASE_NOT_FOUND: "Check the database, service name or SID.",
    FailureReason.TABLE_NOT_FOUND: "Check the table and schema names (and their case).",
    FailureReason.UNSUPPORTED: "This server or version is not supported by the connector.",
    FailureReason.UNKNOWN: "See the message; if it persists, check the database server's log.",
}


@dataclass(frozen=True, kw_only=True)
class TlsConfig:
    enabled: bool = False
    ca_certificate: str | None = None  # PEM text
    verify_hostname: bool = True


@dataclass(frozen=True, kw_only=True)
class ConnectionConfig:
    """Everything needed to connect, secrets decrypted. Never log or return it whole."""

    type: SourceType
    host: str | None = None
    port: int | None = None
    database: str | None = None
    service_name: str | None = None  # Oracle
    sid: str | None = None  # Oracle
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)  # Elasticsearch
    uri: str | None = field(default=None, repr=False)  # a full URI; may hold a password
    tls: TlsConfig = field(default_factory=TlsConfig)
    connect_timeout: float = 5.0  # seconds
    query_timeout: float = 30.0  # seconds

    def secrets(self) -> list[str]:
        """Every secret, including a password inside the URI in both its encoded and decoded
        forms (drivers echo either), longest first so scrubbing never leaves a tail."""
        values = {self.password, self.api_key, self.uri}
        if self.uri:
            try:
                password = urlsplit(self.uri).password
            except ValueError:  # e.g. a bad port: no password can be told apart then
                password = None
            if password:
                values |= {password, unquote(password)}
        return sorted((v for v in values if v), key=len, reverse=True)


class ConnectorError(Exception):
    """An expected failure talking to a database, classified, with a hint. No secrets."""

    def __init__(self, reason: FailureReason, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.hint = hint or DEFAULT_HINTS[reason]


@dataclass(frozen=True, kw_only=True)
class TestReport:
    ok: bool
    latency_ms: float | None = None
    product: str | None = None  # e.g. "PostgreSQL"
    version: str | None = None  # e.g. "16.4"
    reason: FailureReason | None = None
    message: str | None = None
    hint: str | None = None

    @classmethod
    def failure(cls, error: ConnectorError, *, latency_ms: float | None = None) -> TestReport:
        return cls(
            ok=False,
            latency_ms=latency_ms,
            reason=error.reason,
            message=error.message,
            hint=error.hint,
        )


@dataclass(frozen=True, kw_only=True)
class ObservedType:
    """For schemaless sources: a type seen for a field and in how many sampled documents."""

    type: str
    count: int


@dataclass(frozen=True, kw_only=True)
class ColumnInfo:
    name: str  # dotted path for nested document fields, e.g. "address.city"
    data_type: str  # the database's own type name, e.g. "VARCHAR2(100)", "keyword"
    nullable: bool = True
    primary_key: bool = False
    ordinal_position: int
    comment: str | None = None
    is_array: bool = False
    observed_types: list[ObservedType] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class TableRef:
    schema: str | None
    name: str
    kind: TableKind


@dataclass(frozen=True, kw_only=True)
class TableInfo:
    schema: str | None
    name: str
    kind: TableKind
    comment: str | None = None
    row_count: int | None = None  # approximate, where the database offers one
    columns: list[ColumnInfo] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    # e.g. "sampled 1000 of ~52000 documents"; what a user should know about how we got it
    notes: list[str] = field(default_factory=list)


class Connector(abc.ABC):
    type: ClassVar[SourceType]

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def test(self) -> TestReport:
        """Connect, run the cheapest real query, report product and version. Never raises
        ConnectorError: failures come back as a report."""

    @abc.abstractmethod
    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        """Tables (or collections, indexes) a user may pick from, sorted, at most `limit`."""

    @abc.abstractmethod
    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        """One table as the database sees it. Raises ConnectorError (TABLE_NOT_FOUND, ...)."""

    def close(self) -> None:  # noqa: B027 - optional: connectors without a pool need nothing
        """Release pooled connections. Safe to call twice."""

    def scrub(self, text: str) -> str:
        """`text` with every secret of this connector's config replaced by ******, including
        a password inside the URI on its own (drivers sometimes quote just the credentials)."""
        for secret in self.config.secrets():
            text = text.replace(secret, "******")
        return text


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """ " Did you mean 'x' or 'y'?" for names close to `name` (ignoring case), or ""."""
    lowered = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(f"'{lowered[m]}'" for m in matches) + "?"


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() reading), for reports."""
    return round((time.perf_counter() - started) * 1000, 1)
