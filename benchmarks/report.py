"""The JSON result and the README's markdown table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.cases import Result, p95


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "x":
        return f"{value:.2f}"
    if unit in ("s", "MiB"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.0f} {unit}"


def table(results: list[Result]) -> str:
    lines = [
        "| case | Clew median | Clew p95 | raw median | ratio | target | holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        notes = ", ".join(
            f"{k.replace('_', ' ')} {f'{v:,.1f}' if isinstance(v, float) else v}"
            for k, v in r.notes.items()
        )
        lines.append(
            f"| {r.case}{f' ({notes})' if notes else ''} | {_fmt(r.clew_median, r.unit)} | "
            f"{_fmt(p95(r.clew), r.unit)} | {_fmt(r.raw_median, r.unit)} | {ratio} | "
            f"{r.target} | {'yes' if r.ok else 'no' if r.ok is not None else ''} |"
        )
    return "\n".join(lines) + "\n"


def write(out: Path, results: list[Result], meta: dict[str, Any]) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    md_path = out / "results.md"
    json_path.write_text(
        json.dumps({"meta": meta, "results": [r.as_dict() for r in results]}, indent=2) + "\n"
    )
    md_path.write_text(table(results))
    return json_path, md_path
