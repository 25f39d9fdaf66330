"""One place where a user error leaves a resolver.

Services and repositories raise ``ClewError`` with a *domain* path (``table.name``,
``fields[0].name``, ``edges[2].confidence``, ``source.connection.port``): they know what they
checked, not what the caller typed. Each root field declares, next to its resolver, how those
paths read in its own arguments (``UserErrors({"fields[0]": "input", "table.id": "tableId"})``),
and this extension applies the mapping: a field whose result union has the typed errors gets
the error as its result; any other field (a query) raises it with the mapped path, and it
leaves as a top-level error with ``extensions.code`` and ``extensions.field``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

from graph_api.errors import ClewError
from graph_api.schema.common import UserError, user_error

# Paths every field shares: the store checks the cursor a client passed as `after`.
COMMON_PATHS: Mapping[str, str] = {"page.after": "after"}


def map_path(path: str | None, paths: Mapping[str, str]) -> str | None:
    """``path`` with its longest mapped prefix replaced: with ``{"table": "input"}``,
    ``table.fields[0].name`` reads ``input.fields[0].name``. A prefix matches whole steps
    only (``table`` does not match ``tables``); an unmapped path is kept as it is."""
    if path is None:
        return None
    best = ""
    for prefix in paths:
        if len(prefix) > len(best) and (
            path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))
        ):
            best = prefix
    if not best:
        return path
    return paths[best] + path[len(best) :]


def _has_typed_errors(field: StrawberryField) -> bool:
    kind: Any = field.type
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    if not isinstance(kind, StrawberryUnion):
        return False
    return any(isinstance(member, type) and issubclass(member, UserError) for member in kind.types)


class UserErrors(FieldExtension):
    """Turns a ``ClewError`` into the field's typed error result (or a top-level error with a
    code), naming the caller's input by the field's own argument names."""

    def __init__(self, paths: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.paths = {**COMMON_PATHS, **(paths or {})}
        self._typed: bool | None = None

    def _answer(self, exc: ClewError, info: Info) -> Any:
        exc.field = map_path(exc.field, self.paths)
        if self._typed is None:
            self._typed = _has_typed_errors(info._field)
        if self._typed:
            return user_error(exc)  # re-raises errors about standing (sign-in, role, throttle)
        raise exc

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return next_(source, info, **kwargs)
        except ClewError as exc:
            return self._answer(exc, info)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except ClewError as exc:
            return self._answer(exc, info)
