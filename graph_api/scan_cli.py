"""`clew scan SOURCE [--namespace ...] [--dry-run]`: scan a source into the catalog from a
terminal, with a progress bar, and print the report."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from graph_api.interchange_cli import ProgressBar, _store
from graph_api.settings import Settings


def add_parsers(commands: Any) -> None:
    scan = commands.add_parser("scan", help="scan a source's tables into the catalog")
    scan.add_argument("source", help="the source's name or id")
    scan.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        help="a schema or database to scan (repeat for more); default: all",
    )
    scan.add_argument("--include", action="append", default=[], help="only tables like this glob")
    scan.add_argument("--exclude", action="append", default=[], help="no table like this glob")
    scan.add_argument("--dry-run", action="store_true", help="report what would change only")
    scan.add_argument(
        "--remove-missing",
        action="store_true",
        help="delete what the source no longer has, instead of marking it missing",
    )
    scan.add_argument(
        "--actor", default=f"cli:{getpass.getuser()}", help="who starts it, for the audit trail"
    )


def _line(progress: Any) -> tuple[float, str]:
    total = progress.namespaces_total
    done = progress.namespaces_read / total if total else 0.0
    return done, (
        f"namespaces {progress.namespaces_read}/{total or '?'}  tables read "
        f"{progress.tables_read:,}  written {progress.tables_written:,}"
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_scan(args, settings))


async def _scan(args: argparse.Namespace, settings: Settings) -> int:
    from graph_api.context import Services
    from graph_api.errors import ClewError
    from graph_api.services.jobs import JobStatus
    from graph_api.services.scans.jobs import ScanOptions
    from graph_api.store.interchange import InterchangeRepository

    store = await _store(settings)
    services = Services.create(settings, store)
    bar = ProgressBar(sys.stderr, _line)
    try:
        found = await InterchangeRepository(store).resolve_sources([args.source])
        if args.source not in found:
            print(f"error: no source named or with id '{args.source}'", file=sys.stderr)
            return 2
        options = ScanOptions(
            namespaces=tuple(args.namespace),
            include=tuple(args.include),
            exclude=tuple(args.exclude),
            dry_run=args.dry_run,
            remove_missing=args.remove_missing,
        )
        try:
            job = await services.scans.run(
                found[args.source], options, actor=args.actor, on_progress=bar
            )
        except ClewError as exc:
            bar.close()
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    finally:
        bar.close()
        services.connectors.close_all()
        await store.close()
    report = job.report
    print(f"scan {job.id} of '{job.source_name}': {job.status.value}")
    if report is not None and job.status is JobStatus.SUCCEEDED:
        for heading, entries in (("added", report.added), ("changed", report.changed)):
            for t in entries:
                print(f"  {heading:<9} {t.qualified_name}", end="")
                parts = [f"+{c}" for c in t.columns_added] if heading == "changed" else []
                parts += [f"-{c} (missing)" for c in t.columns_removed]
                parts += [
                    f"~{c.name} " + ", ".join(f"{k} {c.before[k]} -> {c.after[k]}" for k in c.after)
                    for c in t.columns_changed
                ]
                print(f"  {'; '.join(parts)}" if parts else "")
        for t in report.missing:
            print(f"  missing   {t.qualified_name}")
        for w in report.warnings:
            print(f"  warning   {w.namespace}.{w.table or ''}: {w.message}")
        print(report.summary)
    if job.failure:
        print(job.failure, file=sys.stderr)
    return 0 if job.status is JobStatus.SUCCEEDED else 1
