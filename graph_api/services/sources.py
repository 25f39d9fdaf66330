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
    TableInfo,
    TableRef,
    TestReport,
    elapsed_ms,
)
from graph_api.connectors.registry import create_connector
from graph_api.errors import (
    ClewError,
    NotFoundError,
    ValidationError,
)
from graph_api.events import Broker
from graph_api.models import (
    CONNECTION_SETTINGS,
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
from graph_api.services.connections import (
    ConnectorPool,
    close_quietly,
    to_config,
    user_error,
    validate_connection,
)
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


@dataclass(frozen=True)
class IntrospectionResult:
    source_id: str
    info: TableInfo
    existing: Table | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ColumnDiff] = field(default_factory=list)


class SourceService:
    def __init__(
        self,
        store: Store,
        *,
        catalog: CatalogService,
        secret_box: SecretBox,
        pool: ConnectorPool,
        broker: Broker,
        test_timeout: float,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._box = secret_box
        self._pool = pool
        self._broker = broker
        self._test_timeout = test_timeout
        self.sources = SourceRepository(store)
        self.secrets = SourceSecretRepository(store)
        self.tests = ConnectionTestRepository(store)
        self.audit = AuditRepository(store)

    async def _record_change(self, tx: Tx, change: ChangeDraft, *, actor: str) -> None:
        await record_changes(tx, [change], audit=self.audit, actor=actor, broker=self._broker)

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
        actor: str,
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
            await self._record_change(tx, change, actor=actor)
            return source

        return await self._store.transaction(work)

    async def update(
        self,
        source_id: str,
        *,
        changes: dict[str, Any],
        connection: dict[str, Any] | None,
        secrets: dict[str, str | None],
        actor: str,
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
            await self._record_change(tx, change, actor=actor)
            tx.after_commit.append(lambda: self._pool.discard(source_id))
            return source

        return await self._store.transaction(work)

    async def delete(self, source_id: str, *, actor: str) -> tuple[Source, list[str]]:
        async def work(tx: Tx) -> tuple[Source, list[str]]:
            row = await self.sources.delete(tx, source_id=source_id)
            if row is None:
                raise NotFoundError(
                    f"No source with id '{source_id}' exists; check the id.", field="source.id"
                )
            source = Source.from_record(row["source"])
            change = ChangeDraft(source.id, "SOURCE", "DELETE", before=_public_state(source))
            await self._record_change(tx, change, actor=actor)
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

    async def test_saved(self, source_id: str, *, actor: str) -> ConnectionTestRecord:
        source, config = await self._load(source_id)
        connector = self._pool.get(source_id, config)
        report = await self._test(connector, config)
        return await self._record(
            source.id, source.name, "CONNECTION_TEST", None, report, actor=actor
        )

    async def test_unsaved(
        self,
        *,
        type: SourceType,
        connection: dict[str, Any],
        secrets: dict[str, str | None],
        actor: str,
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
            await asyncio.to_thread(close_quietly, connector)
        # Settings not saved leave no trace: the result goes to the caller only.
        return ConnectionTestRecord(
            id=str(uuid.uuid4()),
            source_id=None,
            source_name=None,
            operation="CONNECTION_TEST",
            table_name=None,
            actor=actor,
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
        *,
        actor: str,
    ) -> ConnectionTestRecord:
        record = await self.tests.record(
            {
                "source_id": source_id,
                "source_name": source_name,
                "operation": operation,
                "table_name": table_name,
                "actor": actor,
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
        self, source_id: str, *, table: str, schema: str | None, actor: str
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
                actor=actor,
            )
            raise user_error(error, field="table.name") from None
        latency = elapsed_ms(started)
        await self._record(
            source.id,
            source.name,
            "INTROSPECTION",
            name,
            TestReport(ok=True, latency_ms=latency),
            actor=actor,
        )
        existing = await TableRepository(self._store).by_qualified_name(
            source_id=source.id, qualified_name=qualified_name(info.schema, info.name)
        )
        if existing is None:
            return IntrospectionResult(source.id, info, None)
        fields = (await self._catalog.fields.by_tables([existing.id])).get(existing.id, [])
        added, removed, changed = diff_columns(info, fields)
        return IntrospectionResult(source.id, info, existing, added, removed, changed)

    async def apply_introspection(
        self,
        source_id: str,
        *,
        draft: TableDraft,
        remove_missing: bool,
        actor: str,
    ) -> tuple[Table, list[Field], list[str]]:
        """Creates the table bound to the source, or brings an existing one in line with the
        reviewed columns, keeping descriptions and tags people wrote."""
        catalog = self._catalog
        existing = await TableRepository(self._store).by_qualified_name(
            source_id=source_id, qualified_name=qualified_name(draft.schema, draft.name)
        )
        if existing is None:
            table, fields = await catalog.create_table(
                replace(draft, source_id=source_id), actor=actor
            )
            return table, fields, []
        return await catalog.sync_fields(
            existing.id, draft, remove_missing=remove_missing, actor=actor
        )


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
