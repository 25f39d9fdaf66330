"""The lineage rules, written once. Every writer of lineage asks this module what an edge
becomes: the GraphQL API (services/lineage.py), file imports (interchange/plan/lineage.py), and the
machine writers, through services/lineage_ingest.py (views captured by scans, SQL, dbt
projects, OpenLineage events).

Pure: no I/O, no driver, no GraphQL. Writers translate a verdict into their own words (a
typed user error for the API, a report problem naming a column for an import).

The rules, as the README's "Lineage rules" section states them:

- Provenance ranks INFERRED < MANUAL < APPROVED; confidence defaults by provenance
  (INFERRED 0.5, MANUAL 0.9, APPROVED 1.0).
- A new edge's review state follows its provenance: INFERRED is PENDING, MANUAL needs no
  review, APPROVED is APPROVED. APPROVED and REJECTED are a steward's decisions and nobody
  else's; a writer cannot choose PENDING or NOT_REQUIRED, and cannot name the reviewer, the
  time of the review, the creator or the time of creation: the server records them.
- INFERRED lineage never overwrites a MANUAL or APPROVED edge, nor reopens an edge a steward
  rejected: the existing edge is kept and the proposal becomes a suggestion in its history.
- Changing the substance (confidence, transformation type or logic) of an APPROVED edge, or
  declaring it anything but APPROVED, makes it MANUAL and PENDING; a REJECTED edge
  re-declared or edited goes back to PENDING. Either way the earlier verdict's reviewer and
  comment leave the edge (its history keeps them): a pending edge is never "reviewed by" anyone.
- An implied table edge summarises the live (not rejected) field edges beneath it: best
  provenance, highest confidence, and the transformation described by `summarise_transformations`.
  A steward's verdict on an implied edge stands; an implied edge with no live field edge
  beneath it goes.

Machine writers (scans, parsers, event receivers) propose INFERRED lineage only; they pass
`Proposal(provenance=INFERRED, ...)` and `steward=False`, and get the same answers as a file.

Origins (`assert_edge`, `withdrawn`): every edge records which origins assert it. An origin's
assertion is a machine proposal: INFERRED, or APPROVED when a steward trusts the origin (that
steward's recorded decision). It never changes a MANUAL or APPROVED edge, and a trusted origin
does not overturn a steward's rejection of one edge either. When an origin stops asserting an
edge, the edge goes only when it is INFERRED, not rejected, and no origin asserts it any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from graph_api.models import LineageSource, ReviewState, TransformationType

# Higher wins: an implied edge takes the best provenance beneath it.
PROVENANCE_RANK = {LineageSource.INFERRED: 1, LineageSource.MANUAL: 2, LineageSource.APPROVED: 3}
DEFAULT_CONFIDENCE = {
    LineageSource.INFERRED: 0.5,
    LineageSource.MANUAL: 0.9,
    LineageSource.APPROVED: 1.0,
}
# People's lineage: machines never overwrite or downgrade it.
PROTECTED = frozenset({LineageSource.MANUAL, LineageSource.APPROVED})
DECISIONS = frozenset({ReviewState.APPROVED, ReviewState.REJECTED})
# Longest rejection reason or review comment kept on an edge (and in its history).
MAX_REVIEW_COMMENT = 2_000
# Transformations that carry a column's values, and so its type, through unchanged: a type
# change upstream breaks what they feed. An edge without a transformation counts as one.
CARRIES_TYPE: frozenset[TransformationType | None] = frozenset(
    {TransformationType.DIRECT, TransformationType.COPY, None}
)
# What a table edge says when the field edges beneath it differ and none carries its column
# unchanged: the data is transformed on the way, in more than one way.
MIXED_TRANSFORMATION = TransformationType.ETL
# What a table edge says when the field edges beneath it differ and at least one carries its
# column unchanged: a type change upstream breaks the table.
CARRYING_TRANSFORMATION = TransformationType.DIRECT


def default_confidence(provenance: LineageSource) -> float:
    return DEFAULT_CONFIDENCE[provenance]


def confidence_for(value: float | None, provenance: LineageSource) -> float:
    """The confidence given, or the provenance's default (the range is the writer's check)."""
    return DEFAULT_CONFIDENCE[provenance] if value is None else float(value)


def review_state_for(provenance: LineageSource) -> ReviewState:
    return {
        LineageSource.INFERRED: ReviewState.PENDING,
        LineageSource.MANUAL: ReviewState.NOT_REQUIRED,
        LineageSource.APPROVED: ReviewState.APPROVED,
    }[provenance]


class Inconsistency(Enum):
    """A provenance and review state that cannot go together on one edge."""

    APPROVED_STATE_NEEDS_APPROVED_SOURCE = "APPROVED_STATE_NEEDS_APPROVED_SOURCE"
    APPROVED_SOURCE_NEEDS_APPROVED_STATE = "APPROVED_SOURCE_NEEDS_APPROVED_STATE"
    INFERRED_NEEDS_REVIEW = "INFERRED_NEEDS_REVIEW"


def inconsistency(
    provenance: LineageSource | None, review: ReviewState | None
) -> Inconsistency | None:
    if review is ReviewState.APPROVED and provenance not in (None, LineageSource.APPROVED):
        return Inconsistency.APPROVED_STATE_NEEDS_APPROVED_SOURCE
    if provenance is LineageSource.APPROVED and review not in (None, ReviewState.APPROVED):
        return Inconsistency.APPROVED_SOURCE_NEEDS_APPROVED_STATE
    if provenance is LineageSource.INFERRED and review is ReviewState.NOT_REQUIRED:
        return Inconsistency.INFERRED_NEEDS_REVIEW
    return None


class Reviewer(Enum):
    """What happens to an edge's review fields (reviewed_by, reviewed_at, review_comment)."""

    KEEP = "KEEP"  # untouched
    DECIDED = "DECIDED"  # the writer (a steward) decided now: its name, now, its comment
    CLEAR = "CLEAR"  # the earlier verdict no longer describes the edge (history keeps it)
    NONE = "NONE"  # a new edge nobody has reviewed


class Verdict(Enum):
    CREATE = "CREATE"
    APPLY = "APPLY"  # update the edge with the proposal (the writer works out what changed)
    UNCHANGED = "UNCHANGED"  # nothing to do
    # The existing edge is kept as it is; the proposal is recorded as a suggestion in its history.
    KEEP_EXISTING = "KEEP_EXISTING"


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """What a writer asserts about an edge. `provenance` None means "as the edge already is"
    (an import row with an empty lineage_source); `decision` is a review verdict the writer
    asks for (APPROVED or REJECTED; anything else is not a decision and is ignored)."""

    provenance: LineageSource | None
    confidence: float | None = None
    decision: ReviewState | None = None


@dataclass(frozen=True, kw_only=True)
class Current:
    """The facts of an existing edge the rules look at."""

    provenance: LineageSource
    review_state: ReviewState


@dataclass(frozen=True, kw_only=True)
class Ruling:
    verdict: Verdict
    provenance: LineageSource
    review_state: ReviewState
    reviewer: Reviewer
    # The result is a review decision: only a steward may make it.
    needs_steward: bool = False
    # An APPROVED edge stops being APPROVED (imports refuse this unless told otherwise).
    leaves_approved: bool = False
    # Why the existing edge was kept (KEEP_EXISTING).
    kept_because: ReviewState | LineageSource | None = None


def _decision(proposal: Proposal) -> ReviewState | None:
    if proposal.provenance is LineageSource.APPROVED:
        return ReviewState.APPROVED  # declaring lineage APPROVED is approving it
    return proposal.decision if proposal.decision in DECISIONS else None


def provenance_after(provenance: LineageSource, decision: ReviewState) -> LineageSource:
    """A steward's decision on an edge: approved lineage is APPROVED; rejecting approved
    lineage revokes the approval (MANUAL, REJECTED); rejecting anything else keeps its
    provenance."""
    if decision is ReviewState.APPROVED:
        return LineageSource.APPROVED
    if decision is ReviewState.REJECTED and provenance is LineageSource.APPROVED:
        return LineageSource.MANUAL
    return provenance


def new_edge(proposal: Proposal) -> Ruling:
    """A new edge: provenance (MANUAL when not given) and the review state it starts in."""
    provenance = proposal.provenance or LineageSource.MANUAL
    decision = _decision(proposal)
    if decision is ReviewState.APPROVED:
        provenance = LineageSource.APPROVED
    return Ruling(
        verdict=Verdict.CREATE,
        provenance=provenance,
        review_state=decision or review_state_for(provenance),
        reviewer=Reviewer.DECIDED if decision else Reviewer.NONE,
        needs_steward=decision is not None,
    )


def merge(current: Current, proposal: Proposal, *, substance_changed: bool) -> Ruling:
    """An edge already connects the two nodes and the writer asks to update it.

    `substance_changed`: the proposal changes confidence, transformation type or logic."""
    was = current.provenance
    wanted = proposal.provenance or was
    decision = _decision(proposal)
    if decision is current.review_state:
        decision = None  # the verdict the edge already has is no new decision
    if wanted is LineageSource.INFERRED and was in PROTECTED:
        return _keep(current, was)
    if (
        wanted is LineageSource.INFERRED
        and current.review_state is ReviewState.REJECTED
        and decision is None
    ):
        if not substance_changed:
            return _same(current)
        return _keep(current, ReviewState.REJECTED)
    if decision is not None:
        provenance = provenance_after(wanted, decision)
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=provenance,
            review_state=decision,
            reviewer=Reviewer.DECIDED,
            needs_steward=True,
            leaves_approved=was is LineageSource.APPROVED and decision is ReviewState.REJECTED,
        )
    if was is LineageSource.APPROVED and (
        wanted is not LineageSource.APPROVED or substance_changed
    ):
        # Editing approved lineage needs a fresh approval.
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=LineageSource.MANUAL if wanted is LineageSource.APPROVED else wanted,
            review_state=ReviewState.PENDING,
            reviewer=Reviewer.CLEAR,
            leaves_approved=True,
        )
    if current.review_state is ReviewState.REJECTED and (wanted is not was or substance_changed):
        # Declared again, or corrected: back to a steward, who rejected what it was.
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=wanted,
            review_state=ReviewState.PENDING,
            reviewer=Reviewer.CLEAR,
        )
    if wanted is not was:
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=wanted,
            review_state=review_state_for(wanted),
            reviewer=Reviewer.KEEP,
        )
    return Ruling(
        verdict=Verdict.APPLY,
        provenance=was,
        review_state=current.review_state,
        reviewer=Reviewer.KEEP,
    )


def edit(current: Current, *, substance_changed: bool) -> Ruling:
    """A person edits an edge in place (updateLineage). A description is no substance."""
    if substance_changed and current.provenance is LineageSource.APPROVED:
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=LineageSource.MANUAL,
            review_state=ReviewState.PENDING,
            reviewer=Reviewer.CLEAR,
            leaves_approved=True,
        )
    if substance_changed and current.review_state is ReviewState.REJECTED:
        return Ruling(
            verdict=Verdict.APPLY,
            provenance=current.provenance,
            review_state=ReviewState.PENDING,
            reviewer=Reviewer.CLEAR,
        )
    return Ruling(
        verdict=Verdict.APPLY,
        provenance=current.provenance,
        review_state=current.review_state,
        reviewer=Reviewer.KEEP,
    )


def _keep(current: Current, because: ReviewState | LineageSource) -> Ruling:
    return Ruling(
        verdict=Verdict.KEEP_EXISTING,
        provenance=current.provenance,
        review_state=current.review_state,
        reviewer=Reviewer.KEEP,
        kept_because=because,
    )


def _same(current: Current) -> Ruling:
    return Ruling(
        verdict=Verdict.UNCHANGED,
        provenance=current.provenance,
        review_state=current.review_state,
        reviewer=Reviewer.KEEP,
    )


# Implied table edges


@dataclass(frozen=True, kw_only=True)
class Beneath:
    """One field edge between the two tables of an implied table edge."""

    provenance: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    review_state: ReviewState


@dataclass(frozen=True, kw_only=True)
class ImpliedSummary:
    provenance: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    review_state: ReviewState


def summarise_transformations(
    types: Iterable[TransformationType | None],
) -> TransformationType | None:
    """The transformation a table edge shows for the field edges beneath it.

    All alike: that transformation (none given: none). Different: DIRECT when at least one
    carries its column unchanged (DIRECT, COPY or none given), since a type change upstream
    then breaks the table as it breaks that column; otherwise ETL (transformed, in more than
    one way). So a table's impact is never worse nor milder than its worst field's."""
    kinds = set(types)
    if not kinds:
        return None
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds & CARRIES_TYPE:
        return CARRYING_TRANSFORMATION
    return MIXED_TRANSFORMATION


def implied_summary(beneath: Iterable[Beneath]) -> ImpliedSummary | None:
    """What an implied table edge says about the field edges beneath it; None when no live
    (not rejected) field edge is left, and the implied edge goes."""
    live = [b for b in beneath if b.review_state is not ReviewState.REJECTED]
    if not live:
        return None
    provenance = max((b.provenance for b in live), key=PROVENANCE_RANK.__getitem__)
    return ImpliedSummary(
        provenance=provenance,
        confidence=max(b.confidence for b in live),
        transformation_type=summarise_transformations(b.transformation_type for b in live),
        review_state=review_state_for(provenance),
    )


class ImpliedAction(Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NONE = "NONE"


@dataclass(frozen=True, kw_only=True)
class ImpliedEdge:
    """The table edge between two tables, as it is."""

    explicit: bool
    provenance: LineageSource
    confidence: float
    transformation_type: TransformationType | None
    review_state: ReviewState


def implied_action(current: ImpliedEdge | None, summary: ImpliedSummary | None) -> ImpliedAction:
    """How the table edge between two tables follows the field edges beneath it. A table
    edge someone declared is theirs; a steward's verdict on an implied edge stands."""
    if current is None:
        return ImpliedAction.CREATE if summary is not None else ImpliedAction.NONE
    if current.explicit:
        return ImpliedAction.NONE
    if summary is None:
        return ImpliedAction.DELETE
    if current.review_state in DECISIONS:
        return ImpliedAction.NONE
    now = (
        current.provenance,
        current.confidence,
        current.transformation_type,
        current.review_state,
    )
    wanted = (
        summary.provenance,
        summary.confidence,
        summary.transformation_type,
        summary.review_state,
    )
    return ImpliedAction.NONE if now == wanted else ImpliedAction.UPDATE


# Origins


def assert_edge(current: Current | None, *, trusted: bool, substance_changed: bool) -> Ruling:
    """What an origin's assertion does to the edge between two nodes (None: there is none).
    A trusted origin's edges arrive APPROVED under the trusting steward's decision."""
    proposal = Proposal(provenance=LineageSource.APPROVED if trusted else LineageSource.INFERRED)
    if current is None:
        return new_edge(proposal)
    if current.provenance in PROTECTED:
        return _keep(current, current.provenance)
    if current.review_state is ReviewState.REJECTED:
        if not substance_changed:
            return _same(current)
        return _keep(current, ReviewState.REJECTED)
    return merge(current, proposal, substance_changed=substance_changed)


def withdrawn(current: Current, *, still_asserted: bool) -> bool:
    """An origin no longer asserts this edge: does the edge leave the graph? Only machine
    lineage nobody decided on (INFERRED, not rejected: a rejection is remembered so that the
    same proposal does not come back for review) that no other origin asserts."""
    return (
        not still_asserted
        and current.provenance is LineageSource.INFERRED
        and current.review_state is not ReviewState.REJECTED
    )
