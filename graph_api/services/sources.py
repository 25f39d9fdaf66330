"""Data sources: validated per-type connection settings, encrypted secrets, connection tests,
and "fetch columns" introspection turned into catalog tables.

Secrets are encrypted before they reach Neo4j and decrypted only to build a connector. They
never appear in a result, an audit record, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from graph_api import input_rules as check
from graph_api import metrics, tracing
from graph_api.connectors.base import (
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    SettingsError,
    TableInfo,
    TableRef,
    TestReport,
    TlsConfig,
    elapsed_ms,
)
from graph_api.connectors.registry import connector_class, create_connector
from graph_api.errors import (
    ClewError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from graph_api.events import Broker
from graph_api.models import (
    CONNECTION_SETTINGS,
    SECRET_NAMES,
    ConnectionSettings,
    ConnectionTestRecord,
    Field,
    Source,
    SourceType,
    Table,
    qualified_name,
)
from graph_api.scan_rules import ColumnDiff, diff_columns
from graph_api.secrets import SecretBox, SecretDecryptionError
from graph_api.services.catalog import CatalogService, TableDraft
from graph_api.services.changes import record_changes
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.sources import (
    ConnectionTestRepository,
    SourceRepository,
    SourceSecretRepository,
)
from graph_api.store.tables import TableRepository

log = logging.getLogger(__name__)


def test_topic(source_id: str) -> str:
    return f"connection-tests:{source_id}"


class SecretUnavailableError(ClewError):
    """A stored secret cannot be decrypted; the source must be given it again."""


# Validation


def _text(value: Any, *, field: str, limit: int = 255) -> str | None:
    if value is None:
        return None
    cleaned = str(value).strip()
    if not cleaned:
        return None
    if len(cleaned) > limit or any(c in cleaned for c in "\r\n\x00"):
        raise ValidationError(
            f"{field} must be one line of at most {limit} characters.", field=field
        )
    return cleaned


def _timeout(value: Any, *, field: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if not low <= float(value) <= high:
        raise ValidationError(
            f"{field} must be between {low:g} and {high:g} seconds, got {value}.", field=field
        )
    return float(value)


def validate_connection(
    source_type: SourceType, settings: Mapping[str, Any], secrets: Mapping[str, str | None]
) -> dict[str, Any]:
    """Checks the merged connection settings of one source type; returns them cleaned.
    Messages name the setting as a client writes it (`connection.port`); `field` is the
    domain path (`source.connection.port`), which each resolver maps to its own input."""
    p = "connection"
    at = "source.connection"
    out: dict[str, Any] = {
        "host": _text(settings.get("host"), field=f"{at}.host"),
        "database": _text(settings.get("database"), field=f"{at}.database"),
        "service_name": _text(settings.get("service_name"), field=f"{at}.serviceName"),
        "sid": _text(settings.get("sid"), field=f"{at}.sid"),
        "username": _text(settings.get("username"), field=f"{at}.username"),
        "tls_enabled": bool(settings.get("tls_enabled") or False),
        "tls_verify_hostname": settings.get("tls_verify_hostname") is not False,
        "tls_ca_certificate": settings.get("tls_ca_certificate") or None,
        "connect_timeout": _timeout(
            settings.get("connect_timeout"), field=f"{at}.connectTimeout", low=0.5, high=120
        ),
        "query_timeout": _timeout(
            settings.get("query_timeout"), field=f"{at}.queryTimeout", low=1, high=3600
        ),
    }
    port = settings.get("port")
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValidationError(
            f"{p}.port must be between 1 and 65535, got {port}.", field=f"{at}.port"
        )
    out["port"] = int(port) if port is not None else None
    uri = secrets.get("uri")
    if uri is None and out["host"] is None:
        raise ValidationError(
            f"Give {p}.host (the server's name or address), or a full {p}.uri.",
            field=f"{at}.host",
        )
    if out["host"] and ("/" in out["host"] or " " in out["host"]):
        raise ValidationError(
            f"{p}.host should be a host name or address only, like db.example.com; put a full "
            f"URL in {p}.uri instead.",
            field=f"{at}.host",
        )
    if out["host"]:
        try:
            # What the resolver will do with it; a name it cannot encode can never connect.
            out["host"].encode("idna")
        except UnicodeError:
            raise ValidationError(
                f"{p}.host {out['host']!r} is not a valid host name; use a name like "
                "db.example.com (labels of 1 to 63 letters, digits or hyphens) or an IP address.",
                field=f"{at}.host",
            ) from None
    ca = out["tls_ca_certificate"]
    if ca is not None and "-----BEGIN CERTIFICATE-----" not in ca:
        raise ValidationError(
            f"{p}.tls.caCertificate must be a PEM certificate (text starting with "
            "-----BEGIN CERTIFICATE-----).",
            field=f"{at}.tls.caCertificate",
        )
    try:
        connector_class(source_type).check_settings(out, secrets)
    except SettingsError as exc:
        raise ValidationError(exc.message, field=f"source.{exc.field}") from None
    return out


def to_config(
    source_type: SourceType,
    settings: ConnectionSettings,
    secrets: dict[str, str],
    *,
    default_timeout: float,
) -> ConnectionConfig:
    return ConnectionConfig(
        type=source_type,
        host=settings.host,
        port=settings.port
        or (connector_class(source_type).default_port if settings.host else None),
        database=settings.database,
        service_name=settings.service_name,
        sid=settings.sid,
        username=settings.username,
        password=secrets.get("password"),
        api_key=secrets.get("api_key"),
        uri=secrets.get("uri"),
        tls=TlsConfig(
            enabled=settings.tls_enabled,
            ca_certificate=settings.tls_ca_certificate,
            verify_hostname=settings.tls_verify_hostname,
        ),
        connect_timeout=settings.connect_timeout or default_timeout,
        query_timeout=settings.query_timeout or 30.0,
    )


# Connectors


class ConnectorPool:
    """One live connector per source, reused while its configuration is unchanged, closed
    when the source changes or is deleted, and at most `size` kept open (least recently used
    goes first)."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[ConnectionConfig, Connector]] = OrderedDict()

    def get(self, source_id: str, config: ConnectionConfig) -> Connector:
        item = self._items.get(source_id)
        if item is not None and item[0] == config:
            self._items.move_to_end(source_id)
            return item[1]
        self.discard(source_id)
        connector = create_connector(config)
        self._items[source_id] = (config, connector)
        while len(self._items) > self._size:
            _, (_, old) = self._items.popitem(last=False)
            _close_later(old)
        return connector

    def discard(self, source_id: str) -> None:
        item = self._items.pop(source_id, None)
        if item is not None:
            _close_later(item[1])

    def close_all(self) -> None:
        while self._items:
            _, (_, connector) = self._items.popitem()
            _close(connector)


def _close_later(connector: Connector) -> None:
    """Closing may wait for a running catalog query or do network I/O: never on the event
    loop. Outside a loop (the CLI, shutdown) it closes at once."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _close(connector)
        return
    loop.run_in_executor(None, _close, connector)


def _close(connector: Connector) -> None:
    try:
        connector.close()
    except Exception:  # noqa: BLE001 - closing must never take a request down; log it
        log.warning("closing a connector failed", exc_info=True)


@dataclass(frozen=True)
class IntrospectionResult:
    source_id: str
    info: TableInfo
    existing: Table | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ColumnDiff] = field(default_factory=list)


def user_error(error: ConnectorError, *, field: str) -> ClewError:
    """What a caller sees of a failed catalog read: NOT_FOUND naming the missing thing,
    PERMISSION_DENIED, or VALIDATION; the connector's reason in `extensions`. The server's
    own words (`detail`) stay in the recorded test, for administrators."""
    text = f"{error.message} {error.hint}"
    details = {"reason": error.reason.value}
    if error.missing is not None:
        details |= {"missing": error.missing.kind.upper(), "missingName": error.missing.name}
    if error.reason in (FailureReason.TABLE_NOT_FOUND, FailureReason.DATABASE_NOT_FOUND):
        return NotFoundError(text, field=field, details=details)
    if error.reason is FailureReason.PERMISSION_DENIED:
        return PermissionDeniedError(text, field=field, details=details)
    return ValidationError(text, field=field, details=details)


class SourceService:
    def __init__(
        self,
        store: Store,
        *,
        actor: str,
        secret_box: SecretBox,
        pool: ConnectorPool,
        broker: Broker,
        test_timeout: float,
    ) -> None:
        self._store = store
        self._actor = actor
        self._box = secret_box
        self._pool = pool
        self._broker = broker
        self._test_timeout = test_timeout
        self.sources = SourceRepository(store)
        self.secrets = SourceSecretRepository(store)
        self.tests = ConnectionTestRepository(store)
        self.audit = AuditRepository(store)

    async def _record_change(self, tx: Tx, change: ChangeDraft) -> None:
        await record_changes(tx, [change], audit=self.audit, actor=self._actor, broker=self._broker)

    # CRUD

    async def create(
        self,
        *,
        name: str,
        type: SourceType,
        description: str | None,
        active: bool,
        connection: dict[str, Any] | None,
        secrets: dict[str, str | None],
    ) -> Source:
        props: dict[str, Any] = {
            "name": check.name(name, field="source.name", what="source name"),
            "type": type.value,
            "description": check.description(description, field="source.description"),
            "active": active,
        }
        given = {k: v for k, v in secrets.items() if v}
        if connection is not None or given:
            settings = validate_connection(type, connection or {}, given)
            props.update({f"conn_{k}": v for k, v in settings.items()})
            props.update({f"secret_{k}": self._box.encrypt(v) for k, v in given.items()})

        async def work(tx: Tx) -> Source:
            source = await self.sources.create(tx, props=props)
            change = ChangeDraft(source.id, "SOURCE", "CREATE", after=_public_state(source))
            await self._record_change(tx, change)
            return source

        return await self._store.transaction(work)

    async def update(
        self,
        source_id: str,
        *,
        changes: dict[str, Any],
        connection: dict[str, Any] | None,
        secrets: dict[str, str | None],
    ) -> Source:
        props: dict[str, Any] = {}
        for required in ("name", "active"):
            # null is not "leave as is" (that is omitting the field): say so, don't guess.
            if required in changes and changes[required] is None:
                raise ValidationError(
                    f"'{required}' cannot be null; leave it out to keep the current value.",
                    field=f"source.{required}",
                )
        if "name" in changes:
            props["name"] = check.name(changes["name"], field="source.name", what="source name")
        if "description" in changes:
            props["description"] = check.description(
                changes["description"], field="source.description"
            )
        if "active" in changes:
            props["active"] = bool(changes["active"])

        async def work(tx: Tx) -> Source:
            current = (await self.sources.get_many([source_id], tx)).get(source_id)
            if current is None:
                raise NotFoundError(
                    f"No source with id '{source_id}' exists; check the id.", field="source.id"
                )
            update = dict(props)
            if connection is not None or secrets:
                merged = {**asdict(current.connection), **(connection or {})}
                stored = await self.secrets.get(source_id)
                present = {k: "set" for k in (stored.tokens if stored else {})}
                # An omitted secret keeps the stored one; an explicit null removes it.
                present.update({k: "set" for k, v in secrets.items() if v})
                for k, v in secrets.items():
                    if v is None:
                        present.pop(k, None)
                cleaned = validate_connection(current.type, merged, present)
                update.update({f"conn_{k}": v for k, v in cleaned.items()})
                for k, v in secrets.items():
                    update[f"secret_{k}"] = self._box.encrypt(v) if v else None
            source = await self.sources.update(tx, source_id=source_id, props=update)
            assert source is not None
            change = ChangeDraft(
                source.id,
                "SOURCE",
                "UPDATE",
                before=_public_state(current),
                after=_public_state(source),
                comment="Credentials changed." if secrets else None,
            )
            await self._record_change(tx, change)
            tx.after_commit.append(lambda: self._pool.discard(source_id))
            return source

        return await self._store.transaction(work)

    async def delete(self, source_id: str) -> tuple[Source, list[str]]:
        async def work(tx: Tx) -> tuple[Source, list[str]]:
            row = await self.sources.delete(tx, source_id=source_id)
            if row is None:
                raise NotFoundError(
                    f"No source with id '{source_id}' exists; check the id.", field="source.id"
                )
            source = Source.from_record(row["source"])
            change = ChangeDraft(source.id, "SOURCE", "DELETE", before=_public_state(source))
            await self._record_change(tx, change)
            tx.after_commit.append(lambda: self._pool.discard(source_id))
            return source, row["table_ids"]

        return await self._store.transaction(work)

    # Connecting

    async def _load(self, source_id: str) -> tuple[Source, ConnectionConfig]:
        found = await self.sources.get_many([source_id])
        source = found.get(source_id)
        if source is None:
            raise NotFoundError(
                f"No source with id '{source_id}' exists; check the id.", field="source.id"
            )
        stored = await self.secrets.get(source_id)
        plain: dict[str, str] = {}
        for name, token in (stored.tokens if stored else {}).items():
            try:
                plain[name] = self._box.decrypt(token)
            except SecretDecryptionError:
                raise SecretUnavailableError(
                    f"The stored {name.replace('_', ' ')} of source '{source.name}' cannot be "
                    "decrypted with the configured keys (CLEW_SECRET_KEYS). Add the key it was "
                    "saved with, or enter the credential again with updateSource.",
                    field="source.id",
                ) from None
        if not source.connection.host and "uri" not in plain:
            raise ValidationError(
                f"Source '{source.name}' has no connection settings yet; add them with "
                "updateSource before testing or fetching columns.",
                field="source.id",
            )
        return source, to_config(
            source.type, source.connection, plain, default_timeout=self._test_timeout
        )

    async def connector(self, source_id: str) -> tuple[Source, ConnectionConfig, Connector]:
        """A saved source with its live connector (for scans)."""
        source, config = await self._load(source_id)
        return source, config, self._pool.get(source_id, config)

    async def run_connector(self, seconds: float, call: Any, /, **kwargs: Any) -> Any:
        """Runs a connector call in a worker thread, at most `seconds`."""
        return await self._run(seconds, call, **kwargs)

    async def _run(self, seconds: float, call: Any, /, **kwargs: Any) -> Any:
        # Drivers are synchronous: run them in a worker thread, never on the event loop.
        connector = type(getattr(call, "__self__", call)).__name__
        with tracing.span(f"connector {getattr(call, '__name__', 'call')}", connector=connector):
            return await asyncio.wait_for(asyncio.to_thread(call, **kwargs), seconds)

    async def test_saved(self, source_id: str) -> ConnectionTestRecord:
        source, config = await self._load(source_id)
        connector = self._pool.get(source_id, config)
        report = await self._test(connector, config)
        return await self._record(source.id, source.name, "CONNECTION_TEST", None, report)

    async def test_unsaved(
        self, *, type: SourceType, connection: dict[str, Any], secrets: dict[str, str | None]
    ) -> ConnectionTestRecord:
        given = {k: v for k, v in secrets.items() if v}
        cleaned = validate_connection(type, connection, given)
        config = to_config(
            type, ConnectionSettings(**cleaned), given, default_timeout=self._test_timeout
        )
        connector = create_connector(config)
        try:
            report = await self._test(connector, config)
        finally:
            await asyncio.to_thread(_close, connector)
        # Settings not saved leave no trace: the result goes to the caller only.
        return ConnectionTestRecord(
            id=str(uuid.uuid4()),
            source_id=None,
            source_name=None,
            operation="CONNECTION_TEST",
            table_name=None,
            actor=self._actor,
            ok=report.ok,
            reason=report.reason.value if report.reason else None,
            message=report.message,
            hint=report.hint,
            detail=report.detail,
            latency_ms=report.latency_ms,
            product=report.product,
            version=report.version,
            at=datetime.now(UTC),
        )

    async def _test(self, connector: Connector, config: ConnectionConfig) -> TestReport:
        started = time.perf_counter()
        try:
            report: TestReport = await self._run(config.connect_timeout + 2.0, connector.test)
        except TimeoutError:
            report = TestReport.failure(
                ConnectorError(
                    FailureReason.TIMEOUT,
                    f"No answer within {config.connect_timeout:g} seconds.",
                ),
                latency_ms=elapsed_ms(started),
            )
        return report

    async def _record(
        self,
        source_id: str | None,
        source_name: str | None,
        operation: str,
        table_name: str | None,
        report: TestReport,
    ) -> ConnectionTestRecord:
        record = await self.tests.record(
            {
                "source_id": source_id,
                "source_name": source_name,
                "operation": operation,
                "table_name": table_name,
                "actor": self._actor,
                "ok": report.ok,
                "reason": report.reason.value if report.reason else None,
                "message": report.message,
                "hint": report.hint,
                "detail": report.detail,
                "latency_ms": report.latency_ms,
                "product": report.product,
                "version": report.version,
            }
        )
        metrics.connection_tested(operation, record.reason)
        if operation == "CONNECTION_TEST" and source_id is not None:
            self._broker.publish(test_topic(source_id), record)
        return record

    async def list_tables(
        self, source_id: str, *, schema: str | None, limit: int
    ) -> list[TableRef]:
        _, config = await self._load(source_id)
        connector = self._pool.get(source_id, config)
        try:
            return await self._run(
                config.query_timeout, connector.list_tables, schema=schema, limit=limit
            )
        except ConnectorError as exc:
            raise user_error(exc, field="source.id") from None
        except TimeoutError:
            raise ValidationError(
                f"Listing tables took longer than {config.query_timeout:g} seconds; narrow it "
                "with a schema, or raise the source's query timeout.",
                field="source.id",
            ) from None

    async def introspect(
        self, source_id: str, *, table: str, schema: str | None
    ) -> IntrospectionResult:
        table = check.name(table, field="table.name", what="table name")
        schema = check.optional_name(schema, field="table.schema", what="schema name")
        source, config = await self._load(source_id)
        connector = self._pool.get(source_id, config)
        started = time.perf_counter()
        name = qualified_name(schema, table)
        try:
            info: TableInfo = await self._run(
                config.query_timeout, connector.introspect, table=table, schema=schema
            )
        except (ConnectorError, TimeoutError) as exc:
            error = (
                exc
                if isinstance(exc, ConnectorError)
                else ConnectorError(
                    FailureReason.TIMEOUT,
                    f"Reading '{name}' took longer than {config.query_timeout:g} seconds.",
                    hint="Raise the source's query timeout, or try again when the database is "
                    "less busy.",
                )
            )
            latency = elapsed_ms(started)
            await self._record(
                source.id,
                source.name,
                "INTROSPECTION",
                name,
                TestReport.failure(error, latency_ms=latency),
            )
            raise user_error(error, field="table.name") from None
        latency = elapsed_ms(started)
        await self._record(
            source.id, source.name, "INTROSPECTION", name, TestReport(ok=True, latency_ms=latency)
        )
        existing = await TableRepository(self._store).by_qualified_name(
            source_id=source.id, qualified_name=qualified_name(info.schema, info.name)
        )
        if existing is None:
            return IntrospectionResult(source.id, info, None)
        fields = (
            await CatalogService(self._store, actor=self._actor).fields.by_tables([existing.id])
        ).get(existing.id, [])
        added, removed, changed = diff_columns(info, fields)
        return IntrospectionResult(source.id, info, existing, added, removed, changed)

    async def apply_introspection(
        self,
        source_id: str,
        *,
        draft: TableDraft,
        remove_missing: bool,
    ) -> tuple[Table, list[Field], list[str]]:
        """Creates the table bound to the source, or brings an existing one in line with the
        reviewed columns, keeping descriptions and tags people wrote."""
        catalog = CatalogService(self._store, actor=self._actor, broker=self._broker)
        existing = await TableRepository(self._store).by_qualified_name(
            source_id=source_id, qualified_name=qualified_name(draft.schema, draft.name)
        )
        if existing is None:
            table, fields = await catalog.create_table(replace(draft, source_id=source_id))
            return table, fields, []
        return await catalog.sync_fields(existing.id, draft, remove_missing=remove_missing)


def _public_state(source: Source) -> dict[str, Any]:
    return {
        "name": source.name,
        "type": source.type.value,
        "description": source.description,
        "active": source.active,
        **{
            k: getattr(source.connection, k)
            for k in CONNECTION_SETTINGS
            if k != "tls_ca_certificate"
        },
        "secrets_set": sorted(source.secrets_set),
    }


async def rotate_secrets(store: Store, box: SecretBox) -> tuple[int, list[str]]:
    """Re-encrypts every stored secret under the newest key. Returns how many sources were
    re-encrypted and the names of those whose secrets no configured key can decrypt (left
    untouched, so adding the missing key later still recovers them). A secret changed while
    this runs is left as it now is, and rotated on the next pass."""
    repo = SourceSecretRepository(store)
    done: set[str] = set()
    unreadable: dict[str, str] = {}
    for _ in range(3):
        stored = {k: v for k, v in (await repo.all()).items() if k not in done}
        rows: list[dict[str, str | None]] = []
        for source_id, secrets in stored.items():
            try:
                rotated = {name: box.rotate(token) for name, token in secrets.tokens.items()}
            except SecretDecryptionError:
                unreadable[source_id] = secrets.name
                continue
            unreadable.pop(source_id, None)
            rows.append(
                {
                    "id": source_id,
                    **{n: rotated.get(n) for n in SECRET_NAMES},
                    **{f"old_{n}": secrets.tokens.get(n) for n in SECRET_NAMES},
                }
            )
        if not rows:
            break

        async def work(tx: Tx, rows: list[dict[str, str | None]] = rows) -> set[str]:
            written: set[str] = set()
            for start in range(0, len(rows), 500):
                written |= await repo.replace(tx, rows[start : start + 500])
            return written

        written = await store.transaction(work)
        done |= written
        if len(written) == len(rows):
            break
    return len(done), sorted(unreadable.values())
