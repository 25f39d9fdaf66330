"""Ordered, idempotent schema migrations from ``cypher/migrations``.

Each applied migration is recorded as a ``:ClewMigration`` node; statements use
``IF NOT EXISTS`` so re-running a half-applied migration is safe.
"""

from __future__ import annotations

import logging

from graph_api.store.client import Store

log = logging.getLogger(__name__)


async def applied_versions(store: Store) -> dict[int, str]:
    rows = await store.read("meta/applied_migrations")
    return {row["version"]: row["checksum"] for row in rows}


async def apply_migrations(store: Store) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    done = await applied_versions(store)
    applied = []
    for migration in store.cypher.migrations:
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                log.warning(
                    "migration file changed after it was applied",
                    extra={"migration": f"{migration.version:03d}_{migration.name}"},
                )
            continue
        for statement in migration.statements:
            await store.run_schema(statement)
        await store.write(
            "meta/record_migration",
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
        )
        applied.append(f"{migration.version:03d}_{migration.name}")
        log.info("applied migration", extra={"migration": applied[-1]})
    if applied:
        await store.write("meta/await_indexes")
    return applied


async def pending_migrations(store: Store) -> list[str]:
    done = await applied_versions(store)
    return [f"{m.version:03d}_{m.name}" for m in store.cypher.migrations if m.version not in done]
