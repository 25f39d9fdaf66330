"""Every domain enum the schema shows, registered once.

``strawberry.enum`` registers the GraphQL enum on the domain class itself, so the schema's
annotations use the domain enums directly; importing them from here says they are GraphQL
enums too. The import job's enums keep the GraphQL names they were published under
(`ImportJobStatus`, `TransferFormat`, ...), with aliases by those names for the schema modules.
"""

from __future__ import annotations

import strawberry

from graph_api import errors, models
from graph_api.auth.roles import Role
from graph_api.connectors import base as connectors
from graph_api.interchange import format as fmt
from graph_api.interchange import report as rpt
from graph_api.services import imports, lineage, lineage_views
from graph_api.services.scans import jobs as scans
from graph_api.sql_lineage import model as sql

strawberry.enum(
    Role,
    description="What a user may do. Each role may do everything the ones before it may: "
    "VIEWER reads; EDITOR changes tables, fields, lineage and imports; STEWARD also approves "
    "and rejects lineage; ADMIN also manages sources' connection settings, users and keys.",
)

strawberry.enum(errors.ErrorCode, description="What kind of problem a user error is.")
strawberry.enum(models.TableKind, description="What a table-like object is.")
strawberry.enum(models.SourceType, description="The kind of database a source is.")
strawberry.enum(
    connectors.FailureReason, description="Why a connection test or introspection failed."
)
strawberry.enum(
    models.LineageSource,
    description="Where an edge came from: INFERRED by a tool, declared MANUAL by a person, or "
    "APPROVED by a steward.",
)
strawberry.enum(models.ReviewState, description="Where an edge is in review.")
strawberry.enum(models.TransformationType, description="How the downstream data is derived.")
strawberry.enum(models.LineageLevel, description="Table- or field-level lineage.")
strawberry.enum(models.Direction)
strawberry.enum(
    models.OriginKind,
    description="What asserts lineage: a PERSON through the API, an IMPORT file, a VIEW's "
    "definition, a SQL text, a DBT project, an OPENLINEAGE job.",
)
strawberry.enum(
    sql.Dialect,
    name="SqlDialect",
    description="The SQL dialect a text is written in; GENERIC for ANSI-like SQL.",
)
strawberry.enum(sql.NameKind, name="SqlNameKind", description="A table or a column name.")
strawberry.enum(lineage.Outcome, description="What happened to one submitted edge.")
strawberry.enum(lineage_views.ChangeType)
strawberry.enum(
    lineage_views.Severity,
    description="BREAKING: will fail. REVIEW: may be affected, depending on the transformation.",
)
strawberry.enum(
    lineage.OnDuplicate, description="What to do when an edge already connects the two nodes."
)

ErrorCode = errors.ErrorCode
TableKind = models.TableKind
SourceType = models.SourceType
FailureReason = connectors.FailureReason
LineageSource = models.LineageSource
ReviewState = models.ReviewState
TransformationType = models.TransformationType
LineageLevel = models.LineageLevel
Direction = models.Direction
OriginKind = models.OriginKind
Outcome = lineage.Outcome
SqlDialect = sql.Dialect
SqlNameKind = sql.NameKind
ChangeType = lineage_views.ChangeType
Severity = lineage_views.Severity
OnDuplicate = lineage.OnDuplicate

# The import job's.
strawberry.enum(
    fmt.Encoding,
    name="TransferFormat",
    description="An encoding of the interchange format (docs/interchange-format.md).",
)
TransferFormat = fmt.Encoding
strawberry.enum(
    imports.ImportMode,
    description="ALL_OR_NOTHING: any error and nothing is written. SKIP_INVALID: valid rows "
    "are written, invalid rows are reported and skipped.",
)
ImportMode = imports.ImportMode
strawberry.enum(imports.JobStatus, name="ImportJobStatus")
ImportJobStatus = imports.JobStatus
strawberry.enum(imports.Phase, name="ImportPhase")
ImportPhase = imports.Phase
strawberry.enum(rpt.Outcome, name="ImportOutcome")
ImportOutcome = rpt.Outcome
strawberry.enum(rpt.Severity, name="ImportProblemSeverity")
ImportProblemSeverity = rpt.Severity
strawberry.enum(rpt.Stage, name="ImportProblemStage")
ImportProblemStage = rpt.Stage
strawberry.enum(rpt.ProblemCode, name="ImportProblemCode")
ImportProblemCode = rpt.ProblemCode

# Scans share the job model (and so the ImportJobStatus enum) with imports.
strawberry.enum(scans.Phase, name="ScanPhase", description="Where a scan is.")
ScanPhase = scans.Phase
strawberry.enum(scans.ScanFailure, description="Why a scan did not run to its end.")
ScanFailure = scans.ScanFailure
strawberry.enum(scans.Trigger, name="ScanTrigger", description="Who started a scan.")
ScanTrigger = scans.Trigger
