"""What the scan tests of every connector share: building connectors, reading a scan's results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from graph_api.connectors.base import (
    ConnectionConfig,
    Connector,
    ScanWarning,
    TableFilter,
    TableInfo,
)

C = TypeVar("C", bound=Connector)


def scan(connector: Connector, namespace: str, **filters: Any) -> list[TableInfo | ScanWarning]:
    """Everything a scan of `namespace` yields, with a TableFilter of `filters`."""
    return list(connector.scan_namespace(namespace, table_filter=TableFilter(**filters)))


def names(results: list[Any]) -> list[str | None]:
    """The name of each table read or warned about, in the order yielded."""
    return [r.name if isinstance(r, TableInfo) else r.table for r in results]


def tables(results: list[Any]) -> dict[str, TableInfo]:
    """The tables read, by name."""
    return {r.name: r for r in results if isinstance(r, TableInfo)}


def connectors(config: ConnectionConfig, default: type[C]) -> Iterator[Callable[..., C]]:
    """For a `make` fixture (`yield from connectors(...)`): builds connectors of `default`'s
    class, or of a subclass given, on `config`, and closes them all afterwards."""
    made: list[Connector] = []

    def build(cls: type[C] = default) -> C:
        connector = cls(config)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()
