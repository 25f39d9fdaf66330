"""What Clew reads from facets: `schema` (fields), `columnLineage` (field edges), `sql` (the
query, kept as evidence). Any other facet is accepted and ignored; a facet of a shape Clew
does not expect is skipped, never an error (producers differ).

How `columnLineage` transformations become Clew's transformation types:

| OpenLineage type / subtype | Clew |
|---|---|
| DIRECT / IDENTITY | COPY |
| DIRECT / TRANSFORMATION | ETL |
| DIRECT / AGGREGATION | AGGREGATION |
| DIRECT (no subtype) | DIRECT |
| INDIRECT / JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL | the Clew type of that name |
| INDIRECT / another subtype, or another type | CUSTOM, logic `<type>/<subtype>` |
| none given (the facet's older `transformationType`) | IDENTITY: COPY; anything else: ETL |

When an input field reaches an output field in several ways, the first DIRECT one decides
(it carries values), otherwise the first INDIRECT one; all of them are kept in the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_api.models import TransformationType

_DIRECT = {
    "IDENTITY": TransformationType.COPY,
    "TRANSFORMATION": TransformationType.ETL,
    "AGGREGATION": TransformationType.AGGREGATION,
}
_INDIRECT = {
    "JOIN": TransformationType.JOIN,
    "FILTER": TransformationType.FILTER,
    "GROUP_BY": TransformationType.GROUP_BY,
    "SORT": TransformationType.SORT,
    "WINDOW": TransformationType.WINDOW,
    "CONDITIONAL": TransformationType.CONDITIONAL,
}


@dataclass(frozen=True, kw_only=True)
class SchemaField:
    name: str
    data_type: str | None
    description: str | None


@dataclass(frozen=True, kw_only=True)
class FieldFlow:
    """One input field feeding one output field, as a columnLineage facet says."""

    output_field: str
    namespace: str
    name: str
    input_field: str
    transformation: TransformationType
    logic: str | None
    transformations: str  # every transformation given, for the evidence


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def schema_fields(facets: Mapping[str, Any]) -> list[SchemaField]:
    facet = facets.get("schema")
    fields = facet.get("fields") if isinstance(facet, dict) else None
    if not isinstance(fields, list):
        return []
    found: dict[str, SchemaField] = {}
    for raw in fields:
        if not isinstance(raw, dict) or _text(raw.get("name")) is None:
            continue
        name = str(raw["name"])
        found.setdefault(
            name.lower(),
            SchemaField(
                name=name,
                data_type=_text(raw.get("type")),
                description=_text(raw.get("description")),
            ),
        )
    return list(found.values())


def transformation(kind: str | None, subtype: str | None) -> tuple[TransformationType, str | None]:
    kind, subtype = (kind or "").upper(), (subtype or "").upper()
    if kind == "DIRECT":
        if not subtype:
            return TransformationType.DIRECT, None
        return _DIRECT.get(subtype, TransformationType.ETL), None
    if kind == "INDIRECT" and subtype in _INDIRECT:
        return _INDIRECT[subtype], None
    return TransformationType.CUSTOM, f"{kind or 'UNKNOWN'}/{subtype or '-'}"


def _pick(raw: Mapping[str, Any], legacy: str | None) -> tuple[TransformationType, str | None, str]:
    given = [t for t in raw.get("transformations") or [] if isinstance(t, dict)]
    if not given:
        mapped = TransformationType.COPY if (legacy or "").upper() == "IDENTITY" else None
        return mapped or TransformationType.ETL, None, legacy or "unspecified"
    ordered = sorted(given, key=lambda t: str(t.get("type", "")).upper() != "DIRECT")
    first = ordered[0]
    mapped, logic = transformation(_text(first.get("type")), _text(first.get("subtype")))
    description = _text(first.get("description"))
    summary = ", ".join(
        f"{t.get('type', '?')}/{t.get('subtype') or '-'}"
        + (" (masking)" if t.get("masking") else "")
        for t in given
    )
    return mapped, description or logic, summary


def field_flows(facets: Mapping[str, Any]) -> list[FieldFlow]:
    facet = facets.get("columnLineage")
    fields = facet.get("fields") if isinstance(facet, dict) else None
    if not isinstance(fields, dict):
        return []
    flows: list[FieldFlow] = []
    for output_field, spec in fields.items():
        if not isinstance(spec, dict) or _text(output_field) is None:
            continue
        legacy = _text(spec.get("transformationType"))
        for raw in spec.get("inputFields") or []:
            if not isinstance(raw, dict):
                continue
            namespace, name, field = (_text(raw.get(k)) for k in ("namespace", "name", "field"))
            if namespace is None or name is None or field is None:
                continue
            mapped, logic, summary = _pick(raw, legacy)
            flows.append(
                FieldFlow(
                    output_field=output_field,
                    namespace=namespace,
                    name=name,
                    input_field=field,
                    transformation=mapped,
                    logic=logic or _text(spec.get("transformationDescription")),
                    transformations=summary,
                )
            )
    return flows


def sql_query(job_facets: Mapping[str, Any]) -> str | None:
    facet = job_facets.get("sql")
    return _text(facet.get("query")) if isinstance(facet, dict) else None
