"""The tables a dbt project documents. Writes go through the interchange's batched writers
(one statement per batch and kind)."""

from __future__ import annotations

from typing import Any

from graph_api.store.client import Tx

Row = dict[str, Any]


class DbtRepository:
    async def project_tables(
        self, tx: Tx, *, project: str, keys: list[tuple[str, str]]
    ) -> list[Row]:
        rows = await tx.run(
            "dbt/project_tables",
            project=project,
            keys=[{"source_key": s, "qualified_name": q} for s, q in keys],
        )
        return [row["table"] for row in rows]

    async def hand_documented(self, tx: Tx, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = await tx.run("dbt/hand_documented", ids=ids)
        return {row["id"] for row in rows}
