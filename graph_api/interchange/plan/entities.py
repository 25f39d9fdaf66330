"""Planning sources, tables and fields: find the entity a row is about, diff it, decide."""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable
from typing import Any

from graph_api.interchange.plan.lookups import Record
from graph_api.interchange.plan.references import RowPlanner
from graph_api.interchange.plan.rows import (
    AuditEntry,
    BatchPlan,
    Entry,
    Row,
    RowError,
    article,
    plain,
    same_value,
)
from graph_api.interchange.report import ProblemCode
from graph_api.models import MANUAL_SOURCE_KEY, qualified_name

# Source, table and field columns the server records itself (see _ignore_stamps).
ENTITY_RECORDED_COLUMNS = ("created_at", "updated_at")


class EntityRows(RowPlanner):
    async def _source_row(self, row: Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        name, row_id = v["name"], v.get("id")
        self._duplicate(row, self.file.sources_by_name, name, f"the source '{name}'", "name", name)
        if row_id:
            self._duplicate(
                row, self.file.sources_by_id, row_id, f"the id '{row_id}'", "id", row_id
            )
        current = self._identify(
            row, "source", "source_id", "source_name", row_id, name, label=f"the source '{name}'"
        )
        self._same_entity(row, self.file.sources_by_id, current, "source", f"the source '{name}'")
        if current is None and row_id:
            self._id_free(row, row_id, "source")
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        props = {
            "name": name,
            "type": v.get("type"),
            "description": v.get("description"),
            "active": True if v.get("active") is None else v["active"],
        }
        changes, update = self._diff(current, props, v, key_columns={"name"})
        if not self.may_manage_sources and (current is None or changes):
            row.problem(
                ProblemCode.ROLE_REQUIRED,
                f"this row would {'change' if current else 'create'} the source '{name}', and "
                "managing sources needs the ADMIN role. Remove the row (tables can still "
                "name the source), or ask an administrator to import the file.",
                column="name",
                value=name,
            )
            raise RowError()
        self._decide(
            row,
            plan,
            "SOURCE",
            new_id,
            current,
            props,
            changes,
            update,
            key=name,
            create={"id": new_id, "props": props},
        )

        def commit() -> None:
            entry = Entry(new_id, row.parsed.row, row.parsed.place)
            self.file.sources_by_name[name] = entry
            if row_id:
                self.file.sources_by_id[row_id] = entry
            self.file.sources_by_id.setdefault(new_id, entry)
            self.file.source_names[new_id] = name

        row.commits.append(commit)

    def _identify(
        self,
        row: Row,
        what: str,
        id_kind: str,
        key_kind: str,
        row_id: str | None,
        key: Hashable,
        *,
        label: str,
    ) -> Record | None:
        """The catalog's entity a row is about, or None for a new one."""
        by_key = self.lookups.get(key_kind, key)
        by_id = self.lookups.get(id_kind, row_id) if row_id else None
        if by_id is not None:
            if by_key is not None and by_key["id"] != by_id["id"]:
                row.problem(
                    ProblemCode.NAME_TAKEN,
                    f"the row gives {what} id '{row_id}' the name of {label}, but "
                    f"another {what} (id {by_key['id']}) already has it; choose another "
                    "name.",
                    column="name",
                    value=row.parsed.values.get("name"),
                )
                raise RowError()
            return by_id
        if by_key is not None and row_id:
            row.problem(
                ProblemCode.ID_MISMATCH,
                f"the catalog knows {label} by the id '{by_key['id']}', not '{row_id}'; "
                f"the row updates that {what}, and rows referring to '{row_id}' are "
                "linked to it.",
                column="id",
                value=row_id,
            )
        return by_key

    def _diff(
        self,
        current: Record | None,
        props: dict[str, Any],
        values: dict[str, Any],
        *,
        key_columns: set[str],
        extra: Iterable[str] = (),
    ) -> tuple[list[tuple[str, Any, Any]], dict[str, Any]]:
        """What an update changes: only columns present in the file count."""
        if current is None:
            return [], {}
        changes: list[tuple[str, Any, Any]] = []
        update: dict[str, Any] = {}
        for name, value in props.items():
            if name not in values and name not in key_columns and name not in extra:
                continue
            before = current.get(name)
            if isinstance(before, list) or isinstance(value, list):
                same = list(before or []) == list(value or [])
            else:
                same = before == value
            if not same:
                changes.append((name, before, value))
                update[name] = value
        return changes, update

    def _decide(
        self,
        row: Row,
        plan: BatchPlan | None,
        entity_type: str,
        entity_id: str,
        current: Record | None,
        props: dict[str, Any],
        changes: list[tuple[str, Any, Any]],
        update: dict[str, Any],
        *,
        key: str,
        create: dict[str, Any],
        extra_update: dict[str, Any] | None = None,
    ) -> None:
        self._ignore_stamps(row, current, entity_type.lower())
        if plan is None:
            return
        summary = self.report.section(plan.section)
        parsed = row.parsed

        def commit() -> None:
            if current is None:
                plan.creates.append(create)
                plan.audit.append(
                    AuditEntry(
                        entity_id, entity_type, "CREATE", after=plain(props), comment=self.comment
                    )
                )
                summary.count("created", row=parsed.row, key=key)
            elif changes:
                plan.updates.append({"id": entity_id, "props": update, **(extra_update or {})})
                plan.audit.append(
                    AuditEntry(
                        entity_id,
                        entity_type,
                        "UPDATE",
                        before={c: plain(b) for c, b, _ in changes},
                        after={c: plain(a) for c, _, a in changes},
                        comment=self.comment,
                    )
                )
                summary.count(
                    "updated",
                    row=parsed.row,
                    key=key,
                    changes=[(c, plain(b), plain(a)) for c, b, a in changes],
                )
            else:
                summary.count("unchanged", row=parsed.row, key=key)

        row.commits.append(commit)

    def _ignore_stamps(self, row: Row, current: Record | None, what: str) -> None:
        """When a source, table or field was created and changed is what the server saw: a
        file's timestamps that differ from what it recorded are ignored, with a warning (an
        export imported again says the same and passes quietly)."""
        v = row.parsed.values
        ignored = [
            name
            for name in ENTITY_RECORDED_COLUMNS
            if v.get(name) is not None
            and not (current is not None and same_value(v[name], current.get(name)))
        ]
        if not ignored:
            return
        row.problem(
            ProblemCode.IGNORED_VALUE,
            f"{', '.join(ignored)} {'was' if len(ignored) == 1 else 'were'} ignored: Clew "
            f"records when it creates and changes {article(what)} {what}, as it happens.",
            column=ignored[0],
            value=plain(v.get(ignored[0])),
        )

    async def _table_row(self, row: Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        row_id, name = v.get("id"), v["name"]
        source_given = "source" in v or "source_id" in v
        source_key = self._source_ref(
            row, v.get("source"), v.get("source_id"), name_column="source", id_column="source_id"
        )
        current_by_id = None
        if row_id and row_id not in self.file.tables_by_id:
            current_by_id = self.lookups.get("table_id", row_id)
        # An id names the table whatever its names; absent columns keep the table's values.
        if current_by_id is not None:
            schema = v["schema"] if "schema" in v else current_by_id.get("schema")
            if not source_given:
                source_key = current_by_id["source_key"]
        else:
            schema = v.get("schema")
        qn = qualified_name(schema, name)
        label = f"the table {self.file.table_label(source_key, qn)}"
        self._duplicate(row, self.file.tables_by_key, (source_key, qn), label, "name", qn)
        if row_id:
            self._duplicate(row, self.file.tables_by_id, row_id, f"the id '{row_id}'", "id", row_id)
        current = self._identify(
            row, "table", "table_id", "table_key", row_id, (source_key, qn), label=label
        )
        self._same_entity(row, self.file.tables_by_id, current, "table", label)
        if current is None and row_id:
            self._id_free(row, row_id, "table")
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        props = {
            "name": name,
            "schema": schema,
            "qualified_name": qn,
            "kind": v.get("kind") or "TABLE",
            "description": v.get("description"),
            "tags": v.get("tags") or [],
        }
        changes, update = self._diff(
            current,
            {**props, "source_key": source_key},
            v,
            key_columns={"name", "schema", "qualified_name"},
            extra=["source_key"] if source_given else [],
        )
        update.pop("source_key", None)
        changes = [
            ("source", self.file.source_name(b), self.file.source_name(a))
            if c == "source_key"
            else (c, b, a)
            for c, b, a in changes
        ]
        rebind = current is not None and current.get("source_key") != source_key
        source_id = None if source_key == MANUAL_SOURCE_KEY else source_key
        self._decide(
            row,
            plan,
            "TABLE",
            new_id,
            current,
            props,
            changes,
            update,
            key=qn,
            create={"id": new_id, "source_id": source_id, "props": props},
            extra_update={"rebind": rebind, "source_id": source_id},
        )

        def commit() -> None:
            entry = Entry(new_id, row.parsed.row, row.parsed.place)
            self.file.tables_by_key[(source_key, qn)] = entry
            if row_id:
                self.file.tables_by_id[row_id] = entry
            self.file.tables_by_id.setdefault(new_id, entry)
            self.file.table_labels[new_id] = self.file.table_label(source_key, qn)
            self.file.table_names_in_file.setdefault(source_key, []).append(qn)

        row.commits.append(commit)

    async def _field_row(self, row: Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        row_id, name = v.get("id"), v["name"]
        table_id = self._table_ref(
            row,
            role="",
            source_column="source",
            schema_column="schema",
            table_column="table",
            id_column="table_id",
        )
        table_name = self.file.short_table(table_id)
        label = f"the field '{table_name}.{name}'"
        self._duplicate(row, self.file.fields_by_key, (table_id, name), label, "name", name)
        if row_id:
            self._duplicate(row, self.file.fields_by_id, row_id, f"the id '{row_id}'", "id", row_id)
            if row_id not in self.file.fields_by_id:
                by_id = self.lookups.get("field_id", row_id)
                if by_id is not None and by_id["table_id"] != table_id:
                    row.problem(
                        ProblemCode.FIELD_MOVED,
                        f"the field id '{row_id}' belongs to the table "
                        f"{self.file.label_of_table(by_id['table_id'])}, not "
                        f"{self.file.label_of_table(table_id)}; a field cannot move between "
                        "tables. Clear the id to create a new field there.",
                        column="id",
                        value=row_id,
                    )
                    raise RowError()
        current = self._identify(
            row, "field", "field_id", "field_key", row_id, (table_id, name), label=label
        )
        self._same_entity(row, self.file.fields_by_id, current, "field", label)
        if current is None and row_id:
            self._id_free(row, row_id, "field")
        ordinal = v.get("ordinal_position")
        if current is None and ordinal is None and table_id not in self.ordinals:
            self.lookups.get("ordinal", table_id)
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        if current is None and ordinal is None:
            if table_id not in self.ordinals:
                self.ordinals[table_id] = self.lookups.get("ordinal", table_id)
            ordinal = self.ordinals[table_id] + 1
        props = {
            "name": name,
            "data_type": v.get("data_type"),
            "nullable": True if v.get("nullable") is None else v["nullable"],
            "primary_key": False if v.get("primary_key") is None else v["primary_key"],
            "ordinal_position": ordinal
            if ordinal is not None
            else (current or {}).get("ordinal_position"),
            "description": v.get("description"),
            "tags": v.get("tags") or [],
        }
        changes, update = self._diff(current, props, v, key_columns={"name"})
        self._decide(
            row,
            plan,
            "FIELD",
            new_id,
            current,
            props,
            changes,
            update,
            key=f"{table_name}.{name}",
            create={"id": new_id, "table_id": table_id, "props": props},
        )

        def commit() -> None:
            entry = Entry(new_id, row.parsed.row, row.parsed.place, table_id, name)
            self.file.fields_by_key[(table_id, name)] = entry
            if row_id:
                self.file.fields_by_id[row_id] = entry
            self.file.fields_by_id.setdefault(new_id, entry)
            self.file.field_names_in_file.setdefault(table_id, []).append(name)
            if props["ordinal_position"] is not None:
                self.ordinals[table_id] = max(
                    self.ordinals.get(table_id, 0), props["ordinal_position"]
                )

        row.commits.append(commit)
