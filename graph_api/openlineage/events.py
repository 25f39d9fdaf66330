"""RunEvent, DatasetEvent and JobEvent: validated, and the events of one run merged.

Required, as Marquez requires them: `eventTime` (ISO 8601 with a time zone), `producer`, and
for a RunEvent `run.runId` (a UUID), `job.namespace` and `job.name`; a JobEvent needs `job`, a
DatasetEvent `dataset`. Every dataset needs `namespace` and `name`. The kind of event comes
from the end of `schemaURL` (`.../RunEvent`, `/DatasetEvent`, `/JobEvent`; anything else is a
RunEvent, as in Marquez). A malformed event raises ValidationError naming the field in the
event's own terms (`run.runId`, `outputs[0].name`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from graph_api.errors import ValidationError


class EventKind(Enum):
    RUN = "RunEvent"
    DATASET = "DatasetEvent"
    JOB = "JobEvent"


EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
MAX_DATASETS = 1000


@dataclass(frozen=True, kw_only=True)
class Dataset:
    namespace: str
    name: str
    facets: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: EventKind
    event_time: datetime
    event_type: str | None
    run_id: str | None
    job_namespace: str | None
    job_name: str | None
    job_facets: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[Dataset, ...] = ()
    outputs: tuple[Dataset, ...] = ()
    dataset: Dataset | None = None

    @property
    def job_key(self) -> str | None:
        if self.job_namespace is None or self.job_name is None:
            return None
        return f"{self.job_namespace}/{self.job_name}"

    @property
    def idempotency_key(self) -> str:
        """Events are the same event when run, type and time are (Marquez's rule); a
        DatasetEvent or JobEvent is keyed by what it is about instead of a run."""
        subject = self.run_id or self.job_key or (self.dataset.key if self.dataset else "")
        return "|".join(
            [self.kind.value, subject, self.event_type or "", self.event_time.isoformat()]
        )


def _fail(message: str, path: str) -> ValidationError:
    return ValidationError(f"{message} (at '{path}').", field=path)


def _object(value: Any, path: str, *, required: bool = True) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        got = "missing" if value is None else f"a JSON {type(value).__name__}"
        raise _fail(f"'{path}' must be an object, got {got}", path)
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        got = "missing" if value is None else repr(value)[:80]
        raise _fail(f"'{path}' must be a non-empty string, got {got}", path)
    return value


def _time(value: Any, path: str) -> datetime:
    text = _string(value, path)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(
            f"'{path}' must be an ISO 8601 date and time such as 2026-12-02T03:04:05.000Z, "
            f"got {text[:60]!r}",
            path,
        ) from None
    if parsed.tzinfo is None:
        raise _fail(f"'{path}' needs a time zone (Z or +hh:mm), got {text[:60]!r}", path)
    return parsed


def _datasets(value: Any, path: str) -> tuple[Dataset, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(f"'{path}' must be a list of datasets", path)
    if len(value) > MAX_DATASETS:
        raise _fail(f"'{path}' lists {len(value)} datasets; at most {MAX_DATASETS}", path)
    return tuple(_dataset(item, f"{path}[{index}]") for index, item in enumerate(value))


def _dataset(value: Any, path: str) -> Dataset:
    raw = _object(value, path)
    facets = _object(raw.get("facets"), f"{path}.facets", required=False)
    # Input and output facets are facets of the same dataset, seen from this run.
    for extra in ("inputFacets", "outputFacets"):
        facets = {**_object(raw.get(extra), f"{path}.{extra}", required=False), **facets}
    return Dataset(
        namespace=_string(raw.get("namespace"), f"{path}.namespace"),
        name=_string(raw.get("name"), f"{path}.name"),
        facets=facets,
    )


def kind_of(raw: Mapping[str, Any]) -> EventKind:
    url = raw.get("schemaURL")
    if isinstance(url, str):
        end = url.split("#", 1)[-1].rstrip("/").rsplit("/", 1)[-1]
        for kind in EventKind:
            if end == kind.value:
                return kind
    return EventKind.RUN


def parse_event(value: Any) -> Event:
    raw = _object(value, "event")
    kind = kind_of(raw)
    event_time = _time(raw.get("eventTime"), "eventTime")
    _string(raw.get("producer"), "producer")
    if kind is EventKind.DATASET:
        return Event(
            kind=kind,
            event_time=event_time,
            event_type=None,
            run_id=None,
            job_namespace=None,
            job_name=None,
            dataset=_dataset(raw.get("dataset"), "dataset"),
        )
    job = _object(raw.get("job"), "job")
    event_type = None
    run_id = None
    if kind is EventKind.RUN:
        run = _object(raw.get("run"), "run")
        run_text = _string(run.get("runId"), "run.runId")
        try:
            run_id = str(uuid.UUID(run_text))
        except ValueError:
            raise _fail(f"'run.runId' must be a UUID, got {run_text[:60]!r}", "run.runId") from None
        given = raw.get("eventType")
        if given is not None:
            if not isinstance(given, str) or given.upper() not in EVENT_TYPES:
                raise _fail(
                    f"'eventType' must be one of {', '.join(EVENT_TYPES)}, got {given!r}",
                    "eventType",
                )
            event_type = given.upper()
    return Event(
        kind=kind,
        event_time=event_time,
        event_type=event_type,
        run_id=run_id,
        job_namespace=_string(job.get("namespace"), "job.namespace"),
        job_name=_string(job.get("name"), "job.name"),
        job_facets=_object(job.get("facets"), "job.facets", required=False),
        inputs=_datasets(raw.get("inputs"), "inputs"),
        outputs=_datasets(raw.get("outputs"), "outputs"),
    )


def _merge_datasets(groups: list[tuple[Dataset, ...]]) -> tuple[Dataset, ...]:
    merged: dict[str, Dataset] = {}
    for group in groups:
        for dataset in group:
            known = merged.get(dataset.key)
            facets = {**known.facets, **dataset.facets} if known else dataset.facets
            merged[dataset.key] = Dataset(
                namespace=dataset.namespace, name=dataset.name, facets=facets
            )
    return tuple(merged.values())


def merge_run(events: list[Event]) -> Event:
    """The events of one run as one: datasets united (a later event's facets win), job facets
    merged, the latest time; COMPLETE once any event says so."""
    ordered = sorted(events, key=lambda e: e.event_time)
    last = ordered[-1]
    types = {e.event_type for e in ordered}
    final = next(
        (t for t in ("COMPLETE", "FAIL", "ABORT") if t in types), last.event_type or "OTHER"
    )
    job_facets: dict[str, Any] = {}
    for event in ordered:
        job_facets.update(event.job_facets)
    return Event(
        kind=EventKind.RUN,
        event_time=last.event_time,
        event_type=final,
        run_id=last.run_id,
        job_namespace=last.job_namespace,
        job_name=last.job_name,
        job_facets=job_facets,
        inputs=_merge_datasets([e.inputs for e in ordered]),
        outputs=_merge_datasets([e.outputs for e in ordered]),
    )
