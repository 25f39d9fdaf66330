"""OpenTelemetry traces, off unless an OTLP endpoint is configured.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, spans go over
OTLP/HTTP to that collector (the exporter reads the standard OTEL_EXPORTER_OTLP_* variables:
headers, certificate, timeout): one per GraphQL operation and resolver
(graph_api/schema/observability.py), one per Cypher statement named by its registry name,
one per connector call. No span carries a query's text, an argument outside a short list of
identifiers and sizes, a password or a secret. This module keeps its own tracer provider
(never the process-wide one), so tests can hand it an in-memory exporter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import NoOpTracerProvider, SpanKind, Tracer

log = logging.getLogger("graph_api.tracing")

_provider: trace.TracerProvider = NoOpTracerProvider()
_tracer: Tracer = _provider.get_tracer("clew")
_enabled = False


def enabled() -> bool:
    return _enabled


def provider() -> trace.TracerProvider:
    return _provider


def use(new_provider: trace.TracerProvider | None) -> None:
    """Sends spans to `new_provider` from now on; None turns tracing off."""
    global _provider, _tracer, _enabled
    if isinstance(_provider, TracerProvider) and _provider is not new_provider:
        _provider.shutdown()
    _provider = new_provider or NoOpTracerProvider()
    _tracer = _provider.get_tracer("clew")
    _enabled = new_provider is not None


def configure(*, endpoint: str | None, service_name: str) -> None:
    """At start-up: exports over OTLP/HTTP when an endpoint is configured."""
    if endpoint is None:
        use(None)
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    use(provider_for(OTLPSpanExporter(), service_name=service_name))
    log.info("traces exported over OTLP/HTTP", extra={"service_name": service_name})


def provider_for(exporter: SpanExporter, *, service_name: str = "clew") -> TracerProvider:
    traced = TracerProvider(resource=Resource.create({"service.name": service_name}))
    traced.add_span_processor(BatchSpanProcessor(exporter))
    return traced


@contextmanager
def span(name: str, *, kind: SpanKind = SpanKind.INTERNAL, **attributes: str) -> Iterator[None]:
    if not _enabled:
        yield
        return
    with _tracer.start_as_current_span(name, kind=kind, attributes=attributes):
        yield


def statement_span(statement: str) -> AbstractContextManager[None]:
    attributes = {"db.system": "neo4j", "db.operation.name": statement}
    return span(f"cypher {statement}", kind=SpanKind.CLIENT, **attributes)


def shutdown() -> None:
    if isinstance(_provider, TracerProvider):
        _provider.force_flush()
