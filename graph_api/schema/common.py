"""Shared GraphQL pieces: pagination, typed user errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import FieldNode
from strawberry.types.nodes import SelectedField

from graph_api import errors
from graph_api.models import Page
from graph_api.schema.enums import ErrorCode
from graph_api.schema.limits import parse_document
from graph_api.settings import Settings
from graph_api.store.pagination import check_page_size, encode_cursor

T = TypeVar("T")
M = TypeVar("M")


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="One page of results, with the total across all pages.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many match, across all pages.")

    @strawberry.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


@strawberry.interface(
    description="A problem the caller can fix: a code, a message saying what to do, and the "
    "input it is about."
)
class UserError:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(
        description="Path of the offending input, e.g. `input.name` or `fields[2].name`. "
        "Selected next to `FieldSuccess { field }` (createField, updateField) the two names "
        "clash, as GraphQL merges no fields of one name and different types: alias one, "
        "e.g. `... on UserError { inputPath: field }`."
    )


@strawberry.type(name="ValidationError", description="The input is malformed or out of range.")
class ValidationErrorType(UserError):
    pass


@strawberry.type(name="NotFoundError", description="Something the input refers to does not exist.")
class NotFoundErrorType(UserError):
    pass


@strawberry.type(
    name="ConflictError", description="The change clashes with what is already in the catalog."
)
class ConflictErrorType(UserError):
    pass


AnyUserError = ValidationErrorType | NotFoundErrorType | ConflictErrorType

_BY_CODE: dict[errors.ErrorCode, type[UserError]] = {
    errors.ErrorCode.VALIDATION: ValidationErrorType,
    errors.ErrorCode.NOT_FOUND: NotFoundErrorType,
    errors.ErrorCode.CONFLICT: ConflictErrorType,
}


def user_error(exc: errors.ClewError) -> AnyUserError:
    cls = _BY_CODE.get(exc.code)
    if cls is None:
        # Not the caller's input but their standing (signed out, role, throttled): such
        # errors leave as top-level errors with their code.
        raise exc
    return cls(code=exc.code, message=exc.message, field=exc.field)  # type: ignore[return-value]


def page_size(first: int | None, *, default: int, maximum: int, argument: str = "first") -> int:
    return check_page_size(default if first is None else first, maximum=maximum, argument=argument)


def requested_page_size(first: int | None, settings: Settings) -> int:
    return page_size(first, default=settings.default_page_size, maximum=settings.max_page_size)


def to_connection(
    page: Page[M], *, key: Callable[[M], Sequence[str]], node: Callable[[M], T]
) -> Connection[T]:
    """A page of domain objects as a GraphQL connection; `key` gives the sort key the
    repository pages by, which becomes each edge's cursor."""
    edges = [Edge(cursor=encode_cursor(*key(item)), node=node(item)) for item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.total_count,
    )


def given_fields(obj: Any, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields of an input object the client actually sent (UNSET ones left out)."""
    renames = renames or {}
    return {
        renames.get(name, name): value
        for name, value in vars(obj).items()
        if value is not strawberry.UNSET
    }


def asks_for(info: Any, *names: str) -> bool:
    """Whether the operation's document asks anywhere (on any type, in any fragment) for a
    field of one of these names. When it never does, what its resolvers load for it may leave
    those out: nothing in the operation can read them, and its loaders end with it."""
    query = info.query
    return query is None or not field_names(query).isdisjoint(names)


@functools.lru_cache(maxsize=256)
def field_names(query: str) -> frozenset[str]:
    """The names of every field the document selects (cached, like its parse, by its text)."""
    found: set[str] = set()
    pending = [
        d.selection_set for d in parse_document(query).definitions if hasattr(d, "selection_set")
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                found.add(selection.name.value)
            # Fragment spreads have none: their fragments are definitions, walked too.
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return frozenset(found)


def selects(info: Any, name: str) -> bool:
    """Whether the query asks for `name` directly beneath the field being resolved (through
    fragments too): a resolver that will be asked for it can load it in the same statement."""
    pending: list[Any] = [s for f in info.selected_fields for s in f.selections]
    while pending:
        selection = pending.pop()
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        else:  # a fragment spread or an inline fragment
            pending.extend(selection.selections)
    return False
