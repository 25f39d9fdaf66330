"""Oracle connector (python-oracledb, thin mode only: no Oracle Client libraries).

Every operation opens its own connection through the driver's asyncio API and closes it, in
a private event loop of the calling worker thread. The reason is the thin driver's
synchronous connect: `tcp_connect_timeout` only bounds the TCP connect, and a listener that
accepts and then says nothing (a half-dead server, a proxy, the wrong port) blocks it for
ever; under asyncio the whole connect and each catalog read are bounded by `wait_for`.
Async connections belong to their event loop, so none is kept between operations; catalog
reads are rare enough that a connection per read costs nothing a user notices.

Catalog reads use the ALL_* views with bind variables only: no name is ever formatted into
SQL. Oracle folds unquoted names to upper case, so a name is looked up as given first, then
upper-cased; the default schema is the connecting user's. ALL_* views show only what the
account may access, so "not found" may also mean "not granted": the hint says so.

The catalog SQL and its row mapping are in oracle_catalog.py: a scan reads a whole owner with
the same statements `introspect` runs for one table. They and the error classification are
pure functions, tested without a server (tests/connectors/test_oracle.py).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from graph_api.connectors.base import (
    EVERYTHING,
    REASON_SENTENCES,
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
    rows_by_table,
)
from graph_api.connectors.network import socket_reason
from graph_api.connectors.oracle_catalog import (
    COLUMNS_SQL,
    DISCOVER_SQL,
    FIND_OWNERS_SQL,
    FIND_TABLES_SQL,
    INDEXES_SQL,
    LIST_TABLES_SQL,
    MVIEW_QUERIES_SQL,
    NEAR_OWNERS_SQL,
    NEAR_TABLES_SQL,
    OWNER_TABLES_SQL,
    VIEW_TEXTS_SQL,
    Found,
    best_match,
    folded,
    found_row,
    name_binds,
    near_match,
    table_info,
)
from graph_api.connectors.registry import register
from graph_api.connectors.tls import client_context
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    import oracledb

T = TypeVar("T")

DEFAULT_PORT = 1521
PRODUCT = "Oracle Database"
# The most statements a scan of one schema sends (owner, tables, columns, indexes, views'
# and materialized views' definitions).
SCAN_STATEMENTS = 6
# Closing sends a logoff; a connection that timed out may never answer it.
CLOSE_TIMEOUT = 2.0

# PRODUCT_COMPONENT_VERSION is granted to PUBLIC by default, V$VERSION is not.
VERSION_SQL = """
SELECT product
FROM product_component_version
WHERE product LIKE 'Oracle%' AND ROWNUM = 1
"""
PING_SQL = "SELECT 1 FROM dual"

# Error classification

_CODE_REASONS = {
    # connecting
    "ORA-12545": FailureReason.HOST_NOT_FOUND,  # target host or object does not exist
    "ORA-12541": FailureReason.CONNECTION_REFUSED,  # no listener
    "DPY-6000": FailureReason.CONNECTION_REFUSED,  # listener refused (see _listener_reason)
    "ORA-12170": FailureReason.TIMEOUT,  # connect timeout occurred
    "ORA-12535": FailureReason.TIMEOUT,  # operation timed out
    "ORA-03136": FailureReason.TIMEOUT,  # inbound connection timed out
    "DPY-4024": FailureReason.TIMEOUT,  # call timeout exceeded
    "ORA-01013": FailureReason.TIMEOUT,  # user requested cancel (the call timeout)
    "DPY-6001": FailureReason.DATABASE_NOT_FOUND,  # service not registered (ORA-12514)
    "DPY-6003": FailureReason.DATABASE_NOT_FOUND,  # SID not registered (ORA-12505)
    "ORA-12514": FailureReason.DATABASE_NOT_FOUND,
    "ORA-12505": FailureReason.DATABASE_NOT_FOUND,
    "ORA-01017": FailureReason.AUTHENTICATION_FAILED,  # invalid username/password
    "ORA-28000": FailureReason.AUTHENTICATION_FAILED,  # account locked
    "ORA-28001": FailureReason.AUTHENTICATION_FAILED,  # password expired
    "ORA-01005": FailureReason.AUTHENTICATION_FAILED,  # null password
    "DPY-4001": FailureReason.AUTHENTICATION_FAILED,  # no credentials specified
    "DPY-3015": FailureReason.UNSUPPORTED,  # password verifier type not supported (10G)
    "ORA-28040": FailureReason.UNSUPPORTED,  # no matching authentication protocol
    "DPY-6002": FailureReason.TLS_ERROR,  # certificate DN does not match
    "DPY-6006": FailureReason.TLS_ERROR,  # certificate name does not match
    "DPY-6008": FailureReason.TLS_ERROR,  # server verification failed
    "DPY-6009": FailureReason.TLS_ERROR,  # server refused EZTLS
    "DPY-2018": FailureReason.TLS_ERROR,  # wallet file missing
    "ORA-29024": FailureReason.TLS_ERROR,  # certificate validation failure
    "ORA-28759": FailureReason.TLS_ERROR,  # failure to open file (wallet)
    "ORA-28860": FailureReason.TLS_ERROR,  # fatal SSL error
    # after connecting
    "ORA-01045": FailureReason.PERMISSION_DENIED,  # lacks CREATE SESSION
    "ORA-01031": FailureReason.PERMISSION_DENIED,  # insufficient privileges
    "ORA-00942": FailureReason.TABLE_NOT_FOUND,  # table or view does not exist
    # configuration
    "DPY-4018": FailureReason.UNKNOWN,  # cannot parse connect string
    "DPY-4027": FailureReason.UNKNOWN,  # no configuration directory (a tnsnames alias)
}

_CODE_HINTS = {
    "ORA-28000": "The account is locked: ask the database administrator to unlock it "
    "(ALTER USER ... ACCOUNT UNLOCK).",
    "ORA-28001": "The password has expired: set a new one for the account, then update the source.",
    "ORA-01045": "The account may not log in: grant it CREATE SESSION.",
    "DPY-3015": "The account only has an old (10G) password verifier that thin mode "
    "cannot use: reset its password on a current server.",
    "ORA-00942": "The table does not exist, or the account may not see it: ALL_* views "
    "only show objects the account has a privilege on.",
    "DPY-4018": "Give the connect string as Easy Connect (host:port/service_name) or as a "
    "(DESCRIPTION=...) descriptor.",
    "DPY-4027": "tnsnames.ora aliases are not supported: give host, port and service name, "
    "or an Easy Connect string.",
}


def _full_code(exc: BaseException) -> str | None:
    args = getattr(exc, "args", ())
    return getattr(args[0], "full_code", None) if args else None


def classify(exc: BaseException) -> tuple[FailureReason, str | None]:
    """The reason for an error from the driver (or the socket under it), and a hint."""
    code = _full_code(exc)
    if code in (None, "DPY-6005"):  # DPY-6005 "cannot connect" wraps the socket error
        reason = socket_reason(exc)
        if reason is not None:
            return reason, _socket_hint(exc, reason)
    if code == "DPY-6000":
        return _listener_reason(str(exc)), None
    if code in _CODE_REASONS:
        return _CODE_REASONS[code], _CODE_HINTS.get(code)
    if code == "DPY-6005":  # typically DPY-4011: closed while the connection was set up
        return FailureReason.UNKNOWN, (
            "The server closed the connection while it was being set up: check that the "
            "port is an Oracle listener and the TLS setting (a TCPS listener needs TLS on, "
            "a plain one needs it off)."
        )
    return FailureReason.UNKNOWN, None


def _listener_reason(text: str) -> FailureReason:
    # "Listener refused connection. (Similar to ORA-12514)": the code says why.
    if "ORA-12514" in text or "ORA-12505" in text:
        return FailureReason.DATABASE_NOT_FOUND
    return FailureReason.CONNECTION_REFUSED


def _socket_hint(exc: BaseException, reason: FailureReason) -> str | None:
    if reason is FailureReason.TLS_ERROR and "WRONG_VERSION_NUMBER" in str(exc):
        return (
            "The server did not answer in TLS: check that the port is a TCPS listener, or "
            "turn TLS off for this source."
        )
    return None


# A per-attempt id the driver puts in every connect error: noise for a user.
_CONNECTION_ID = re.compile(r"\s*\(CONNECTION_ID=[^)]*\)")


def driver_detail(exc: BaseException) -> str:
    """The driver's message without its help links and connection ids, on one line."""
    lines = [
        line.strip()
        for line in str(exc).splitlines()
        if line.strip() and not line.strip().startswith("Help:")
    ]
    return _CONNECTION_ID.sub("", " ".join(lines)) or type(exc).__name__


# Connecting


def _driver() -> Any:
    # Imported on first use, as the registry promises: listing connectors loads no driver.
    import oracledb

    return oracledb


def tls_context(config: ConnectionConfig) -> ssl.SSLContext | None:
    if not (config.tls.enabled and config.tls.ca_certificate):
        return None  # the driver's default context checks against the system's CAs
    return client_context(config.tls)


def connect_params(config: ConnectionConfig) -> oracledb.ConnectParams:
    """Everything but the credentials; with `uri`, the URI (a DSN) says where to go."""
    kwargs: dict[str, Any] = {
        "tcp_connect_timeout": config.connect_timeout,
        "retry_count": 0,
        "program": "clew",
    }
    if config.uri is None:
        kwargs.update(
            host=config.host,
            port=config.port or DEFAULT_PORT,
            service_name=config.service_name,
            sid=None if config.service_name else config.sid,
            protocol="tcps" if config.tls.enabled else "tcp",
        )
    if config.tls.enabled:
        # The thin driver matches the host name against the certificate itself.
        kwargs["ssl_server_dn_match"] = config.tls.verify_hostname
        kwargs["ssl_context"] = tls_context(config)
    params: oracledb.ConnectParams = _driver().ConnectParams(
        **{k: v for k, v in kwargs.items() if v is not None}
    )
    return params


def dsn_password(uri: str) -> str | None:
    """The password of a "user/password@connect_string" URI, which the driver may echo."""
    if "@" not in uri or uri.lstrip().startswith("("):
        return None
    _user, password, _where = _driver().ConnectParams().parse_dsn_with_credentials(uri)
    return password or None


def dsn(config: ConnectionConfig) -> str:
    """The connect descriptor used, e.g. (DESCRIPTION=...(PROTOCOL=tcps)...(SID=ORCL)...)."""
    return config.uri or connect_params(config).get_connect_string()


class OracleConnector(Connector):
    type = SourceType.ORACLE
    default_port = DEFAULT_PORT
    needs_username = True

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], secrets: Mapping[str, str | None]) -> None:
        p = SETTINGS
        service_name, sid = settings.get("service_name"), settings.get("sid")
        if "uri" not in secrets and bool(service_name) == bool(sid):
            raise SettingsError(
                f"An Oracle source needs exactly one of {p}.serviceName (e.g. FREEPDB1) or "
                f"{p}.sid.",
                field=f"{p}.serviceName",
            )
        # Service name and SID are Oracle's own: the shared checks refuse them for others.
        super().check_settings({**settings, "service_name": None, "sid": None}, secrets)

    # Contract

    def test(self) -> TestReport:
        started = time.perf_counter()
        try:
            product, version = self._run(self._version, budget=self.config.connect_timeout)
        except ConnectorError as error:
            return TestReport.failure(error, latency_ms=elapsed_ms(started))
        return TestReport(ok=True, latency_ms=elapsed_ms(started), product=product, version=version)

    def list_tables(self, *, schema: str | None = None, limit: int = 1000) -> list[TableRef]:
        if limit <= 0:
            return []

        async def work(conn: oracledb.AsyncConnection) -> list[TableRef]:
            owner = await self._resolve_owner(conn, schema)
            rows = await _fetch(conn, LIST_TABLES_SQL, owner=owner, max_rows=limit)
            return [TableRef(schema=o, name=n, kind=TableKind[k]) for o, n, k in rows]

        return self._run(work, budget=self.config.query_timeout)

    def introspect(self, *, table: str, schema: str | None = None) -> TableInfo:
        async def work(conn: oracledb.AsyncConnection) -> TableInfo:
            found = await self._find_table(conn, table, schema)
            (info,) = await self._read_tables(conn, found.owner, [found], table_name=found.name)
            return info

        return self._run(work, budget=self.config.query_timeout)

    def discover(self) -> list[NamespaceInfo]:
        async def work(conn: oracledb.AsyncConnection) -> list[NamespaceInfo]:
            return [
                NamespaceInfo(
                    name=owner,
                    counts={
                        TableKind.TABLE: int(tables),
                        TableKind.VIEW: int(views),
                        TableKind.MATERIALIZED_VIEW: int(materialized),
                    },
                )
                for owner, tables, views, materialized in await _fetch(conn, DISCOVER_SQL)
            ]

        return self._run(work, budget=self.config.query_timeout)

    def scan_namespace(
        self, namespace: str, *, table_filter: TableFilter = EVERYTHING
    ) -> Iterator[TableInfo | ScanWarning]:
        # ALL_* views show only what the account may read: nothing to warn about. One
        # connection, six statements for the whole owner.
        async def work(conn: oracledb.AsyncConnection) -> list[TableInfo]:
            owner = await self._resolve_owner(conn, namespace, FailureReason.DATABASE_NOT_FOUND)
            listed = [found_row(row) for row in await _fetch(conn, OWNER_TABLES_SQL, owner=owner)]
            chosen = [f for f in listed if table_filter.matches(f.name, f.kind)]
            return await self._read_tables(conn, owner, chosen, table_name=None) if chosen else []

        # Each statement is bounded by the query timeout on the server (call_timeout).
        yield from self._run(work, budget=self.config.query_timeout * SCAN_STATEMENTS)

    async def _read_tables(
        self,
        conn: oracledb.AsyncConnection,
        owner: str,
        found: list[Found],
        *,
        table_name: str | None,
    ) -> list[TableInfo]:
        """The bulk readers, on one table (`table_name`) or on the whole owner (None)."""
        binds = {"owner": owner, "table_name": table_name}
        kinds = {f.kind for f in found}
        columns = rows_by_table(await _fetch(conn, COLUMNS_SQL, **binds))
        indexes = (
            rows_by_table(await _fetch(conn, INDEXES_SQL, **binds))
            if kinds - {TableKind.VIEW}
            else {}
        )
        definitions: dict[str, str] = {}
        if TableKind.VIEW in kinds:
            definitions.update(await _fetch(conn, VIEW_TEXTS_SQL, **binds))
        if TableKind.MATERIALIZED_VIEW in kinds:
            definitions.update(await _fetch(conn, MVIEW_QUERIES_SQL, **binds))
        return [
            table_info(
                f,
                columns.get(f.name, []),
                indexes.get(f.name, []) if f.kind is not TableKind.VIEW else [],
                definition=definitions.get(f.name),
            )
            for f in found
        ]

    # Connections

    def _run(
        self,
        work: Callable[[oracledb.AsyncConnection], Awaitable[T]],
        *,
        budget: float,
    ) -> T:
        oracledb = _driver()
        try:
            return asyncio.run(self._session(work, budget))
        except (oracledb.Error, OSError) as exc:
            # The thin driver raises DNS failures (socket.gaierror) unwrapped.
            raise self._failure(exc) from None

    async def _session(
        self, work: Callable[[oracledb.AsyncConnection], Awaitable[T]], budget: float
    ) -> T:
        oracledb = _driver()
        connecting = oracledb.connect_async(
            user=self.config.username,
            password=self.config.password,
            dsn=self.config.uri,
            params=connect_params(self.config),
        )
        try:
            conn = await asyncio.wait_for(connecting, self.config.connect_timeout)
        except TimeoutError:
            raise self._timeout("connecting", self.config.connect_timeout) from None
        try:
            # Server-side too: the database cancels a catalog query that runs too long.
            conn.call_timeout = max(1, int(self.config.query_timeout * 1000))
            return await asyncio.wait_for(work(conn), budget)
        except TimeoutError:
            raise self._timeout("reading the catalog", budget) from None
        finally:
            await _close_quietly(conn)

    async def _version(self, conn: oracledb.AsyncConnection) -> tuple[str, str]:
        oracledb = _driver()
        try:
            rows = await _fetch(conn, VERSION_SQL)
        except oracledb.DatabaseError as exc:
            if _full_code(exc) not in ("ORA-00942", "ORA-01031"):
                raise
            # Locked-down accounts may not see the view; the handshake still told us.
            await _fetch(conn, PING_SQL)
            rows = []
        product = rows[0][0].strip() if rows and rows[0][0] else PRODUCT
        return product, conn.version

    # Name resolution

    def _default_owner(self, conn: oracledb.AsyncConnection) -> str:
        # With credentials inside the URI ("user/password@..."), the driver knows the user.
        user = self.config.username or conn.username or ""
        if "[" in user:  # proxy authentication: "proxy_user[target_schema]"
            user = user.split("[", 1)[1].rstrip("]")
        return user.upper()

    async def _resolve_owner(
        self,
        conn: oracledb.AsyncConnection,
        schema: str | None,
        reason: FailureReason = FailureReason.TABLE_NOT_FOUND,
    ) -> str:
        if schema is None:
            return self._default_owner(conn)
        rows = await _fetch(conn, FIND_OWNERS_SQL, **name_binds("owner", schema))
        found = {r[0] for r in rows}
        for candidate in folded(schema):
            if candidate in found:
                return candidate
        known = [r[0] for r in await _fetch(conn, NEAR_OWNERS_SQL)]
        raise self.error(
            reason,
            f"Schema '{schema}' was not found on {self._target()}." + did_you_mean(schema, known),
            hint="Check the schema (user) name: Oracle reads an unquoted name in upper "
            "case, so a schema created with a quoted mixed-case name must be given exactly.",
            missing=Missing("schema", schema),
        )

    async def _find_table(
        self, conn: oracledb.AsyncConnection, table: str, schema: str | None
    ) -> Found:
        owner = schema or self._default_owner(conn)
        rows = await _fetch(
            conn, FIND_TABLES_SQL, **name_binds("owner", owner), **name_binds("name", table)
        )
        best = best_match(rows, owner=owner, name=table)
        if best is None:
            raise await self._table_not_found(conn, table, owner, schema is None)
        return found_row(best)

    async def _table_not_found(
        self, conn: oracledb.AsyncConnection, table: str, owner: str, defaulted: bool
    ) -> ConnectorError:
        search_owner = folded(owner)[-1]
        rows = await _fetch(conn, NEAR_TABLES_SQL, owner=search_owner, name=table)
        suggestion = near_match(table, search_owner, rows)
        folded_note = "" if table == table.upper() else f" and as '{table.upper()}'"
        return self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"Table '{table}' was not found in schema '{search_owner}' on {self._target()}."
            + (f" Did you mean '{suggestion}'?" if suggestion else ""),
            hint=f"Clew looked for '{table}' exactly{folded_note} (Oracle reads unquoted "
            "names in upper case)"
            + (", in the connecting user's schema" if defaulted else "")
            + ". Check the spelling and the schema; ALL_* views only show tables the "
            "account has a privilege on, so also check that it was granted SELECT.",
            missing=Missing("table", f"{search_owner}.{table}"),
        )

    # Errors

    def secrets(self) -> list[str]:
        # A "user/password@connect_string" URI holds a password no URL parser finds.
        password = dsn_password(self.config.uri) if self.config.uri else None
        return [*super().secrets(), *([password] if password else [])]

    def _timeout(self, doing: str, seconds: float) -> ConnectorError:
        return self.error(
            FailureReason.TIMEOUT,
            f"Oracle at {self._target()} did not answer within {seconds:g} seconds ({doing}).",
        )

    def _failure(self, exc: BaseException) -> ConnectorError:
        reason, hint = classify(exc)
        said = REASON_SENTENCES[reason]
        if reason is FailureReason.AUTHENTICATION_FAILED and self.config.username:
            said += f" of user '{self.config.username}'"
        code = _full_code(exc)
        return self.error(
            reason,
            f"Oracle at {self._target()}: {said}" + (f" ({code})." if code else "."),
            hint=hint,
            detail=driver_detail(exc),
        )

    def _target(self) -> str:
        if self.config.uri is not None:
            return "the configured connect string"
        service = self.config.service_name or self.config.sid or ""
        separator = "/" if self.config.service_name else ":"
        where = f"{self.config.host}:{self.config.port or DEFAULT_PORT}"
        return f"{where}{separator}{service}" if service else where


async def _fetch(conn: oracledb.AsyncConnection, sql: str, **binds: Any) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        await cursor.execute(sql, binds)
        return list(await cursor.fetchall())


async def _close_quietly(conn: oracledb.AsyncConnection) -> None:
    # A failed close must not hide the operation's own result or error.
    oracledb = _driver()
    try:
        await asyncio.wait_for(conn.close(), CLOSE_TIMEOUT)
    except (oracledb.Error, OSError, TimeoutError):
        pass


register(OracleConnector)
