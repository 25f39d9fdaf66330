"""`clew import` and `clew export` from a terminal, against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_api.cli import main
from graph_api.settings import Settings
from graph_api.store.client import Store
from tests.transfer.conftest import DATA, read_workbook


@pytest.fixture
def env(settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.neo4j_password)


def test_import_preview_then_apply_then_export(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(DATA / "catalog.yaml")

    assert main(["import", source, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "catalog.yaml: previewed" in out
    assert "tables                3 rows: 3 created" in out

    report_path = tmp_path / "report.json"
    assert main(["import", source, "--report", str(report_path), "--actor", "ops"]) == 0
    assert "catalog.yaml: applied" in capsys.readouterr().out
    assert json.loads(report_path.read_text())["outcome"] == "APPLIED"

    workbook_path = tmp_path / "catalog.xlsx"
    assert main(["export", "--format", "xlsx", "-o", str(workbook_path)]) == 0
    sheets = read_workbook(workbook_path.read_bytes())
    assert len(sheets["fields"]) == 6

    assert (
        main(["export", "--format", "json", "--source", "crm", "-o", str(tmp_path / "c.json")]) == 0
    )
    assert [t["name"] for t in json.loads((tmp_path / "c.json").read_text())["tables"]] == [
        "customers"
    ]

    assert main(["export", "--template", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert "about" in read_workbook((tmp_path / "t.xlsx").read_bytes())


def test_import_with_errors_exits_non_zero_and_says_why(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("table,name\nnowhere,id\n", encoding="utf-8")

    assert main(["import", str(path), "--mode", "skip-invalid"]) == 1

    out = capsys.readouterr().out
    assert "error: Row 2 of 'fields.csv': the table 'nowhere' does not exist" in out
    assert main(["import", str(tmp_path / "missing.csv")]) == 2
