"""Signing in plain HTTP routes (downloads) with the same bearer tokens as GraphQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graph_api.auth.roles import GRANTS, Role
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
            return _refuse(
                "FORBIDDEN",
                f"Your role {principal.role.value} cannot do this: it needs {role.value} or "
                f"above (who may {GRANTS[role]}).",
                403,
            )
        request.state.principal = principal
        return await endpoint(request)

    return guarded
