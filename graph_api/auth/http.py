"""Signing in plain HTTP routes (downloads) with the same bearer tokens as GraphQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_api.auth.roles import Role, forbidden
from graph_api.errors import AuthenticationError

Endpoint = Callable[[Request], Awaitable[Response]]


def _refuse(code: str, message: str, status: int) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def requires_role(role: Role, endpoint: Endpoint) -> Endpoint:
    """The endpoint, answering only requests whose bearer token carries `role` or above."""

    async def guarded(request: Request) -> Response:
        identity = request.app.state.identity
        try:
            principal = await identity.authenticate(request.headers.get("authorization"))
        except AuthenticationError as exc:
            return _refuse("UNAUTHENTICATED", exc.message, 401)
        if principal is None:
            return _refuse(
                "UNAUTHENTICATED",
                "Sign in first: send 'Authorization: Bearer <token>' (a token from the login "
                "mutation, or an API token from createApiToken).",
                401,
            )
        if not principal.allows(role):
            refusal = forbidden(principal, role, f"{request.method} {request.url.path}")
            return _refuse("FORBIDDEN", refusal.message, 403)
        request.state.principal = principal
        return await endpoint(request)

    return guarded


class SignedInUploads:
    """Refuses a multipart upload (a file import) from a caller who is not signed in before
    its body is read: Starlette spools an upload to disk before any resolver can look at the
    token, and nobody anonymous should be able to fill that disk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not headers.get("content-type", "").startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        identity = scope["app"].state.identity
        try:
            principal = await identity.authenticate(headers.get("authorization"))
        except AuthenticationError as exc:
            await _refuse("UNAUTHENTICATED", exc.message, 401)(scope, receive, send)
            return
        if principal is None:
            await _refuse(
                "UNAUTHENTICATED",
                "Sign in before uploading a file: send 'Authorization: Bearer <token>'.",
                401,
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)
