"""MySQL and MariaDB connector (PyMySQL, pure Python).

Connections are handled as in the PostgreSQL connector: `test` opens a fresh connection,
catalog reads share one lazily opened connection per connector behind a lock, replaced once
when the server dropped it, closed in `close`. Sessions are read-only, autocommit, with a
server-side statement limit (MariaDB's max_statement_time, MySQL's max_execution_time) and
a client-side read timeout as the backstop.

A MySQL "schema" is a database; it defaults to the source's database. MySQL does not fold
names: whether `Customers` means `customers` depends on the server's lower_case_table_names
(0, case-sensitive, on Linux). Names are matched exactly first, case-insensitively only when
the server itself is; otherwise a near match is offered in the not-found message.

The catalog SQL and its row mapping are in mysql_catalog.py: a scan reads a database in
batches with the same readers `introspect` runs for one table.

information_schema only shows what the account has some privilege on, and MySQL answers
"denied" rather than "does not exist" for objects an account may not see, so a table that is
invisible is probed once to tell "not found" (1146) from "not allowed" (1142).
"""

from __future__ import annotations

import difflib
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

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
from graph_api.connectors.mysql_catalog import (
    BATCH,
    COLUMNS_SQL,
    DISCOVER_SQL,
    FIND_SCHEMAS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    KINDS,
    LIST_TABLES_SQL,
    NAMESPACE_TABLES_SQL,
    PRIVILEGES_SQL,
    PROBE_SQL,
    SCHEMA_TABLES_SQL,
    SYSTEM_SCHEMAS,
    VIEWS_SQL,
    Found,
    found_row,
    partially_granted,
    quote_ident,
    table_info,
)
from graph_api.connectors.network import socket_reason
from graph_api.connectors.registry import register
from graph_api.connectors.session import Busy, SharedConnection
from graph_api.connectors.tls import client_context
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    from pymysql.connections import Connection

T = TypeVar("T")

DEFAULT_PORT = 3306

VERSION_SQL = "SELECT VERSION(), @@version_comment"

MARIADB_SESSION_SQL = "SET SESSION max_statement_time = %(seconds)s"
MYSQL_SESSION_SQL = "SET SESSION max_execution_time = %(milliseconds)s"
READ_ONLY_SQL = "SET SESSION TRANSACTION READ ONLY"

CASE_SQL = "SELECT @@lower_case_table_names"

# Server and client error numbers (mysqld_error.h, errmsg.h, MariaDB's own).
_ERRNO_REASONS = {
    1044: FailureReason.DATABASE_NOT_FOUND,  # access denied to database: see _ERRNO_HINTS
    1045: FailureReason.AUTHENTICATION_FAILED,  # access denied for user (password)
    1049: FailureReason.DATABASE_NOT_FOUND,  # unknown database
    1130: FailureReason.AUTHENTICATION_FAILED,  # host is not allowed to connect
    1142: FailureReason.PERMISSION_DENIED,  # command denied for table
    1143: FailureReason.PERMISSION_DENIED,  # command denied for column
    1227: FailureReason.PERMISSION_DENIED,  # needs a privilege (e.g. PROCESS)
    1146: FailureReason.TABLE_NOT_FOUND,  # table doesn't exist
    1251: FailureReason.UNSUPPORTED,  # client does not support authentication protocol
    1820: FailureReason.AUTHENTICATION_FAILED,  # must reset password
    1862: FailureReason.AUTHENTICATION_FAILED,  # password expired
    1969: FailureReason.TIMEOUT,  # MariaDB: max_statement_time exceeded
    2005: FailureReason.HOST_NOT_FOUND,  # unknown MySQL server host
    2026: FailureReason.TLS_ERROR,  # SSL connection error
    3024: FailureReason.TIMEOUT,  # MySQL: max_execution_time exceeded
    3118: FailureReason.AUTHENTICATION_FAILED,  # MySQL: account is locked
    3159: FailureReason.TLS_ERROR,  # insecure transport prohibited (require_secure_transport)
    4151: FailureReason.AUTHENTICATION_FAILED,  # MariaDB: account is locked
}

_ERRNO_HINTS = {
    1044: "MySQL answers the same way for a database that does not exist and one the "
    "account may not use: check the database name (case matters on Linux servers), or "
    "grant the account SELECT on it.",
    1130: "The server does not let this account connect from the Clew server's address: "
    "create the account for that host (e.g. 'user'@'%').",
    1251: "The server asks for an authentication method PyMySQL does not support; use "
    "mysql_native_password or caching_sha2_password for this account.",
    3159: "The server requires TLS: turn TLS on for this source.",
}

# Client errors whose cause is a socket problem, found in the exception chain.
_CLIENT_CONNECTION_ERRORS = {2003, 2006, 2013}


def _driver() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import pymysql

    return pymysql


def error_number(exc: BaseException) -> int | None:
    args = exc.args
    return args[0] if args and isinstance(args[0], int) else None


def classify(exc: BaseException) -> tuple[FailureReason, str | None]:
    """The reason for a driver error, and a more specific hint when there is one."""
    number = error_number(exc)
    if number is None or number in _CLIENT_CONNECTION_ERRORS or number < 1000:
        reason = socket_reason(exc)
        if reason is not None:
            return reason, None
    if number in _ERRNO_REASONS:
        return _ERRNO_REASONS[number], _ERRNO_HINTS.get(number)
    return FailureReason.UNKNOWN, None


def driver_detail(exc: BaseException) -> str:
    number = error_number(exc)
    args: tuple[Any, ...] = exc.args
    text = str(args[1]) if number is not None and len(args) > 1 else str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    return f"{text} (error {number})" if number else text


@dataclass(frozen=True, kw_only=True)
class Target:
    """Where to connect, from the settings or, for what they leave open, from the URI."""

    host: str | None
    port: int
    user: str | None
    password: str | None
    database: str | None


def target(config: ConnectionConfig) -> Target:
    parts = urlsplit(config.uri) if config.uri else None
    return Target(
        host=config.host or (parts.hostname if parts else None),
        port=config.port or (parts.port if parts and parts.port else DEFAULT_PORT),
        user=config.username or (unquote(parts.username) if parts and parts.username else None),
        password=config.password or (unquote(parts.password) if parts and parts.password else None),
        database=config.database
        or (unquote(parts.path.lstrip("/")) if parts and parts.path.strip("/") else None),
    )


def tls_context(config: ConnectionConfig) -> ssl.SSLContext | None:
    # The certificates MySQL generates for itself fail Python 3.13's strict X.509 checks.
    return client_context(config.tls, strict=False) if config.tls.enabled else None


def connect_kwargs(config: ConnectionConfig, *, read_timeout: float) -> dict[str, Any]:
    where = target(config)
    kwargs: dict[str, Any] = {
        "host": where.host,
        "port": where.port,
        "user": where.user,
        "password": where.password or "",
        "database": where.database,
        "connect_timeout": config.connect_timeout,
        # PyMySQL's connect_timeout ends with the TCP connect; a server that accepts and
        # then says nothing is only bounded by the read timeout.
        "read_timeout": read_timeout,
        "write_timeout": read_timeout,
        "charset": "utf8mb4",
        "autocommit": True,
        "program_name": "clew",
        "ssl": tls_context(config),
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def product_and_version(version: str) -> tuple[str, str]:
    """('MariaDB', '10.11.19') from '10.11.19-MariaDB-0+deb12u1'; ('MySQL', '8.0.36')."""
    number = version.split("-", 1)[0]
    return ("MariaDB" if "mariadb" in version.lower() else "MySQL"), number


def _near(name: str, candidates: list[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


class MySqlConnector(Connector):
    type = SourceType.MYSQL
    default_port = DEFAULT_PORT
    needs_username = True

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__(config)
        self._case_insensitive: bool | None = None
        self._session: SharedConnection[Connection] = SharedConnection(
            lambda: self._connect(read_timeout=self.config.query_timeout),
            is_open=lambda conn: bool(conn.open),
            was_dropped=self._dropped,
            close=lambda conn: conn.close() if conn.open else None,
            on_drop=self._forget_case,
        )

    # Contract

    def test(self) -> TestReport:
        pymysql = _driver()
        started = time.perf_counter()
        try:
            conn = self._connect(read_timeout=self.config.connect_timeout)
            try:
                with conn.cursor() as cursor:
                    cursor.execute(VERSION_SQL)
                    version, _comment = cursor.fetchone()
            finally:
                conn.close()
        except pymysql.MySQLError as exc:
            return TestReport.failure(self._failure(exc), latency_ms=elapsed_ms(started))
        product, number = product_and_version(version)
        return TestReport(ok=True, latency_ms=elapsed_ms(started), product=product, version=number)

    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        if limit <= 0:
            return []
        wanted = schema or target(self.config).database

        def work(conn: Connection) -> list[TableRef]:
            resolved = None if wanted is None else self._resolve_schema(conn, wanted)
            rows = self._query(
                conn,
                LIST_TABLES_SQL,
                {"schema": resolved, "system": SYSTEM_SCHEMAS, "limit": limit},
            )
            return [
                TableRef(schema=s, name=n, kind=KINDS.get(t, TableKind.OTHER)) for s, n, t in rows
            ]

        return self._read(work)

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        wanted = schema or target(self.config).database
        if not wanted:
            raise self.error(
                FailureReason.TABLE_NOT_FOUND,
                f"Table '{table}' was given without a database, and the source has none.",
                hint="Pass the database as the schema, or set the source's database.",
            )

        def work(conn: Connection) -> TableInfo:
            return self._read_tables(conn, [self._find_table(conn, table, wanted)])[0]

        return self._read(work)

    def discover(self) -> list[NamespaceInfo]:
        def work(conn: Connection) -> list[NamespaceInfo]:
            rows = self._query(conn, DISCOVER_SQL, {"system": SYSTEM_SCHEMAS})
            return [
                NamespaceInfo(
                    name=name, counts={TableKind.TABLE: int(tables), TableKind.VIEW: int(views)}
                )
                for name, tables, views in rows
            ]

        return self._read(work)

    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        # information_schema shows no table the account may not read: a scan has nothing to
        # warn about; a table visible through a column grant alone carries a note.
        def listing(conn: Connection) -> list[Found]:
            schema = self._resolve_schema(conn, namespace)
            return [
                found_row(r) for r in self._query(conn, NAMESPACE_TABLES_SQL, {"schema": schema})
            ]

        chosen = [f for f in self._read(listing) if table_filter.matches(f.name, f.kind)]
        for start in range(0, len(chosen), BATCH):
            yield from self._read(partial(self._read_tables, found=chosen[start : start + BATCH]))

    def _read_tables(self, conn: Connection, found: list[Found]) -> list[TableInfo]:
        """The bulk readers, for any number of tables of one schema: three queries (four with
        views), whatever the number."""
        if not found:
            return []
        where = {"schema": found[0].schema, "tables": [f.name for f in found]}
        columns = rows_by_table(self._query(conn, COLUMNS_SQL, where))
        indexes = rows_by_table(self._query(conn, INDEXES_SQL, where))
        partial_grants = partially_granted(self._query(conn, PRIVILEGES_SQL, where))
        views: dict[str, str] = {}
        if any(f.kind is TableKind.VIEW for f in found):
            views = {n: d for n, d in self._query(conn, VIEWS_SQL, where)}
        return [
            table_info(
                f,
                columns.get(f.name, []),
                indexes.get(f.name, []),
                definition=views.get(f.name),
                partial_note=self._partial_note(f) if f.name in partial_grants else None,
            )
            for f in found
        ]

    def close(self) -> None:
        self._session.close()

    # Connections

    def _connect(self, *, read_timeout: float) -> Connection:
        pymysql = _driver()
        conn = pymysql.connect(**connect_kwargs(self.config, read_timeout=read_timeout))
        try:
            with conn.cursor() as cursor:
                if "mariadb" in conn.get_server_info().lower():
                    cursor.execute(MARIADB_SESSION_SQL, {"seconds": self.config.query_timeout})
                else:
                    milliseconds = int(self.config.query_timeout * 1000)
                    cursor.execute(MYSQL_SESSION_SQL, {"milliseconds": milliseconds})
                cursor.execute(READ_ONLY_SQL)
        except pymysql.MySQLError:
            conn.close()
            raise
        return conn

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            return self._session.run(work, wait=self.config.query_timeout)
        except Busy:
            raise self.error(
                FailureReason.TIMEOUT,
                f"Another catalog read on {self._target()} is still running after "
                f"{self.config.query_timeout:g} seconds.",
            ) from None
        except _driver().MySQLError as exc:
            raise self._failure(exc) from None

    @staticmethod
    def _dropped(exc: BaseException, conn: Connection) -> bool:
        # The server closed it (a restart, wait_timeout); a read that timed out is no drop.
        pymysql = _driver()
        return (
            isinstance(exc, pymysql.OperationalError | pymysql.InterfaceError)
            and not conn.open
            and socket_reason(exc) is not FailureReason.TIMEOUT
        )

    def _forget_case(self) -> None:
        self._case_insensitive = None

    @staticmethod
    def _query(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    # Name resolution

    def _server_ignores_case(self, conn: Connection) -> bool:
        if self._case_insensitive is None:
            (setting,) = self._query(conn, CASE_SQL)[0]
            self._case_insensitive = int(setting) != 0
        return self._case_insensitive

    def _pick(self, conn: Connection, wanted: str, names: list[str]) -> str | None:
        if wanted in names:
            return wanted
        if self._server_ignores_case(conn):
            matches = [n for n in names if n.lower() == wanted.lower()]
            if len(matches) == 1:
                return matches[0]
        return None

    def _resolve_schema(self, conn: Connection, schema: str) -> str:
        names = [r[0] for r in self._query(conn, FIND_SCHEMAS_SQL, {"schema": schema})]
        picked = self._pick(conn, schema, names)
        if picked is not None:
            return picked
        if not names:
            names = [r[0] for r in self._query(conn, DISCOVER_SQL, {"system": SYSTEM_SCHEMAS})]
        raise self.error(
            FailureReason.DATABASE_NOT_FOUND,
            f"Database '{schema}' was not found on {self._target()}, or the account "
            f"'{target(self.config).user}' has no privileges on it." + did_you_mean(schema, names),
            hint="Check the database name (names are case-sensitive on most Linux "
            "servers) and that the account was granted SELECT on it.",
            missing=Missing("database", schema),
        )

    def _find_table(self, conn: Connection, table: str, schema: str) -> Found:
        rows = self._query(conn, FIND_TABLES_SQL, {"schema": schema, "table": table})
        by_name = {(r[0], r[1]): r for r in rows}
        exact = by_name.get((schema, table))
        if exact is None and self._server_ignores_case(conn) and len(rows) == 1:
            exact = rows[0]
        if exact is not None:
            return found_row(exact)
        if rows:
            raise self._table_not_found(conn, table, schema, case_only=rows[0][1])
        raise self._invisible(conn, table, schema)

    def _invisible(self, conn: Connection, table: str, schema: str) -> ConnectorError:
        """information_schema does not show it: ask the server whether it exists at all."""
        pymysql = _driver()
        probe = PROBE_SQL.format(schema=quote_ident(schema), table=quote_ident(table))
        try:
            self._query(conn, probe)
        except pymysql.MySQLError as exc:
            number = error_number(exc)
            if number in (1142, 1143, 1044):
                return self._permission_denied(table, schema)
            if number == 1049:
                return self.error(
                    FailureReason.DATABASE_NOT_FOUND,
                    f"Database '{schema}' was not found on {self._target()}.",
                    missing=Missing("database", schema),
                )
            if number != 1146:
                return self._failure(exc)
        return self._table_not_found(conn, table, schema, case_only=None)

    def _table_not_found(
        self, conn: Connection, table: str, schema: str, *, case_only: str | None
    ) -> ConnectorError:
        if case_only is not None:
            suggestion: str | None = case_only
        else:
            names = [r[0] for r in self._query(conn, SCHEMA_TABLES_SQL, {"schema": schema})]
            suggestion = _near(table, names)
        case_note = (
            " Table names are case-sensitive on this server (lower_case_table_names=0)."
            if case_only is not None and not self._server_ignores_case(conn)
            else ""
        )
        return self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"Table '{table}' was not found in database '{schema}' on {self._target()}."
            + case_note
            + (f" Did you mean '{suggestion}'?" if suggestion else ""),
            hint="Check the table name and its case, the database (schema) it is in, and "
            "that the account was granted SELECT on it.",
            missing=Missing("table", f"{schema}.{table}"),
        )

    def _partial_note(self, found: Found) -> str:
        user = target(self.config).user or "the connecting user"
        return (
            f"The account '{user}' has SELECT on only some columns of "
            f"'{found.schema}.{found.name}' (a column-level grant): MySQL shows an account only "
            "the columns it may use, so the columns it may not read are missing from this "
            f"list. GRANT SELECT ON {quote_ident(found.schema)}.{quote_ident(found.name)} TO "
            f"'{user}'@'%'; to see them all."
        )

    def _permission_denied(self, table: str, schema: str) -> ConnectorError:
        user = target(self.config).user or "the connecting user"
        return self.error(
            FailureReason.PERMISSION_DENIED,
            f"The account '{user}' may not read '{schema}.{table}' on {self._target()}, or "
            "it does not exist: MySQL does not tell an account without privileges on it "
            "which.",
            hint=f"Check the database and table names, and grant read access, e.g. GRANT "
            f"SELECT ON {quote_ident(schema)}.{quote_ident(table)} TO '{user}'@'%';",
        )

    # Errors

    def _failure(self, exc: BaseException) -> ConnectorError:
        reason, hint = classify(exc)
        said = REASON_SENTENCES[reason]
        if reason is FailureReason.TIMEOUT:
            said = "no answer within the time limit"
        missing = None
        database = target(self.config).database
        if error_number(exc) in (1044, 1049) and database:
            said = f"database '{database}' does not exist" + (
                ", or the account may not use it" if error_number(exc) == 1044 else ""
            )
            missing = Missing("database", database)
        if reason is FailureReason.AUTHENTICATION_FAILED and target(self.config).user:
            said += f" of user '{target(self.config).user}'"
        number = error_number(exc)
        return self.error(
            reason,
            f"MySQL/MariaDB at {self._target()}: {said}"
            + (f" (error {number})." if number else "."),
            hint=hint,
            detail=driver_detail(exc),
            missing=missing,
        )

    def _target(self) -> str:
        where = target(self.config)
        database = f"/{where.database}" if where.database else ""
        return f"{where.host}:{where.port}{database}"


register(MySqlConnector)
