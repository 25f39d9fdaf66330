"""Connectors are registered explicitly, one per source type; a second one is refused."""

from __future__ import annotations

from graph_api.connectors.base import ConnectionConfig, Connector
from graph_api.models import SourceType

_REGISTRY: dict[SourceType, type[Connector]] = {}
_BUILTIN_LOADED = False


def register(cls: type[Connector]) -> type[Connector]:
    if cls.type in _REGISTRY and _REGISTRY[cls.type] is not cls:
        raise ValueError(
            f"A connector for {cls.type.value} is already registered "
            f"({_REGISTRY[cls.type].__name__}); refusing {cls.__name__}."
        )
    _REGISTRY[cls.type] = cls
    return cls


def connector_class(source_type: SourceType) -> type[Connector]:
    _load_builtin()
    try:
        return _REGISTRY[source_type]
    except KeyError:
        raise LookupError(f"No connector is registered for {source_type.value}.") from None


def create_connector(config: ConnectionConfig) -> Connector:
    return connector_class(config.type)(config)


def registered() -> dict[SourceType, type[Connector]]:
    _load_builtin()
    return dict(_REGISTRY)


def _load_builtin() -> None:
    # Importing a connector module registers it; drivers load only when first needed.
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    from graph_api.connectors import (  # noqa: F401
        elasticsearch,
        mongodb,
        mysql,
        oracle,
        postgresql,
    )
