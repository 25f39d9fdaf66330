"""The second pass: each row against the rest of the file and the catalog.

Sections are planned in order (sources, tables, fields, table lineage, field lineage), a batch
at a time. For each row the planner resolves what it refers to (in the file first, then in
the catalog: references.py over file_index.py and lookups.py), finds the entity or edge it is
about (by id, else by natural key), asks the lineage rules (graph_api/lineage_rules.py) what
an edge becomes (lineage.py), and decides: create, update (with the exact changes), unchanged,
kept (an existing edge wins over an INFERRED row) or skipped (the row has errors).

The planner only reads. Reads are batched: a batch is resolved in rounds, each round asking
the catalog once for everything the rows still miss (lookups.py), so a batch of a thousand
rows costs a handful of statements. What to write comes back as a `BatchPlan` for the service
to apply.
"""

from __future__ import annotations

from graph_api.interchange.cells import shown
from graph_api.interchange.format import (
    FIELD_LINEAGE,
    FIELDS,
    SOURCES,
    TABLE_LINEAGE,
    TABLES,
    Section,
)
from graph_api.interchange.plan.entities import EntityRows
from graph_api.interchange.plan.lineage import LineageRows
from graph_api.interchange.plan.lookups import CatalogReader, Missing
from graph_api.interchange.plan.rows import AuditEntry, BatchPlan, Row, RowError
from graph_api.interchange.report import Problem
from graph_api.interchange.validate import ParsedRow

__all__ = ["AuditEntry", "BatchPlan", "CatalogReader", "Planner"]


class Planner(EntityRows, LineageRows):
    async def plan(self, section: Section, batch: list[ParsedRow]) -> BatchPlan:
        plan = BatchPlan(section.name, rows=len(batch))
        planner = {
            SOURCES.name: self._source_row,
            TABLES.name: self._table_row,
            FIELDS.name: self._field_row,
            TABLE_LINEAGE.name: self._table_edge_row,
            FIELD_LINEAGE.name: self._field_edge_row,
        }[section.name]
        self.lookups.new_batch()
        # Rounds: try every row; fetch in one go what any of them missed; again.
        pending = [p for p in batch if not p.invalid]
        for _ in range(12):
            self.lookups.new_round()
            for parsed in pending:
                try:
                    await planner(Row(parsed), plan=None)
                except (Missing, RowError):
                    pass
            if not self.lookups.wanted:
                break
            await self.lookups.fetch()
        # The final round decides and commits, row by row, in file order.
        summary = self.report.section(section.name)
        for parsed in batch:
            summary.rows += 1
            if parsed.invalid:
                self.file.register_invalid(section, parsed)
                summary.count("skipped", row=parsed.row, key=self.file.key_text(section, parsed))
                continue
            row = Row(parsed)
            for _ in range(12):
                self.lookups.new_round()
                try:
                    await planner(row, plan=plan)
                    break
                except Missing:
                    await self.lookups.fetch()
                    row = Row(parsed)
                except RowError:
                    break
            self._flush(section, row)
            if row.has_errors:
                self.file.register_invalid(section, parsed)
                summary.count("skipped", row=parsed.row, key=self.file.key_text(section, parsed))
            else:
                for commit in row.commits:
                    commit()
        return plan

    def _flush(self, section: Section, row: Row) -> None:
        place = self.places[row.parsed.place]
        for code, sentence, column, value, hint in row.problems:
            text = f"{place.at(row.parsed.row, row.parsed.line)}: {sentence}"
            if hint:
                text += f" Did you mean '{hint}'?"
            self.report.add(
                Problem(
                    code,
                    text,
                    file=place.file,
                    section=section.name,
                    row=row.parsed.row,
                    column=column,
                    value=None if value is None else shown(value, 200),
                    suggestion=hint,
                    line=row.parsed.line,
                )
            )
