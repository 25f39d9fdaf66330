"""OpenLineage datasets over GraphQL: which ones map to no table, and mapping them.

Events themselves arrive over HTTP (`POST /api/v1/lineage`, graph_api/openlineage_http.py).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.schema.common import (
    ConflictErrorType,
    NotFoundErrorType,
    ValidationErrorType,
    page_size,
)
from graph_api.schema.nodes import TableNode
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors
from graph_api.services.openlineage import DatasetRecord


@strawberry.type(description="A field a dataset's schema facet listed.")
class OpenLineageField:
    name: str
    data_type: str | None
    description: str | None


@strawberry.type(description="A dataset OpenLineage events named, and the Clew table it is.")
class OpenLineageDataset:
    id: strawberry.ID
    namespace: str
    name: str
    table_id: strawberry.ID | None = strawberry.field(
        description="null: it matches no table (or more than one); map it or create one."
    )
    mapped_by: str | None = strawberry.field(
        description="Who mapped it by hand; null when the naming spec matched it."
    )
    jobs: list[str] = strawberry.field(description="The jobs (namespace/name) that named it.")
    fields: list[OpenLineageField]

    @strawberry.field
    async def table(self, info: Info) -> TableNode | None:
        if self.table_id is None:
            return None
        table = await info.context.loaders.table.load(str(self.table_id))
        return TableNode.from_model(table) if table else None

    @classmethod
    def from_model(cls, record: DatasetRecord) -> OpenLineageDataset:
        return cls(
            id=strawberry.ID(record.id),
            namespace=record.namespace,
            name=record.name,
            table_id=strawberry.ID(record.table_id) if record.table_id else None,
            mapped_by=record.mapped_by,
            jobs=record.jobs,
            fields=[
                OpenLineageField(name=f.name, data_type=f.data_type, description=f.description)
                for f in record.fields
            ],
        )


@strawberry.type
class OpenLineageDatasetPage:
    total_count: int
    nodes: list[OpenLineageDataset]


@strawberry.type
class MapOpenLineageDatasetSuccess:
    dataset: OpenLineageDataset


MapOpenLineageDatasetResult = Annotated[
    MapOpenLineageDatasetSuccess | ValidationErrorType | NotFoundErrorType | ConflictErrorType,
    strawberry.union("MapOpenLineageDatasetResult"),
]


@strawberry.type
class OpenLineageQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Datasets OpenLineage events named, most recently seen first; by default "
        "only those that map to no Clew table, for a person to map or create.",
    )
    async def open_lineage_datasets(
        self, info: Info, unmapped: bool = True, first: int | None = None, offset: int = 0
    ) -> OpenLineageDatasetPage:
        size = page_size(first, default=50, maximum=500)
        records, total = await info.context.services.openlineage.datasets(
            unmapped=unmapped, first=size, offset=max(offset, 0)
        )
        return OpenLineageDatasetPage(
            total_count=total, nodes=[OpenLineageDataset.from_model(r) for r in records]
        )


@strawberry.type
class OpenLineageMutation:
    @strawberry.mutation(
        extensions=[
            *requires(Role.EDITOR),
            UserErrors({"dataset.id": "id", "dataset.tableId": "tableId", "table": "id"}),
        ],
        description="Say which Clew table an OpenLineage dataset is (tableId), or create a "
        "table documented by hand for it (create: true, named as the dataset, with the fields "
        "its schema facet listed). The last completed run of every job that named the dataset "
        "is then materialised again, so its lineage appears at once.",
    )
    async def map_open_lineage_dataset(
        self,
        info: Info,
        id: strawberry.ID,
        table_id: strawberry.ID | None = None,
        create: bool = False,
    ) -> MapOpenLineageDatasetResult:
        record = await info.context.services.openlineage.map_dataset(
            str(id),
            str(table_id) if table_id else None,
            actor=info.context.actor,
            create=create,
        )
        return MapOpenLineageDatasetSuccess(dataset=OpenLineageDataset.from_model(record))
