"""What a row refers to (a source, a table, a field: in the file first, then in the
catalog), and whether the keys and ids a row claims are free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph_api.interchange.format import suggest
from graph_api.interchange.plan.file_index import FileIndex
from graph_api.interchange.plan.lookups import CatalogReader, Lookups, Record
from graph_api.interchange.plan.rows import Entry, Row, RowError
from graph_api.interchange.report import Place, ProblemCode, Report
from graph_api.models import MANUAL_SOURCE_KEY, qualified_name

# Kinds of record an id may already belong to, as a report names them; ids of accounts, tokens
# and jobs are not named (an importer learns only that the id is taken).
_ID_OWNERS = {"SOURCE": "source", "TABLE": "table", "FIELD": "field", "LINEAGE": "lineage edge"}


class RowPlanner:
    """What the planners of every section share: the import's settings, the file's index, the
    catalog's lookups, and resolving references."""

    def __init__(
        self,
        catalog: CatalogReader,
        report: Report,
        places: list[Place],
        *,
        actor: str,
        allow_downgrade: bool,
        comment: str,
        may_review: bool = True,
        may_manage_sources: bool = True,
    ) -> None:
        self.report = report
        self.places = places
        self.actor = actor
        self.allow_downgrade = allow_downgrade
        # Approving and rejecting lineage is a steward's call, and sources an administrator's,
        # in a file as in the API.
        self.may_review = may_review
        self.may_manage_sources = may_manage_sources
        self.comment = comment
        self.file = FileIndex(places, Lookups(catalog, {}))
        # Catalog reads: sources for the whole import (few), the rest per batch.
        self.lookups = self.file.lookups
        self.lookups.source_names = self.file.source_names
        # Ids of implied table edges the file carries, to keep them when Clew creates them.
        self.implied_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.ordinals: dict[str, int] = {}

    def _find(
        self,
        row: Row,
        index: dict[Any, Entry],
        kind: str,
        key: Any,
        *,
        subject: str,
        by_id: bool,
        unknown: str,
        column: str | None,
        value: Any,
        pool: Callable[[], list[str]] | None = None,
        near: str | None = None,
    ) -> Record:
        """The one way a reference resolves: to a row of this file (which must be valid), else
        to the catalog; `subject` names it in messages ("the source 'crm'")."""
        entry = index.get(key)
        if entry is not None:
            if entry.id is None:
                row.problem(
                    ProblemCode.DEPENDS_ON_INVALID_ROW,
                    f"{subject} {'is in' if by_id else 'is defined in'} "
                    f"{self.file.where(entry)}, which has errors; fix that row first.",
                    column=column,
                    value=value,
                )
                raise RowError()
            return {"id": entry.id, "table_id": entry.table_id, "name": entry.name}
        rec: Record | None = self.lookups.get(kind, key)
        if rec is None:
            row.problem(
                ProblemCode.UNKNOWN_REFERENCE,
                unknown,
                column=column,
                value=value,
                suggestion=suggest(near or str(value), pool()) if pool else None,
            )
            raise RowError()
        return rec

    def _source_ref(
        self,
        row: Row,
        name: str | None,
        source_id: str | None,
        *,
        name_column: str,
        id_column: str | None = None,
    ) -> str:
        """The source key (a source id, or 'manual') a row's source columns name."""
        by_name = by_id = None
        if source_id:
            by_id = self._find(
                row,
                self.file.sources_by_id,
                "source_id",
                source_id,
                subject=f"the source with id '{source_id}'",
                by_id=True,
                unknown=f"no source has the id '{source_id}' in this file or in the catalog; "
                "check the id, or clear it and give the source's name.",
                column=id_column,
                value=source_id,
            )["id"]
        if name:
            by_name = self._find(
                row,
                self.file.sources_by_name,
                "source_name",
                name,
                subject=f"the source '{name}'",
                by_id=False,
                unknown=f"the source '{name}' does not exist in this file or in the catalog; "
                "add it to the sources sheet or correct the name.",
                column=name_column,
                value=name,
                pool=lambda: (
                    list(self.file.sources_by_name) + self.lookups.get("source_names", None)
                ),
            )["id"]
        if by_id and by_name and by_id != by_name:
            row.problem(
                ProblemCode.CONFLICTING_REFERENCE,
                f"the source id '{source_id}' and the source name '{name}' name different "
                "sources; correct one of them or clear the id.",
                column=id_column,
                value=source_id,
            )
            raise RowError()
        return by_id or by_name or MANUAL_SOURCE_KEY

    def _table_ref(
        self,
        row: Row,
        *,
        role: str,
        source_column: str,
        schema_column: str,
        table_column: str,
        id_column: str | None,
    ) -> str:
        """The id of the table a row refers to by names and/or id."""
        v = row.parsed.values
        table_id, name = (v.get(id_column) if id_column else None), v.get(table_column)
        what = f"{role} table".strip()
        by_id = by_key = None
        if table_id:
            by_id = self._find(
                row,
                self.file.tables_by_id,
                "table_id",
                table_id,
                subject=f"the {what} with id '{table_id}'",
                by_id=True,
                unknown=f"no table has the id '{table_id}' in this file or in the catalog; "
                f"check the {id_column}, or clear it and give the table's names.",
                column=id_column,
                value=table_id,
            )["id"]
        if name and by_id is not None:
            # The id decides; names that match nothing are taken as out of date (for example
            # a table renamed further up in the same file), names of another table conflict.
            mark = len(row.problems)
            try:
                by_key = self._table_by_names(
                    row, v, what, source_column, schema_column, table_column, name
                )
            except RowError:
                del row.problems[mark:]
        elif name:
            by_key = self._table_by_names(
                row, v, what, source_column, schema_column, table_column, name
            )
        if by_id and by_key and by_id != by_key:
            row.problem(
                ProblemCode.CONFLICTING_REFERENCE,
                f"the {id_column} '{table_id}' is the table {self.file.label_of_table(by_id)}, "
                f"but the names say {self.file.label_of_table(by_key)}; correct one of them "
                f"or clear the {id_column}.",
                column=id_column,
                value=table_id,
            )
            raise RowError()
        result = by_id or by_key
        if result is None:
            alternative = f" or its id in '{id_column}'" if id_column else ""
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {what} is missing; give its name in '{table_column}'{alternative}.",
                column=table_column,
            )
            raise RowError()
        return result

    def _table_by_names(
        self,
        row: Row,
        v: dict[str, Any],
        what: str,
        source_column: str,
        schema_column: str,
        table_column: str,
        name: str,
    ) -> str:
        source_key = self._source_ref(row, v.get(source_column), None, name_column=source_column)
        qn = qualified_name(v.get(schema_column), name)
        label = self.file.table_label(source_key, qn)
        entry = self.file.tables_by_key.get((source_key, qn))
        return str(
            self._find(
                row,
                self.file.tables_by_key,
                "table_key",
                (source_key, qn),
                subject=f"the {what} {label}",
                by_id=False,
                unknown=f"the {what} {label} does not exist in this file or in the catalog; "
                "add it to the tables sheet or correct the source, schema and name.",
                column=table_column,
                value=name if entry is not None else qn,
                pool=lambda: (
                    self.file.table_names_in_file.get(source_key, [])
                    + self.lookups.get("table_names", source_key)
                ),
                near=qn,
            )["id"]
        )

    def _field_ref(self, row: Row, role: str) -> tuple[str, str, str]:
        """(field id, table id, label) of a lineage row's upstream or downstream field."""
        v = row.parsed.values
        field_id, name = v.get(f"{role}_field_id"), v.get(f"{role}_field")
        names_given = bool(v.get(f"{role}_table") or name)
        by_id: tuple[str, str] | None = None
        by_key: tuple[str, str] | None = None
        known_name = name
        if field_id:
            found = self._find(
                row,
                self.file.fields_by_id,
                "field_id",
                field_id,
                subject=f"the {role} field with id '{field_id}'",
                by_id=True,
                unknown=f"no field has the id '{field_id}' in this file or in the catalog; "
                f"check the {role}_field_id, or clear it and give the field's names.",
                column=f"{role}_field_id",
                value=field_id,
            )
            by_id, known_name = (found["id"], found["table_id"]), found["name"]
        if names_given and by_id is not None:
            # As for tables: the id decides, stale names are tolerated, other names conflict.
            mark = len(row.problems)
            try:
                by_key = self._field_by_names(row, v, role, name)
            except RowError:
                del row.problems[mark:]
            if by_key is not None and by_key != by_id:
                where = (
                    "belongs to the table " + self.file.label_of_table(by_id[1])
                    if by_key[1] != by_id[1]
                    else "is another field"
                )
                row.problem(
                    ProblemCode.CONFLICTING_REFERENCE,
                    f"the {role}_field_id '{field_id}' {where}, but the row names "
                    f"'{self.file.short_table(by_key[1])}.{name}'; correct the names or the "
                    "id.",
                    column=f"{role}_field_id",
                    value=field_id,
                )
                raise RowError()
        elif names_given:
            by_key = self._field_by_names(row, v, role, name)
        result = by_id or by_key
        if result is None:
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {role} field is missing; give its table and name, or its id.",
                column=f"{role}_field",
            )
            raise RowError()
        label = (
            f"'{self.file.short_table(result[1])}.{known_name}'"
            if known_name
            else f"the field with id '{field_id}'"
        )
        return result[0], result[1], label

    def _field_by_names(
        self, row: Row, v: dict[str, Any], role: str, name: str | None
    ) -> tuple[str, str]:
        table_id = self._table_ref(
            row,
            role=role,
            source_column=f"{role}_source",
            schema_column=f"{role}_schema",
            table_column=f"{role}_table",
            id_column=None,
        )
        if not name:
            row.problem(
                ProblemCode.REQUIRED_VALUE,
                f"the {role} field is missing; give its name in '{role}_field'.",
                column=f"{role}_field",
            )
            raise RowError()
        table_name = self.file.short_table(table_id)
        in_file = (table_id, name) in self.file.fields_by_key
        found = self._find(
            row,
            self.file.fields_by_key,
            "field_key",
            (table_id, name),
            subject=f"the {role} field '{table_name}.{name}'",
            by_id=False,
            unknown=f"the {role} field '{table_name}.{name}' does not exist in this file or in "
            "the catalog; add it to the fields sheet or correct the name.",
            column=f"{role}_field",
            value=name if in_file else f"{table_name}.{name}",
            pool=lambda: (
                self.file.field_names_in_file.get(table_id, [])
                + self.lookups.get("field_names", table_id)
            ),
            near=name,
        )
        return found["id"], table_id

    def _id_free(self, row: Row, row_id: str, what: str) -> None:
        """Ids are unique across every kind (the audit trail keys histories by id alone):
        a new entity may not take an id that anything in Clew, or another row, has."""
        in_file = {
            "source": self.file.sources_by_id,
            "table": self.file.tables_by_id,
            "field": self.file.fields_by_id,
            "lineage edge": self.file.edge_ids,
        }
        for kind, index in in_file.items():
            entry = index.get(row_id)
            if kind != what and entry is not None and entry.id is not None:
                row.problem(
                    ProblemCode.ID_IN_USE,
                    f"the id '{row_id}' is already given to the {kind} in "
                    f"{self.file.where(entry)}; ids are unique across every kind, so clear one "
                    "of them to let Clew choose it.",
                    column="id",
                    value=row_id,
                )
                raise RowError()
        kind = self.lookups.get("id_in_use", row_id)
        if kind is not None:
            owner = _ID_OWNERS.get(kind)
            row.problem(
                ProblemCode.ID_IN_USE,
                (
                    f"the id '{row_id}' already belongs to a {owner} in the catalog"
                    if owner
                    else f"the id '{row_id}' is already in use in Clew"
                )
                + f", so it cannot be given to a new {what} (ids are unique across every "
                "kind); clear the id to let Clew choose one.",
                column="id",
                value=row_id,
            )
            raise RowError()

    def _duplicate(
        self,
        row: Row,
        index: dict[Any, Entry],
        key: Any,
        label: str,
        column: str | None,
        value: Any,
    ) -> None:
        entry = index.get(key)
        # A row with errors does not count: the valid row with its key is the one imported.
        if entry is not None and entry.id is not None:
            row.problem(
                ProblemCode.DUPLICATE_ROW,
                f"{label} is already in {self.file.where(entry)}; keep one of the two rows.",
                column=column,
                value=value,
            )
            raise RowError()

    def _same_entity(
        self, row: Row, index: dict[str, Entry], current: Record | None, what: str, label: str
    ) -> None:
        """Two rows reaching one entity by different keys (one by its id, say, the other by the
        name it had before the first renamed it) would be merged into one write."""
        if current is None:
            return
        entry = index.get(current["id"])
        if entry is not None and entry.id is not None:
            row.problem(
                ProblemCode.DUPLICATE_ROW,
                f"{label} is the {what} with id '{current['id']}', already in "
                f"{self.file.where(entry)} (one row names the {what} by its id, the other by its "
                "name or a name it had); keep one of the two rows.",
                column="id" if row.parsed.values.get("id") else "name",
                value=current["id"],
            )
            raise RowError()
