"""HTTP downloads: the catalog in the interchange format, and the template workbook.

    GET /export?format=xlsx|csv|json|yaml[&source=NAME_OR_ID][&tags=a,b][&tables=sales.orders]
    GET /export?format=csv&section=tables       one CSV file instead of a zip of all sections
    GET /export/template.xlsx

The export is streamed while the catalog is read a page at a time, so memory stays flat.
`BodySizeLimit` refuses request bodies (uploads) above a size before they are spooled to disk.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


# The import's own cap is 1 GiB of file (graph_api/schema/transfer.py); a multipart body adds a
# little around the file, and a file just over the cap still gets the import's own message.
MAX_BODY_BYTES = 1024**3 + 1024**2


class BodySizeLimit:
    """Refuses a request whose body is larger than `max_bytes` with 413 and a JSON message:
    at once when its Content-Length says so, otherwise (a chunked body) as soon as the bytes
    received pass the limit, without reading the rest. Starlette parses a multipart upload
    (spooling it to disk) before any resolver sees it, so this is the only place where an
    oversized upload can be stopped early."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> bytes:
        size = f"{self.max_bytes / 1024**2:.0f} MiB"
        return json.dumps(
            {
                "error": {
                    "code": "PAYLOAD_TOO_LARGE",
                    "message": f"The request is larger than {size}, more than Clew accepts; "
                    "split the file (for example one file per section) and import the parts.",
                    "field": None,
                }
            }
        ).encode()

    async def _refuse(self, send: Send) -> None:
        body = self._message()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return

        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    # The app sees the client go away and stops reading; the rest of the body
                    # is never received.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise
