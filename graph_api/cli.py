"""The `clew` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from graph_api.settings import REPO_ROOT, Settings, SettingsError

if TYPE_CHECKING:
    from graph_api.store.client import Store


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
            print(
                f"Neo4j is running at {status.bolt_uri} (pid {status.pid}, data in {data_dir}); "
                f"it signs in user neo4j with the password in {data_dir / 'neo4j.password'}"
            )
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


def _store(settings: Settings) -> Store:
    from graph_api.store.client import Store, create_driver
    from graph_api.store.cypher import CypherRegistry

    return Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )


async def _migrate(settings: Settings) -> list[str]:
    from graph_api.store.migrations import apply_migrations

    store = _store(settings)
    try:
        return await apply_migrations(store)
    finally:
        await store.close()


async def _recount_review(settings: Settings) -> int:
    from graph_api.store.review_counts import recount

    store = _store(settings)
    try:
        return await recount(store)
    finally:
        await store.close()


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from graph_api.secrets import SecretBox, SecretKeyError, generate_key
    from graph_api.services.secret_rotation import rotate_secrets

    if args.action == "generate":
        key = generate_key()
        if args.file:
            path = Path(args.file)
            if path.exists():
                # Newest first: existing secrets stay readable, new ones use the new key.
                path.write_text(key + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(key + "\n", encoding="utf-8")
            path.chmod(0o600)
            print(f"added a new key at the top of {path}")
        else:
            print(key)
        return 0
    try:
        box = SecretBox(list(settings.secret_keys))
    except SecretKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def rotate() -> tuple[int, list[str]]:
        store = _store(settings)
        try:
            return await rotate_secrets(store, box)
        finally:
            await store.close()

    count, unreadable = asyncio.run(rotate())
    print(f"re-encrypted the secrets of {count} source(s) under the newest key")
    if unreadable:
        print(
            "could not decrypt (left unchanged; add their old key to CLEW_SECRET_KEYS and run "
            "again, or re-enter the credentials): " + ", ".join(unreadable),
            file=sys.stderr,
        )
        return 1
    return 0


def _user(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from graph_api.auth.roles import Role
    from graph_api.errors import ClewError
    from graph_api.services.identity import IdentityService

    actor = f"cli:{getpass.getuser()}"
    password = None
    if args.password_stdin:
        # Typed at a terminal, it should not show on the screen.
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline()
        password = password.rstrip("\n")

    async def run() -> str:
        store = _store(settings)
        identity = IdentityService(store, settings)
        try:
            if args.action == "bootstrap":
                name = args.username or settings.admin_username
                created, generated = await identity.bootstrap_admin(
                    username=name, password=password or settings.admin_password
                )
                if generated:
                    return _shown_once(name, generated)
                return f"created the administrator {name}" if created else "users exist already."
            if args.action == "list":
                users = await identity.users()
                lines = [
                    "\t".join([u.username, u.role] + (["disabled"] if u.disabled else []))
                    for u in users
                ]
                return "\n".join(lines) or "no users yet; run `clew user bootstrap`."
            if args.action == "create":
                user, generated = await identity.create_user(
                    actor=actor,
                    username=args.username,
                    role=Role.parse(args.role or "VIEWER"),
                    password=password,
                )
                if generated:
                    return _shown_once(user.username, generated)
                return f"created {user.username} ({user.role})"
            if args.action == "set-role":
                user = await identity.set_role(
                    actor=actor, username=args.username, role=Role.parse(args.role or "")
                )
                return f"{user.username} is now {user.role}"
            if args.action == "reset-password":
                user, generated = await identity.reset_password(
                    actor=actor, username=args.username, password=password
                )
                if generated:
                    return _shown_once(user.username, generated)
                return f"password of {user.username} changed"
            user = await identity.set_disabled(
                actor=actor, username=args.username, disabled=args.action == "disable"
            )
            return f"{user.username} is {'disabled' if user.disabled else 'enabled'}"
        finally:
            await store.close()

    if args.action not in ("bootstrap", "list") and not args.username:
        print(f"error: `clew user {args.action}` needs a USERNAME.", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(run()))
    except (ClewError, ValueError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0


def _shown_once(username: str, password: str) -> str:
    return (
        f"Sign in as '{username}' with password:\n\n    {password}\n\n"
        "It is shown only this once (Clew stores a hash). Change it with the changePassword "
        "mutation."
    )


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


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from graph_api.secrets import SecretBox, SecretKeyError

    try:
        SecretBox(list(settings.secret_keys))
    except SecretKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    uvicorn.run(
        "graph_api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,
        # The app believes X-Forwarded-For only from CLEW_TRUSTED_PROXIES (uvicorn's own
        # default would trust 127.0.0.1, letting any local caller pick its address).
        proxy_headers=False,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clew", description="Clew metadata catalog")
    commands = parser.add_subparsers(dest="command", required=True)

    neo4j = commands.add_parser("neo4j", help="run a local Neo4j 5.26 (no Docker needed)")
    neo4j.add_argument("action", choices=["start", "stop", "status"])

    commands.add_parser("migrate", help="apply pending schema migrations to Neo4j")
    commands.add_parser(
        "recount-review",
        help="rebuild the review queue's counters from the lineage edges (should they drift)",
    )

    keys = commands.add_parser("keys", help="manage the keys that encrypt stored credentials")
    keys.add_argument("action", choices=["generate", "rotate"])
    keys.add_argument("--file", help="with generate: add the new key to the top of this file")

    user = commands.add_parser(
        "user",
        help="manage who may sign in",
        description="Passwords are read from standard input with --password-stdin, or "
        "generated and printed once; never pass them as arguments.",
    )
    user.add_argument(
        "action",
        choices=["bootstrap", "list", "create", "set-role", "disable", "enable", "reset-password"],
        help="bootstrap: create the first ADMIN when there are no users",
    )
    user.add_argument("username", nargs="?")
    user.add_argument("role", nargs="?", help="VIEWER, EDITOR, STEWARD or ADMIN")
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    serve = commands.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL to schema.graphql")
    export.add_argument("--output", "-o", default=str(REPO_ROOT / "schema.graphql"))
    export.add_argument("--check", action="store_true", help="fail if the file is out of date")

    from graph_api import interchange_cli, scan_cli

    interchange_cli.add_parsers(commands)
    scan_cli.add_parsers(commands)

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
    if args.command in ("import", "export"):
        return interchange_cli.main(args, settings)
    if args.command == "scan":
        return scan_cli.main(args, settings)
    if args.command == "keys":
        return _keys(args, settings)
    if args.command == "user":
        return _user(args, settings)
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print("applied: " + ", ".join(applied) if applied else "schema is up to date")
        return 0
    if args.command == "recount-review":
        pending = asyncio.run(_recount_review(settings))
        print(f"recounted the review queue: {pending} pending edge(s)")
        return 0
    return _serve(args, settings)


if __name__ == "__main__":
    sys.exit(main())
