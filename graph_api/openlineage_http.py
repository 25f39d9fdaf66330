"""POST /api/v1/lineage: OpenLineage events, as Marquez receives them.

- `Authorization: Bearer <Clew API token>` (or a sign-in token) of an EDITOR or above; 401
  without one, 403 for a VIEWER.
- A JSON body, plain or `Content-Encoding: gzip`; the body as sent is capped by
  `BodySizeLimit` (1 MiB, as every request that is not a file upload), the unzipped event at
  MAX_EVENT_BYTES.
- 201 with an empty body for an event taken (a repeat of one taken before included); 400 with
  `{"error": {"code", "message", "field"}}` naming the field for a malformed one.
"""

from __future__ import annotations

import json
import zlib

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from graph_api.auth.roles import Role, forbidden
from graph_api.context import Services
from graph_api.errors import AuthenticationError, ClewError
from graph_api.logs import request_id_var
from graph_api.schema.errors import STORAGE_UNAVAILABLE, outage_behind

MAX_EVENT_BYTES = 8 * 1024**2
RECEIVER_ROLE = Role.EDITOR


def _refuse(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {
            "error": {
                "code": code,
                "message": message,
                "field": field,
                "requestId": request_id_var.get(),
            }
        },
        status_code=status,
        headers=headers,
    )


def _gunzip(data: bytes) -> bytes | None:
    """The unzipped body, or None when it would pass MAX_EVENT_BYTES."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_EVENT_BYTES + 1)
    if len(out) > MAX_EVENT_BYTES or inflater.unconsumed_tail:
        return None
    return out + inflater.flush()


async def receive_lineage(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        principal = await services.identity.authenticate(request.headers.get("authorization"))
    except AuthenticationError as exc:
        return _refuse(401, "UNAUTHENTICATED", exc.message)
    if principal is None:
        return _refuse(
            401,
            "UNAUTHENTICATED",
            "Send 'Authorization: Bearer <token>' with a Clew API token of an EDITOR (create "
            "one with the createApiToken mutation; OpenLineage clients take it as api_key).",
        )
    if not principal.allows(RECEIVER_ROLE):
        return _refuse(
            403, "FORBIDDEN", forbidden(principal, RECEIVER_ROLE, "send lineage").message
        )
    try:
        data = await request.body()
    except ClientDisconnect:
        return Response(status_code=400)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        try:
            unzipped = _gunzip(data)
        except zlib.error:
            return _refuse(400, "VALIDATION", "The body says gzip but is not gzip data.", "body")
        if unzipped is None:
            return _refuse(
                413,
                "PAYLOAD_TOO_LARGE",
                f"The event unzips to more than {MAX_EVENT_BYTES // 1024**2} MiB; send "
                "smaller events (one per request, fewer facets).",
            )
        data = unzipped
    elif encoding not in ("", "identity"):
        return _refuse(
            415, "VALIDATION", f"Content-Encoding '{encoding}' is not taken; send gzip or none."
        )
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _refuse(400, "VALIDATION", f"The body is not JSON: {exc}.", "body")
    try:
        await services.openlineage.receive(body, actor=principal.username)
    except ClewError as exc:
        return _refuse(400, exc.code.value, exc.message, exc.field)
    except Exception as exc:
        if outage_behind(exc) is None:
            raise
        # Idempotent on (run, type, time): the client may simply send the event again.
        return _refuse(503, "UNAVAILABLE", STORAGE_UNAVAILABLE)
    return Response(status_code=201)
