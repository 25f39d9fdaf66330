"""Limits on what one GraphQL document may ask for, beyond depth, aliases and tokens.

Each lineage traversal (`lineageGraph`, `impact`, and a table's or field's `upstream` /
`downstream`) is already capped in depth and nodes; this caps how many of them one document may
ask for, so fifty aliases cannot multiply the cap by fifty. (A nested `upstream` under a page
of tables counts once: the page's traversals run as one batched walk.)
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

TRAVERSALS = frozenset({"lineageGraph", "impact", "upstream", "downstream"})
MAX_TRAVERSALS_PER_REQUEST = 5


class MaxLineageTraversals(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        count = self._count(node.selection_set, visiting=set())
        if count > MAX_TRAVERSALS_PER_REQUEST:
            self.report_error(
                GraphQLError(
                    f"This request runs {count} lineage traversals (lineageGraph, impact, "
                    "upstream or downstream); "
                    f"at most {MAX_TRAVERSALS_PER_REQUEST} are allowed per request. Split it "
                    "into several requests.",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )
            )

    def _count(self, selection_set: SelectionSetNode | None, *, visiting: set[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value in TRAVERSALS
                total += self._count(selection.selection_set, visiting=visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += self._count(selection.selection_set, visiting=visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                # A fragment spreading itself is reported by graphql-core's own rules.
                if fragment is not None and name not in visiting:
                    total += self._count(fragment.selection_set, visiting=visiting | {name})
        return total
