"""Declaring, editing, reviewing and deleting lineage, with the rules that protect people's
work:

- both ends exist, are of the edge's level, and differ;
- a duplicate is a conflict unless the caller asks to update or skip;
- what an edge becomes (provenance, review state, implied edges' summaries) is decided by
  graph_api/lineage_rules.py, which every writer of lineage asks; this module applies it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graph_api import input_rules as check
from graph_api import lineage_rules as rules
from graph_api.errors import ConflictError, NotFoundError, ValidationError
from graph_api.events import Broker
from graph_api.lineage_rules import ImpliedAction
from graph_api.models import (
    LineageEdge,
    LineageLevel,
    LineageSource,
    ReviewState,
    TransformationType,
)
from graph_api.services.changes import record_changes
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.lineage import Endpoint, LineageRepository
from graph_api.store.origins import OriginRepository, assertion_of, person_origin

MAX_EDGES_PER_CALL = 10_000
MAX_LOGIC = 100_000


class OnDuplicate(Enum):
    ERROR = "ERROR"
    UPDATE = "UPDATE"
    SKIP = "SKIP"


class Outcome(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    # An INFERRED edge met a MANUAL or APPROVED one: the existing edge is kept as it is and the
    # inferred one is recorded as a suggestion in its history.
    KEPT_EXISTING = "KEPT_EXISTING"


@dataclass(frozen=True, kw_only=True)
class EdgeDraft:
    upstream_id: str
    downstream_id: str
    lineage_source: LineageSource = LineageSource.MANUAL
    confidence: float | None = None
    transformation_type: TransformationType | None = None
    transformation_logic: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class EdgeResult:
    outcome: Outcome
    edge: LineageEdge
    message: str | None = None


@dataclass
class LineageChanges:
    results: list[EdgeResult] = field(default_factory=list)
    implied_created: list[str] = field(default_factory=list)
    implied_removed: list[str] = field(default_factory=list)


def _edge_state(edge: LineageEdge) -> dict[str, Any]:
    return {
        "level": edge.level.name,
        "upstream_id": edge.upstream_id,
        "downstream_id": edge.downstream_id,
        "lineage_source": edge.lineage_source.value,
        "confidence": edge.confidence,
        "transformation_type": edge.transformation_type.value if edge.transformation_type else None,
        "transformation_logic": edge.transformation_logic,
        "description": edge.description,
        "review_state": edge.review_state.value,
        "reviewed_by": edge.reviewed_by,
        "explicit": edge.explicit,
    }


def _confidence(value: float | None, source: LineageSource, *, path: str) -> float:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValidationError(
            f"Confidence must be between 0 and 1 (for example 0.8), got {value}.",
            field=f"{path}.confidence",
        )
    return rules.confidence_for(value, source)


def _review_comment(value: str | None, *, rejecting: bool) -> str | None:
    if value is not None and len(value) > rules.MAX_REVIEW_COMMENT:
        raise ValidationError(
            f"The {'reason' if rejecting else 'comment'} is {len(value):,} characters "
            f"long; keep it to {rules.MAX_REVIEW_COMMENT:,} and link to longer notes.",
            field="review.comment",
        )
    return value


def _review_props(reviewer: rules.Reviewer, actor: str) -> dict[str, Any]:
    """The review fields an edge gets from a ruling (the statement stamps reviewed_at when
    the row says reviewed_now)."""
    if reviewer is rules.Reviewer.DECIDED:
        return {"reviewed_by": actor, "review_comment": None}
    if reviewer is rules.Reviewer.CLEAR:
        return {"reviewed_by": None, "review_comment": None, "reviewed_at": None}
    return {}


def _logic(value: str | None, *, path: str) -> str | None:
    if value is not None and len(value) > MAX_LOGIC:
        raise ValidationError(
            f"The transformation logic is longer than {MAX_LOGIC} characters; link to it instead.",
            field=f"{path}.transformationLogic",
        )
    return value or None


class LineageService:
    def __init__(self, store: Store, *, broker: Broker | None = None) -> None:
        self._store = store
        self._broker = broker
        self.repo = LineageRepository(store)
        self.audit = AuditRepository(store)

    async def _audit(self, tx: Tx, changes: list[ChangeDraft], *, actor: str) -> None:
        await record_changes(tx, changes, audit=self.audit, actor=actor, broker=self._broker)

    # Creating

    async def create(
        self,
        level: LineageLevel,
        drafts: list[EdgeDraft],
        *,
        on_duplicate: OnDuplicate,
        actor: str,
    ) -> LineageChanges:
        if not drafts:
            raise ValidationError("Give at least one lineage edge.", field="edges")
        if len(drafts) > MAX_EDGES_PER_CALL:
            raise ValidationError(
                f"{len(drafts)} edges in one call; send at most {MAX_EDGES_PER_CALL} at a time or "
                "use bulk import.",
                field="edges",
            )
        seen: dict[tuple[str, str], int] = {}
        props_by_index: list[dict[str, Any]] = []
        for index, draft in enumerate(drafts):
            path = f"edges[{index}]"
            pair = (draft.upstream_id, draft.downstream_id)
            if draft.upstream_id == draft.downstream_id:
                raise ValidationError(
                    "An edge cannot run from a node to itself; pick a different upstream or "
                    "downstream.",
                    field=f"{path}.downstreamId",
                )
            if pair in seen:
                raise ValidationError(
                    f"Edges {seen[pair] + 1} and {index + 1} connect the same two nodes; "
                    "keep one of them.",
                    field=path,
                )
            seen[pair] = index
            source = draft.lineage_source
            ruling = rules.new_edge(rules.Proposal(provenance=source))
            props_by_index.append(
                {
                    "level": level.name,
                    "lineage_source": ruling.provenance.value,
                    "confidence": _confidence(draft.confidence, source, path=path),
                    "transformation_type": (
                        draft.transformation_type.value if draft.transformation_type else None
                    ),
                    "transformation_logic": _logic(draft.transformation_logic, path=path),
                    "description": check.description(
                        draft.description, field=f"{path}.description"
                    ),
                    "review_state": ruling.review_state.value,
                    "explicit": True,
                    "created_by": actor,
                }
            )
            # Declaring lineage APPROVED is a steward's approval (the schema checks the role).
            props_by_index[-1].update(_review_props(ruling.reviewer, actor))

        async def work(tx: Tx) -> LineageChanges:
            ids = sorted({i for d in drafts for i in (d.upstream_id, d.downstream_id)})
            await self.repo.lock(tx, level, ids)
            ends = await self.repo.endpoints(tx, ids)
            for index, draft in enumerate(drafts):
                self._check_ends(level, ends, draft, index)
            existing = await self.repo.between(tx, level, list(seen))
            changes = LineageChanges()
            to_create: list[dict[str, Any]] = []
            to_update: list[dict[str, Any]] = []
            audit: list[ChangeDraft] = []
            for index, draft in enumerate(drafts):
                pair = (draft.upstream_id, draft.downstream_id)
                props = props_by_index[index]
                current = existing.get(pair)
                decided = props["review_state"] in ("APPROVED", "REJECTED")
                if current is None:
                    to_create.append(
                        {
                            **pair_dict(pair),
                            "props": {**props, "id": str(uuid.uuid4())},
                            "reviewed_now": decided,
                        }
                    )
                    continue
                result = self._merge(
                    level, current, draft, props, on_duplicate, index, ends, actor=actor
                )
                if result[0] is Outcome.UPDATED:
                    to_update.append(
                        {"id": current.id, "props": result[1], "reviewed_now": result[3]}
                    )
                elif result[0] is Outcome.KEPT_EXISTING:
                    changes.results.append(EdgeResult(Outcome.KEPT_EXISTING, current, result[2]))
                    audit.append(
                        ChangeDraft(
                            current.id,
                            "LINEAGE",
                            "SUGGESTION",
                            after=props,
                            comment="Inferred lineage kept as a suggestion; the "
                            f"{current.lineage_source.value.lower()} edge was not changed.",
                        )
                    )
                else:
                    changes.results.append(EdgeResult(Outcome.UNCHANGED, current, result[2]))
            created = await self.repo.create(tx, level, to_create) if to_create else []
            for edge in created:
                changes.results.append(EdgeResult(Outcome.CREATED, edge))
                audit.append(ChangeDraft(edge.id, "LINEAGE", "CREATE", after=_edge_state(edge)))
            updated = await self.repo.update(tx, to_update) if to_update else []
            for edge in updated:
                before = existing[(edge.upstream_id, edge.downstream_id)]
                changes.results.append(EdgeResult(Outcome.UPDATED, edge))
                audit.append(
                    ChangeDraft(
                        edge.id,
                        "LINEAGE",
                        "UPDATE",
                        before=_edge_state(before),
                        after=_edge_state(edge),
                    )
                )
            await OriginRepository(self._store).record(
                tx, person_origin(actor), [assertion_of(e) for e in created + updated]
            )
            if level is LineageLevel.FIELD:
                await self._refresh_above(
                    tx, created + updated, changes, audit, actor=actor, ends=ends
                )
            await self._audit(tx, audit, actor=actor)
            order = {pair: i for i, pair in enumerate(seen)}
            changes.results.sort(
                key=lambda r: order.get((r.edge.upstream_id, r.edge.downstream_id), 0)
            )
            return changes

        return await self._store.transaction(work)

    def _check_ends(
        self, level: LineageLevel, ends: dict[str, Endpoint], draft: EdgeDraft, index: int
    ) -> None:
        want = level.name
        for role, node_id in (("upstream", draft.upstream_id), ("downstream", draft.downstream_id)):
            end = ends.get(node_id)
            path = f"edges[{index}].{role}Id"
            if end is None or end.kind is None:
                raise NotFoundError(
                    f"Edge {index + 1}: the {role} {want.lower()} '{node_id}' does not exist; "
                    "check the id.",
                    field=path,
                )
            if end.kind != want:
                other = "table" if want == "FIELD" else "field"
                raise ValidationError(
                    f"Edge {index + 1}: the {role} end '{end.name}' is a {other}, but this is "
                    f"{want.lower()}-level lineage; use {other}-level lineage for it.",
                    field=path,
                )

    def _merge(
        self,
        level: LineageLevel,
        current: LineageEdge,
        draft: EdgeDraft,
        props: dict[str, Any],
        on_duplicate: OnDuplicate,
        index: int,
        ends: dict[str, Endpoint],
        *,
        actor: str,
    ) -> tuple[Outcome, dict[str, Any], str | None, bool]:
        """What the existing edge becomes: the outcome, the properties to set, a message for
        the caller, and whether a steward's decision is being recorded now."""
        substance = (
            props["confidence"] != current.confidence
            or props["transformation_type"]
            != (current.transformation_type.value if current.transformation_type else None)
            or props["transformation_logic"] != current.transformation_logic
        )
        ruling = rules.merge(
            rules.Current(provenance=current.lineage_source, review_state=current.review_state),
            rules.Proposal(provenance=draft.lineage_source),
            substance_changed=substance,
        )
        if ruling.verdict is rules.Verdict.KEEP_EXISTING:
            if ruling.kept_because is ReviewState.REJECTED:
                return (
                    Outcome.KEPT_EXISTING,
                    {},
                    "A steward rejected the edge that connects these nodes"
                    + (f" ({current.reviewed_by})" if current.reviewed_by else "")
                    + "; it stays rejected and the inferred edge was recorded as a suggestion "
                    "in its history. Declare it MANUAL to send it back for review.",
                    False,
                )
            return (
                Outcome.KEPT_EXISTING,
                {},
                f"A {current.lineage_source.value.lower()} edge already connects these nodes; "
                "it was kept and the inferred edge recorded as a suggestion in its history.",
                False,
            )
        if on_duplicate is OnDuplicate.SKIP or ruling.verdict is rules.Verdict.UNCHANGED:
            return Outcome.UNCHANGED, {}, "An edge already connects these nodes; skipped.", False
        if on_duplicate is OnDuplicate.ERROR and current.explicit:
            up, down = ends[draft.upstream_id].name, ends[draft.downstream_id].name
            raise ConflictError(
                f"Edge {index + 1}: lineage from '{up}' to '{down}' already exists (id "
                f"{current.id}); update that edge, or send onDuplicate: UPDATE.",
                field=f"edges[{index}]",
            )
        update = {k: v for k, v in props.items() if k not in ("created_by",)}
        for name in ("reviewed_by", "review_comment", "reviewed_at"):
            update.pop(name, None)
        update.update(
            lineage_source=ruling.provenance.value,
            review_state=ruling.review_state.value,
            **_review_props(ruling.reviewer, actor),
        )
        return Outcome.UPDATED, update, None, ruling.reviewer is rules.Reviewer.DECIDED

    async def refresh_implied(
        self,
        tx: Tx,
        table_pairs: list[tuple[str | None, str | None]],
        changes: LineageChanges,
        audit: list[ChangeDraft],
        *,
        actor: str,
    ) -> None:
        implied = await refresh_implied(tx, self.repo, table_pairs, actor=actor)
        changes.implied_created += [c.id for c in implied if c.action is ImpliedAction.CREATE]
        changes.implied_removed += [c.id for c in implied if c.action is ImpliedAction.DELETE]
        audit += implied_audit(implied)

    async def _refresh_above(
        self,
        tx: Tx,
        field_edges: list[LineageEdge],
        changes: LineageChanges,
        audit: list[ChangeDraft],
        *,
        actor: str,
        ends: dict[str, Endpoint] | None = None,
    ) -> None:
        """Refreshes the implied table edges above these field edges (their ends' tables)."""
        pairs = await self.repo.tables_of(tx, field_edges, ends)
        await self.refresh_implied(tx, pairs, changes, audit, actor=actor)

    # Editing

    async def update(self, edge_id: str, changes: dict[str, Any], *, actor: str) -> LineageEdge:
        props: dict[str, Any] = {}
        substance = False
        if "confidence" in changes:
            props["confidence"] = _confidence(
                changes["confidence"], LineageSource.MANUAL, path="edge"
            )
            substance = True
        if "transformation_type" in changes:
            value = changes["transformation_type"]
            props["transformation_type"] = value.value if value else None
            substance = True
        if "transformation_logic" in changes:
            props["transformation_logic"] = _logic(changes["transformation_logic"], path="edge")
            substance = True
        if "description" in changes:
            props["description"] = check.description(
                changes["description"], field="edge.description"
            )

        async def work(tx: Tx) -> LineageEdge:
            found = await self.repo.get_many([edge_id], tx)
            if edge_id not in found:
                raise NotFoundError(
                    f"No lineage edge with id '{edge_id}' exists; it may have been deleted.",
                    field="edge.id",
                )
            before = found[edge_id]
            update = dict(props)
            changed = substance and any(
                props[name] != now
                for name, now in (
                    ("confidence", before.confidence),
                    (
                        "transformation_type",
                        before.transformation_type.value if before.transformation_type else None,
                    ),
                    ("transformation_logic", before.transformation_logic),
                )
                if name in props
            )
            ruling = rules.edit(
                rules.Current(provenance=before.lineage_source, review_state=before.review_state),
                substance_changed=changed,
            )
            if ruling.provenance is not before.lineage_source:
                update["lineage_source"] = ruling.provenance.value
            if ruling.review_state is not before.review_state:
                update["review_state"] = ruling.review_state.value
            update.update(_review_props(ruling.reviewer, actor))
            if not before.explicit and before.level is LineageLevel.TABLE:
                update["explicit"] = True  # edited by a person: now declared, not implied
            [edge] = await self.repo.update(tx, [{"id": edge_id, "props": update}])
            audit = [
                ChangeDraft(
                    edge_id,
                    "LINEAGE",
                    "UPDATE",
                    before=_edge_state(before),
                    after=_edge_state(edge),
                )
            ]
            if edge.level is LineageLevel.FIELD:
                await self._refresh_above(tx, [edge], LineageChanges(), audit, actor=actor)
            await self._audit(tx, audit, actor=actor)
            return edge

        return await self._store.transaction(work)

    # Reviewing

    async def review(
        self, ids: list[str], *, approve: bool, comment: str | None, actor: str
    ) -> tuple[list[LineageEdge], LineageChanges]:
        comment = _review_comment(comment, rejecting=not approve)
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValidationError("Give at least one edge id.", field="edgeIds")
        if len(unique) > MAX_EDGES_PER_CALL:
            raise ValidationError(
                f"{len(unique)} edges in one call; review at most {MAX_EDGES_PER_CALL} at a time.",
                field="edgeIds",
            )
        if not approve and not (comment and comment.strip()):
            raise ValidationError(
                "Say why the lineage is rejected, so its authors can correct it.",
                field="review.comment",
            )
        state = ReviewState.APPROVED if approve else ReviewState.REJECTED

        async def work(tx: Tx) -> tuple[list[LineageEdge], LineageChanges]:
            reviewed = await self.repo.review(
                tx,
                unique,
                state=state.value,
                provenance={p.value: rules.provenance_after(p, state).value for p in LineageSource},
                actor=actor,
                comment=comment,
            )
            missing = set(unique) - {after.id for _, after in reviewed}
            if missing:
                raise NotFoundError(
                    f"{len(missing)} of the edges do not exist (for example "
                    f"'{sorted(missing)[0]}'); nothing was changed. Remove them and try again.",
                    field="edgeIds",
                )
            changes = LineageChanges()
            audit = [
                ChangeDraft(
                    after.id,
                    "LINEAGE",
                    "APPROVE" if approve else "REJECT",
                    before=_edge_state(before),
                    after=_edge_state(after),
                    comment=comment,
                )
                for before, after in reviewed
            ]
            field_edges = [after for _, after in reviewed if after.level is LineageLevel.FIELD]
            if field_edges:
                await self._refresh_above(tx, field_edges, changes, audit, actor=actor)
            await self._audit(tx, audit, actor=actor)
            return [after for _, after in reviewed], changes

        return await self._store.transaction(work)

    # Deleting

    async def delete(
        self, ids: list[str], *, cascade: bool, actor: str
    ) -> tuple[list[LineageEdge], LineageChanges]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValidationError("Give at least one edge id.", field="edgeIds")

        async def work(tx: Tx) -> tuple[list[LineageEdge], LineageChanges]:
            found = await self.repo.get_many(unique, tx)
            missing = [i for i in unique if i not in found]
            if missing:
                raise NotFoundError(
                    f"No lineage edge with id '{missing[0]}' exists; nothing was deleted.",
                    field="edgeIds",
                )
            table_edges = [i for i in unique if found[i].level is LineageLevel.TABLE]
            beneath = await self.repo.field_edges_under(tx, table_edges) if table_edges else {}
            extra = sorted({f for fs in beneath.values() for f in fs} - set(unique))
            if extra and not cascade:
                raise ConflictError(
                    f"{len(extra)} field-level edges run between the tables of these table "
                    "edges; delete them first, or send cascade: true to delete them too.",
                    field="edgeIds",
                )
            deleted = await self.repo.delete(tx, unique + extra)
            changes = LineageChanges()
            audit = [ChangeDraft(e.id, "LINEAGE", "DELETE", before=_edge_state(e)) for e in deleted]
            field_edges = [e for e in deleted if e.level is LineageLevel.FIELD]
            if field_edges:
                deleted_ids = {e.id for e in deleted}
                await self._refresh_above(tx, field_edges, changes, audit, actor=actor)
                changes.implied_removed = [
                    i for i in changes.implied_removed if i not in deleted_ids
                ]
            await self._audit(tx, audit, actor=actor)
            return deleted, changes

        return await self._store.transaction(work)


@dataclass(frozen=True)
class ImpliedChange:
    action: ImpliedAction
    id: str
    upstream_id: str
    downstream_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _implied_state(edge: dict[str, Any] | None) -> dict[str, Any] | None:
    if edge is None:
        return None
    return {
        k: (v.iso_format() if hasattr(v, "iso_format") else v)
        for k, v in edge.items()
        if k not in ("created_at", "updated_at")
    }


async def refresh_implied(
    tx: Tx,
    repo: LineageRepository,
    table_pairs: Iterable[tuple[str | None, str | None]],
    *,
    actor: str,
    new_ids: dict[tuple[str, str], str] | None = None,
) -> list[ImpliedChange]:
    """Bring the implied table edges between these pairs of tables in line with the field
    edges beneath them, as the lineage rules say; every writer of field lineage calls this.
    `new_ids` gives a created implied edge an id a file asked for."""
    pairs = sorted({(u, d) for u, d in table_pairs if u and d and u != d})
    if not pairs:
        return []
    await repo.lock(tx, LineageLevel.TABLE, [t for pair in pairs for t in pair])
    found = await repo.implied_beneath(tx, pairs)
    rows: list[dict[str, Any]] = []
    result: list[ImpliedChange] = []
    for row in found:
        edge = row["edge"]
        current = (
            None
            if edge is None
            else rules.ImpliedEdge(
                explicit=bool(edge.get("explicit", True)),
                provenance=LineageSource(edge["lineage_source"]),
                confidence=float(edge["confidence"]),
                transformation_type=_transformation(edge.get("transformation_type")),
                review_state=ReviewState(edge["review_state"]),
            )
        )
        summary = rules.implied_summary(
            rules.Beneath(
                provenance=LineageSource(b["lineage_source"]),
                confidence=float(b["confidence"]),
                transformation_type=_transformation(b["transformation_type"]),
                review_state=ReviewState(b["review_state"]),
            )
            for b in row["beneath"]
        )
        action = rules.implied_action(current, summary)
        if action is ImpliedAction.NONE:
            continue
        pair = (row["upstream_id"], row["downstream_id"])
        props: dict[str, Any] = {}
        if summary is not None:
            props = {
                "lineage_source": summary.provenance.value,
                "confidence": summary.confidence,
                "transformation_type": (
                    summary.transformation_type.value if summary.transformation_type else None
                ),
                "review_state": summary.review_state.value,
            }
        before = _implied_state(edge)
        if action is ImpliedAction.CREATE:
            edge_id = (new_ids or {}).get(pair) or str(uuid.uuid4())
            props = {
                "id": edge_id,
                "level": "TABLE",
                "explicit": False,
                "description": "Implied by field lineage",
                **props,
            }
            after: dict[str, Any] | None = {**props, **pair_dict(pair)}
        else:
            edge_id = edge["id"]
            after = None if action is ImpliedAction.DELETE else {**(before or {}), **props}
        rows.append({**pair_dict(pair), "action": action.value, "props": props})
        result.append(ImpliedChange(action, edge_id, pair[0], pair[1], before, after))
    await repo.write_implied(tx, rows, actor=actor)
    return result


def implied_audit(changes: list[ImpliedChange], *, by: str = "") -> list[ChangeDraft]:
    """The history entries of implied table edges that followed their field edges (`by`
    names the writer in the comment, e.g. " (import)")."""
    comments = {
        ImpliedAction.CREATE: "Implied by field lineage",
        ImpliedAction.UPDATE: "Follows the field lineage beneath it",
        ImpliedAction.DELETE: "No field lineage left between the tables",
    }
    return [
        ChangeDraft(
            c.id,
            "LINEAGE",
            c.action.value,
            before=c.before,
            after=c.after,
            comment=f"{comments[c.action]}{by}.",
        )
        for c in changes
    ]


def _transformation(value: str | None) -> TransformationType | None:
    return TransformationType(value) if value else None


def pair_dict(pair: tuple[str, str]) -> dict[str, str]:
    return {"upstream_id": pair[0], "downstream_id": pair[1]}
