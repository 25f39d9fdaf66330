"""Imports of files in the interchange format: jobs (jobs.py), the import itself (importer.py),
and uploads spooled to disk for it (uploads.py)."""

from graph_api.services.imports.importer import ImportService
from graph_api.services.imports.jobs import (
    ImportJob,
    ImportMode,
    ImportOptions,
    JobStatus,
    Phase,
    Progress,
    check_capacity,
    job_topic,
    stop_running_imports,
)

__all__ = [
    "ImportJob",
    "ImportMode",
    "ImportOptions",
    "ImportService",
    "JobStatus",
    "Phase",
    "Progress",
    "check_capacity",
    "job_topic",
    "stop_running_imports",
]
