"""How the MongoDB connector infers a collection's fields from a sample of its documents.

- Nested documents become dotted paths (`address.city`), as MongoDB's own query language
  names them. Documents inside arrays contribute paths the same way (`items.sku`).
- `observed_types` counts, per path, the sampled documents in which the path held a value
  of each BSON type, named as `$type` names them ("string", "int", "object", "array", ...;
  an explicit null is "null"). A document counts once per type, however many array
  elements matched.
- `data_type` is the one non-null type seen; arrays read `array<elem>` (elem the one element
  type, or "mixed"); paths with several non-null types read "mixed" and say which in their
  comment; a path seen only as null reads "null". The counts stay in `observed_types`.
- `is_array` marks a path that held an array in any sampled document.
- A path is nullable unless every sampled document held a non-null value there; `_id` is
  the primary key and never nullable.

The sample prefers `$sample` (random) and falls back to the first documents in natural
order when the server rejects it (FerretDB does not implement `$sample`); a note says which.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_api.connectors.base import ColumnInfo, ObservedType

SAMPLE_SIZE = 1000
MAX_COLUMNS = 2000
# Deeper nesting than this is almost always a recursive structure, not a schema.
MAX_DEPTH = 20


@dataclass
class _PathStats:
    """What the sample showed at one dotted path."""

    types: Counter[str] = field(default_factory=Counter)  # documents per BSON type
    element_types: Counter[str] = field(default_factory=Counter)  # documents per element type
    non_null_docs: int = 0


# Inference from the sample


def collect(documents: Iterable[Mapping[str, Any]]) -> dict[str, _PathStats]:
    stats: dict[str, _PathStats] = {}
    for document in documents:
        # Sets, so a document counts once per type however many array elements matched.
        values: dict[str, set[str]] = {}
        elements: dict[str, set[str]] = {}
        for path, value, is_element in _walk(document, (), 0):
            target = elements if is_element else values
            target.setdefault(path, set()).add(_bson_type(value))
        for path, types in values.items():
            entry = stats.setdefault(path, _PathStats())
            entry.types.update(types)
            entry.element_types.update(elements.get(path, ()))
            if types - {"null"}:
                entry.non_null_docs += 1
    return stats


def _walk(value: Any, prefix: tuple[str, ...], depth: int) -> Iterator[tuple[str, Any, bool]]:
    """(dotted path, value, whether the value is an array element) for every nested value."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            path = (*prefix, str(key))
            yield ".".join(path), child, False
            yield from _walk_child(child, path, depth + 1)


def _walk_child(value: Any, path: tuple[str, ...], depth: int) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(value, Mapping):
        yield from _walk(value, path, depth)
    elif isinstance(value, list):
        for element in value:
            yield ".".join(path), element, True
            if isinstance(element, Mapping):
                yield from _walk(element, path, depth + 1)
            elif isinstance(element, list):
                yield from _walk_child(element, path, depth + 1)


def _bson_type(value: Any) -> str:
    # Names as MongoDB's $type operator spells them.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _bson().Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return _other_types().get(type(value), type(value).__name__)


@functools.cache
def _other_types() -> dict[type, str]:
    bson = _bson()
    return {
        bson.ObjectId: "objectId",
        bson.Decimal128: "decimal",
        bson.Timestamp: "timestamp",
        bson.Regex: "regex",
        bson.Code: "javascript",
        bson.MinKey: "minKey",
        bson.MaxKey: "maxKey",
        bson.DBRef: "dbPointer",
        bytes: "binData",
        bson.Binary: "binData",
        uuid.UUID: "binData",
        datetime.datetime: "date",
    }


def columns(stats: Mapping[str, _PathStats], sampled: int) -> tuple[list[ColumnInfo], bool]:
    # `_id` first, then paths in name order with parents before their children.
    order = sorted(stats, key=lambda p: (p != "_id", tuple(p.split("."))))
    truncated = len(order) > MAX_COLUMNS
    columns = [
        _column(path, stats[path], sampled, position)
        for position, path in enumerate(order[:MAX_COLUMNS], start=1)
    ]
    return columns, truncated


def _column(path: str, entry: _PathStats, sampled: int, position: int) -> ColumnInfo:
    is_id = path == "_id"
    data_type, comment = _data_type(entry, sampled)
    return ColumnInfo(
        name=path,
        data_type=data_type,
        nullable=not is_id and entry.non_null_docs < sampled,
        primary_key=is_id,
        ordinal_position=position,
        comment=comment,
        is_array="array" in entry.types,
        observed_types=[
            ObservedType(type=name, count=count)
            for name, count in sorted(entry.types.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


def _data_type(entry: _PathStats, sampled: int) -> tuple[str, str | None]:
    non_null = [name for name in entry.types if name != "null"]
    if not non_null:
        return "null", None
    if len(non_null) == 1:
        (only,) = non_null
        if only == "array":
            return f"array<{_element_type(entry)}>", None
        return only, None
    seen = ", ".join(
        f"{name} in {count}" for name, count in sorted(entry.types.items(), key=lambda i: -i[1])
    )
    return "mixed", f"Types vary: {seen} of {sampled} sampled documents."


def _element_type(entry: _PathStats) -> str:
    elements = [name for name in entry.element_types if name != "null"]
    if not elements:
        return "null" if entry.element_types else "unknown"
    return elements[0] if len(elements) == 1 else "mixed"


def sample_note(sampled: int, count: int | None, used_sample: bool, rejection: str | None) -> str:
    of = f" of ~{count}" if count is not None else ""
    noun = "document" if sampled == 1 else "documents"
    if used_sample:
        return f"Fields inferred from {sampled}{of} {noun} drawn at random with $sample."
    why = f" ({rejection})" if rejection else ""
    return (
        f"Fields inferred from the first {sampled}{of} {noun} in natural order "
        f"(find with limit {SAMPLE_SIZE}): the server rejected $sample{why}."
    )


def describe_index(spec: Mapping[str, Any]) -> str:
    keys = []
    for key, direction in dict(spec.get("key") or {}).items():
        if direction in (1, 1.0):
            keys.append(str(key))
        elif direction in (-1, -1.0):
            keys.append(f"{key} desc")
        else:
            keys.append(f"{key} {direction}")  # text, 2dsphere, hashed, ...
    flags = [flag for flag in ("unique", "sparse") if spec.get(flag)]
    if spec.get("partialFilterExpression"):
        flags.append("partial")
    if spec.get("expireAfterSeconds") is not None:
        flags.append(f"ttl {spec['expireAfterSeconds']}s")
    suffix = f" {' '.join(flags)}" if flags else ""
    return f"{spec.get('name')} ({', '.join(keys)}){suffix}"


def _bson() -> Any:
    import bson

    return bson
