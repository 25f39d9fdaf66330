"""What each GraphQL operation adds to /metrics and, when tracing is on, to a trace.

Neither keeps the query's text or a value a caller sent: an operation is known by its type
and its name (graph_api/metrics.py keeps names bounded), a resolver's span by its field and
path, and only arguments named in TRACED_ARGUMENTS (identifiers and sizes) reach a span, so
`login(password:)`, a connection's password and any other secret never do.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry.trace import SpanKind
from strawberry.extensions import LifecycleStep, SchemaExtension
from strawberry.extensions.tracing.opentelemetry import OpenTelemetryExtension
from strawberry.types.execution import ExecutionContext

from graph_api import metrics, tracing

# The only resolver arguments a span records.
TRACED_ARGUMENTS = frozenset(
    {"id", "sourceId", "tableId", "fieldId", "first", "after", "depth", "maxNodes", "direction"}
)


def _operation(context: ExecutionContext) -> tuple[str, str]:
    try:
        kind = context.operation_type.value
    except (RuntimeError, AttributeError, KeyError, TypeError):
        kind = "unknown"  # a document that did not parse, or named no operation it holds
    return kind, metrics.operation_label(context.operation_name)


def _outcome(context: ExecutionContext) -> str:
    errors = list(getattr(context.result, "errors", None) or []) or list(
        context.pre_execution_errors or []
    )
    if not errors:
        return "ok"
    return metrics.outcome_label((errors[0].extensions or {}).get("code"))


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Generator[None, None, None]:
        started = time.perf_counter()
        yield
        kind, name = _operation(self.execution_context)
        metrics.graphql_requests.labels(kind, name, _outcome(self.execution_context)).inc()
        metrics.graphql_latency.labels(kind, name).observe(time.perf_counter() - started)


def _safe_arguments(args: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in TRACED_ARGUMENTS and not isinstance(v, dict)}


class OperationTracing(OpenTelemetryExtension):
    """Strawberry's OpenTelemetry extension, without the query text on the operation's span
    (inline literals such as a password would be in it) and with only safe arguments."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        super().__init__(
            execution_context=execution_context,
            arg_filter=_safe_arguments,
            tracer_provider=tracing.provider(),
        )

    def on_operation(self) -> Generator[None, None, None]:
        span = self._tracer.start_span("graphql", kind=SpanKind.SERVER)
        self._span_holder[LifecycleStep.OPERATION] = span
        span.set_attribute("component", "graphql")
        yield
        kind, name = _operation(self.execution_context)
        span.update_name(f"graphql {kind} {name}")
        span.set_attribute("graphql.operation.type", kind)
        span.set_attribute("graphql.operation.name", name)
        span.set_attribute("clew.outcome", _outcome(self.execution_context))
        span.end()


def operation_extensions() -> list[SchemaExtension]:
    extensions: list[SchemaExtension] = [OperationMetrics()]
    if tracing.enabled():
        extensions.append(OperationTracing())
    return extensions
