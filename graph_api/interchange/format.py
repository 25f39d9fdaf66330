"""The interchange format, version 1: five sections, their columns, and how a cell is read.

Everything a reader, writer, the template and the documentation need to know about the
format is data in this module, so the four encodings cannot drift apart. Changing a column's
meaning means a new FORMAT_VERSION; adding an optional column does not.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graph_api import input_rules as check
from graph_api.lineage_rules import MAX_REVIEW_COMMENT
from graph_api.models import LineageSource, ReviewState, SourceType, TableKind, TransformationType

FORMAT_NAME = "clew-interchange"
FORMAT_VERSION = 1

MAX_ID = 128
MAX_LOGIC = 100_000
# Tags in one spreadsheet cell are separated by this; JSON and YAML use lists.
TAG_SEPARATOR = ";"


class Kind(Enum):
    """How a column's cells are read."""

    ID = "id"
    NAME = "name"
    OPTIONAL_NAME = "optional name"
    TEXT = "text"
    ENUM = "one of a list"
    BOOLEAN = "TRUE or FALSE"
    INTEGER = "whole number"
    CONFIDENCE = "number from 0 to 1"
    TAGS = "tags"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    example: Any = None
    required: bool = False
    enum: type[Enum] | None = None
    max_length: int | None = None

    @property
    def allowed(self) -> list[str]:
        return [m.value for m in self.enum] if self.enum else []


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    # Each group needs at least one of its columns in the header (e.g. `table` or `table_id`).
    required_columns: tuple[tuple[str, ...], ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _lineage_columns(level: str) -> tuple[Column, ...]:
    """The columns table and field lineage share, after their endpoint columns."""
    return (
        Column(
            "lineage_source",
            Kind.ENUM,
            "Where the lineage comes from: MANUAL (declared by a person), APPROVED (verified "
            "by a data steward) or INFERRED (suggested by a tool; needs review). Empty: MANUAL "
            "for a new edge, unchanged for an existing one.",
            "MANUAL",
            enum=LineageSource,
        ),
        Column(
            "confidence",
            Kind.CONFIDENCE,
            "How sure the lineage is, from 0 to 1 (80% is read as 0.8). Empty: 0.5 for "
            "INFERRED, 0.9 for MANUAL, 1 for APPROVED; unchanged for an existing edge.",
            0.9,
        ),
        Column(
            "transformation_type",
            Kind.ENUM,
            "How the data is carried over.",
            "ETL",
            enum=TransformationType,
        ),
        Column(
            "transformation_logic",
            Kind.TEXT,
            "SQL or free text saying how the data is derived.",
            "INSERT INTO mart.revenue SELECT ..." if level == "table" else "upper(email)",
            max_length=MAX_LOGIC,
        ),
        Column(
            "description",
            Kind.TEXT,
            "Notes on this lineage.",
            None,
            max_length=check.MAX_DESCRIPTION,
        ),
        Column(
            "review_state",
            Kind.ENUM,
            "APPROVED or REJECTED: a steward's decision, taken by the steward who imports the "
            "file. Empty (or PENDING, NOT_REQUIRED): follows lineage_source (INFERRED is "
            "PENDING, MANUAL needs no review, APPROVED is APPROVED); any other value is ignored "
            "with a warning.",
            None,
            enum=ReviewState,
        ),
        Column(
            "reviewed_by",
            Kind.TEXT,
            "Who reviewed it. Exported for reading; on import Clew records the steward who "
            "decides, and a different value is ignored with a warning.",
            None,
            max_length=check.MAX_NAME,
        ),
        Column(
            "reviewed_at",
            Kind.TIMESTAMP,
            "When it was reviewed. Exported for reading; on import Clew records the time of the "
            "decision.",
            None,
        ),
        Column(
            "review_comment",
            Kind.TEXT,
            "The reviewer's comment; on import, kept only with a decision this row makes "
            f"(review_state APPROVED or REJECTED, by a steward). At most {MAX_REVIEW_COMMENT:,} "
            "characters.",
            None,
            max_length=MAX_REVIEW_COMMENT,
        ),
    )


RECORDED_NOTE = (
    "Exported for reading; on import Clew records it itself and ignores a different value."
)


def _recorded_columns() -> tuple[Column, ...]:
    """Who declared a lineage edge and when: what the server saw, never what a file says."""
    return (
        Column(
            "created_by",
            Kind.TEXT,
            f"Who declared it. {RECORDED_NOTE}",
            None,
            max_length=check.MAX_NAME,
        ),
        *_timestamps("When it was declared.", "When it last changed."),
    )


def _endpoint_columns(role: str, *, with_field: bool) -> tuple[Column, ...]:
    example_table = "orders" if role == "upstream" else "revenue"
    example_schema = "sales" if role == "upstream" else "mart"
    columns: tuple[Column, ...] = (
        Column(
            f"{role}_source",
            Kind.OPTIONAL_NAME,
            f"The source of the {role} table, by name; empty for a manually documented table.",
            "warehouse",
        ),
        Column(
            f"{role}_schema",
            Kind.OPTIONAL_NAME,
            f"The schema of the {role} table; empty when it has none.",
            example_schema,
        ),
        Column(
            f"{role}_table",
            Kind.NAME,
            f"The {role} table's name. Required unless {role}_"
            f"{'field' if with_field else 'table'}_id is given.",
            example_table,
        ),
    )
    if with_field:
        columns += (
            Column(
                f"{role}_field",
                Kind.NAME,
                f"The {role} field's name. Required unless {role}_field_id is given.",
                "customer_email" if role == "upstream" else "email",
            ),
        )
    return columns


def _id_column(what: str) -> Column:
    return Column(
        "id",
        Kind.ID,
        f"The {what}'s id in Clew. Leave empty for a new {what}; kept from an export, "
        "it identifies the row even when names change.",
        None,
        max_length=MAX_ID,
    )


def _timestamps(created: str, changed: str) -> tuple[Column, ...]:
    """When something was created and changed: what the server saw, never what a file says."""
    return (
        Column("created_at", Kind.TIMESTAMP, f"{created} {RECORDED_NOTE}", None),
        Column("updated_at", Kind.TIMESTAMP, f"{changed} {RECORDED_NOTE}", None),
    )


SOURCES = Section(
    "sources",
    "Sources",
    "The databases tables live in. Connection settings and secrets are never part of the "
    "format; add them in Clew after importing.",
    (
        Column(
            "name",
            Kind.NAME,
            "The source's name, unique in the catalog.",
            "warehouse",
            required=True,
        ),
        Column(
            "type", Kind.ENUM, "The kind of database.", "POSTGRESQL", required=True, enum=SourceType
        ),
        Column(
            "description",
            Kind.TEXT,
            "What the source is.",
            "The analytics warehouse",
            max_length=check.MAX_DESCRIPTION,
        ),
        Column("active", Kind.BOOLEAN, "FALSE for a source no longer in use. Empty: TRUE.", True),
        _id_column("source"),
        *_timestamps("When the source was created.", "When the source last changed."),
    ),
    (("name",), ("type",)),
)

TABLES = Section(
    "tables",
    "Tables",
    "Tables, views, collections and other table-like objects. A table is known by its source, "
    "schema and name (or by its id).",
    (
        Column(
            "source",
            Kind.OPTIONAL_NAME,
            "The source's name (from the sources sheet or already in Clew); empty for a "
            "manually documented table.",
            "warehouse",
        ),
        Column("schema", Kind.OPTIONAL_NAME, "The schema; empty when there is none.", "sales"),
        Column("name", Kind.NAME, "The table's name.", "orders", required=True),
        Column("kind", Kind.ENUM, "What the object is. Empty: TABLE.", "TABLE", enum=TableKind),
        Column(
            "description",
            Kind.TEXT,
            "What the table holds.",
            "One row per order",
            max_length=check.MAX_DESCRIPTION,
        ),
        Column(
            "tags",
            Kind.TAGS,
            f"Labels, separated by '{TAG_SEPARATOR}' (e.g. pii{TAG_SEPARATOR} finance).",
            ["finance", "pii"],
        ),
        _id_column("table"),
        Column(
            "source_id",
            Kind.ID,
            "The source's id, instead of (or as well as) its name.",
            None,
            max_length=MAX_ID,
        ),
        *_timestamps("When the table was created.", "When the table last changed."),
    ),
    (("name",),),
)

FIELDS = Section(
    "fields",
    "Fields",
    "The columns of tables. A field is known by its table and name (or by its id).",
    (
        Column(
            "source",
            Kind.OPTIONAL_NAME,
            "The source of the field's table, by name; empty for a manual table.",
            "warehouse",
        ),
        Column("schema", Kind.OPTIONAL_NAME, "The schema of the field's table.", "sales"),
        Column(
            "table",
            Kind.NAME,
            "The name of the field's table (from the tables sheet or already in Clew). "
            "Required unless table_id is given.",
            "orders",
        ),
        Column(
            "name",
            Kind.NAME,
            "The field's name, unique within its table.",
            "customer_email",
            required=True,
        ),
        Column(
            "data_type",
            Kind.TEXT,
            "The database type, as the database spells it.",
            "varchar(255)",
            max_length=check.MAX_DATA_TYPE,
        ),
        Column("nullable", Kind.BOOLEAN, "Whether the field may be empty. Empty: TRUE.", True),
        Column(
            "primary_key",
            Kind.BOOLEAN,
            "Whether the field is (part of) the primary key. Empty: FALSE.",
            False,
        ),
        Column(
            "ordinal_position",
            Kind.INTEGER,
            "The field's position in the table, 1 for the first.",
            3,
        ),
        Column(
            "description",
            Kind.TEXT,
            "What the field holds.",
            "Customer's e-mail address",
            max_length=check.MAX_DESCRIPTION,
        ),
        Column("tags", Kind.TAGS, f"Labels, separated by '{TAG_SEPARATOR}'.", ["pii"]),
        _id_column("field"),
        Column(
            "table_id",
            Kind.ID,
            "The table's id, instead of (or as well as) its names.",
            None,
            max_length=MAX_ID,
        ),
        *_timestamps("When the field was created.", "When the field last changed."),
    ),
    (("name",), ("table", "table_id")),
)

TABLE_LINEAGE = Section(
    "table_lineage",
    "Table lineage",
    "Data flowing from an upstream table to a downstream table.",
    (
        *_endpoint_columns("upstream", with_field=False),
        *_endpoint_columns("downstream", with_field=False),
        *_lineage_columns("table"),
        Column(
            "implied",
            Kind.BOOLEAN,
            "TRUE for an edge Clew keeps because field lineage runs between the tables; "
            "such rows are for information (their id is kept) and follow the field lineage. "
            "Set FALSE to declare the edge yourself. Empty: FALSE.",
            False,
        ),
        _id_column("lineage edge"),
        Column(
            "upstream_table_id",
            Kind.ID,
            "The upstream table's id, instead of its names.",
            None,
            max_length=MAX_ID,
        ),
        Column(
            "downstream_table_id",
            Kind.ID,
            "The downstream table's id, instead of its names.",
            None,
            max_length=MAX_ID,
        ),
        *_recorded_columns(),
    ),
    (("upstream_table", "upstream_table_id"), ("downstream_table", "downstream_table_id")),
)

FIELD_LINEAGE = Section(
    "field_lineage",
    "Field lineage",
    "Data flowing from an upstream field to a downstream field. Clew keeps a table edge between "
    "their tables for as long as field lineage runs between them.",
    (
        *_endpoint_columns("upstream", with_field=True),
        *_endpoint_columns("downstream", with_field=True),
        *_lineage_columns("field"),
        _id_column("lineage edge"),
        Column(
            "upstream_field_id",
            Kind.ID,
            "The upstream field's id, instead of its names.",
            None,
            max_length=MAX_ID,
        ),
        Column(
            "downstream_field_id",
            Kind.ID,
            "The downstream field's id, instead of its names.",
            None,
            max_length=MAX_ID,
        ),
        *_recorded_columns(),
    ),
    (("upstream_field", "upstream_field_id"), ("downstream_field", "downstream_field_id")),
)

SECTIONS: tuple[Section, ...] = (SOURCES, TABLES, FIELDS, TABLE_LINEAGE, FIELD_LINEAGE)
SECTION_BY_NAME = {s.name: s for s in SECTIONS}
# A sheet with this name holds the format's name and version, and the column reference.
ABOUT = "about"


class Encoding(Enum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"
    YAML = "yaml"


SPREADSHEET_ENCODINGS = (Encoding.XLSX, Encoding.CSV)


def normalise_header(text: Any) -> str:
    """'Data Type', 'data-type' and ' DATA_TYPE ' all name the column data_type."""
    value = "" if text is None else str(text)
    return re.sub(r"[\s\-]+", "_", value.strip()).lower()


def section_for(name: str) -> Section | None:
    return SECTION_BY_NAME.get(normalise_header(name))


def suggest(value: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The closest candidate, for 'Did you mean ...?'; a match ignoring case wins."""
    pool = list(dict.fromkeys(c for c in candidates if c))
    if not value or not pool:
        return None
    lowered = value.lower()
    for candidate in pool:
        if candidate.lower() == lowered and candidate != value:
            return candidate
    by_lower: dict[str, str] = {}
    for candidate in pool:
        by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=cutoff)
    return by_lower[close[0]] if close else None
