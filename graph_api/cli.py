"""The `clew` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from graph_api.settings import REPO_ROOT, Settings, SettingsError


def _neo4j(args: argparse.Namespace, settings: Settings) -> int:
    from graph_api import neo4j_local

    if not settings.uses_local_neo4j and args.action == "start":
        print(f"NEO4J_URI is set ({settings.neo4j_uri}); not starting a local Neo4j.")
        return 0
    data_dir = settings.local_neo4j_dir
    try:
        if args.action == "start":
            status = neo4j_local.start(
                data_dir=data_dir,
                port=settings.local_neo4j_port,
                heap=settings.local_neo4j_heap,
                pagecache=settings.local_neo4j_pagecache,
            )
            print(f"Neo4j is running at {status.bolt_uri} (pid {status.pid}, data in {data_dir})")
        elif args.action == "stop":
            stopped = neo4j_local.stop(data_dir=data_dir)
            print("Neo4j stopped." if stopped else "Neo4j was not running.")
        else:
            status = neo4j_local.status(data_dir=data_dir)
            if status.running:
                print(f"Neo4j is running at {status.bolt_uri} (pid {status.pid})")
            else:
                print("Neo4j is not running.")
                return 3
    except neo4j_local.LocalNeo4jError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


async def _migrate(settings: Settings) -> list[str]:
    from graph_api.store.client import Store, create_driver
    from graph_api.store.cypher import CypherRegistry
    from graph_api.store.migrations import apply_migrations

    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    try:
        return await apply_migrations(store)
    finally:
        await store.close()


def _export_schema(args: argparse.Namespace) -> int:
    from graph_api.schema import schema

    sdl = schema.as_str() + "\n"
    target = Path(args.output)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != sdl:
            print(f"{target} is out of date; run `clew export-schema`.", file=sys.stderr)
            return 1
        print(f"{target} matches the code.")
        return 0
    target.write_text(sdl, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "graph_api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clew", description="Clew metadata catalog")
    commands = parser.add_subparsers(dest="command", required=True)

    neo4j = commands.add_parser("neo4j", help="run a local Neo4j 5.26 (no Docker needed)")
    neo4j.add_argument("action", choices=["start", "stop", "status"])

    commands.add_parser("migrate", help="apply pending schema migrations to Neo4j")

    serve = commands.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL to schema.graphql")
    export.add_argument("--output", "-o", default=str(REPO_ROOT / "schema.graphql"))
    export.add_argument("--check", action="store_true", help="fail if the file is out of date")

    args = parser.parse_args(argv)
    if args.command == "export-schema":
        return _export_schema(args)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "neo4j":
        return _neo4j(args, settings)
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print("applied: " + ", ".join(applied) if applied else "schema is up to date")
        return 0
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
