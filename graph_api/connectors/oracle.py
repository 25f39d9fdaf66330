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

The SQL, the row mapping and the error classification are pure functions, tested without a
server (tests/connectors/test_oracle.py).
"""

from __future__ import annotations

import asyncio
import difflib
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from graph_api.connectors.base import (
    REASON_SENTENCES,
    SETTINGS,
    ColumnInfo,
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    Missing,
    SettingsError,
    TableInfo,
    TableRef,
    TestReport,
    elapsed_ms,
)
from graph_api.connectors.network import socket_reason
from graph_api.connectors.registry import register
from graph_api.connectors.tls import client_context
from graph_api.models import SourceType, TableKind

if TYPE_CHECKING:
    import oracledb

T = TypeVar("T")

DEFAULT_PORT = 1521
PRODUCT = "Oracle Database"
# Closing sends a logoff; a connection that timed out may never answer it.
CLOSE_TIMEOUT = 2.0

# PRODUCT_COMPONENT_VERSION is granted to PUBLIC by default, V$VERSION is not.
VERSION_SQL = """
SELECT product
FROM product_component_version
WHERE product LIKE 'Oracle%' AND ROWNUM = 1
"""
PING_SQL = "SELECT 1 FROM dual"

# A materialized view is stored as a table of the same name; ALL_MVIEWS tells them apart.
# Nested tables, secondary (domain index) tables, IOT overflow segments and tables in the
# recycle bin are storage details, not something a user picks.
LIST_TABLES_SQL = """
SELECT owner, name, kind
FROM (
    SELECT t.owner, t.table_name AS name,
           CASE WHEN m.mview_name IS NULL THEN 'TABLE' ELSE 'MATERIALIZED_VIEW' END AS kind
    FROM all_tables t
    LEFT JOIN all_mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
    WHERE t.owner = :owner
      AND t.nested = 'NO'
      AND t.secondary = 'N'
      AND t.dropped = 'NO'
      AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
    UNION ALL
    SELECT v.owner, v.view_name, 'VIEW'
    FROM all_views v
    WHERE v.owner = :owner
)
ORDER BY name
FETCH FIRST :max_rows ROWS ONLY
"""

FIND_OWNERS_SQL = """
SELECT username
FROM all_users
WHERE username IN (:owner, :folded_owner)
"""

FIND_TABLES_SQL = """
SELECT o.owner, o.name, o.kind, o.num_rows, c.comments
FROM (
    SELECT t.owner, t.table_name AS name,
           CASE WHEN m.mview_name IS NULL THEN 'TABLE' ELSE 'MATERIALIZED_VIEW' END AS kind,
           t.num_rows
    FROM all_tables t
    LEFT JOIN all_mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
    WHERE t.owner IN (:owner, :folded_owner)
      AND t.table_name IN (:name, :folded_name)
      AND t.dropped = 'NO'
    UNION ALL
    SELECT v.owner, v.view_name, 'VIEW', NULL
    FROM all_views v
    WHERE v.owner IN (:owner, :folded_owner)
      AND v.view_name IN (:name, :folded_name)
) o
LEFT JOIN all_tab_comments c ON c.owner = o.owner AND c.table_name = o.name
"""

# For "did you mean": what the owner has, and the same name (any case) elsewhere.
NEAR_TABLES_SQL = """
SELECT owner, name
FROM (
    SELECT owner, table_name AS name FROM all_tables
    WHERE dropped = 'NO' AND (owner = :owner OR UPPER(table_name) = UPPER(:name))
    UNION ALL
    SELECT owner, view_name FROM all_views
    WHERE owner = :owner OR UPPER(view_name) = UPPER(:name)
)
FETCH FIRST 5000 ROWS ONLY
"""

# The selected columns are ColumnRow's fields, in order.
COLUMNS_SQL = """
SELECT c.column_name,
       c.data_type,
       c.data_type_owner,
       c.data_length,
       c.char_length,
       c.char_used,
       c.data_precision,
       c.data_scale,
       c.nullable,
       c.column_id,
       cc.comments,
       CASE WHEN pk.column_name IS NULL THEN 'N' ELSE 'Y' END AS primary_key
FROM all_tab_columns c
LEFT JOIN all_col_comments cc
       ON cc.owner = c.owner AND cc.table_name = c.table_name
      AND cc.column_name = c.column_name
LEFT JOIN (
    SELECT acc.column_name
    FROM all_constraints ac
    JOIN all_cons_columns acc
      ON acc.owner = ac.owner AND acc.constraint_name = ac.constraint_name
     AND acc.table_name = ac.table_name
    WHERE ac.owner = :owner AND ac.table_name = :table_name AND ac.constraint_type = 'P'
) pk ON pk.column_name = c.column_name
WHERE c.owner = :owner AND c.table_name = :table_name
ORDER BY c.column_id
"""


# One row per index column, in order. A function-based (or descending) index column is a
# hidden SYS_NC...$ column; its expression is in ALL_IND_EXPRESSIONS.
INDEXES_SQL = """
SELECT i.index_name,
       i.uniqueness,
       i.index_type,
       ic.column_name,
       ic.descend,
       e.column_expression,
       CASE WHEN pk.constraint_name IS NULL THEN 'N' ELSE 'Y' END AS primary_key
FROM all_indexes i
JOIN all_ind_columns ic ON ic.index_owner = i.owner AND ic.index_name = i.index_name
LEFT JOIN all_ind_expressions e
       ON e.index_owner = ic.index_owner AND e.index_name = ic.index_name
      AND e.column_position = ic.column_position
LEFT JOIN all_constraints pk
       ON pk.owner = i.table_owner AND pk.table_name = i.table_name
      AND pk.index_name = i.index_name AND pk.constraint_type = 'P'
WHERE i.table_owner = :owner AND i.table_name = :table_name
ORDER BY i.index_name, ic.column_position
"""


class IndexRow(NamedTuple):
    """One row of INDEXES_SQL."""

    index_name: str
    uniqueness: str  # 'UNIQUE' / 'NONUNIQUE'
    index_type: str  # 'NORMAL', 'FUNCTION-BASED NORMAL', 'BITMAP', 'DOMAIN', ...
    column_name: str
    descend: str  # 'ASC' / 'DESC'
    column_expression: str | None
    primary_key: str  # 'Y' / 'N'


def indexes_from_rows(rows: Sequence[Sequence[Any]]) -> list[str]:
    """'PK_CUSTOMERS (ID) primary key', 'IX_EMAIL (UPPER("EMAIL")) unique', sorted by name."""
    grouped: dict[str, list[IndexRow]] = {}
    for row in rows:
        index = IndexRow(*row)
        grouped.setdefault(index.index_name, []).append(index)
    described = []
    for name, columns in grouped.items():
        first = columns[0]
        parts = []
        for column in columns:
            text = (column.column_expression or column.column_name).strip()
            parts.append(f"{text} desc" if column.descend == "DESC" else text)
        kind = first.index_type.replace("FUNCTION-BASED", "").strip().lower()
        flags = [
            "primary key"
            if first.primary_key == "Y"
            else "unique"
            if first.uniqueness == "UNIQUE"
            else "",
            "" if kind == "normal" else kind,
        ]
        suffix = " ".join(flag for flag in flags if flag)
        described.append(f"{name} ({', '.join(parts)})" + (f" {suffix}" if suffix else ""))
    return sorted(described)


class ColumnRow(NamedTuple):
    """One row of COLUMNS_SQL: ALL_TAB_COLUMNS' own columns, then comment and key flag."""

    column_name: str
    data_type: str
    data_type_owner: str | None
    data_length: int
    char_length: int | None
    char_used: str | None  # 'B' (byte semantics), 'C' (char semantics), None (not text)
    data_precision: int | None
    data_scale: int | None
    nullable: str  # 'Y' / 'N'
    column_id: int
    comments: str | None
    primary_key: str  # 'Y' / 'N'


_CHAR_TYPES = ("VARCHAR2", "CHAR", "VARCHAR")
_NCHAR_TYPES = ("NVARCHAR2", "NCHAR")
_BUILTIN_TYPE_OWNERS = (None, "SYS", "PUBLIC")


def format_data_type(row: ColumnRow, *, table_owner: str | None = None) -> str:
    """The type as Oracle's own DDL (DBMS_METADATA) writes it, e.g. VARCHAR2(100 BYTE)."""
    data_type = row.data_type
    if "(" in data_type:  # TIMESTAMP(6), INTERVAL DAY(2) TO SECOND(6): already complete
        return data_type
    if data_type == "NUMBER":
        if row.data_precision is None:
            return "NUMBER" if row.data_scale is None else f"NUMBER(*,{int(row.data_scale)})"
        return f"NUMBER({int(row.data_precision)},{int(row.data_scale or 0)})"
    if data_type == "FLOAT" and row.data_precision is not None:
        return f"FLOAT({int(row.data_precision)})"
    if data_type in _CHAR_TYPES:
        semantics = "CHAR" if row.char_used == "C" else "BYTE"
        return f"{data_type}({int(row.char_length or row.data_length)} {semantics})"
    if data_type in _NCHAR_TYPES:
        return f"{data_type}({int(row.char_length or row.data_length)})"
    if data_type in ("RAW", "UROWID"):
        return f"{data_type}({int(row.data_length)})"
    if row.data_type_owner not in _BUILTIN_TYPE_OWNERS and row.data_type_owner != table_owner:
        return f"{row.data_type_owner}.{data_type}"  # an object type of another schema
    return data_type


def column_from_row(row: Sequence[Any], *, table_owner: str | None = None) -> ColumnInfo:
    column = ColumnRow(*row)
    return ColumnInfo(
        name=column.column_name,
        data_type=format_data_type(column, table_owner=table_owner),
        nullable=column.nullable == "Y",
        primary_key=column.primary_key == "Y",
        ordinal_position=int(column.column_id),
        comment=column.comments or None,
    )


def folded(name: str) -> list[str]:
    """The names Oracle may mean: as given (a quoted name), then upper-cased (unquoted)."""
    return list(dict.fromkeys([name, name.upper()]))


def name_binds(prefix: str, name: str) -> dict[str, str]:
    """Bind values for `:<prefix>` and `:folded_<prefix>`."""
    exact, *rest = folded(name)
    return {prefix: exact, f"folded_{prefix}": rest[0] if rest else exact}


def best_match(rows: Sequence[Sequence[Any]], *, owner: str, name: str) -> Sequence[Any] | None:
    """The row (owner, name, ...) Oracle would resolve to: exact spelling before folded."""
    owners, names = folded(owner), folded(name)
    candidates = [r for r in rows if r[0] in owners and r[1] in names]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (names.index(r[1]), owners.index(r[0])))


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


@dataclass(frozen=True)
class _Found:
    owner: str
    name: str
    kind: TableKind
    num_rows: int | None
    comment: str | None


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
            rows = await _fetch(conn, COLUMNS_SQL, owner=found.owner, table_name=found.name)
            indexes = (
                await _fetch(conn, INDEXES_SQL, owner=found.owner, table_name=found.name)
                if found.kind is not TableKind.VIEW
                else []
            )
            return _table_info(found, rows, indexes)

        return self._run(work, budget=self.config.query_timeout)

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

    async def _resolve_owner(self, conn: oracledb.AsyncConnection, schema: str | None) -> str:
        if schema is None:
            return self._default_owner(conn)
        rows = await _fetch(conn, FIND_OWNERS_SQL, **name_binds("owner", schema))
        found = {r[0] for r in rows}
        for candidate in folded(schema):
            if candidate in found:
                return candidate
        raise self.error(
            FailureReason.TABLE_NOT_FOUND,
            f"Schema '{schema}' was not found on {self._target()}.",
            hint="Check the schema (user) name: Oracle reads an unquoted name in upper "
            "case, so a schema created with a quoted mixed-case name must be given exactly.",
            missing=Missing("schema", schema),
        )

    async def _find_table(
        self, conn: oracledb.AsyncConnection, table: str, schema: str | None
    ) -> _Found:
        owner = schema or self._default_owner(conn)
        rows = await _fetch(
            conn, FIND_TABLES_SQL, **name_binds("owner", owner), **name_binds("name", table)
        )
        best = best_match(rows, owner=owner, name=table)
        if best is None:
            raise await self._table_not_found(conn, table, owner, schema is None)
        found_owner, name, kind, num_rows, comment = best
        return _Found(
            owner=found_owner,
            name=name,
            kind=TableKind[kind],
            num_rows=None if num_rows is None else int(num_rows),
            comment=comment or None,
        )

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


def near_match(table: str, owner: str, rows: Sequence[Sequence[Any]]) -> str | None:
    """A near match to name: OWNER.NAME in the same schema first, then in another one."""
    here = {r[1].upper(): r[1] for r in rows if r[0] == owner}
    if table.upper() in here:
        return f"{owner}.{here[table.upper()]}"
    close = difflib.get_close_matches(table.upper(), list(here), n=1, cutoff=0.75)
    if close:
        return f"{owner}.{here[close[0]]}"
    elsewhere = [r for r in rows if r[0] != owner and r[1].upper() == table.upper()]
    return f"{elsewhere[0][0]}.{elsewhere[0][1]}" if elsewhere else None


def _table_info(
    found: _Found, rows: Sequence[Sequence[Any]], indexes: Sequence[Sequence[Any]] = ()
) -> TableInfo:
    notes = []
    if found.kind is TableKind.MATERIALIZED_VIEW:
        notes.append("A materialized view: its rows are stored, as of its last refresh.")
    if found.kind is not TableKind.VIEW:
        notes.append(
            "Row count is ALL_TABLES.NUM_ROWS from the last statistics gathering."
            if found.num_rows is not None
            else "No row count: statistics were never gathered for this table."
        )
    return TableInfo(
        schema=found.owner,
        name=found.name,
        kind=found.kind,
        comment=found.comment,
        row_count=found.num_rows,
        columns=[column_from_row(row, table_owner=found.owner) for row in rows],
        indexes=indexes_from_rows(indexes),
        notes=notes,
    )


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
