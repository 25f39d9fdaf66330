"""What the scan tests of every connector do with a scan's results."""

from __future__ import annotations

from typing import Any

from graph_api.connectors.base import Connector, ScanWarning, TableFilter, TableInfo


def scan(connector: Connector, namespace: str, **filters: Any) -> list[TableInfo | ScanWarning]:
    """Everything a scan of `namespace` yields, with a TableFilter of `filters`."""
    return list(connector.scan_namespace(namespace, table_filter=TableFilter(**filters)))


def names(results: list[Any]) -> list[str | None]:
    """The name of each table read or warned about, in the order yielded."""
    return [r.name if isinstance(r, TableInfo) else r.table for r in results]


def tables(results: list[Any]) -> dict[str, TableInfo]:
    """The tables read, by name."""
    return {r.name: r for r in results if isinstance(r, TableInfo)}
