"""Users and their API tokens in Neo4j."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j.exceptions import ConstraintError

from graph_api.errors import ConflictError
from graph_api.models import ApiToken, User
from graph_api.store.client import Store, Tx


def username_key(username: str) -> str:
    return username.strip().casefold()


@dataclass(frozen=True)
class StoredLogin:
    user: User
    password_hash: str | None


@dataclass(frozen=True)
class TokenOwner:
    token_id: str
    last_used_at: datetime | None
    user: User


class UserRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(self, tx: Tx, *, username: str, role: str, password_hash: str) -> User:
        props = {
            "username": username,
            "username_key": username_key(username),
            "role": role,
            "password_hash": password_hash,
        }
        try:
            rows = await tx.run("users/create", props=props)
        except ConstraintError:
            raise ConflictError(
                f"A user named '{username}' already exists; pick another username.",
                field="user.username",
            ) from None
        return User.from_record(rows[0]["user"])

    async def login_record(self, username: str) -> StoredLogin | None:
        rows = await self._store.read("users/by_username", username_key=username_key(username))
        if not rows:
            return None
        return StoredLogin(User.from_record(rows[0]["user"]), rows[0]["user"].get("password_hash"))

    async def get_many(self, ids: list[str], *, timestamps: bool = True) -> dict[str, User]:
        """Without `timestamps`, the users' `created_at` and `updated_at` are None: for the
        sign-in check alone, which turns them into a principal at once."""
        rows = await self._store.read("users/get_by_ids", ids=ids, timestamps=timestamps)
        return {row["user"]["id"]: User.from_record(row["user"]) for row in rows}

    async def all(self) -> list[User]:
        return [User.from_record(row["user"]) for row in await self._store.read("users/list")]

    async def counts(self, tx: Tx | None = None) -> tuple[int, int]:
        """(users, enabled admins), inside `tx` when given."""
        rows = await tx.run("users/count") if tx else await self._store.read("users/count")
        return rows[0]["total"], rows[0]["admins"]

    async def lock_admins(self, tx: Tx) -> None:
        """Write-locks the enabled admins, so a count after it cannot race another change."""
        await tx.run("users/guard_admins")

    async def update(
        self, tx: Tx, *, username: str, changes: dict[str, Any]
    ) -> tuple[User, User] | None:
        """(before, after), or None when there is no such user."""
        rows = await tx.run("users/update", username_key=username_key(username), changes=changes)
        if not rows:
            return None
        return User.from_record(rows[0]["before"]), User.from_record(rows[0]["user"])

    async def create_token(self, tx: Tx, *, user_id: str, props: dict[str, Any]) -> ApiToken | None:
        """The new token, or None when the user is gone."""
        rows = await tx.run("users/create_token", user_id=user_id, props=props)
        return ApiToken.from_record(rows[0]["token"]) if rows else None

    async def tokens(self, *, user_id: str | None) -> list[ApiToken]:
        rows = await self._store.read("users/tokens", user_id=user_id)
        return [ApiToken.from_record(row["token"]) for row in rows]

    async def revoke_token(self, tx: Tx, *, token_id: str, user_id: str | None) -> ApiToken | None:
        rows = await tx.run("users/revoke_token", id=token_id, user_id=user_id)
        return ApiToken.from_record(rows[0]["token"]) if rows else None

    async def revoke_tokens_of(self, tx: Tx, *, user_id: str) -> int:
        """Revokes every live API token of the user; how many there were."""
        rows = await tx.run("users/revoke_tokens_of", user_id=user_id)
        return int(rows[0]["revoked"]) if rows else 0

    async def token_owner(self, digest: str) -> TokenOwner | None:
        rows = await self._store.read("users/token_owner", digest=digest)
        if not rows:
            return None
        row = rows[0]
        last = row["last_used_at"]
        return TokenOwner(
            row["token_id"], last.to_native() if last else None, User.from_record(row["user"])
        )

    async def touch_token(self, token_id: str) -> None:
        await self._store.write("users/touch_token", id=token_id)
