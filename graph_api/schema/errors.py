"""How errors leave the service: expected ones carry a code, everything else is masked.

An error caused by the caller (a ``ClewError`` raised in a query, or invalid GraphQL) keeps
its message and gets ``extensions.code``. Anything else is a bug or an outage: the client
sees a generic message and the request id, and the log gets the whole story.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graph_api.errors import ClewError
from graph_api.logs import request_id_var

log = logging.getLogger("graph_api.errors")


def _shape(error: GraphQLError) -> GraphQLError:
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
            extensions={"code": original.code.value, "field": original.field},
        )
    request_id = request_id_var.get()
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
        _shape_result(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each subscription frame passes here before it is sent; on_operation would be too late.
        _shape_result(result)
        yield


def _shape_result(result: Any) -> None:
    errors = getattr(result, "errors", None)
    if result is not None and errors:
        # Shaping twice is harmless: a shaped error has no original error left.
        result.errors = [_shape(e) for e in errors]
