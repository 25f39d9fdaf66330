"""Connection settings and live connectors: per-type validation of what a user typed, the
`ConnectionConfig` a connector is built from, the pool that keeps one connector per source,
and what a caller sees of a failed catalog read."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from graph_api.connectors.base import (
    ConnectionConfig,
    Connector,
    ConnectorError,
    FailureReason,
    SettingsError,
    TlsConfig,
)
from graph_api.connectors.registry import connector_class, create_connector
from graph_api.errors import ClewError, NotFoundError, PermissionDeniedError, ValidationError
from graph_api.models import ConnectionSettings, SourceType

log = logging.getLogger(__name__)


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
            close_later(old)
        return connector

    def discard(self, source_id: str) -> None:
        item = self._items.pop(source_id, None)
        if item is not None:
            close_later(item[1])

    def close_all(self) -> None:
        while self._items:
            _, (_, connector) = self._items.popitem()
            close_quietly(connector)


def close_later(connector: Connector) -> None:
    """Closing may wait for a running catalog query or do network I/O: never on the event
    loop. Outside a loop (the CLI, shutdown) it closes at once."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        close_quietly(connector)
        return
    loop.run_in_executor(None, close_quietly, connector)


def close_quietly(connector: Connector) -> None:
    try:
        connector.close()
    except Exception:  # noqa: BLE001 - closing must never take a request down; log it
        log.warning("closing a connector failed", exc_info=True)


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
