"""HTTP downloads: the catalog in the interchange format, and the template workbook.

    GET /export?format=xlsx|csv|json|yaml[&source=NAME_OR_ID][&tags=a,b][&tables=sales.orders]
    GET /export?format=csv&section=tables       one CSV file instead of a zip of all sections
    GET /export/template.xlsx

The export is streamed while the catalog is read a page at a time, so memory stays flat.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from graph_api.errors import ClewError
from graph_api.services.transfer import TransferService
from graph_api.transfer.format import Encoding, section_for
from graph_api.transfer.template import template_bytes
from graph_api.transfer.writers import file_suffix, media_type

_FORMATS = {
    "xlsx": Encoding.XLSX,
    "excel": Encoding.XLSX,
    "csv": Encoding.CSV,
    "zip": Encoding.CSV,
    "json": Encoding.JSON,
    "yaml": Encoding.YAML,
    "yml": Encoding.YAML,
}


def _error(message: str, field: str | None, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "VALIDATION", "message": message, "field": field}}, status_code=status
    )


def _values(request: Request, *names: str) -> list[str]:
    """Repeated parameters (?tag=a&tag=b) and comma-separated ones (?tags=a,b) alike."""
    found: list[str] = []
    for name in names:
        for raw in request.query_params.getlist(name):
            found.extend(part.strip() for part in raw.split(",") if part.strip())
    return found


async def export_catalog(request: Request) -> Response:
    wanted = request.query_params.get("format", "xlsx").strip().lower()
    encoding = _FORMATS.get(wanted)
    if encoding is None:
        return _error(
            f"'{wanted}' is not an export format; use format=xlsx, csv, json or yaml.", "format"
        )
    section = None
    section_name = request.query_params.get("section")
    if section_name:
        section = section_for(section_name)
        if section is None:
            return _error(
                f"'{section_name}' is not a section; use sources, tables, fields, "
                "table_lineage or field_lineage.",
                "section",
            )
    service = TransferService(request.app.state.store, actor="export")
    try:
        stream = await service.export(
            encoding,
            sources=_values(request, "source", "sources"),
            tags=_values(request, "tag", "tags"),
            tables=_values(request, "table", "tables"),
            section=section,
        )
    except ClewError as exc:
        return _error(exc.message, exc.field)
    single = section is not None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = file_suffix(encoding, single_csv=single)
    name = f"clew-{section.name if section else 'export'}-{stamp}.{suffix}"
    return StreamingResponse(
        stream,
        media_type=media_type(encoding, single_csv=single),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def export_template(request: Request) -> Response:
    return Response(
        template_bytes(),
        media_type=media_type(Encoding.XLSX),
        headers={"Content-Disposition": 'attachment; filename="clew-import-template.xlsx"'},
    )
