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

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_api.auth.roles import Role, forbidden
from graph_api.errors import AuthenticationError, ClewError
from graph_api.graphql_http import MAX_REQUEST_BYTES
from graph_api.interchange.codecs import file_suffix, media_type
from graph_api.interchange.format import Encoding, section_for
from graph_api.interchange.template import template_bytes
from graph_api.logs import request_id_var
from graph_api.services.exports import ExportService

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
    service = ExportService(request.app.state.store)
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


# The import's own cap is 1 GiB of file (graph_api/schema/interchange.py); a multipart body adds a
# little around the file, and a file just over the cap still gets the import's own message.
MAX_BODY_BYTES = 1024**3 + 1024**2


def _is_multipart(scope: Scope) -> bool:
    return Headers(scope=scope).get("content-type", "").lower().startswith("multipart/")


def refusal_body(code: str, message: str) -> bytes:
    """An HTTP-level refusal: `error` for plain HTTP clients (the /export routes answer the
    same way), `errors` for GraphQL clients, both with the request id."""
    request_id = request_id_var.get()
    return json.dumps(
        {
            "error": {"code": code, "message": message, "field": None, "requestId": request_id},
            "errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}],
        }
    ).encode()


async def send_refusal(
    send: Send, status: int, code: str, message: str, *, close: bool = False
) -> None:
    body = refusal_body(code, message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuses a request whose body is larger than it may be with 413 and a JSON message: a
    file upload (multipart) `max_bytes`, anything else `max_request_bytes` (a GraphQL request
    is text; its data belongs in variables or a file). At once when its Content-Length says
    so, otherwise (a chunked body) as soon as the bytes received pass the limit, without
    reading the rest. Starlette parses a multipart upload (spooling it to disk) before any
    resolver sees it, so this is the only place where an oversized upload can be stopped
    early."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = MAX_BODY_BYTES,
        max_request_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_request_bytes = max_request_bytes

    def _message(self, limit: int, upload: bool) -> str:
        size = f"{limit / 1024**2:.0f} MiB" if limit >= 1024**2 else f"{limit:,} bytes"
        if upload:
            return (
                f"The request is larger than {size}, more than Clew accepts; split the file "
                "(for example one file per section) and import the parts."
            )
        return (
            f"The request is larger than {size}, more than Clew accepts for anything but a "
            "file upload; send large data as a file (importCatalog, multipart), not in the "
            "query or its variables."
        )

    async def _refuse(self, send: Send, limit: int, upload: bool) -> None:
        await send_refusal(send, 413, "PAYLOAD_TOO_LARGE", self._message(limit, upload), close=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = _is_multipart(scope)
        limit = self.max_bytes if upload else self.max_request_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, upload)
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
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(send, limit, upload)
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


# The least role that may import a file (importCatalog); the only multipart request Clew takes.
UPLOAD_ROLE = Role.EDITOR


class UploadGuard:
    """Refuses a multipart upload (a file import) before its body is read from a caller
    who is not signed in (401) or whose role may not import (403): Starlette spools an
    upload to disk before any resolver can look at the token, and neither should be able to
    make the server store a file it will refuse."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not _is_multipart(scope):
            await self.app(scope, receive, send)
            return
        identity = scope["app"].state.identity
        try:
            principal = await identity.authenticate(Headers(scope=scope).get("authorization"))
        except AuthenticationError as exc:
            await send_refusal(send, 401, "UNAUTHENTICATED", exc.message)
            return
        if principal is None:
            await send_refusal(
                send,
                401,
                "UNAUTHENTICATED",
                "Sign in before uploading a file: send 'Authorization: Bearer <token>'.",
            )
            return
        if not principal.allows(UPLOAD_ROLE):
            refusal = forbidden(principal, UPLOAD_ROLE, "upload a file to import")
            await send_refusal(send, 403, "FORBIDDEN", refusal.message)
            return
        await self.app(scope, receive, send)
