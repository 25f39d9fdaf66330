"""PostgreSQL connector (psycopg 3).

`test` always opens a fresh connection: it has to prove that connecting works now, with the
current credentials and timeout. Catalog reads share one lazily opened connection per
connector, guarded by a lock (the service may call a pooled connector from several worker
threads) and closed in `close`; it runs in autocommit with a read-only default and a
statement timeout, so no transaction is ever left open. A reused connection that the server
dropped is replaced once, transparently: catalog reads are idempotent.

Names: PostgreSQL folds unquoted names to lower case. A name is looked up exactly as given
first, then folded, which finds both `"MixedCase"` (given as `MixedCase`) and `customers`
(given as `Customers`). Types come from `format_type` (what a user would write in DDL), keys,
indexes and comments from pg_catalog: information_schema's constraint views only show tables
the account owns. The catalog SQL and its row mapping are in postgresql_catalog.py: a scan
reads a schema in batches with the same readers `introspect` runs for one table.

libpq reports connection failures as text without an SQLSTATE, so those are classified by
the (English) messages of libpq and the server; query failures by SQLSTATE.
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api.connectors.base import (
    EVERYTHING,
    REASON_SENTENCES,
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
    rows_by_table,
)
from graph_api.connectors.postgresql_catalog import (
    BATCH,
    COLUMNS_SQL,
    DISCOVER_SQL,
    FIND_SCHEMAS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    KINDS,
    LIST_TABLES_SQL,
    NEAR_TABLES_SQL,
    PRIMARY_KEY_SQL,
    SCHEMA_TABLES_SQL,
    USER_SCHEMAS_SQL,
    Found,
    found_row,
    ident,
    table_info,
)
from graph_api.connectors.registry import register
from graph_api.connectors.session import Busy, SharedConnection
from graph_api.connectors.tls import ca_file
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

PRODUCT = "PostgreSQL"
APPLICATION_NAME = "clew"
# libpq ignores connect_timeout values below 2 seconds (it rounds them up).
MIN_CONNECT_TIMEOUT = 2

VERSION_SQL = "SELECT current_setting('server_version'), version()"

# Parameters can be bound in set_config(), unlike in SET.
SESSION_SQL = """
SELECT set_config('statement_timeout', %(statement_timeout)s, false),
       set_config('default_transaction_read_only', 'on', false)
"""

SEARCH_PATH_SQL = "SELECT current_schemas(false)"

_SQLSTATE_REASONS = {
    "28P01": FailureReason.AUTHENTICATION_FAILED,  # invalid_password
    "28000": FailureReason.AUTHENTICATION_FAILED,  # invalid_authorization_specification
    "3D000": FailureReason.DATABASE_NOT_FOUND,  # invalid_catalog_name
    "42501": FailureReason.PERMISSION_DENIED,  # insufficient_privilege
    "57014": FailureReason.TIMEOUT,  # query_canceled (statement_timeout)
    "42P01": FailureReason.TABLE_NOT_FOUND,  # undefined_table
    "3F000": FailureReason.TABLE_NOT_FOUND,  # invalid_schema_name
}


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    reason: FailureReason
    hint: str | None = None


def _rule(pattern: str, reason: FailureReason, hint: str | None = None) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), reason, hint)


# First match wins: the authentication rules come before TLS because "no pg_hba.conf entry
# ... SSL off" mentions SSL.
_MESSAGE_RULES = (
    _rule(r"timeout expired|timed out", FailureReason.TIMEOUT),
    _rule(
        r"failed to resolve host|could not translate host name|name or service not known"
        r"|temporary failure in name resolution|nodename nor servname",
        FailureReason.HOST_NOT_FOUND,
    ),
    _rule(
        r"no pg_hba\.conf entry",
        FailureReason.AUTHENTICATION_FAILED,
        "The server's pg_hba.conf has no rule letting this user in from the Clew server "
        "to this database (with or without TLS): ask the database administrator to add one.",
    ),
    _rule(
        r"password authentication failed|authentication failed|no password supplied"
        r"|password is required|role \".*\" does not exist",
        FailureReason.AUTHENTICATION_FAILED,
    ),
    _rule(r"database \".*\" does not exist", FailureReason.DATABASE_NOT_FOUND),
    _rule(
        r"permission denied for database",
        FailureReason.PERMISSION_DENIED,
        "The account may not connect to this database: grant it CONNECT on the database.",
    ),
    _rule(
        r"server does not support ssl",
        FailureReason.TLS_ERROR,
        "The server does not accept TLS connections: turn TLS off for this source, or "
        "enable ssl on the server.",
    ),
    _rule(r"\bssl\b|certificate|tls", FailureReason.TLS_ERROR),
    _rule(r"connection refused", FailureReason.CONNECTION_REFUSED),
    _rule(
        r"no route to host|network is unreachable",
        FailureReason.CONNECTION_REFUSED,
        "The network has no route to the host: check the host name or address, VPN and "
        "firewall rules.",
    ),
)

# libpq prefixes every message with where it tried; the target is already in our message.
_NOISE = re.compile(
    r'^(connection failed: )?(connection to server (at|on) ".*?"(, port \d+)? failed: )?'
    r"(FATAL:\s+)?",
    re.IGNORECASE,
)


def _driver() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import psycopg

    return psycopg


def classify(exc: psycopg.Error) -> tuple[FailureReason, str | None]:
    """The reason for a driver error, and a more specific hint when there is one."""
    if isinstance(exc, _driver().errors.ConnectionTimeout):
        return FailureReason.TIMEOUT, None
    if exc.sqlstate in _SQLSTATE_REASONS:
        return _SQLSTATE_REASONS[exc.sqlstate], None
    text = str(exc)
    for rule in _MESSAGE_RULES:
        if rule.pattern.search(text):
            return rule.reason, rule.hint
    return FailureReason.UNKNOWN, None


def driver_detail(exc: psycopg.Error) -> str:
    """The driver's message without libpq's repeated prefixes, on one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(_NOISE.sub("", line, count=1) for line in lines) or type(exc).__name__


def ssl_mode(config: ConnectionConfig) -> str:
    tls = config.tls
    if not tls.enabled:
        return "prefer"  # libpq's default: TLS when the server offers it, without checks
    return "verify-full" if tls.verify_hostname else "verify-ca"


def connect_kwargs(config: ConnectionConfig, *, ca_file: str | None) -> dict[str, Any]:
    """Keyword arguments for psycopg.connect; `ca_file` holds the configured CA (PEM)."""
    kwargs: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "dbname": config.database,
        "user": config.username,
        "password": config.password,
        "connect_timeout": max(MIN_CONNECT_TIMEOUT, math.ceil(config.connect_timeout)),
        "application_name": APPLICATION_NAME,
        "sslmode": ssl_mode(config),
        # Find a peer that vanished mid-query instead of waiting for it forever.
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "autocommit": True,
    }
    if config.tls.enabled:
        # Without a CA of its own, the server certificate is checked against the system's.
        kwargs["sslrootcert"] = ca_file or "system"
    return {k: v for k, v in kwargs.items() if v is not None}


def _fold(name: str) -> list[str]:
    """The names PostgreSQL may mean: as given, then as it reads an unquoted name."""
    return list(dict.fromkeys([name, name.lower()]))


class PostgresConnector(Connector):
    type = SourceType.POSTGRESQL
    default_port = 5432
    needs_username = True

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__(config)
        self._session: SharedConnection[psycopg.Connection[Any]] = SharedConnection(
            self._connect,
            is_open=lambda conn: not conn.closed,
            was_dropped=lambda exc, conn: (
                isinstance(exc, _driver().OperationalError) and bool(conn.broken)
            ),
            close=lambda conn: conn.close(),
        )

    # Contract

    def test(self) -> TestReport:
        pg = _driver()
        started = time.perf_counter()
        try:
            with self._connect() as conn:
                server_version, banner = conn.execute(VERSION_SQL).fetchone() or ("", "")
        except pg.Error as exc:
            return TestReport.failure(self._failure(exc), latency_ms=elapsed_ms(started))
        return TestReport(
            ok=True,
            latency_ms=elapsed_ms(started),
            product=_product(banner),
            version=server_version.split()[0] if server_version else None,
        )

    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        if limit <= 0:
            return []

        def work(conn: psycopg.Connection[Any]) -> list[TableRef]:
            resolved = None if schema is None else self._resolve_schema(conn, schema)
            rows = conn.execute(LIST_TABLES_SQL, {"schema": resolved, "limit": limit})
            return [TableRef(schema=s, name=n, kind=KINDS[k]) for s, n, k in rows.fetchall()]

        return self._read(work)

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        def work(conn: psycopg.Connection[Any]) -> TableInfo:
            found = self._find_table(conn, table, schema)
            if not found.readable:
                raise self._permission_denied(found)
            return self._read_tables(conn, [found])[0]

        return self._read(work)

    def discover(self) -> list[NamespaceInfo]:
        def work(conn: psycopg.Connection[Any]) -> list[NamespaceInfo]:
            return [
                NamespaceInfo(
                    name=name,
                    comment=comment,
                    counts={
                        TableKind.TABLE: tables,
                        TableKind.VIEW: views,
                        TableKind.MATERIALIZED_VIEW: materialized,
                    },
                )
                for name, comment, tables, views, materialized in conn.execute(DISCOVER_SQL)
            ]

        return self._read(work)

    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        def listing(conn: psycopg.Connection[Any]) -> list[Found]:
            schema = self._resolve_schema(conn, namespace, FailureReason.DATABASE_NOT_FOUND)
            rows = conn.execute(SCHEMA_TABLES_SQL, {"schema": schema}).fetchall()
            return [found_row(row) for row in rows]

        chosen = [f for f in self._read(listing) if table_filter.matches(f.name, f.kind)]
        for start in range(0, len(chosen), BATCH):
            batch = chosen[start : start + BATCH]
            readable = [found for found in batch if found.readable]
            infos = iter(self._read(partial(self._read_tables, found=readable)))
            for found in batch:
                if found.readable:
                    yield next(infos)
                else:
                    yield ScanWarning(
                        namespace=found.schema,
                        table=found.name,
                        reason=FailureReason.PERMISSION_DENIED,
                        message=self._permission_denied(found).message,
                    )

    def _read_tables(self, conn: psycopg.Connection[Any], found: list[Found]) -> list[TableInfo]:
        """The bulk readers, for any number of tables: three queries, whatever the number."""
        if not found:
            return []
        oids = {"oids": [f.oid for f in found]}
        columns = rows_by_table(conn.execute(COLUMNS_SQL, oids))
        keys = rows_by_table(conn.execute(PRIMARY_KEY_SQL, oids))
        indexes = rows_by_table(conn.execute(INDEXES_SQL, oids))
        user = self.config.username or conn.info.user
        return [
            table_info(
                f,
                columns.get(f.oid, []),
                {name for (name,) in keys.get(f.oid, [])},
                indexes.get(f.oid, []),
                user=user,
            )
            for f in found
        ]

    def close(self) -> None:
        self._session.close()

    # Connections

    def _connect(self) -> psycopg.Connection[Any]:
        pg = _driver()
        with ca_file(self.config.tls.ca_certificate, "clew-ca-") as path:
            kwargs = connect_kwargs(self.config, ca_file=path)
            conn: psycopg.Connection[Any] = pg.connect(self.config.uri or "", **kwargs)
        try:
            statement_timeout = f"{max(1, int(self.config.query_timeout * 1000))}ms"
            conn.execute(SESSION_SQL, {"statement_timeout": statement_timeout})
        except pg.Error:
            conn.close()
            raise
        return conn

    def _read(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        try:
            return self._session.run(work, wait=self.config.query_timeout)
        except Busy:
            raise self.error(
                FailureReason.TIMEOUT,
                f"Another catalog read on {self._target()} is still running after "
                f"{self.config.query_timeout:g} seconds.",
            ) from None
        except _driver().Error as exc:
            raise self._failure(exc) from None

    # Name resolution

    def _search_schemas(self, conn: psycopg.Connection[Any], schema: str | None) -> list[str]:
        if schema is not None:
            return [self._resolve_schema(conn, schema)]
        row = conn.execute(SEARCH_PATH_SQL).fetchone()
        return list(row[0]) if row else []

    def _resolve_schema(
        self,
        conn: psycopg.Connection[Any],
        schema: str,
        reason: FailureReason = FailureReason.TABLE_NOT_FOUND,
    ) -> str:
        candidates = _fold(schema)
        existing = {r[0] for r in conn.execute(FIND_SCHEMAS_SQL, {"names": candidates})}
        for candidate in candidates:
            if candidate in existing:
                return candidate
        known = [r[0] for r in conn.execute(USER_SCHEMAS_SQL)]
        raise self.error(
            reason,
            f"Schema '{schema}' was not found in database '{self._database(conn)}'."
            + did_you_mean(schema, known),
            hint="Check the schema name: PostgreSQL reads an unquoted name in lower case, "
            "so a schema created with a quoted mixed-case name must be given exactly."
            + (f" Schemas here include: {', '.join(known[:10])}." if known else ""),
            missing=Missing("schema", schema),
        )

    def _find_table(self, conn: psycopg.Connection[Any], table: str, schema: str | None) -> Found:
        schemas = self._search_schemas(conn, schema)
        names = _fold(table)
        rows = conn.execute(FIND_TABLES_SQL, {"schemas": schemas, "names": names}).fetchall()
        if rows:
            # Exact spelling beats the folded one; then the search path decides.
            best = min(rows, key=lambda r: (names.index(r[2]), schemas.index(r[1])))
            return found_row(best)
        raise self._table_notfound_row(conn, table, schema, schemas)

    def _table_notfound_row(
        self,
        conn: psycopg.Connection[Any],
        table: str,
        schema: str | None,
        schemas: list[str],
    ) -> ConnectorError:
        rows = conn.execute(NEAR_TABLES_SQL, {"schemas": schemas, "name": table}).fetchall()
        where = (
            f"schema '{schemas[0]}'"
            if len(schemas) == 1
            else "the search path (" + ", ".join(f"'{s}'" for s in schemas) + ")"
        )
        suggestion = _suggestion(table, schemas, rows)
        folded = "" if table == table.lower() else f" and as '{table.lower()}'"
        return self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"Table '{table}' was not found in {where} of database '{self._database(conn)}'."
            + (f" Did you mean {suggestion}?" if suggestion else ""),
            hint=f"Clew looked for '{table}' exactly{folded} (PostgreSQL reads unquoted names "
            "in lower case). Check the spelling, the schema"
            + (" (none was given, so the search path was used)" if schema is None else "")
            + ", and that the table was not dropped or renamed.",
            missing=Missing("table", table if schema is None else f"{schema}.{table}"),
        )

    def _permission_denied(self, found: Found) -> ConnectorError:
        user = self.config.username or "the connecting user"
        qualified = f"{found.schema}.{found.name}"
        return self.error(
            FailureReason.PERMISSION_DENIED,
            f"The account '{user}' may not read '{qualified}' on {self._target()}: it has no "
            "SELECT privilege on it (or no USAGE on its schema).",
            hint=f"Grant read access, e.g. GRANT USAGE ON SCHEMA {ident(found.schema)} TO "
            f"{ident(user)}; GRANT SELECT ON {ident(found.schema)}.{ident(found.name)} TO "
            f"{ident(user)};",
        )

    # Errors

    def _failure(self, exc: psycopg.Error) -> ConnectorError:
        reason, hint = classify(exc)
        said = REASON_SENTENCES[reason]
        if reason is FailureReason.TIMEOUT and isinstance(exc, _driver().errors.ConnectionTimeout):
            said = f"no answer within {max(MIN_CONNECT_TIMEOUT, self.config.connect_timeout):g} s"
        missing = None
        if reason is FailureReason.AUTHENTICATION_FAILED and self.config.username:
            said += f" of user '{self.config.username}'"
        if reason is FailureReason.DATABASE_NOT_FOUND and self.config.database:
            said = f"database '{self.config.database}' does not exist"
            missing = Missing("database", self.config.database)
        return self.error(
            reason,
            f"PostgreSQL at {self._target()}: {said}.",
            hint=hint,
            detail=driver_detail(exc),
            missing=missing,
        )

    def _target(self) -> str:
        if self.config.host is None:
            return "the configured URI"
        database = f"/{self.config.database}" if self.config.database else ""
        return f"{self.config.host}:{self.config.port or self.default_port}{database}"

    @staticmethod
    def _database(conn: psycopg.Connection[Any]) -> str:
        return conn.info.dbname


def _product(banner: str) -> str:
    # Forks and look-alikes (e.g. CockroachDB) name themselves first in version().
    first = banner.split(" ", 1)[0] if banner else ""
    return PRODUCT if first in ("", "PostgreSQL") else first


def _near(name: str, candidates: list[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


def _suggestion(table: str, schemas: list[str], rows: list[tuple[str, str]]) -> str | None:
    """A near match to name in a not-found message: same schema first, then elsewhere."""
    here = [name for schema, name in rows if schema in schemas]
    near = _near(table, here)
    if near is not None:
        owner = next(schema for schema, name in rows if name == near and schema in schemas)
        return f"'{owner}.{near}'"
    elsewhere = [(s, n) for s, n in rows if s not in schemas and n.lower() == table.lower()]
    if elsewhere:
        schema, name = elsewhere[0]
        return f"'{schema}.{name}'"
    return None


register(PostgresConnector)
