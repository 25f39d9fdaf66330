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
the account owns.
Columns come from pg_attribute, not information_schema: the latter leaves out materialized
views and hides the columns a column-level grant keeps from the account, which a catalog
needs most (they are often the personal data); a note names those columns.

libpq reports connection failures as text without an SQLSTATE, so those are classified by
the (English) messages of libpq and the server; query failures by SQLSTATE.
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api.connectors.base import (
    REASON_SENTENCES,
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

FIND_SCHEMAS_SQL = """
SELECT n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname = ANY(%(names)s)
"""

USER_SCHEMAS_SQL = """
SELECT n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname
LIMIT 1000
"""

# Partitions are left out: they are reached through their partitioned parent.
LIST_TABLES_SQL = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND CASE WHEN %(schema)s::text IS NULL
           THEN n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
           ELSE n.nspname = %(schema)s::text
      END
ORDER BY n.nspname, c.relname
LIMIT %(limit)s
"""

FIND_TABLES_SQL = """
SELECT c.oid,
       n.nspname,
       c.relname,
       c.relkind,
       c.reltuples::float8,
       pg_catalog.obj_description(c.oid, 'pg_class'),
       pg_catalog.has_schema_privilege(n.oid, 'USAGE')
           AND pg_catalog.has_any_column_privilege(c.oid, 'SELECT')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname = ANY(%(schemas)s)
  AND c.relname = ANY(%(names)s)
"""

# For "did you mean": everything in the schemas searched, and the same name (any case)
# anywhere else.
NEAR_TABLES_SQL = """
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND (n.nspname = ANY(%(schemas)s) OR lower(c.relname) = lower(%(name)s))
ORDER BY n.nspname, c.relname
LIMIT 5000
"""

# attnum is information_schema's ordinal_position. An array type's category is 'A'.
COLUMNS_SQL = """
SELECT a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull,
       a.attnum::int,
       pg_catalog.col_description(a.attrelid, a.attnum),
       t.typcategory = 'A',
       pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT')
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# Key columns only (INCLUDE columns are payload); expressions as PostgreSQL writes them.
INDEXES_SQL = """
SELECT ic.relname,
       ix.indisprimary,
       ix.indisunique,
       am.amname,
       ix.indpred IS NOT NULL,
       ARRAY(
           SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
           FROM generate_series(1, ix.indnkeyatts) AS k
           ORDER BY k
       )
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE ix.indrelid = %(oid)s
ORDER BY ic.relname
"""

PRIMARY_KEY_SQL = """
SELECT a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %(oid)s AND i.indisprimary
"""

_KINDS = {
    "r": TableKind.TABLE,
    "p": TableKind.TABLE,  # partitioned table
    "f": TableKind.TABLE,  # foreign table
    "v": TableKind.VIEW,
    "m": TableKind.MATERIALIZED_VIEW,
}

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


@dataclass(frozen=True)
class _Found:
    oid: int
    schema: str
    name: str
    kind: TableKind
    row_estimate: float | None
    comment: str | None
    readable: bool


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
            return [TableRef(schema=s, name=n, kind=_KINDS[k]) for s, n, k in rows.fetchall()]

        return self._read(work)

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        def work(conn: psycopg.Connection[Any]) -> TableInfo:
            found = self._find_table(conn, table, schema)
            if not found.readable:
                raise self._permission_denied(found)
            columns = conn.execute(COLUMNS_SQL, {"oid": found.oid}).fetchall()
            keys = {r[0] for r in conn.execute(PRIMARY_KEY_SQL, {"oid": found.oid})}
            indexes = conn.execute(INDEXES_SQL, {"oid": found.oid}).fetchall()
            user = self.config.username or conn.info.user
            return _table_info(found, columns, keys, indexes, user=user)

        return self._read(work)

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

    def _resolve_schema(self, conn: psycopg.Connection[Any], schema: str) -> str:
        candidates = _fold(schema)
        existing = {r[0] for r in conn.execute(FIND_SCHEMAS_SQL, {"names": candidates})}
        for candidate in candidates:
            if candidate in existing:
                return candidate
        known = [r[0] for r in conn.execute(USER_SCHEMAS_SQL)]
        near = _near(schema, known)
        raise self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"Schema '{schema}' was not found in database '{self._database(conn)}'."
            + (f" Did you mean '{near}'?" if near else ""),
            hint="Check the schema name: PostgreSQL reads an unquoted name in lower case, "
            "so a schema created with a quoted mixed-case name must be given exactly."
            + (f" Schemas here include: {', '.join(known[:10])}." if known else ""),
            missing=Missing("schema", schema),
        )

    def _find_table(self, conn: psycopg.Connection[Any], table: str, schema: str | None) -> _Found:
        schemas = self._search_schemas(conn, schema)
        names = _fold(table)
        rows = conn.execute(FIND_TABLES_SQL, {"schemas": schemas, "names": names}).fetchall()
        if rows:
            # Exact spelling beats the folded one; then the search path decides.
            best = min(rows, key=lambda r: (names.index(r[2]), schemas.index(r[1])))
            oid, found_schema, name, kind, estimate, comment, readable = best
            return _Found(
                oid=oid,
                schema=found_schema,
                name=name,
                kind=_KINDS[kind],
                row_estimate=estimate,
                comment=comment,
                readable=bool(readable),
            )
        raise self._table_not_found(conn, table, schema, schemas)

    def _table_not_found(
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

    def _permission_denied(self, found: _Found) -> ConnectorError:
        user = self.config.username or "the connecting user"
        qualified = f"{found.schema}.{found.name}"
        return self.error(
            FailureReason.PERMISSION_DENIED,
            f"The account '{user}' may not read '{qualified}' on {self._target()}: it has no "
            "SELECT privilege on it (or no USAGE on its schema).",
            hint=f"Grant read access, e.g. GRANT USAGE ON SCHEMA {_ident(found.schema)} TO "
            f"{_ident(user)}; GRANT SELECT ON {_ident(found.schema)}.{_ident(found.name)} TO "
            f"{_ident(user)};",
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


def _ident(name: str) -> str:
    """A name as it must be written in PostgreSQL SQL (quoted only when needed)."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


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


def describe_index(row: tuple[Any, ...]) -> str:
    """'orders_pkey (customer_id, order_no) primary key', 'ix_email (lower(email)) unique'."""
    name, primary, unique, method, partial, columns = row
    flags = ["primary key" if primary else "unique" if unique else ""]
    flags += ["" if method == "btree" else str(method), "partial" if partial else ""]
    suffix = " ".join(flag for flag in flags if flag)
    return f"{name} ({', '.join(columns)})" + (f" {suffix}" if suffix else "")


def _table_info(
    found: _Found,
    columns: list[tuple[Any, ...]],
    keys: set[str],
    indexes: list[tuple[Any, ...]],
    *,
    user: str,
) -> TableInfo:
    notes = []
    row_count = None
    if found.kind is TableKind.MATERIALIZED_VIEW:
        notes.append(
            "A materialized view: its rows are stored, as of its last REFRESH MATERIALIZED VIEW."
        )
    if found.kind is not TableKind.VIEW and found.row_estimate is not None:
        if found.row_estimate < 0:
            notes.append("No row estimate: the table has not been analyzed yet.")
        else:
            row_count = int(found.row_estimate)
            notes.append("Row count is PostgreSQL's estimate (pg_class.reltuples).")
    hidden = [row[0] for row in columns if not row[6]]
    if hidden:
        listed = ", ".join(hidden)
        notes.append(
            f"The account '{user}' may not read {len(hidden)} of {len(columns)} columns "
            f"({listed}): its grant covers only some columns. They are listed from the system "
            f"catalog; to read their data, GRANT SELECT ({listed}) ON "
            f"{_ident(found.schema)}.{_ident(found.name)} TO {_ident(user)}."
        )
    return TableInfo(
        schema=found.schema,
        name=found.name,
        kind=found.kind,
        comment=found.comment,
        row_count=row_count,
        columns=[
            ColumnInfo(
                name=name,
                data_type=data_type,
                nullable=bool(nullable) and name not in keys,
                primary_key=name in keys,
                ordinal_position=position,
                comment=comment,
                is_array=bool(is_array),
            )
            for name, data_type, nullable, position, comment, is_array, _readable in columns
        ],
        indexes=[describe_index(row) for row in indexes],
        notes=notes,
    )


register(PostgresConnector)
