"""GraphQL over HTTP at /graphql: what a request may be before it is read, and how the
answer is shaped (the GraphQL-over-HTTP spec's media types and status codes).

- A body that is not a file upload may be MAX_REQUEST_BYTES (enforced as it arrives by
  `interchange_http.BodySizeLimit`); without a valid token, MAX_ANONYMOUS_BODY_BYTES, refused
  before it is read, since only `login` and introspection answer anonymous callers.
- `application/graphql-response+json`, when the client asks for it (Accept), is answered in
  it: a request that fails before execution (a document that does not parse or validate,
  variables that do not coerce, a limit) gets 400 (401 without a valid token) and no `data`.
  `application/json` (the default) keeps 200 for every well-formed request, as the spec says.
- A body that cannot be read (not JSON, not UTF-8, a malformed multipart map) gets 400 with
  a GraphQL error carrying a code and the request id, never a bare 500.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from graph_api.logs import request_id_var

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_REQUEST_BYTES = 1024**2
MAX_ANONYMOUS_BODY_BYTES = 16 * 1024


class RequestRefused(Exception):
    """A request answered with an HTTP error before any GraphQL ran."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def negotiate(accept: str | None) -> str:
    """The media type to answer in: the supported type the client prefers (by q, then by
    order); application/json when it names neither (or sends no Accept at all)."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if media not in (GRAPHQL_RESPONSE, JSON):
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, index, media)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else JSON


def error_body(code: str, message: str) -> dict[str, Any]:
    return {
        "errors": [
            {"message": message, "extensions": {"code": code, "requestId": request_id_var.get()}}
        ]
    }


def error_response(refused: RequestRefused, media_type: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
    return Response(
        json.dumps(error_body(refused.code, refused.message)),
        status_code=refused.status,
        media_type=media_type,
        headers=headers,
    )


def request_error_status(errors: Sequence[GraphQLError]) -> int | None:
    """The status for a result that failed before execution (no error has a path), else
    None: field errors during execution keep 200, with whatever data there is."""
    if not errors or any(error.path for error in errors):
        return None
    codes = {(error.extensions or {}).get("code") for error in errors}
    return 401 if codes == {"UNAUTHENTICATED"} else 400


async def read_body(
    request: Request, *, limit: int, may_exceed: Callable[[], Awaitable[bool]]
) -> bytes:
    """The body, refused before it is read when its declared length passes `limit` and the
    caller may not send more (`may_exceed`), or as soon as a body without a length does."""
    declared = request.headers.get("content-length")
    allowed = None
    if declared is not None and declared.isdigit() and int(declared) > limit:
        allowed = await may_exceed()
        if not allowed:
            raise _anonymous_too_large()
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit and allowed is None:
            allowed = await may_exceed()
        if received > limit and not allowed:
            raise _anonymous_too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _anonymous_too_large() -> RequestRefused:
    return RequestRefused(
        401,
        "UNAUTHENTICATED",
        f"Sign in first: without a valid token a request may be {MAX_ANONYMOUS_BODY_BYTES // 1024} "
        "KiB at most, and only the login mutation and introspection are answered. Call login "
        "and send its token as 'Authorization: Bearer <token>'.",
    )


def check_upload_map(files_map: Any, operations: Any, files: dict[str, Any]) -> None:
    """The multipart request spec's `map`: an object from each file's form field to the
    variable paths it fills; each path filled by one file, each file present."""
    if not isinstance(operations, dict):
        raise RequestRefused(
            400,
            "BAD_REQUEST",
            "The multipart field 'operations' must be a JSON object with 'query' and "
            "'variables' (the GraphQL multipart request spec).",
        )
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and all(isinstance(p, str) for p in paths)
        for paths in files_map.values()
    ):
        raise RequestRefused(
            400,
            "BAD_REQUEST",
            "The multipart field 'map' must be a JSON object from each file's form field to a "
            'list of variable paths, for example {"0": ["variables.file"]}.',
        )
    seen: dict[str, str] = {}
    for name, paths in files_map.items():
        if name not in files:
            raise RequestRefused(
                400,
                "BAD_REQUEST",
                f"The multipart 'map' names the file '{name}', but the request has no file "
                "under that form field; send it, or remove it from the map.",
            )
        for path in paths:
            if path in seen:
                raise RequestRefused(
                    400,
                    "BAD_REQUEST",
                    f"The files '{seen[path]}' and '{name}' are both mapped to '{path}'; "
                    "map each variable to one file.",
                )
            seen[path] = name
