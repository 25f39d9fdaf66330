"""The lineage rules as a table of cases: each row is a situation a data steward knows."""

from __future__ import annotations

import pytest

from graph_api import lineage_rules as rules
from graph_api.lineage_rules import (
    Beneath,
    Current,
    ImpliedAction,
    ImpliedEdge,
    Proposal,
    Reviewer,
    Verdict,
)
from graph_api.models import LineageSource, ReviewState, TransformationType

INFERRED, MANUAL, APPROVED = LineageSource.INFERRED, LineageSource.MANUAL, LineageSource.APPROVED
PENDING, NOT_REQUIRED = ReviewState.PENDING, ReviewState.NOT_REQUIRED
OK, REJECTED = ReviewState.APPROVED, ReviewState.REJECTED
T = TransformationType


@pytest.mark.parametrize(
    ("provenance", "confidence", "review"),
    [
        (INFERRED, 0.5, PENDING),
        (MANUAL, 0.9, NOT_REQUIRED),
        (APPROVED, 1.0, OK),
    ],
    ids=["a scanner's guess waits for review", "a person's lineage needs none", "approved"],
)
def test_defaults_by_provenance(
    provenance: LineageSource, confidence: float, review: ReviewState
) -> None:
    assert rules.default_confidence(provenance) == confidence
    assert rules.confidence_for(None, provenance) == confidence
    assert rules.confidence_for(0.3, provenance) == 0.3
    assert rules.review_state_for(provenance) is review


NEW = [
    # (case, proposal, provenance, review state, reviewer, needs a steward)
    ("an editor declares lineage", Proposal(provenance=MANUAL), MANUAL, NOT_REQUIRED,
     Reviewer.NONE, False),
    ("a file row leaves provenance empty", Proposal(provenance=None), MANUAL, NOT_REQUIRED,
     Reviewer.NONE, False),
    ("a scan proposes lineage", Proposal(provenance=INFERRED), INFERRED, PENDING,
     Reviewer.NONE, False),
    ("a steward declares approved lineage", Proposal(provenance=APPROVED), APPROVED, OK,
     Reviewer.DECIDED, True),
    ("a file asks for NOT_REQUIRED on inferred lineage: not a decision",
     Proposal(provenance=INFERRED, decision=NOT_REQUIRED), INFERRED, PENDING,
     Reviewer.NONE, False),
    ("a file asks for PENDING on manual lineage: not a decision",
     Proposal(provenance=MANUAL, decision=PENDING), MANUAL, NOT_REQUIRED, Reviewer.NONE, False),
    ("a steward's file rejects an inferred edge as it arrives",
     Proposal(provenance=INFERRED, decision=REJECTED), INFERRED, REJECTED,
     Reviewer.DECIDED, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("proposal", "provenance", "review", "reviewer", "steward"),
    [row[1:] for row in NEW],
    ids=[row[0] for row in NEW],
)
def test_a_new_edge(
    proposal: Proposal,
    provenance: LineageSource,
    review: ReviewState,
    reviewer: Reviewer,
    steward: bool,
) -> None:
    ruling = rules.new_edge(proposal)
    assert ruling.verdict is Verdict.CREATE
    assert (ruling.provenance, ruling.review_state) == (provenance, review)
    assert (ruling.reviewer, ruling.needs_steward) == (reviewer, steward)


MERGE = [
    # (case, current (provenance, state), proposal, substance changed,
    #  verdict, provenance, state, reviewer, needs a steward, leaves APPROVED)
    ("a scan meets a person's lineage", (MANUAL, NOT_REQUIRED), Proposal(provenance=INFERRED),
     True, Verdict.KEEP_EXISTING, MANUAL, NOT_REQUIRED, Reviewer.KEEP, False, False),
    ("a scan meets approved lineage", (APPROVED, OK), Proposal(provenance=INFERRED),
     True, Verdict.KEEP_EXISTING, APPROVED, OK, Reviewer.KEEP, False, False),
    ("a scan sees again an edge a steward rejected, differently", (INFERRED, REJECTED),
     Proposal(provenance=INFERRED), True,
     Verdict.KEEP_EXISTING, INFERRED, REJECTED, Reviewer.KEEP, False, False),
    ("a scan sees again an edge a steward rejected, the same", (INFERRED, REJECTED),
     Proposal(provenance=INFERRED), False,
     Verdict.UNCHANGED, INFERRED, REJECTED, Reviewer.KEEP, False, False),
    ("a scan refines its own pending guess", (INFERRED, PENDING), Proposal(provenance=INFERRED),
     True, Verdict.APPLY, INFERRED, PENDING, Reviewer.KEEP, False, False),
    ("an editor confirms a pending guess by hand", (INFERRED, PENDING),
     Proposal(provenance=MANUAL), False,
     Verdict.APPLY, MANUAL, NOT_REQUIRED, Reviewer.KEEP, False, False),
    ("a file row sets NOT_REQUIRED on a pending guess", (INFERRED, PENDING),
     Proposal(provenance=None, decision=NOT_REQUIRED), False,
     Verdict.APPLY, INFERRED, PENDING, Reviewer.KEEP, False, False),
    ("an editor re-declares a rejected edge as MANUAL", (INFERRED, REJECTED),
     Proposal(provenance=MANUAL), False,
     Verdict.APPLY, MANUAL, PENDING, Reviewer.CLEAR, False, False),
    ("an editor corrects a rejected manual edge", (MANUAL, REJECTED),
     Proposal(provenance=MANUAL), True,
     Verdict.APPLY, MANUAL, PENDING, Reviewer.CLEAR, False, False),
    ("an export of a rejected edge imported again", (MANUAL, REJECTED),
     Proposal(provenance=MANUAL, decision=REJECTED), False,
     Verdict.APPLY, MANUAL, REJECTED, Reviewer.KEEP, False, False),
    ("an editor changes the transformation of approved lineage", (APPROVED, OK),
     Proposal(provenance=APPROVED), True,
     Verdict.APPLY, MANUAL, PENDING, Reviewer.CLEAR, False, True),
    ("an editor re-declares approved lineage as MANUAL", (APPROVED, OK),
     Proposal(provenance=MANUAL), False,
     Verdict.APPLY, MANUAL, PENDING, Reviewer.CLEAR, False, True),
    ("an export of approved lineage imported again", (APPROVED, OK),
     Proposal(provenance=APPROVED, decision=OK), False,
     Verdict.APPLY, APPROVED, OK, Reviewer.KEEP, False, False),
    ("a steward's file approves a pending guess", (INFERRED, PENDING),
     Proposal(provenance=APPROVED, decision=OK), False,
     Verdict.APPLY, APPROVED, OK, Reviewer.DECIDED, True, False),
    ("a steward's file rejects approved lineage", (APPROVED, OK),
     Proposal(provenance=None, decision=REJECTED), False,
     Verdict.APPLY, MANUAL, REJECTED, Reviewer.DECIDED, True, True),
    ("a steward's file approves a rejected edge", (INFERRED, REJECTED),
     Proposal(provenance=APPROVED), False,
     Verdict.APPLY, APPROVED, OK, Reviewer.DECIDED, True, False),
    ("a person declares the same manual lineage again", (MANUAL, NOT_REQUIRED),
     Proposal(provenance=MANUAL), False,
     Verdict.APPLY, MANUAL, NOT_REQUIRED, Reviewer.KEEP, False, False),
    ("an edited approved edge still waits for a steward", (MANUAL, PENDING),
     Proposal(provenance=MANUAL, decision=NOT_REQUIRED), False,
     Verdict.APPLY, MANUAL, PENDING, Reviewer.KEEP, False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("current", "proposal", "substance", "verdict", "provenance", "review", "reviewer", "steward",
     "leaves"),
    [row[1:] for row in MERGE],
    ids=[row[0] for row in MERGE],
)  # fmt: skip
def test_a_proposal_meets_an_existing_edge(
    current: tuple[LineageSource, ReviewState],
    proposal: Proposal,
    substance: bool,
    verdict: Verdict,
    provenance: LineageSource,
    review: ReviewState,
    reviewer: Reviewer,
    steward: bool,
    leaves: bool,
) -> None:
    ruling = rules.merge(
        Current(provenance=current[0], review_state=current[1]),
        proposal,
        substance_changed=substance,
    )
    assert ruling.verdict is verdict
    assert (ruling.provenance, ruling.review_state) == (provenance, review)
    assert ruling.reviewer is reviewer
    assert (ruling.needs_steward, ruling.leaves_approved) == (steward, leaves)


EDIT = [
    ("a description added to approved lineage", (APPROVED, OK), False, APPROVED, OK,
     Reviewer.KEEP),
    ("the confidence of approved lineage changed", (APPROVED, OK), True, MANUAL, PENDING,
     Reviewer.CLEAR),
    ("a rejected edge corrected", (INFERRED, REJECTED), True, INFERRED, PENDING, Reviewer.CLEAR),
    ("a pending guess corrected", (INFERRED, PENDING), True, INFERRED, PENDING, Reviewer.KEEP),
]  # fmt: skip


@pytest.mark.parametrize(
    ("current", "substance", "provenance", "review", "reviewer"),
    [row[1:] for row in EDIT],
    ids=[row[0] for row in EDIT],
)
def test_a_person_edits_an_edge(
    current: tuple[LineageSource, ReviewState],
    substance: bool,
    provenance: LineageSource,
    review: ReviewState,
    reviewer: Reviewer,
) -> None:
    ruling = rules.edit(
        Current(provenance=current[0], review_state=current[1]), substance_changed=substance
    )
    assert (ruling.provenance, ruling.review_state, ruling.reviewer) == (
        provenance,
        review,
        reviewer,
    )


@pytest.mark.parametrize(
    ("provenance", "review", "problem"),
    [
        (MANUAL, OK, rules.Inconsistency.APPROVED_STATE_NEEDS_APPROVED_SOURCE),
        (APPROVED, PENDING, rules.Inconsistency.APPROVED_SOURCE_NEEDS_APPROVED_STATE),
        (INFERRED, NOT_REQUIRED, rules.Inconsistency.INFERRED_NEEDS_REVIEW),
        (INFERRED, REJECTED, None),
        (None, OK, None),
        (APPROVED, None, None),
    ],
    ids=[
        "approved state on manual lineage",
        "approved lineage marked pending",
        "inferred lineage said to need no review",
        "inferred lineage rejected",
        "approved state with provenance left empty",
        "approved lineage with state left empty",
    ],
)
def test_provenance_and_review_state_that_cannot_go_together(
    provenance: LineageSource | None,
    review: ReviewState | None,
    problem: rules.Inconsistency | None,
) -> None:
    assert rules.inconsistency(provenance, review) is problem


def beneath(
    provenance: LineageSource = MANUAL,
    confidence: float = 0.9,
    transformation: TransformationType | None = None,
    review: ReviewState | None = None,
) -> Beneath:
    return Beneath(
        provenance=provenance,
        confidence=confidence,
        transformation_type=transformation,
        review_state=review or rules.review_state_for(provenance),
    )


SUMMARIES = [
    # (case, field edges beneath, provenance, confidence, transformation) or None: no edge
    ("columns copied as they are", [beneath(transformation=T.COPY)] * 3, MANUAL, 0.9, T.COPY),
    ("columns loaded by an ETL job",
     [beneath(transformation=T.ETL), beneath(transformation=T.ETL, confidence=0.7)],
     MANUAL, 0.9, T.ETL),
    ("columns aggregated", [beneath(transformation=T.AGGREGATION)], MANUAL, 0.9, T.AGGREGATION),
    ("one column copied, one aggregated",
     [beneath(transformation=T.COPY), beneath(transformation=T.AGGREGATION)],
     MANUAL, 0.9, T.DIRECT),
    ("one column aggregated, one transformed by ETL",
     [beneath(transformation=T.ETL), beneath(transformation=T.AGGREGATION)],
     MANUAL, 0.9, T.ETL),
    ("no transformation given", [beneath(), beneath()], MANUAL, 0.9, None),
    ("one column without a transformation, one aggregated",
     [beneath(), beneath(transformation=T.AGGREGATION)], MANUAL, 0.9, T.DIRECT),
    ("a guess and an approved mapping: the best provenance, the highest confidence",
     [beneath(INFERRED, 0.95, T.ETL), beneath(APPROVED, 0.8, T.ETL)], APPROVED, 0.95, T.ETL),
    ("a rejected mapping does not count",
     [beneath(INFERRED, 0.4, T.AGGREGATION), beneath(APPROVED, 1.0, T.COPY, REJECTED)],
     INFERRED, 0.4, T.AGGREGATION),
    ("only rejected mappings left", [beneath(INFERRED, review=REJECTED)], None, None, None),
    ("no field lineage left", [], None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edges", "provenance", "confidence", "transformation"),
    [row[1:] for row in SUMMARIES],
    ids=[row[0] for row in SUMMARIES],
)
def test_an_implied_table_edge_summarises_the_field_edges_beneath_it(
    edges: list[Beneath],
    provenance: LineageSource | None,
    confidence: float | None,
    transformation: TransformationType | None,
) -> None:
    summary = rules.implied_summary(edges)
    if provenance is None:
        assert summary is None
        return
    assert summary is not None
    assert (summary.provenance, summary.confidence, summary.transformation_type) == (
        provenance,
        confidence,
        transformation,
    )
    assert summary.review_state is rules.review_state_for(provenance)


@pytest.mark.parametrize(
    "types",
    [
        [T.COPY, T.ETL],
        [T.AGGREGATION, T.FILTER],
        [T.DIRECT],
        [None, T.JOIN],
        [T.VIEW, T.SPLIT, T.CUSTOM],
    ],
)
def test_a_table_edge_carries_a_type_change_exactly_when_one_of_its_columns_does(
    types: list[TransformationType | None],
) -> None:
    # Impact analysis reads a type change as breaking what DIRECT or COPY (or an unnamed
    # transformation) feeds: a table must break when, and only when, one of its fields does.
    summary = rules.summarise_transformations(types)
    assert (summary in rules.CARRIES_TYPE) == any(t in rules.CARRIES_TYPE for t in types)


def implied(
    *, explicit: bool = False, review: ReviewState = NOT_REQUIRED, transformation: T = T.COPY
) -> ImpliedEdge:
    return ImpliedEdge(
        explicit=explicit,
        provenance=MANUAL,
        confidence=0.9,
        transformation_type=transformation,
        review_state=review,
    )


SUMMARY = rules.implied_summary([beneath(transformation=T.COPY)])
OTHER = rules.implied_summary([beneath(transformation=T.AGGREGATION)])

ACTIONS = [
    ("the first field edge between two tables", None, SUMMARY, ImpliedAction.CREATE),
    ("nothing between them", None, None, ImpliedAction.NONE),
    ("the implied edge already says it", implied(), SUMMARY, ImpliedAction.NONE),
    ("the field edges beneath changed", implied(), OTHER, ImpliedAction.UPDATE),
    ("the last field edge went", implied(), None, ImpliedAction.DELETE),
    ("a table edge a person declared", implied(explicit=True), OTHER, ImpliedAction.NONE),
    ("a declared table edge with no field edges", implied(explicit=True), None,
     ImpliedAction.NONE),
    ("a steward approved the implied edge", implied(review=OK), OTHER, ImpliedAction.NONE),
    ("a steward rejected the implied edge", implied(review=REJECTED), OTHER, ImpliedAction.NONE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("current", "summary", "action"),
    [row[1:] for row in ACTIONS],
    ids=[row[0] for row in ACTIONS],
)
def test_how_an_implied_table_edge_follows_its_field_edges(
    current: ImpliedEdge | None,
    summary: rules.ImpliedSummary | None,
    action: ImpliedAction,
) -> None:
    assert rules.implied_action(current, summary) is action


def test_the_rule_module_is_a_leaf() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {m for m in imported if m.startswith("graph_api")} <= {"graph_api.models"}
    assert not {m for m in imported if m.split(".")[0] in {"neo4j", "strawberry", "starlette"}}


@pytest.mark.parametrize(
    ("provenance", "decision", "after"),
    [
        (INFERRED, OK, APPROVED),
        (MANUAL, OK, APPROVED),
        (INFERRED, REJECTED, INFERRED),
        (MANUAL, REJECTED, MANUAL),
        (APPROVED, REJECTED, MANUAL),
    ],
    ids=[
        "a steward approves a guess",
        "a steward approves a person's lineage",
        "a steward rejects a guess",
        "a steward rejects a person's lineage",
        "a steward revokes an approval",
    ],
)
def test_a_stewards_decision(
    provenance: LineageSource, decision: ReviewState, after: LineageSource
) -> None:
    assert rules.provenance_after(provenance, decision) is after
    # Whatever the decision leaves is a pair a file can carry back in.
    assert rules.inconsistency(after, decision) is None


ASSERT = [
    ("an origin asserts a new edge", None, False, False, Verdict.CREATE, INFERRED, PENDING,
     Reviewer.NONE),
    ("a trusted origin asserts a new edge", None, True, False, Verdict.CREATE, APPROVED, OK,
     Reviewer.DECIDED),
    ("an origin corrects its pending guess", (INFERRED, PENDING), False, True, Verdict.APPLY,
     INFERRED, PENDING, Reviewer.KEEP),
    ("a trusted origin asserts a pending guess", (INFERRED, PENDING), True, False,
     Verdict.APPLY, APPROVED, OK, Reviewer.DECIDED),
    ("an origin asserts what a person wrote", (MANUAL, NOT_REQUIRED), False, True,
     Verdict.KEEP_EXISTING, MANUAL, NOT_REQUIRED, Reviewer.KEEP),
    ("a trusted origin asserts what a person wrote", (MANUAL, NOT_REQUIRED), True, False,
     Verdict.KEEP_EXISTING, MANUAL, NOT_REQUIRED, Reviewer.KEEP),
    ("an origin asserts approved lineage otherwise", (APPROVED, OK), False, True,
     Verdict.KEEP_EXISTING, APPROVED, OK, Reviewer.KEEP),
    ("an origin asserts a rejected edge again", (INFERRED, REJECTED), False, False,
     Verdict.UNCHANGED, INFERRED, REJECTED, Reviewer.KEEP),
    ("a trusted origin asserts a rejected edge, changed", (INFERRED, REJECTED), True, True,
     Verdict.KEEP_EXISTING, INFERRED, REJECTED, Reviewer.KEEP),
]  # fmt: skip


@pytest.mark.parametrize(
    ("current", "trusted", "substance", "verdict", "provenance", "review", "reviewer"),
    [row[1:] for row in ASSERT],
    ids=[row[0] for row in ASSERT],
)  # fmt: skip
def test_an_origin_asserts_an_edge(
    current: tuple[LineageSource, ReviewState] | None,
    trusted: bool,
    substance: bool,
    verdict: Verdict,
    provenance: LineageSource,
    review: ReviewState,
    reviewer: Reviewer,
) -> None:
    ruling = rules.assert_edge(
        Current(provenance=current[0], review_state=current[1]) if current else None,
        trusted=trusted,
        substance_changed=substance,
    )
    assert (ruling.verdict, ruling.provenance, ruling.review_state, ruling.reviewer) == (
        verdict,
        provenance,
        review,
        reviewer,
    )


WITHDRAWN = [
    ("a guess nobody asserts any more goes", (INFERRED, PENDING), False, True),
    ("a guess another origin still asserts stays", (INFERRED, PENDING), True, False),
    ("a rejected guess stays, so it does not come back for review", (INFERRED, REJECTED), False,
     False),
    ("what a person wrote stays", (MANUAL, NOT_REQUIRED), False, False),
    ("approved lineage stays", (APPROVED, OK), False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("current", "still", "goes"),
    [row[1:] for row in WITHDRAWN],
    ids=[row[0] for row in WITHDRAWN],
)  # fmt: skip
def test_an_origin_stops_asserting_an_edge(
    current: tuple[LineageSource, ReviewState], still: bool, goes: bool
) -> None:
    assert (
        rules.withdrawn(
            Current(provenance=current[0], review_state=current[1]), still_asserted=still
        )
        is goes
    )
