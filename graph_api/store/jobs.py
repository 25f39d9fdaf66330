"""Background job records in Neo4j (import jobs, scan jobs): one node per job, written by the
job's heartbeat and read by whoever follows it. Each kind keeps its own statements in its
domain's folder (`cypher/<domain>/job_*.cypher`, same parameters), because its label and
properties differ; the calls are the same, so they are written once, here."""

from __future__ import annotations

from typing import Any, ClassVar

from graph_api.store.client import Store, Tx

Row = dict[str, Any]


class JobRecords:
    """The calls every kind of job record answers; `domain` names its statements' folder."""

    domain: ClassVar[str]

    def __init__(self, store: Store) -> None:
        self._store = store

    async def create_job(self, props: dict[str, Any]) -> Row:
        rows = await self._store.write(f"{self.domain}/job_create", props=props)
        return rows[0]["job"]

    async def update_job(
        self,
        job_id: str,
        props: dict[str, Any],
        *,
        started: bool = False,
        finished: bool = False,
        unless_finished: bool = False,
        tx: Tx | None = None,
    ) -> Row | None:
        """With `unless_finished`, a job that has already finished is left as it is (and
        None returned); with `tx`, the update commits or rolls back with that transaction."""
        params: dict[str, Any] = {
            "id": job_id,
            "props": props,
            "started": started,
            "finished": finished,
            "unless_finished": unless_finished,
        }
        name = f"{self.domain}/job_update"
        rows = await (
            tx.run(name, **params) if tx is not None else self._store.write(name, **params)
        )
        return rows[0]["job"] if rows else None

    async def get_job(self, job_id: str) -> Row | None:
        rows = await self._store.read(f"{self.domain}/job_get", id=job_id)
        return rows[0]["job"] if rows else None

    async def interrupt_job(self, job_id: str, *, stale_seconds: int, failure: str) -> Row | None:
        rows = await self._store.write(
            f"{self.domain}/job_interrupt", id=job_id, stale_seconds=stale_seconds, failure=failure
        )
        return rows[0]["job"] if rows else None

    async def job_counts(self) -> dict[str, int]:
        """How many jobs are in each state (for /metrics)."""
        rows = await self._store.read(f"{self.domain}/job_counts")
        return {row["status"]: row["jobs"] for row in rows}
