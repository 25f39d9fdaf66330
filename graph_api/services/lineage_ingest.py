"""The one way machine lineage enters Clew: an origin (a SQL text, a view, a dbt project, an
OpenLineage job) states every edge it asserts, and Clew brings the graph in line.

- Each assertion is kept with its evidence and when the origin last asserted it.
- Re-ingesting an origin replaces only that origin's assertions; an edge it no longer asserts
  loses the assertion, and leaves the graph when lineage_rules.withdrawn says so (INFERRED,
  not rejected, asserted by no other origin), its history kept.
- What each assertion does to an edge is lineage_rules.assert_edge's verdict: MANUAL and
  APPROVED edges are never changed (the assertion is recorded as a suggestion in their
  history); a trusted origin's edges arrive APPROVED under the trusting steward's decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph_api import lineage_rules as rules
from graph_api.errors import ValidationError
from graph_api.events import Broker
from graph_api.models import (
    Assertion,
    AssertionRecord,
    LineageEdge,
    LineageLevel,
    Origin,
    OriginRecord,
    ReviewState,
)
from graph_api.services.changes import record_changes
from graph_api.services.lineage import (
    Outcome,
    _confidence,
    _edge_state,
    _logic,
    implied_audit,
    pair_dict,
    refresh_implied,
)
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.lineage import Endpoint, LineageRepository
from graph_api.store.origins import OriginRepository, assertion_row

MAX_ASSERTIONS = 200_000
MAX_KEY = 1_000
MAX_EVIDENCE = 200_000

Key = tuple[LineageLevel, str, str]


@dataclass(frozen=True)
class AssertionOutcome:
    """What one assertion did: its edge's outcome, or why it was skipped (`problem`)."""

    index: int
    outcome: Outcome | None
    edge_id: str | None
    problem: str | None = None


@dataclass
class IngestReport:
    origin: OriginRecord
    results: list[AssertionOutcome] = field(default_factory=list)
    # INFERRED edges no origin asserts any more: they left the graph (their history stays).
    removed_edge_ids: list[str] = field(default_factory=list)
    # Edges this origin asserted before and no longer does (removed or not).
    withdrawn_edge_ids: list[str] = field(default_factory=list)
    implied_created: list[str] = field(default_factory=list)
    implied_removed: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def skipped(self) -> list[AssertionOutcome]:
        return [r for r in self.results if r.problem is not None]

    def summary(self) -> str:
        parts = [
            f"{self.count(o)} {o.value.lower().replace('_', ' ')}" for o in Outcome if self.count(o)
        ]
        if self.removed_edge_ids:
            parts.append(f"{len(self.removed_edge_ids)} removed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return f"{self.origin.label}: " + (", ".join(parts) or "nothing asserted") + "."


def _substance(current: LineageEdge, props: dict[str, Any]) -> bool:
    return (
        props["confidence"] != current.confidence
        or props["transformation_type"]
        != (current.transformation_type.value if current.transformation_type else None)
        or props["transformation_logic"] != current.transformation_logic
    )


def _check(origin: Origin, assertions: Sequence[Assertion]) -> None:
    if not origin.key.strip() or len(origin.key) > MAX_KEY:
        raise ValidationError(
            f"An origin needs a key of 1 to {MAX_KEY} characters that stays the same each time "
            "it is ingested (a project name, a job name, a fingerprint).",
            field="origin.key",
        )
    if not origin.label.strip():
        raise ValidationError("Give the origin a label people can read.", field="origin.label")
    if len(assertions) > MAX_ASSERTIONS:
        raise ValidationError(
            f"{len(assertions):,} assertions in one ingestion; at most {MAX_ASSERTIONS:,}.",
            field="assertions",
        )
    for index, assertion in enumerate(assertions):
        path = f"assertions[{index}]"
        _confidence(assertion.confidence, rules.LineageSource.INFERRED, path=path)
        _logic(assertion.logic, path=path)
        if sum(len(k) + len(v) for k, v in assertion.evidence.items()) > MAX_EVIDENCE:
            raise ValidationError(
                f"The evidence of assertion {index + 1} is longer than {MAX_EVIDENCE:,} "
                "characters; keep the statement's fingerprint and the expression instead.",
                field=f"{path}.evidence",
            )


def _problem(assertion: Assertion, ends: dict[str, Endpoint]) -> str | None:
    want = assertion.level.name
    if assertion.source_id == assertion.target_id:
        return "The edge would run from a node to itself."
    for role, node_id in (("upstream", assertion.source_id), ("downstream", assertion.target_id)):
        end = ends.get(node_id)
        if end is None or end.kind is None:
            return f"The {role} {want.lower()} '{node_id}' does not exist (deleted meanwhile?)."
        if end.kind != want:
            return f"The {role} end '{end.name}' is not a {want.lower()}."
    return None


@dataclass
class _Plan:
    """What one ingestion will write, worked out from the rules before anything is written."""

    creates: dict[LineageLevel, list[dict[str, Any]]] = field(
        default_factory=lambda: {level: [] for level in LineageLevel}
    )
    updates: list[dict[str, Any]] = field(default_factory=list)
    edge_of: dict[Key, str] = field(default_factory=dict)
    outcome_of: dict[Key, Outcome] = field(default_factory=dict)
    audit: list[ChangeDraft] = field(default_factory=list)


def _key(a: Assertion) -> Key:
    return (a.level, a.source_id, a.target_id)


def _current(edge: LineageEdge) -> rules.Current:
    return rules.Current(provenance=edge.lineage_source, review_state=edge.review_state)


class LineageIngestService:
    """Built once per process; every call names who acts (`actor`)."""

    def __init__(self, store: Store, *, broker: Broker | None = None) -> None:
        self._store = store
        self._broker = broker
        self.lineage = LineageRepository(store)
        self.origins = OriginRepository(store)
        self.audit = AuditRepository(store)

    async def ingest(
        self,
        origin: Origin,
        assertions: Sequence[Assertion],
        *,
        actor: str,
        replace: bool = True,
    ) -> IngestReport:
        """Everything `origin` asserts now, in one transaction. With `replace`, what it
        asserted before and no longer does is withdrawn; without, assertions only add up."""
        _check(origin, assertions)

        async def work(tx: Tx) -> IngestReport:
            record = await self.origins.upsert(
                tx, kind=origin.kind, key=origin.key, label=origin.label, new_id=str(uuid.uuid4())
            )
            report = IngestReport(record)
            valid = await self._valid(tx, assertions, report)
            existing: dict[Key, LineageEdge] = {}
            for level in LineageLevel:
                pairs = [(a.source_id, a.target_id) for _, a in valid if a.level is level]
                if pairs:
                    found = await self.lineage.between(tx, level, pairs)
                    existing.update({(level, *pair): e for pair, e in found.items()})
            previous = {
                a.edge_id: (a, e) for a, e in await self.origins.assertions_of(tx, record.id)
            }
            said = f"Asserted by {origin.kind.value} origin '{origin.label}'"
            plan = self._plan(record, valid, existing, previous, actor=actor, said=said)
            touched = await self._write(tx, plan, existing, said=said)
            for index, a in valid:
                report.results.append(
                    AssertionOutcome(index, plan.outcome_of[_key(a)], plan.edge_of[_key(a)])
                )
            report.results.sort(key=lambda r: r.index)
            await self.origins.write_assertions(
                tx,
                record.id,
                [
                    assertion_row(
                        edge_id=plan.edge_of[_key(a)],
                        level=a.level,
                        transformation=a.transformation,
                        confidence=a.confidence,
                        logic=a.logic,
                        evidence=a.evidence,
                    )
                    for _, a in valid
                ],
            )
            removed = await self._withdraw(tx, record, previous, plan, report) if replace else []
            await self._follow_implied(tx, touched + removed, plan, report, origin, actor=actor)
            report.origin = await self.origins.mark_ingested(tx, record.id, actor=actor)
            plan.audit.append(ChangeDraft(record.id, "ORIGIN", "INGEST", comment=report.summary()))
            await record_changes(tx, plan.audit, audit=self.audit, actor=actor, broker=self._broker)
            return report

        return await self._store.transaction(work)

    async def _valid(
        self, tx: Tx, assertions: Sequence[Assertion], report: IngestReport
    ) -> list[tuple[int, Assertion]]:
        """Locks the ends, and keeps the assertions the graph can take (the others are
        reported with why: a missing node, the wrong level, a loop, a repeat)."""
        last = {_key(a): index for index, a in enumerate(assertions)}
        ids = {level: set[str]() for level in LineageLevel}
        for a in assertions:
            ids[a.level] |= {a.source_id, a.target_id}
        for level in LineageLevel:
            await self.lineage.lock(tx, level, sorted(ids[level]))
        ends = await self.lineage.endpoints(
            tx, sorted(ids[LineageLevel.TABLE] | ids[LineageLevel.FIELD])
        )
        valid: list[tuple[int, Assertion]] = []
        for index, a in enumerate(assertions):
            if last[_key(a)] != index:
                problem: str | None = (
                    "Asserted again later in the same ingestion; the later one counts."
                )
            else:
                problem = _problem(a, ends)
            if problem:
                report.results.append(AssertionOutcome(index, None, None, problem))
            else:
                valid.append((index, a))
        return valid

    def _plan(
        self,
        record: OriginRecord,
        valid: list[tuple[int, Assertion]],
        existing: dict[Key, LineageEdge],
        previous: dict[str, tuple[AssertionRecord, LineageEdge | None]],
        *,
        actor: str,
        said: str,
    ) -> _Plan:
        plan = _Plan()
        for _, a in valid:
            key = _key(a)
            current = existing.get(key)
            props: dict[str, Any] = {
                "level": a.level.name,
                "transformation_type": a.transformation.value if a.transformation else None,
                "transformation_logic": a.logic or None,
                "explicit": True,
            }
            ruling = rules.assert_edge(
                _current(current) if current else None,
                trusted=record.trusted,
                substance_changed=current is not None
                and _substance(
                    current,
                    {
                        **props,
                        "confidence": rules.confidence_for(a.confidence, current.lineage_source),
                    },
                ),
            )
            props["confidence"] = rules.confidence_for(a.confidence, ruling.provenance)
            props["lineage_source"] = ruling.provenance.value
            props["review_state"] = ruling.review_state.value
            decided = ruling.reviewer is rules.Reviewer.DECIDED
            if decided:  # the steward who trusts the origin decided
                props["reviewed_by"] = record.trusted_by
                props["review_comment"] = (
                    f"Origin '{record.label}' is trusted by {record.trusted_by}."
                )
            elif ruling.reviewer is rules.Reviewer.CLEAR:
                props.update(reviewed_by=None, review_comment=None, reviewed_at=None)
            if ruling.verdict is rules.Verdict.CREATE:
                props.update(id=str(uuid.uuid4()), created_by=actor)
                plan.creates[a.level].append(
                    {
                        **pair_dict((a.source_id, a.target_id)),
                        "props": props,
                        "reviewed_now": decided,
                    }
                )
                plan.outcome_of[key] = Outcome.CREATED
                continue
            assert current is not None
            plan.edge_of[key] = current.id
            if ruling.verdict is rules.Verdict.APPLY and (
                _substance(current, props)
                or ruling.provenance is not current.lineage_source
                or ruling.review_state is not current.review_state
                or not current.explicit
            ):
                plan.updates.append({"id": current.id, "props": props, "reviewed_now": decided})
                plan.outcome_of[key] = Outcome.UPDATED
            elif ruling.verdict is rules.Verdict.KEEP_EXISTING:
                plan.outcome_of[key] = Outcome.KEPT_EXISTING
                seen = previous.get(current.id)
                if seen is None or seen[0].evidence != a.evidence:
                    rejected = current.review_state is ReviewState.REJECTED
                    plan.audit.append(
                        ChangeDraft(
                            current.id,
                            "LINEAGE",
                            "SUGGESTION",
                            after=props,
                            comment=f"{said}; the {'rejected ' if rejected else ''}"
                            f"{current.lineage_source.value.lower()} edge was kept as it is.",
                        )
                    )
            else:
                plan.outcome_of[key] = Outcome.UNCHANGED
        return plan

    async def _write(
        self, tx: Tx, plan: _Plan, existing: dict[Key, LineageEdge], *, said: str
    ) -> list[LineageEdge]:
        touched: list[LineageEdge] = []
        for level, rows in plan.creates.items():
            for edge in await self.lineage.create(tx, level, rows) if rows else []:
                plan.edge_of[(level, edge.upstream_id, edge.downstream_id)] = edge.id
                touched.append(edge)
                plan.audit.append(
                    ChangeDraft(
                        edge.id, "LINEAGE", "CREATE", after=_edge_state(edge), comment=f"{said}."
                    )
                )
        for edge in await self.lineage.update(tx, plan.updates) if plan.updates else []:
            before = existing[(edge.level, edge.upstream_id, edge.downstream_id)]
            touched.append(edge)
            plan.audit.append(
                ChangeDraft(
                    edge.id,
                    "LINEAGE",
                    "UPDATE",
                    before=_edge_state(before),
                    after=_edge_state(edge),
                    comment=f"{said}.",
                )
            )
        return touched

    async def _withdraw(
        self,
        tx: Tx,
        record: OriginRecord,
        previous: dict[str, tuple[AssertionRecord, LineageEdge | None]],
        plan: _Plan,
        report: IngestReport,
    ) -> list[LineageEdge]:
        """The origin's earlier assertions it no longer makes go; so do the edges the rules
        say no one asserts any more."""
        now = set(plan.edge_of.values())
        gone = sorted(e for e in previous if e not in now)
        still = await self.origins.delete_assertions(tx, record.id, gone)
        report.withdrawn_edge_ids = gone
        doomed = [
            edge.id
            for edge_id in gone
            if (edge := previous[edge_id][1]) is not None
            and rules.withdrawn(_current(edge), still_asserted=still.get(edge_id, False))
        ]
        removed = await self.lineage.delete(tx, doomed) if doomed else []
        report.removed_edge_ids = [e.id for e in removed]
        plan.audit += [
            ChangeDraft(
                e.id,
                "LINEAGE",
                "DELETE",
                before=_edge_state(e),
                comment=f"No origin asserts it any more ({record.kind.value} origin "
                f"'{record.label}' stopped).",
            )
            for e in removed
        ]
        return removed

    async def _follow_implied(
        self,
        tx: Tx,
        changed: list[LineageEdge],
        plan: _Plan,
        report: IngestReport,
        origin: Origin,
        *,
        actor: str,
    ) -> None:
        field_edges = [e for e in changed if e.level is LineageLevel.FIELD]
        if not field_edges:
            return
        pairs = await self.lineage.tables_of(tx, field_edges)
        implied = await refresh_implied(tx, self.lineage, pairs, actor=actor)
        report.implied_created = [c.id for c in implied if c.action is rules.ImpliedAction.CREATE]
        report.implied_removed = [c.id for c in implied if c.action is rules.ImpliedAction.DELETE]
        plan.audit += implied_audit(implied, by=f" ({origin.kind.value} origin '{origin.label}')")
