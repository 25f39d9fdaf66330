"""Planning table and field lineage: the rules (graph_api/lineage_rules.py) say what an edge
becomes; this module finds the edge a row is about and turns the ruling into writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from graph_api import lineage_rules as rules
from graph_api.interchange.plan.lookups import Missing, Record
from graph_api.interchange.plan.references import RowPlanner
from graph_api.interchange.plan.rows import (
    AuditEntry,
    BatchPlan,
    Entry,
    Row,
    RowError,
    article,
    enum_or_none,
    plain,
    same_value,
)
from graph_api.interchange.report import ProblemCode
from graph_api.models import LineageLevel, LineageSource, ReviewState

# Lineage columns whose values the server records itself (see _ignore_recorded).
RECORDED_COLUMNS = (
    "reviewed_by",
    "reviewed_at",
    "review_comment",
    "created_by",
    "created_at",
    "updated_at",
)


class LineageRows(RowPlanner):
    async def _table_edge_row(self, row: Row, *, plan: BatchPlan | None) -> None:
        v = row.parsed.values
        ends: list[str] = []
        missing = False
        for role in ("upstream", "downstream"):
            try:
                ends.append(
                    self._table_ref(
                        row,
                        role=role,
                        source_column=f"{role}_source",
                        schema_column=f"{role}_schema",
                        table_column=f"{role}_table",
                        id_column=f"{role}_table_id",
                    )
                )
            except Missing:
                missing = True
        if missing:
            raise Missing()
        up, down = ends
        labels = (self.file.label_of_table(up), self.file.label_of_table(down))
        await self._edge_row(
            row,
            plan,
            LineageLevel.TABLE,
            up,
            down,
            labels,
            tables=(up, down),
            implied=bool(v.get("implied")),
        )

    async def _field_edge_row(self, row: Row, *, plan: BatchPlan | None) -> None:
        ends: list[tuple[str, str, str]] = []
        missing = False
        for role in ("upstream", "downstream"):
            try:
                ends.append(self._field_ref(row, role))
            except Missing:
                missing = True
        if missing:
            raise Missing()
        (up, up_table, up_label), (down, down_table, down_label) = ends
        await self._edge_row(
            row,
            plan,
            LineageLevel.FIELD,
            up,
            down,
            (up_label, down_label),
            tables=(up_table, down_table),
            implied=False,
        )

    async def _edge_row(
        self,
        row: Row,
        plan: BatchPlan | None,
        level: LineageLevel,
        up: str,
        down: str,
        labels: tuple[str, str],
        *,
        tables: tuple[str, str],
        implied: bool,
    ) -> None:
        v = row.parsed.values
        row_id = v.get("id")
        if up == down:
            row.problem(
                ProblemCode.SELF_LINEAGE,
                f"the lineage runs from {labels[0]} to itself; pick a different "
                "upstream or downstream.",
                value=labels[0],
            )
            raise RowError()
        source = enum_or_none(LineageSource, v.get("lineage_source"))
        review = enum_or_none(ReviewState, v.get("review_state"))
        self._check_provenance(row, source, review)
        what = "table lineage" if level is LineageLevel.TABLE else "field lineage"
        pair_label = f"the {what} from {labels[0]} to {labels[1]}"
        self._duplicate(row, self.file.edge_rows, (level.name, up, down), pair_label, None, None)
        if row_id:
            self._duplicate(
                row, self.file.edge_ids, row_id, f"the lineage id '{row_id}'", "id", row_id
            )
        kind = f"edge_{level.name}"
        by_pair = self.lookups.get(kind, ("pair", up, down))
        by_id = self.lookups.get(kind, ("id", row_id)) if row_id else None
        if row_id and by_id is None and by_pair is None:
            # Not an edge of this level; it may still be one of the other level.
            other = LineageLevel.FIELD if level is LineageLevel.TABLE else LineageLevel.TABLE
            by_id = self.lookups.get(f"edge_{other.name}", ("id", row_id))
        if by_id is not None and (by_id["upstream_id"], by_id["downstream_id"]) != (up, down):
            row.problem(
                ProblemCode.EDGE_ENDS_CHANGED,
                f"the lineage id '{row_id}' is an edge between other "
                f"{'tables' if level is LineageLevel.TABLE else 'fields'} in the "
                f"catalog, but this row names {labels[0]} to {labels[1]}. An import "
                "cannot move an edge: clear the id to declare a new edge (and delete "
                "the old one in Clew if it is wrong).",
                column="id",
                value=row_id,
            )
            raise RowError()
        current = by_id or by_pair
        if current is None and row_id:
            self._id_free(row, row_id, "lineage edge")
        if by_id is None and by_pair is not None and row_id:
            row.problem(
                ProblemCode.ID_MISMATCH,
                f"the catalog knows {pair_label} by the id '{by_pair['id']}', not "
                f"'{row_id}'; the row updates that edge.",
                column="id",
                value=row_id,
            )
        if plan is None:
            return
        new_id = current["id"] if current else (row_id or str(uuid.uuid4()))
        summary = self.report.section(plan.section)
        key = f"{labels[0]} -> {labels[1]}".replace("'", "")

        def register() -> None:
            entry = Entry(new_id, row.parsed.row, row.parsed.place)
            self.file.edge_rows[(level.name, up, down)] = entry
            if row_id:
                self.file.edge_ids[row_id] = entry

        if implied:
            if current is not None and current.get("explicit", True):
                row.problem(
                    ProblemCode.IMPLIED_ROW_IGNORED,
                    f"{pair_label} is declared in the catalog, not implied by field "
                    "lineage, so this row (implied = TRUE) was ignored; set implied to "
                    "FALSE to update the edge.",
                    column="implied",
                    value=True,
                )

            def commit_implied() -> None:
                register()
                if current is None and row_id:
                    self.implied_rows[(up, down)] = {"id": row_id}
                summary.count("implied", row=row.parsed.row, key=key)

            row.commits.append(commit_implied)
            return
        if current is None:
            self._new_edge(
                row, plan, level, new_id, up, down, source, review, key, register, tables
            )
        else:
            self._changed_edge(
                row, plan, level, current, source, review, key, labels, register, tables
            )

    def _check_provenance(
        self, row: Row, source: LineageSource | None, review: ReviewState | None
    ) -> None:
        problem = rules.inconsistency(source, review)
        if problem is None:
            return
        if problem is rules.Inconsistency.APPROVED_STATE_NEEDS_APPROVED_SOURCE:
            assert source is not None
            sentence = (
                f"the review state APPROVED goes only with lineage_source APPROVED, not "
                f"{source.value}; set lineage_source to APPROVED or change the review state."
            )
        elif problem is rules.Inconsistency.APPROVED_SOURCE_NEEDS_APPROVED_STATE:
            assert review is not None
            sentence = (
                f"approved lineage has the review state APPROVED, not {review.value}; "
                "clear the review state or set lineage_source to MANUAL."
            )
        else:
            sentence = (
                "inferred lineage always needs review, so its review state cannot be "
                "NOT_REQUIRED; clear the review state or set lineage_source to MANUAL."
            )
        row.problem(
            ProblemCode.INVALID_PROVENANCE,
            sentence,
            column="review_state",
            value=review.value if review else None,
        )
        raise RowError()

    def _ignore_recorded(
        self, row: Row, current: Record | None, ruling: rules.Ruling, review: ReviewState | None
    ) -> None:
        """Columns the server records itself: a value that differs from what it recorded is
        ignored, with a warning (an export imported again says the same and passes quietly)."""
        v = row.parsed.values
        ignored: list[str] = []
        if (
            review is not None
            and review not in rules.DECISIONS
            and review is not ruling.review_state
        ):
            ignored.append("review_state")
        for name in RECORDED_COLUMNS:
            value = v.get(name)
            if value is None:
                continue
            if name == "review_comment" and ruling.reviewer is rules.Reviewer.DECIDED:
                continue  # the comment of the steward's decision this row makes
            if current is not None and same_value(value, current.get(name)):
                continue
            ignored.append(name)
        if not ignored:
            return
        row.problem(
            ProblemCode.IGNORED_VALUE,
            f"{', '.join(ignored)} {'was' if len(ignored) == 1 else 'were'} ignored: Clew "
            "records who created and reviewed lineage, and when, as it happens, and the review "
            f"state follows the lineage rules (this edge is {ruling.review_state.value}). Only "
            "a steward's decision changes it: review_state APPROVED or REJECTED in a file a "
            "steward imports, or approveLineage and rejectLineage.",
            column=ignored[0],
            value=plain(v.get(ignored[0])),
        )

    def _check_may_review(self, row: Row, state: ReviewState, pair: str) -> None:
        if self.may_review or state not in (ReviewState.APPROVED, ReviewState.REJECTED):
            return
        row.problem(
            ProblemCode.ROLE_REQUIRED,
            f"this row would make the lineage {pair} {state.value}, and approving or "
            "rejecting lineage needs the STEWARD role. Leave review_state empty (and "
            "lineage_source not APPROVED) so the edge waits for a steward's review, or ask a "
            "steward to import the file.",
            column="review_state",
            value=state.value,
        )
        raise RowError()

    def _new_edge(
        self,
        row: Row,
        plan: BatchPlan,
        level: LineageLevel,
        new_id: str,
        up: str,
        down: str,
        source: LineageSource | None,
        review: ReviewState | None,
        key: str,
        register: Callable[[], None],
        tables: tuple[str, str],
    ) -> None:
        v = row.parsed.values
        ruling = rules.new_edge(rules.Proposal(provenance=source, decision=review))
        if ruling.needs_steward:
            self._check_may_review(row, ruling.review_state, key)
        self._ignore_recorded(row, None, ruling, review)
        decided = ruling.reviewer is rules.Reviewer.DECIDED
        props = {
            "level": level.name,
            "lineage_source": ruling.provenance.value,
            "confidence": rules.confidence_for(v.get("confidence"), ruling.provenance),
            "transformation_type": v.get("transformation_type"),
            "transformation_logic": v.get("transformation_logic"),
            "description": v.get("description"),
            "review_state": ruling.review_state.value,
            "reviewed_by": self.actor if decided else None,
            "review_comment": v.get("review_comment") if decided else None,
            "explicit": True,
            "created_by": self.actor,
        }
        create = {
            "id": new_id,
            "upstream_id": up,
            "downstream_id": down,
            "props": props,
            "reviewed_at": None,
            "reviewed_now": decided,
        }
        summary = self.report.section(plan.section)

        def commit() -> None:
            register()
            plan.creates.append(create)
            plan.audit.append(
                AuditEntry(
                    new_id,
                    "LINEAGE",
                    "CREATE",
                    after={**props, "upstream_id": up, "downstream_id": down},
                    comment=self.comment,
                )
            )
            if level is LineageLevel.FIELD:
                plan.refresh_pairs.append(tables)
            summary.count("created", row=row.parsed.row, key=key)

        row.commits.append(commit)

    def _changed_edge(
        self,
        row: Row,
        plan: BatchPlan,
        level: LineageLevel,
        current: Record,
        source: LineageSource | None,
        review: ReviewState | None,
        key: str,
        labels: tuple[str, str],
        register: Callable[[], None],
        tables: tuple[str, str],
    ) -> None:
        v = row.parsed.values
        summary = self.report.section(plan.section)
        was = LineageSource(current["lineage_source"])
        wanted = source or was
        if "confidence" in v and v["confidence"] is not None:
            confidence = v["confidence"]
        elif wanted is not was:
            confidence = rules.default_confidence(wanted)
        else:
            confidence = current["confidence"]
        after: dict[str, Any] = {"confidence": confidence}
        for name in ("transformation_type", "transformation_logic", "description"):
            after[name] = v[name] if name in v else current.get(name)
        substance = any(
            plain(after[name]) != plain(current.get(name))
            for name in ("confidence", "transformation_type", "transformation_logic")
        )
        ruling = rules.merge(
            rules.Current(provenance=was, review_state=ReviewState(current["review_state"])),
            rules.Proposal(provenance=source, decision=review),
            substance_changed=substance,
        )
        if ruling.verdict is rules.Verdict.KEEP_EXISTING:
            if ruling.kept_because is ReviewState.REJECTED:
                reviewer = current.get("reviewed_by")
                sentence = (
                    f"the row is INFERRED lineage, but the edge from {labels[0]} to {labels[1]} "
                    "was rejected by a steward"
                    + (f" ({reviewer})" if reviewer else "")
                    + "; it stays rejected and the row was recorded in its history as a "
                    "suggestion. Declare it MANUAL to send it back for review."
                )
            else:
                sentence = (
                    f"the row is INFERRED lineage, but {article(was.value)} {was.value} edge "
                    f"already runs from {labels[0]} to {labels[1]}; the existing edge was kept "
                    "(inferred lineage never overwrites manual or approved lineage) and the "
                    "row was recorded in its history as a suggestion."
                )
            row.problem(
                ProblemCode.KEPT_EXISTING, sentence, column="lineage_source", value="INFERRED"
            )

            def commit_kept() -> None:
                register()
                plan.audit.append(
                    AuditEntry(
                        current["id"],
                        "LINEAGE",
                        "SUGGESTION",
                        after=plain(v),
                        comment="Inferred lineage from an import kept as a suggestion; the "
                        f"{was.value.lower()} edge was not changed.",
                    )
                )
                summary.count("kept", row=row.parsed.row, key=key)

            row.commits.append(commit_kept)
            return
        if ruling.needs_steward:
            self._check_may_review(row, ruling.review_state, key)
        if ruling.leaves_approved:
            reviewer = current.get("reviewed_by")
            if not self.allow_downgrade:
                change = (
                    "change its confidence or transformation, which sends it back for review"
                    if ruling.provenance is LineageSource.MANUAL
                    and wanted is LineageSource.APPROVED
                    else f"make it {wanted.value}"
                    if ruling.review_state is not ReviewState.REJECTED
                    else "reject it"
                )
                row.problem(
                    ProblemCode.APPROVED_DOWNGRADE,
                    f"{labels[0]} to {labels[1]} is APPROVED lineage in the catalog"
                    + (f" (approved by {reviewer})" if reviewer else "")
                    + f"; this row would {change}. An import does not downgrade "
                    "approved lineage: keep the approved values, remove the row, or "
                    "import with 'allow downgrade' if you may do so.",
                    column="lineage_source",
                    value=wanted.value,
                )
                raise RowError()
            row.problem(
                ProblemCode.DOWNGRADE_ALLOWED,
                f"{labels[0]} to {labels[1]} was APPROVED lineage"
                + (f" (approved by {reviewer})" if reviewer else "")
                + f"; it is now {ruling.provenance.value} with review state "
                f"{ruling.review_state.value}, because the import allows downgrades.",
                column="lineage_source",
                value=wanted.value,
            )
        self._ignore_recorded(row, current, ruling, review)
        after["lineage_source"] = ruling.provenance.value
        after["review_state"] = ruling.review_state.value
        newly_reviewed = ruling.reviewer is rules.Reviewer.DECIDED
        if newly_reviewed:
            after["reviewed_by"] = self.actor
            after["review_comment"] = v.get("review_comment")
        elif ruling.reviewer is rules.Reviewer.CLEAR:
            after["reviewed_by"] = None
            after["review_comment"] = None
            after["reviewed_at"] = None
        if not current.get("explicit", True):
            after["explicit"] = True  # declared in the file: no longer only implied

        def now(name: str) -> Any:
            return plain(current.get("explicit", True) if name == "explicit" else current.get(name))

        changes = [
            (name, now(name), plain(value))
            for name, value in after.items()
            if plain(value) != now(name)
        ]
        if not changes:

            def commit_same() -> None:
                register()
                summary.count("unchanged", row=row.parsed.row, key=key)

            row.commits.append(commit_same)
            return
        update = {name: after_value for name, _, after_value in changes}
        edge_id = current["id"]

        def commit() -> None:
            register()
            plan.updates.append(
                {
                    "id": edge_id,
                    "props": update,
                    "reviewed_at": None,
                    "reviewed_now": newly_reviewed,
                }
            )
            plan.audit.append(
                AuditEntry(
                    edge_id,
                    "LINEAGE",
                    "UPDATE",
                    before={c: b for c, b, _ in changes},
                    after={c: a for c, _, a in changes},
                    comment=self.comment,
                )
            )
            if level is LineageLevel.FIELD:
                plan.refresh_pairs.append(tables)
            summary.count("updated", row=row.parsed.row, key=key, changes=changes)

        row.commits.append(commit)
