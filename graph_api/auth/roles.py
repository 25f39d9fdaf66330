"""Roles form a ladder: each one may do everything the one below it may."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from graph_api.errors import ForbiddenError


class Role(Enum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    STEWARD = "STEWARD"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return _LADDER.index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, raw: str) -> Role:
        try:
            return cls(raw.strip().upper())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"{raw!r} is not a role; use one of {names}.") from None


_LADDER = [Role.VIEWER, Role.EDITOR, Role.STEWARD, Role.ADMIN]

# What each role adds, in words for error messages and the README.
GRANTS = {
    Role.VIEWER: "read the catalog, lineage and history",
    Role.EDITOR: "create and change tables, fields, lineage and imports",
    Role.STEWARD: "approve and reject lineage",
    Role.ADMIN: "manage sources' connection settings, users and keys",
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user a request acts for."""

    user_id: str
    username: str
    role: Role
    # "password" for a sign-in token, "api-token" for an automation token.
    via: str = "password"
    token_id: str | None = None

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


def forbidden(principal: Principal, needed: Role, doing: str) -> ForbiddenError:
    """The one wording of a refusal by role, wherever it happens (GraphQL, HTTP, services)."""
    return ForbiddenError(
        f"Your role {principal.role.value} cannot {doing}: it needs {needed.value} or above "
        f"(who may {GRANTS[needed]}). Ask an administrator to change your role."
    )
