"""How errors leave the service: expected ones carry a code, everything else is masked.

An error caused by the caller (a ``ClewError`` raised in a query, or invalid GraphQL) keeps
its message and gets ``extensions.code``. Neo4j being unreachable is an outage, not a bug: the
client gets ``STORAGE_UNAVAILABLE`` and is told to retry. Anything else is a bug: the client
sees a generic message and the request id, and the log gets the whole story.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from neo4j.exceptions import (
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph_api.errors import ClewError
from graph_api.logs import request_id_var

log = logging.getLogger("graph_api.errors")

# The driver has already retried these (managed transactions and execute_query do) by the
# time they reach a resolver, so the database is down or unreachable, not merely busy.
_OUTAGES = (
    ServiceUnavailable,
    SessionExpired,
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
)
STORAGE_UNAVAILABLE = (
    "The catalog's database is unavailable right now; nothing was changed by this request. "
    "Retry in a few seconds."
)
# A write cut off by the outage may have been committed just before the connection died
# (Neo4j can commit and go away before the reply arrives), so a mutation cannot promise that
# nothing changed.
CHANGE_UNCONFIRMED = (
    "The catalog's database is unavailable right now, so this change could not be confirmed. "
    "Retry in a few seconds; if the database went away while saving, the change may already "
    "be there, so check first."
)


def outage_behind(error: BaseException) -> BaseException | None:
    """The driver error behind ``error`` when the failure is Neo4j being unreachable."""
    seen: BaseException | None = error
    for _ in range(5):  # services may re-raise with ``from``; never follow a cycle for long
        if seen is None:
            return None
        if isinstance(seen, _OUTAGES):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _causes(exc: BaseException, limit: int = 8) -> list[str]:
    found: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack and len(found) < limit:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current is not exc:
            found.append(f"{type(current).__name__}: {current}")
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return found


def _shape(error: GraphQLError, *, mutation: bool = False) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # Syntax and validation errors: about the caller's document, safe to show.
        return error
    if isinstance(original, ClewError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": original.code.value, "field": original.field, **original.details},
        )
    request_id = request_id_var.get()
    outage = outage_behind(original)
    if outage is not None:
        log.warning(
            "Neo4j unavailable while resolving %s: %s: %s",
            ".".join(str(p) for p in error.path or []) or "the operation",
            type(outage).__name__,
            outage,
            # The driver tucks the reason (a refused connection, an untrusted certificate)
            # into chained exceptions and exception groups; operators need it.
            extra={"causes": _causes(outage)},
        )
        return GraphQLError(
            CHANGE_UNCONFIRMED if mutation else STORAGE_UNAVAILABLE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "STORAGE_UNAVAILABLE", "requestId": request_id},
        )
    log.error(
        "unexpected error while resolving %s",
        ".".join(str(p) for p in error.path or []) or "the operation",
        exc_info=(type(original), original, original.__traceback__),
    )
    return GraphQLError(
        "Something went wrong on our side. It has been logged; if it persists, report it "
        f"with request id {request_id}.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL", "requestId": request_id},
    )


class ShapeErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        _shape_result(self.execution_context.result, mutation=self._is_mutation())

    def _is_mutation(self) -> bool:
        if self.execution_context.graphql_document is None:
            return False  # the document did not parse: nothing ran
        try:
            return self.execution_context.operation_type is OperationType.MUTATION
        except RuntimeError:  # no operation of the requested name: nothing ran either
            return False

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each subscription frame passes here before it is sent; on_operation would be too late.
        _shape_result(result)
        yield


def _shape_result(result: Any, *, mutation: bool = False) -> None:
    errors = getattr(result, "errors", None)
    if result is not None and errors:
        # Shaping twice is harmless: a shaped error has no original error left.
        result.errors = [_shape(e, mutation=mutation) for e in errors]
