"""How the Elasticsearch connector reads an index's mapping as columns.

Mappings are flattened into dotted paths:

- `object` fields list their sub-fields (`dimensions.width_cm`); the object itself is a
  column of type "object".
- `nested` fields read "nested" and are arrays of objects (`is_array=True`). Other fields
  are not marked as arrays: any Elasticsearch field may hold one value or several, and the
  mapping cannot tell.
- Multi-fields (`fields`) are columns of their own (`name.keyword`, type "keyword"), with a
  comment naming the field they index differently. Runtime fields are listed too.
- Type parameters a user needs to read the data stay in the type: `date(format=yyyy-MM-dd)`,
  `dense_vector(dims=3, similarity=cosine)`, `scaled_float(scaling_factor=100)`.
- Every column is nullable: a mapping declares no required field.
- A closed index keeps its mapping, which is read as for an open one; it has no count, and a
  note says it is closed.
- No primary key: every document's `_id` is its key, but it is metadata outside the
  mapping, so a note says so instead of a made-up column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_api.connectors.base import ColumnInfo

MAX_COLUMNS = 5000  # Elasticsearch's own default field limit is 1000 per index
MAX_DEPTH = 20  # index.mapping.depth.limit defaults to 20


@dataclass
class _Field:
    """One dotted path across the indices behind the name introspected."""

    types: dict[str, list[str]] = field(default_factory=dict)  # mapping type -> indices
    comment: str | None = None
    is_array: bool = False


# Mappings


def merge(mappings: Mapping[str, Mapping[str, Any]]) -> dict[str, _Field]:
    merged: dict[str, _Field] = {}
    for index in sorted(mappings):
        mapping = mappings[index]
        flattened = [
            *_flatten(mapping.get("properties") or {}, ()),
            *_runtime_fields(mapping.get("runtime") or {}),
        ]
        for path, type_name, comment, is_array in flattened:
            entry = merged.setdefault(path, _Field(comment=comment, is_array=is_array))
            entry.types.setdefault(type_name, []).append(index)
            entry.is_array = entry.is_array or is_array
    # Name order with parents before children, whichever index a path came from.
    return {path: merged[path] for path in sorted(merged, key=lambda p: tuple(p.split(".")))}


def _flatten(
    properties: Mapping[str, Any], prefix: tuple[str, ...]
) -> Iterator[tuple[str, str, str | None, bool]]:
    """(path, type, comment, is_array) for every property, parents before children."""
    if len(prefix) > MAX_DEPTH:
        return
    for name in sorted(properties):
        spec = properties[name] or {}
        path = (*prefix, name)
        dotted = ".".join(path)
        # Objects omit "type": having properties is what makes them objects.
        type_name = _type_name(spec)
        yield dotted, type_name, _comment(spec), type_name == "nested"
        if "properties" in spec:
            yield from _flatten(spec["properties"] or {}, path)
        for sub_name in sorted(spec.get("fields") or {}):
            sub = spec["fields"][sub_name] or {}
            yield (
                f"{dotted}.{sub_name}",
                _type_name(sub),
                f"Multi-field of {dotted}: the same value, indexed as {sub.get('type')}.",
                False,
            )


# Mapping parameters that say how to read a value, kept with its type.
_TYPE_PARAMETERS = ("format", "dims", "element_type", "similarity", "scaling_factor")


def _type_name(spec: Mapping[str, Any]) -> str:
    """'keyword', 'date(format=yyyy-MM-dd)', 'dense_vector(dims=3, similarity=cosine)'."""
    name = str(spec.get("type") or "object")
    parameters = [
        f"{key}={_parameter(spec[key])}" for key in _TYPE_PARAMETERS if spec.get(key) is not None
    ]
    return f"{name}({', '.join(parameters)})" if parameters else name


def _parameter(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _runtime_fields(runtime: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    for name in sorted(runtime):
        spec = runtime[name] or {}
        yield (
            name,
            _type_name({"type": "keyword", **spec}),
            "Runtime field: computed at query time.",
            False,
        )


def _comment(spec: Mapping[str, Any]) -> str | None:
    if spec.get("type") == "alias":
        return f"Field alias of {spec.get('path')}."
    if spec.get("index") is False:
        return "Not indexed: stored in _source but not searchable."
    if spec.get("enabled") is False:
        return "Disabled object: kept in _source, not parsed or indexed."
    return None


def column(path: str, entry: _Field, position: int) -> ColumnInfo:
    return ColumnInfo(
        name=path,
        data_type="|".join(sorted(entry.types)),
        nullable=True,
        primary_key=False,
        ordinal_position=position,
        comment=entry.comment,
        is_array=entry.is_array,
    )


def conflict_notes(fields: Mapping[str, _Field]) -> list[str]:
    notes = []
    for path, entry in fields.items():
        if len(entry.types) > 1:
            how = "; ".join(
                f"{type_name} in {', '.join(indices)}"
                for type_name, indices in sorted(entry.types.items())
            )
            notes.append(f"Field {path} is mapped differently across indices: {how}.")
    return notes


def description(mappings: Mapping[str, Mapping[str, Any]]) -> str | None:
    for index in sorted(mappings):
        meta = mappings[index].get("_meta") or {}
        if isinstance(meta, Mapping) and meta.get("description"):
            return str(meta["description"])
    return None
