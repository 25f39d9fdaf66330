"""Who may call each root field: every Query, Mutation and Subscription field declares the
least role it needs with ``extensions=requires(Role.X)``; a test fails for any root field
that does not (``login`` is the one public field).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from graph_api.auth.roles import Role, forbidden
from graph_api.errors import AuthenticationError

SIGN_IN = (
    "Sign in first: call the login mutation and send its token as 'Authorization: Bearer "
    "<token>' (in GraphiQL, under Headers; over WebSocket, as `authorization` in the "
    "connection_init payload). Without a token only login and introspection are answered."
)


class RoleRequired(BasePermission):
    def __init__(self, role: Role) -> None:
        self.role = role

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.recheck_sign_in()
        principal = info.context.principal
        if principal is None:
            raise info.context.auth_error or AuthenticationError(SIGN_IN)
        if not principal.allows(self.role):
            raise forbidden(principal, self.role, f"call {info.field_name}")
        return True


T = TypeVar("T")
# How often a long-lived subscription checks that its subscriber may still see what it sends.
RECHECK_SECONDS = 30.0


async def while_allowed(info: Info, role: Role, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """The events, for as long as the subscriber keeps `role`: before an event goes out, the
    connection's token is checked again (at most every RECHECK_SECONDS), and a user disabled,
    demoted or signed out meanwhile gets an error that ends the subscription."""
    checked = time.monotonic()
    try:
        async for event in events:
            if time.monotonic() - checked >= RECHECK_SECONDS:
                await RoleRequired(role).has_permission(None, info)
                checked = time.monotonic()
            yield event
    finally:
        # Ends the broker subscription too, not only this wrapper.
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


def requires(role: Role) -> list[FieldExtension]:
    # No schema directives: the SDL stays the plain contract clients see.
    return [PermissionExtension(permissions=[RoleRequired(role)], use_directives=False)]


def required_role(field: Any) -> Role | None:
    """The role a resolved root field declares (for tests and the README's table)."""
    for extension in getattr(field, "extensions", []):
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, RoleRequired):
                    return permission.role
    return None
