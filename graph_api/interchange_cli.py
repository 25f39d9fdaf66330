"""`clew import` and `clew export`: the same service as the API, from a terminal.

clew import FILE [--dry-run] [--mode all-or-nothing|skip-invalid] [--allow-downgrade]
clew export --format xlsx|csv|json|yaml [-o FILE] [--source S] [--tag T] [--table T]
clew export --template -o template.xlsx
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from graph_api.settings import Settings

_MODES = {"all-or-nothing": "ALL_OR_NOTHING", "skip-invalid": "SKIP_INVALID"}


def add_parsers(commands: Any) -> None:
    imp = commands.add_parser(
        "import", help="import a file (xlsx, csv, zip of csv, json, yaml) into the catalog"
    )
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--dry-run", action="store_true", help="preview: report what would change, write nothing"
    )
    imp.add_argument(
        "--mode",
        choices=sorted(_MODES),
        default="all-or-nothing",
        help="all-or-nothing (default): any error and nothing is written; "
        "skip-invalid: write the valid rows, report the others",
    )
    imp.add_argument(
        "--allow-downgrade",
        action="store_true",
        help="let the file downgrade APPROVED lineage (to MANUAL, pending review)",
    )
    imp.add_argument(
        "--format",
        choices=["xlsx", "csv", "json", "yaml"],
        help="the file's format, when its name does not tell",
    )
    imp.add_argument(
        "--actor",
        default=f"cli:{getpass.getuser()}",
        help="who imports, for the audit trail (default cli:<your login name>)",
    )
    imp.add_argument("--batch-size", type=int, default=1000)
    imp.add_argument("--report", metavar="FILE", help="write the full report as JSON to FILE")
    imp.add_argument(
        "--show", type=int, default=50, metavar="N", help="print at most N problems (default 50)"
    )

    exp = commands.add_parser("export", help="export the catalog in the interchange format")
    exp.add_argument("--format", choices=["xlsx", "csv", "json", "yaml"], default="xlsx")
    exp.add_argument("-o", "--output", help="the file to write (default: standard output)")
    exp.add_argument(
        "--source",
        action="append",
        default=[],
        help="only this source (name or id); repeat for more",
    )
    exp.add_argument("--tag", action="append", default=[], help="only tables with this tag")
    exp.add_argument(
        "--table",
        action="append",
        default=[],
        help="only this table (qualified name or id); repeat for more",
    )
    exp.add_argument("--section", help="with --format csv: one section as one CSV file")
    exp.add_argument(
        "--template",
        action="store_true",
        help="write the empty template workbook instead of the catalog",
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "import":
        path = Path(args.file)
        if not path.is_file():
            print(f"error: no file at {path}", file=sys.stderr)
            return 2
        outcome = asyncio.run(_import(args, settings, path))
        return outcome if isinstance(outcome, int) else _print_report(args, path, outcome)
    binary = args.template or args.format == "xlsx" or (args.format == "csv" and not args.section)
    if args.output is None and binary and sys.stdout.isatty():
        print("error: this format is binary; give a file with -o FILE", file=sys.stderr)
        return 2
    with (
        open(args.output, "wb") if args.output else contextlib.nullcontext(sys.stdout.buffer) as out
    ):
        code = asyncio.run(_export(args, settings, out))
    if args.output and code == 0:
        print(f"wrote {args.output}", file=sys.stderr)
    return code


async def _store(settings: Settings) -> Any:
    from graph_api.store.client import Store, create_driver
    from graph_api.store.cypher import CypherRegistry
    from graph_api.store.migrations import apply_migrations

    store = Store(
        create_driver(settings),
        database=settings.neo4j_database,
        cypher=CypherRegistry.load(settings.cypher_dir),
    )
    await apply_migrations(store)
    return store


class ProgressBar:
    """A one-line progress bar on a terminal; silent otherwise. `line` turns a job's progress
    into how much is done (0 to 1) and what to say after the bar."""

    def __init__(self, stream: IO[str], line: Callable[[Any], tuple[float, str]]) -> None:
        self._stream = stream
        self._line = line
        self._on = stream.isatty()
        self._last = 0.0

    def __call__(self, progress: Any) -> None:
        if not self._on or time.monotonic() - self._last < 0.2:
            return
        self._last = time.monotonic()
        done, words = self._line(progress)
        width = 30
        filled = int(done * width)
        text = (
            f"\r{progress.phase.value.lower():<10} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:4.0%}  {words}  "
        )
        self._stream.write(text)
        self._stream.flush()

    def close(self) -> None:
        if self._on:
            self._stream.write("\r" + " " * 100 + "\r")
            self._stream.flush()


def _import_line(progress: Any) -> tuple[float, str]:
    total = progress.rows_total
    done = progress.rows_validated / max(total, 1) if total else 0.0
    return done, (
        f"read {progress.rows_parsed:,}  checked {progress.rows_validated:,}"
        f"  written {progress.rows_written:,}"
    )


async def _import(args: argparse.Namespace, settings: Settings, path: Path) -> Any:
    from graph_api.errors import ClewError
    from graph_api.interchange.format import Encoding
    from graph_api.services.imports import ImportMode, ImportOptions, ImportService

    store = await _store(settings)
    bar = ProgressBar(sys.stderr, _import_line)
    try:
        service = ImportService(
            store, actor=args.actor, job_retention_days=settings.import_job_retention_days
        )
        options = ImportOptions(
            dry_run=args.dry_run,
            mode=ImportMode(_MODES[args.mode]),
            allow_downgrade=args.allow_downgrade,
            encoding=Encoding(args.format) if args.format else None,
            batch_size=args.batch_size,
        )
        try:
            return await service.run(
                path=path, file_name=path.name, options=options, on_progress=bar
            )
        except ClewError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    finally:
        bar.close()
        await store.close()


def _print_report(args: argparse.Namespace, path: Path, job: Any) -> int:
    from graph_api.interchange.report import Outcome, would

    if job.failure:
        print(f"import {job.status.value.lower()}: {job.failure}", file=sys.stderr)
        return 1
    report = job.report
    assert report is not None
    if args.report:
        Path(args.report).write_text(
            json.dumps(report.as_dict(), indent=2, default=str), encoding="utf-8"
        )
    outcome = report.outcome.value if report.outcome else "?"
    print(f"{path.name}: {outcome.replace('_', ' ').lower()} (job {job.id})")
    print(f"  {report.summary()}")
    refused = report.outcome is Outcome.NOTHING_APPLIED
    for summary in report.sections.values():
        counts = ", ".join(
            f"{n} {would(label) if refused else label}"
            for label, n in (
                ("created", summary.created),
                ("updated", summary.updated),
                ("unchanged", summary.unchanged),
                ("kept", summary.kept),
                ("implied", summary.implied),
                ("skipped", summary.skipped),
            )
            if n
        )
        print(f"  {summary.section:<14} {summary.rows:>8,} rows: {counts or 'nothing'}")
    print(f"  {report.error_count} error(s), {report.warning_count} warning(s)")
    for problem in report.problems[: args.show]:
        print(f"  {problem.severity.value.lower()}: {problem.message}")
    hidden = sum(report.counts.values()) - min(len(report.problems), args.show)
    if hidden > 0:
        print(
            f"  ... and {hidden} more (see --report FILE for the first "
            f"{report.max_problems} in full); by kind:"
        )
        for code, count in sorted(report.counts.items(), key=lambda kv: -kv[1]):
            print(f"    {code.value}: {count}")
    return 1 if report.error_count else 0


async def _export(args: argparse.Namespace, settings: Settings, out: IO[bytes]) -> int:
    from graph_api.errors import ClewError
    from graph_api.interchange.format import Encoding, section_for
    from graph_api.interchange.template import template_bytes
    from graph_api.services.exports import ExportService

    if args.template:
        out.write(template_bytes())
        return 0
    section = None
    if args.section:
        section = section_for(args.section)
        if section is None:
            print(f"error: '{args.section}' is not a section", file=sys.stderr)
            return 2
    store = await _store(settings)
    try:
        stream = await ExportService(store).export(
            Encoding(args.format),
            sources=args.source,
            tags=args.tag,
            tables=args.table,
            section=section,
        )
        async for chunk in stream:
            out.write(chunk)
    except ClewError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await store.close()
    return 0
