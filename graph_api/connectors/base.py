"""The one contract every connector follows.

A connector is built from a validated, decrypted `ConnectionConfig`, talks to one database
with that database's own driver, and offers three operations: `test` (never raises for a
connection problem: it returns a report saying what went wrong in plain words), `list_tables`
(bounded, for a picker) and `introspect` (one table as the database sees it). Drivers are
synchronous; the service runs them in a worker thread, bounded by the config's timeouts.

For a scan, `discover` lists the namespaces a source holds (saving nothing) and
`scan_namespace` reads every table of one namespace with a few bulk catalog reads. A
connector's `introspect` runs the same bulk readers restricted to one table, so a table
reads the same whether it was fetched alone or scanned.

Errors carry a `FailureReason`, a message in Clew's own words (what was tried, what the
reason is), a hint of what to check and, apart, the `detail` the server or driver gave: text
Clew did not write, which may hold whatever answered on that port. None of them contains a
secret: `scrub` removes every secret of the config, in every encoding it travels in (as
given, URL-encoded, base64 of it and of `user:secret` as in a Basic header, reversed, in any
letter case), from any text that leaves a connector.
"""

from __future__ import annotations

import abc
import base64
import fnmatch
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, TypedDict, Unpack
from urllib.parse import quote, quote_plus, unquote, urlsplit

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


# What each reason means, in Clew's words: the message of a classified driver error. What the
# server itself said goes to the error's `detail`, never into the message.
REASON_SENTENCES: dict[FailureReason, str] = {
    FailureReason.HOST_NOT_FOUND: "the host name does not resolve",
    FailureReason.CONNECTION_REFUSED: "the connection was refused",
    FailureReason.TIMEOUT: "no answer in time",
    FailureReason.AUTHENTICATION_FAILED: "the server refused the credentials",
    FailureReason.TLS_ERROR: "the TLS handshake failed",
    FailureReason.PERMISSION_DENIED: "the account is not allowed to do this",
    FailureReason.DATABASE_NOT_FOUND: "the database was not found",
    FailureReason.TABLE_NOT_FOUND: "the table was not found",
    FailureReason.UNSUPPORTED: "the server or its version is not supported",
    FailureReason.UNKNOWN: "the server reported an error that Clew does not recognise",
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
        password = self._uri_part("password")
        if password:
            values |= {password, unquote(password)}
        return sorted((v for v in values if v), key=len, reverse=True)

    def usernames(self) -> list[str]:
        """The user names a secret may travel with (`user:secret` in a Basic header)."""
        user = self._uri_part("username")
        names = {self.username, user, unquote(user) if user else None}
        return sorted(n for n in names if n)

    def _uri_part(self, part: str) -> str | None:
        if not self.uri:
            return None
        try:
            value = getattr(urlsplit(self.uri), part)
        except ValueError:  # e.g. a bad port: no part can be told apart then
            return None
        return str(value) if value else None


MASK = "******"
# Base64 fragments shorter than this would match ordinary words.
_MIN_FRAGMENT = 4


def _base64_fragments(value: bytes) -> set[str]:
    """What base64 of any text containing `value` holds of it, whatever its offset: for each
    of the three alignments, the characters that depend on `value`'s bytes alone."""
    found: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + value).decode().rstrip("=")
        first = -(-8 * offset // 6)  # ceil: the first character made of value's bits only
        last = (8 * (offset + len(value))) // 6  # characters before this are complete
        core = encoded[first:last]
        if len(core) >= _MIN_FRAGMENT:
            found |= {core, core.replace("+", "-").replace("/", "_")}  # and url-safe
    return found


def secret_forms(secrets: Iterable[str], usernames: Iterable[str] = ()) -> list[str]:
    """Every way `secrets` may come back in a server's text: as given, URL-encoded, base64
    (alone and as `user:secret`, at any offset inside a longer base64 text), reversed.
    Longest first, so replacing them in order never leaves a tail."""
    users = list(usernames)
    forms: set[str] = set()
    for secret in secrets:
        plain = {secret, unquote(secret), quote(secret, safe=""), quote_plus(secret)}
        for text in list(plain):
            plain.add(text[::-1])
        forms |= plain
        raw = secret.encode()
        forms |= _base64_fragments(raw)
        for user in users:
            pair = f"{user}:{secret}".encode()
            forms.add(base64.b64encode(pair).decode())
            forms.add(base64.urlsafe_b64encode(pair).decode())
    return sorted((f for f in forms if f), key=len, reverse=True)


def scrub_text(text: str, forms: Iterable[str]) -> str:
    """`text` with every form replaced by ******, ignoring letter case."""
    patterns = [re.escape(form) for form in forms]
    if not patterns or not text:
        return text
    return re.sub("|".join(patterns), MASK, text, flags=re.IGNORECASE)


# Server-provided text is kept short, on one line, in printable characters only: what a
# misbehaving server sends must not fill a record or carry control bytes.
MAX_DETAIL = 300


def server_text(text: str) -> str:
    printable = "".join(c if c.isprintable() else " " for c in text)
    line = " ".join(printable.split())
    return line if len(line) <= MAX_DETAIL else line[: MAX_DETAIL - 1] + "\u2026"


@dataclass(frozen=True)
class Missing:
    """What was not found: its kind (database, schema, table, collection, index) and name."""

    kind: str
    name: str


class ErrorParts(TypedDict, total=False):
    """What a ConnectorError holds besides its reason and message."""

    hint: str | None
    detail: str | None
    missing: Missing | None


class ConnectorError(Exception):
    """An expected failure talking to a database, classified, with a hint. No secrets.

    `message` and `hint` are Clew's words; `detail` is what the server or driver said (build
    errors with `Connector.error`, which scrubs all three). `missing` names what was not
    found, for NOT_FOUND errors."""

    def __init__(self, reason: FailureReason, message: str, **parts: Unpack[ErrorParts]) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.hint = parts.get("hint") or DEFAULT_HINTS[reason]
        self.detail = parts.get("detail")
        self.missing = parts.get("missing")


@dataclass(frozen=True, kw_only=True)
class TestReport:
    ok: bool
    latency_ms: float | None = None
    product: str | None = None  # e.g. "PostgreSQL"
    version: str | None = None  # e.g. "16.4"
    reason: FailureReason | None = None
    message: str | None = None
    hint: str | None = None
    detail: str | None = None  # the server's or driver's own words, scrubbed

    @classmethod
    def failure(cls, error: ConnectorError, *, latency_ms: float | None = None) -> TestReport:
        return cls(
            ok=False,
            latency_ms=latency_ms,
            reason=error.reason,
            message=error.message,
            hint=error.hint,
            detail=error.detail,
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
    # How the database fills the column itself, in its words: "IDENTITY ALWAYS",
    # "AUTO_INCREMENT", "STORED AS (price * qty)"; None for an ordinary column.
    generated: str | None = None
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
    # True where positions only follow from the names (a schemaless source's fields, sorted):
    # a position that moved because a field was added before it is then no change.
    positions_from_names: bool = False
    # A view's or materialized view's defining SQL as the database gives it back (PostgreSQL's
    # pg_get_viewdef, MySQL's information_schema.VIEWS, Oracle's ALL_VIEWS / ALL_MVIEWS).
    definition: str | None = None


@dataclass(frozen=True, kw_only=True)
class NamespaceInfo:
    """One namespace a source holds: a PostgreSQL or Oracle schema (owner), a MySQL or MongoDB
    database; Elasticsearch has one, `*` (every index, alias and data stream the account may
    see), and its scan_namespace takes any other pattern (`logs-*`) too.
    `counts` holds, for each kind this source type can hold, how many it has (zero included)."""

    name: str
    counts: dict[TableKind, int]
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableFilter:
    """Which tables of a namespace a scan reads: names matching an `include` pattern (all
    when there is none) and no `exclude` pattern, of the given `kinds` (all when None).
    Patterns are globs (`*`, `?`, `[abc]`) matched against the whole table name, ignoring
    case."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kinds: frozenset[TableKind] | None = None

    def matches(self, name: str, kind: TableKind) -> bool:
        if self.kinds is not None and kind not in self.kinds:
            return False
        lowered = name.lower()
        if self.include and not any(_glob(lowered, p) for p in self.include):
            return False
        return not any(_glob(lowered, p) for p in self.exclude)


EVERYTHING = TableFilter()


def _glob(lowered_name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(lowered_name, pattern.lower())


@dataclass(frozen=True, kw_only=True)
class ScanWarning:
    """One table a scan could not read, and why; the scan goes on with the others.
    `message` is Clew's own words (scrubbed), like a ConnectorError's."""

    namespace: str
    table: str | None
    reason: FailureReason
    message: str


class SettingsError(ValueError):
    """Connection settings a connector cannot work with; `field` names the input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# Where the settings sit in the API's input, for the field an error names.
SETTINGS = "connection"


class Connector(abc.ABC):
    type: ClassVar[SourceType]
    default_port: ClassVar[int]
    # Databases that always log in as someone need a user name (unless a URI holds one).
    needs_username: ClassVar[bool] = False
    accepts_api_key: ClassVar[bool] = False

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], secrets: Mapping[str, str | None]) -> None:
        """Refuses settings this database cannot use (SettingsError naming the field).
        `settings` are cleaned (see services/connections.py); `secrets` holds the secrets given,
        by name: their values where the caller has them, a placeholder for stored ones."""
        p = SETTINGS
        if settings.get("service_name") or settings.get("sid"):
            raise SettingsError(
                f"Service name and SID are Oracle settings; remove them for a "
                f"{cls.type.value.title()} source.",
                field=f"{p}.serviceName" if settings.get("service_name") else f"{p}.sid",
            )
        if cls.needs_username and "uri" not in secrets and not settings.get("username"):
            raise SettingsError(
                f"Give {p}.username, the account Clew connects as.", field=f"{p}.username"
            )
        if secrets.get("api_key") and not cls.accepts_api_key:
            raise SettingsError(
                "API keys are for Elasticsearch sources; use a user name and password.",
                field=f"{p}.apiKey",
            )

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

    @abc.abstractmethod
    def discover(self) -> list[NamespaceInfo]:
        """Every namespace the source holds, sorted by name, with counts per kind. Saves
        nothing; raises ConnectorError when the source cannot be read."""

    @abc.abstractmethod
    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        """Every table of `namespace` that `table_filter` matches, sorted by name, read with
        a few bulk catalog queries (never one round trip per table); a ScanWarning for a
        table that cannot be read. Raises ConnectorError (DATABASE_NOT_FOUND, with a near
        match) for an unknown namespace, and for a failure of the source itself."""

    def close(self) -> None:  # noqa: B027 - optional: connectors without a pool need nothing
        """Release pooled connections. Safe to call twice."""

    def secrets(self) -> list[str]:
        """The secrets to scrub; a connector whose URIs hide a password elsewhere adds it."""
        return self.config.secrets()

    def scrub(self, text: str) -> str:
        """`text` with every secret of this connector's config replaced by ******, in every
        form it may come back in (see `secret_forms`), including a password inside the URI
        on its own (drivers sometimes quote just the credentials)."""
        return scrub_text(text, secret_forms(self.secrets(), self.config.usernames()))

    def error(
        self, reason: FailureReason, message: str, **parts: Unpack[ErrorParts]
    ) -> ConnectorError:
        """A ConnectorError with message, hint and the server's `detail` all scrubbed."""
        hint, detail = parts.get("hint"), parts.get("detail")
        return ConnectorError(
            reason,
            self.scrub(message),
            hint=self.scrub(hint) if hint else None,
            # Scrubbed before it is cut short: a secret cut in half would escape the scrub.
            detail=server_text(self.scrub(detail)) if detail else None,
            missing=parts.get("missing"),
        )


def rows_by_table(rows: Iterable[Sequence[Any]]) -> dict[Any, list[tuple[Any, ...]]]:
    """A bulk catalog reader's rows grouped by their first field (the table's name or id),
    each row's other fields kept, in the order the rows came."""
    grouped: dict[Any, list[tuple[Any, ...]]] = {}
    for table, *rest in rows:
        grouped.setdefault(table, []).append(tuple(rest))
    return grouped


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() reading), for reports."""
    return round((time.perf_counter() - started) * 1000, 1)
