"""Limits on what one GraphQL document may ask for, all checked before anything runs.

`RequestLimits` takes over parsing and validation from Strawberry so that each limit is
checked at the cheapest point and answered in Clew's words with a machine-readable code:

1. before parsing: the query text's size (and, without a valid token, a much smaller size);
2. while parsing: the number of tokens;
3. after parsing, before validation: who may ask (without a token, only `login` and
   introspection), depth, aliases, fields per selection and in all, lineage traversals;
   graphql-core's own validation is quadratic in repeated fields, so it only ever sees
   documents that passed these; a long document is parsed and validated in a worker thread,
   off the event loop;
4. before execution (the variables are known then): the nested-lineage budget, page sizes
   times the nodes each nested `upstream`/`downstream` may walk.

Each lineage traversal (`lineageGraph`, `impact`, and a table's or field's `upstream` /
`downstream`) is already capped in depth and nodes; the traversal limit caps how many of them
one document asks for, so fifty aliases cannot multiply the cap by fifty. (A nested `upstream`
under a page of tables counts once there: the page's traversals run as one batched walk, and
the nested-lineage budget bounds the page.)
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    Lexer,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    TokenKind,
    VariableNode,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from graph_api.schema.permissions import SIGN_IN

if TYPE_CHECKING:
    from graph_api.settings import Settings

MAX_QUERY_CHARS = 100_000
# Without a valid token only `login` and introspection answer; neither needs more than this
# (GraphiQL's introspection query is about 2,000 characters).
MAX_ANONYMOUS_QUERY_CHARS = 8_000
MAX_TOKENS = 20_000
MAX_DEPTH = 15
MAX_ALIASES = 50
# Fields in one selection set (counting the fields its fragments bring in) and in the whole
# operation with every fragment expanded: graphql-core's overlapping-fields check is quadratic
# in these, and a fragment spread twice per level grows exponentially.
MAX_SELECTIONS = 200
MAX_FIELDS = 2_000
# The overlapping-fields check compares every pair of fields with one response name in a
# selection: fragments repeating `id` stay well within this, a flood of one field does not.
MAX_REPEATS = 30
MAX_TRAVERSALS_PER_REQUEST = 5
MAX_VALIDATION_ERRORS = 50
# Longer documents are parsed and validated in a worker thread, so a large one does not hold
# the event loop (and every other request) while it is read; shorter ones cost less than the
# hop, and stay clear of a worker pool that large ones may be keeping busy.
OFF_LOOP_CHARS = 2_000
# A request's nested lineage walks may hold this many times CLEW_LINEAGE_MAX_NODES in all.
LINEAGE_BUDGET_FACTOR = 10

PUBLIC_ROOT_FIELDS = frozenset({"login", "__schema", "__type", "__typename"})
# (parent type, field) pairs that walk the lineage graph.
TRAVERSALS = frozenset(
    {
        ("Query", "lineageGraph"),
        ("Query", "impact"),
        ("Table", "upstream"),
        ("Table", "downstream"),
        ("Field", "upstream"),
        ("Field", "downstream"),
    }
)
NESTED_TRAVERSALS = frozenset(t for t in TRAVERSALS if t[0] != "Query")
NESTED_DEFAULT_MAX_NODES = 100
PAGE_ARGUMENTS = ("first", "limit")
# Strawberry adds these to graphql-core's rules when it validates (it does not here).
STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)


def refusal(code: str, message: str, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code})


def _more_tokens_than(query: str, limit: int) -> bool:
    """Whether the document holds more than `limit` tokens, comments included (as the
    parser counts them); a lexical error before that point means it does not."""
    lexer = Lexer(Source(query))
    token = lexer.token
    count = 0
    try:
        while token.kind is not TokenKind.EOF:
            following = lexer.advance()
            while token is not following and token.next is not None:
                token = token.next
                count += 1
            token = following
            if count > limit:
                return True
    except GraphQLSyntaxError:
        return count > limit
    return count > limit


@functools.lru_cache(maxsize=256)
def parse_document(query: str) -> DocumentNode:
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if _more_tokens_than(query, MAX_TOKENS):
            raise refusal(
                "QUERY_TOO_LARGE",
                f"This document has more than {MAX_TOKENS:,} tokens (names, punctuation and "
                "values), the most one request may hold. Ask for fewer fields, or split it "
                "into several requests.",
            ) from None
        raise GraphQLError(
            error.message,
            source=error.source,
            positions=error.positions,
            extensions={"code": "GRAPHQL_PARSE_FAILED"},
        ) from None


def _validate(
    schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...], document: DocumentNode
) -> tuple[GraphQLError, ...]:
    errors = validate(schema, document, rules, max_errors=MAX_VALIDATION_ERRORS)
    shaped = [
        GraphQLError(
            e.message,
            source=e.source,
            positions=e.positions,
            extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
        )
        for e in errors
    ]
    if len(errors) > MAX_VALIDATION_ERRORS:
        # graphql-core's own words ("Validation aborted.") say nothing to the caller.
        shaped[-1] = refusal(
            "GRAPHQL_VALIDATION_FAILED",
            f"This document has more than {MAX_VALIDATION_ERRORS} errors, so Clew stopped "
            "checking it; the first ones are listed. Fix them (check the field names against "
            "the schema in GraphiQL's Docs) and send it again.",
        )
    return tuple(shaped)


@functools.lru_cache(maxsize=256)
def _cached_validate(
    schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...], query: str
) -> tuple[GraphQLError, ...]:
    # Keyed on the text: the same text parses to the same (cached) document.
    return _validate(schema, rules, parse_document(query))


@dataclass
class _Shape:
    """What a walk over one operation (fragments expanded) found."""

    fields: int = 0
    depth: int = 0
    traversals: int = 0
    # Nested `upstream`/`downstream`: (how many times it may run, maxNodes argument node).
    nested: list[tuple[int, FieldNode]] = field(default_factory=list)
    too_wide: FieldNode | OperationDefinitionNode | None = None
    # A response name asked for more than MAX_REPEATS times in one selection, and how often.
    repeated: tuple[str, int] | None = None
    stopped: bool = False


def _named(type_: Any) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any] | None,
        settings: Settings | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.settings = settings
        self.shape = _Shape()

    def flatten(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        visiting: frozenset[str],
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType | None]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                yield from self.flatten(selection.selection_set, inner, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A fragment spreading itself is reported by graphql-core's own rules.
                if fragment is not None and name not in visiting:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self.flatten(fragment.selection_set, inner, visiting | {name})

    def page_size(self, node: FieldNode, type_: Any, parent: Any) -> int:
        """How many items a field may return, as far as the document tells."""
        default = self.settings.default_page_size if self.settings else 50
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS:
                value = self._int(argument.value)
                return value if value is not None else default
        for name in PAGE_ARGUMENTS:
            if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
                definition = parent.fields.get(node.name.value)
                if definition is not None and name in definition.args:
                    default_value = definition.args[name].default_value
                    return default_value if isinstance(default_value, int) else default
        if _is_list(type_) and not (getattr(parent, "name", "") or "").endswith("Connection"):
            # A list with no page argument (a table's fields): the document cannot tell.
            return default
        return 1

    def _int(self, value: Any) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            found = self.variables.get(value.name.value)
            return found if isinstance(found, int) else None
        return None

    def walk(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        *,
        depth: int,
        multiplier: int,
        visiting: frozenset[str] = frozenset(),
        owner: FieldNode | OperationDefinitionNode,
    ) -> None:
        flat = list(self.flatten(selection_set, parent, visiting))
        names = Counter((node.alias or node.name).value for node, _ in flat)
        name, times = names.most_common(1)[0] if names else ("", 0)
        if times > MAX_REPEATS:
            self.shape.repeated = (name, times)
            self.shape.stopped = True
            return
        if len(flat) > MAX_SELECTIONS and self.shape.too_wide is None:
            self.shape.too_wide = owner
            self.shape.stopped = True
            return
        for node, node_parent in flat:
            if self.shape.stopped:
                return
            self.shape.fields += 1
            if self.shape.fields > MAX_FIELDS:
                self.shape.stopped = True
                return
            self.shape.depth = max(self.shape.depth, depth)
            name = node.name.value
            parent_name = getattr(node_parent, "name", None)
            definition = None
            if isinstance(node_parent, (GraphQLObjectType, GraphQLInterfaceType)):
                definition = node_parent.fields.get(name)
            if (parent_name, name) in TRAVERSALS:
                self.shape.traversals += 1
            if (parent_name, name) in NESTED_TRAVERSALS:
                self.shape.nested.append((multiplier, node))
            if node.selection_set is None:
                continue
            type_ = definition.type if definition is not None else None
            inner = _named(type_) if type_ is not None else None
            if isinstance(inner, GraphQLUnionType):
                inner_parent: GraphQLNamedType | None = inner
            else:
                inner_parent = inner
            self.walk(
                node.selection_set,
                inner_parent,
                depth=depth + 1,
                multiplier=multiplier * self.page_size(node, type_, node_parent),
                visiting=visiting,
                owner=node,
            )

    def max_nodes(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "maxNodes":
                value = self._int(argument.value)
                return value if value is not None else NESTED_DEFAULT_MAX_NODES
        return NESTED_DEFAULT_MAX_NODES


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]


def _aliases(document: DocumentNode) -> int:
    count = 0
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.alias is not None:
            count += 1
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return count


def check_shape(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> GraphQLError | None:
    """The first limit this document breaks (depth, aliases, fields, traversals), if any."""
    aliases = _aliases(document)
    if aliases > MAX_ALIASES:
        return refusal(
            "TOO_MANY_ALIASES",
            f"This document uses {aliases} aliases; at most {MAX_ALIASES} are allowed per "
            "request. Split it into several requests.",
        )
    fragments = _fragments(document)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        walker = _Walker(schema, fragments, None, None)
        walker.walk(
            definition.selection_set,
            _root_type(schema, definition),
            depth=0,
            multiplier=1,
            owner=definition,
        )
        shape = walker.shape
        if shape.repeated is not None:
            name, times = shape.repeated
            return refusal(
                "TOO_MANY_FIELDS",
                f"This document asks for '{name}' {times} times in one selection; at most "
                f"{MAX_REPEATS} are allowed. Ask for each field once.",
                definition,
            )
        if shape.too_wide is not None:
            return refusal(
                "TOO_MANY_FIELDS",
                f"One selection in this document asks for more than {MAX_SELECTIONS} fields "
                "(fragments included); ask for each field once, and split large requests.",
                shape.too_wide,
            )
        if shape.stopped:
            return refusal(
                "TOO_MANY_FIELDS",
                f"This document asks for more than {MAX_FIELDS:,} fields in all (fragments "
                "counted each time they are used); ask for fewer, or split it into several "
                "requests.",
                definition,
            )
        if shape.depth > MAX_DEPTH:
            return refusal(
                "QUERY_TOO_DEEP",
                f"This document nests fields {shape.depth} levels deep; at most {MAX_DEPTH} "
                "are allowed. Ask for fewer levels at a time (for lineage, use lineageGraph "
                "with a depth instead of nesting upstream or downstream).",
                definition,
            )
        if shape.traversals > MAX_TRAVERSALS_PER_REQUEST:
            return refusal(
                "QUERY_TOO_COSTLY",
                f"This request runs {shape.traversals} lineage traversals (lineageGraph, "
                "impact, upstream or downstream); "
                f"at most {MAX_TRAVERSALS_PER_REQUEST} are allowed per request. Split it "
                "into several requests.",
                definition,
            )
    return None


def check_lineage_budget(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    settings: Settings,
) -> GraphQLError | None:
    """Nested `upstream`/`downstream` under pages each walk up to their maxNodes: the page
    sizes times maxNodes, summed, may not exceed CLEW_LINEAGE_MAX_NODES x 10."""
    operation = _operation(document, operation_name)
    if operation is None:
        return None
    walker = _Walker(schema, _fragments(document), variables, settings)
    walker.walk(
        operation.selection_set,
        _root_type(schema, operation),
        depth=0,
        multiplier=1,
        owner=operation,
    )
    budget = settings.lineage_max_nodes * LINEAGE_BUDGET_FACTOR
    requested = 0
    roots = 0
    for multiplier, node in walker.shape.nested:
        requested += multiplier * walker.max_nodes(node)
        roots += multiplier
    if requested <= budget:
        return None
    return refusal(
        "QUERY_TOO_COSTLY",
        f"This request asks for the lineage of up to {roots:,} tables or fields (page "
        f"sizes times nested upstream/downstream), up to {requested:,} nodes in all; one "
        f"request may ask for {budget:,}. Ask for fewer at a time (first), lower maxNodes, "
        "or use lineageGraph for one root.",
        operation,
    )


def _placeholder(operation_name: str | None) -> DocumentNode:
    """A document that stands in for a refused one: Strawberry looks for the operation (by
    name) after parsing, and refusals are reported as validation errors."""
    return DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=OperationType.QUERY,
                name=NameNode(value=operation_name) if operation_name else None,
                variable_definitions=(),
                directives=(),
                selection_set=SelectionSetNode(
                    selections=(
                        FieldNode(name=NameNode(value="__typename"), arguments=(), directives=()),
                    )
                ),
            ),
        )
    )


class RequestLimits(SchemaExtension):
    """Parses and validates each operation under Clew's limits (see the module docstring)."""

    def __init__(self) -> None:
        self._refused: GraphQLError | None = None

    def _settings(self) -> Settings | None:
        return getattr(self.execution_context.context, "settings", None)

    def _signed_in(self) -> bool:
        context = self.execution_context.context
        # Without a Clew context (schema.execute in a script), nobody is gated.
        return not hasattr(context, "principal") or context.principal is not None

    def _anonymous_refusal(self) -> GraphQLError:
        context = self.execution_context.context
        auth_error = getattr(context, "auth_error", None)
        message = auth_error.message if auth_error is not None else SIGN_IN
        return refusal("UNAUTHENTICATED", message)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            # What graphql-core refuses before executing without a code of its own: variables
            # that do not coerce to their declared types.
            result.errors = [
                e
                if e.path or (e.extensions or {}).get("code")
                else GraphQLError(
                    e.message,
                    source=e.source,
                    positions=e.positions,
                    extensions={"code": "BAD_USER_INPUT"},
                )
                for e in errors
            ]

    async def on_parse(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        query = execution_context.query
        if execution_context.graphql_document is None and query:
            try:
                execution_context.graphql_document = await self._parse(query)
            except GraphQLError as error:
                self._refused = error
                execution_context.graphql_document = _placeholder(execution_context.operation_name)
        yield

    async def _parse(self, query: str) -> DocumentNode:
        signed_in = self._signed_in()
        if len(query) > MAX_QUERY_CHARS:
            raise refusal(
                "QUERY_TOO_LARGE",
                f"This document is {len(query):,} characters long; at most "
                f"{MAX_QUERY_CHARS:,} are allowed. Send large data as variables or as a "
                "file (importCatalog), not in the query text.",
            )
        if not signed_in and len(query) > MAX_ANONYMOUS_QUERY_CHARS:
            raise self._anonymous_refusal()
        if len(query) > OFF_LOOP_CHARS:
            document = await asyncio.to_thread(parse_document, query)
        else:
            document = parse_document(query)
        if not signed_in:
            schema = self.execution_context.schema._schema
            walker = _Walker(schema, _fragments(document), None, None)
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    for node, _ in walker.flatten(definition.selection_set, None, frozenset()):
                        if node.name.value not in PUBLIC_ROOT_FIELDS:
                            raise self._anonymous_refusal()
        return document

    async def on_validate(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        document = execution_context.graphql_document
        if self._refused is not None:
            execution_context.pre_execution_errors = [self._refused]
        elif document is not None and execution_context.pre_execution_errors is None:
            schema = execution_context.schema._schema
            error = check_shape(schema, document, execution_context.operation_name)
            if error is not None:
                execution_context.pre_execution_errors = [error]
            else:
                rules = (*execution_context.validation_rules, *STRAWBERRY_RULES)
                query = execution_context.query
                if not query:
                    errors = _validate(schema, rules, document)
                elif len(query) > OFF_LOOP_CHARS:
                    errors = await asyncio.to_thread(_cached_validate, schema, rules, query)
                else:
                    errors = _cached_validate(schema, rules, query)
                execution_context.pre_execution_errors = list(errors)
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        settings = self._settings()
        document = execution_context.graphql_document
        if settings is not None and document is not None:
            error = check_lineage_budget(
                execution_context.schema._schema,
                document,
                execution_context.operation_name,
                execution_context.variables,
                settings,
            )
            if error is not None:
                raise error
        yield
