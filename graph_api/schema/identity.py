"""Signing in, the signed-in user, user administration and API tokens."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from graph_api import models
from graph_api.auth.roles import Role
from graph_api.context import Info
from graph_api.errors import AuthenticationError, RateLimitedError, ValidationError
from graph_api.schema.common import (
    ConflictErrorType,
    ErrorCode,
    NotFoundErrorType,
    ValidationErrorType,
)
from graph_api.schema.permissions import requires
from graph_api.schema.user_errors import UserErrors

Errors = ValidationErrorType | NotFoundErrorType | ConflictErrorType


@strawberry.type(name="User", description="Someone who signs in, with their role.")
class UserNode:
    id: strawberry.ID
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, user: models.User) -> UserNode:
        return cls(
            id=strawberry.ID(user.id),
            username=user.username,
            role=Role(user.role),
            disabled=user.disabled,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


@strawberry.type(
    name="ApiToken",
    description="A long-lived token for scripts and pipelines. Its secret is shown once, when "
    "it is created; Clew keeps only a hash.",
)
class ApiTokenNode:
    id: strawberry.ID
    name: str
    username: str = strawberry.field(description="Whose rights the token carries.")
    hint: str = strawberry.field(description="The token's first characters, to recognise it.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="To the minute.")
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, token: models.ApiToken) -> ApiTokenNode:
        return cls(
            id=strawberry.ID(token.id),
            name=token.name,
            username=token.username,
            hint=token.hint,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


@strawberry.type
class LoginSuccess:
    token: str = strawberry.field(
        description="Send as 'Authorization: Bearer <token>' (or `authorization` in a "
        "WebSocket's connection_init payload)."
    )
    expires_at: datetime
    user: UserNode


@strawberry.type(description="Signing in did not work; the message says why and what to do.")
class LoginFailed:
    code: ErrorCode
    message: str
    retry_after_seconds: int | None = strawberry.field(
        description="Set when too many attempts failed: wait this long before trying again."
    )


@strawberry.type
class UserSuccess:
    user: UserNode


@strawberry.type
class CreateUserSuccess:
    user: UserNode
    generated_password: str | None = strawberry.field(
        description="Set when no password was given: pass it on now, it is not stored."
    )


@strawberry.type
class ResetPasswordSuccess:
    user: UserNode
    generated_password: str | None = strawberry.field(
        description="Set when no new password was given: pass it on now, it is not stored."
    )


@strawberry.type
class CreateApiTokenSuccess:
    token: ApiTokenNode
    secret: str = strawberry.field(
        description="The token itself. Copy it now: it is never shown again."
    )


@strawberry.type
class ApiTokenSuccess:
    token: ApiTokenNode


@strawberry.type
class PasswordChanged:
    user: UserNode


LoginResult = Annotated[LoginSuccess | LoginFailed, strawberry.union("LoginResult")]
UserResult = Annotated[UserSuccess | Errors, strawberry.union("UserResult")]
CreateUserResult = Annotated[CreateUserSuccess | Errors, strawberry.union("CreateUserResult")]
ResetPasswordResult = Annotated[
    ResetPasswordSuccess | Errors, strawberry.union("ResetPasswordResult")
]
ChangePasswordResult = Annotated[PasswordChanged | Errors, strawberry.union("ChangePasswordResult")]
CreateApiTokenResult = Annotated[
    CreateApiTokenSuccess | Errors, strawberry.union("CreateApiTokenResult")
]
ApiTokenResult = Annotated[ApiTokenSuccess | Errors, strawberry.union("ApiTokenResult")]


@strawberry.input
class CreateUserInput:
    username: str
    role: Role = Role.VIEWER
    password: str | None = strawberry.field(
        default=None, description="Left out, a strong password is generated and returned once."
    )


@strawberry.type(
    name="ThrottledSignIn",
    description="A username or address whose sign-ins are being slowed down after repeated "
    "failures: someone may be guessing passwords.",
)
class ThrottledSignInNode:
    kind: str = strawberry.field(description="USERNAME or ADDRESS.")
    name: str = strawberry.field(description="The username (first 64 characters) or address.")
    failures: int = strawberry.field(description="Failed attempts in the current run.")
    retry_after_seconds: int = strawberry.field(
        description="How long the next attempt must wait (0: it may try now)."
    )
    first_failure_at: datetime
    last_failure_at: datetime


def _client_address(info: Info) -> str:
    request = info.context.request
    return getattr(getattr(request, "client", None), "host", None) or "unknown"


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()], description="The signed-in user."
    )
    async def me(self, info: Info) -> UserNode:
        principal = info.context.principal
        assert principal is not None  # requires() let us in
        user = (await info.context.identity.users_by_id([principal.user_id])).get(principal.user_id)
        if user is None:
            raise AuthenticationError("Your account no longer exists; ask an administrator.")
        return UserNode.from_model(user)

    @strawberry.field(
        extensions=[*requires(Role.ADMIN), UserErrors()], description="Every user, by username."
    )
    async def users(self, info: Info) -> list[UserNode]:
        return [UserNode.from_model(u) for u in await info.context.identity.users()]

    @strawberry.field(
        extensions=[*requires(Role.ADMIN), UserErrors()],
        description="Usernames and addresses whose sign-ins are being slowed down after "
        "repeated failures, most failures first (this process's view; a warning is logged as "
        "each one starts).",
    )
    async def sign_in_throttles(self, info: Info) -> list[ThrottledSignInNode]:
        now = datetime.now(UTC)
        return [
            ThrottledSignInNode(
                kind=t.kind.upper(),
                name=t.label,
                failures=t.failures,
                retry_after_seconds=math.ceil(t.retry_after),
                first_failure_at=now - timedelta(seconds=t.first_failure_age),
                last_failure_at=now - timedelta(seconds=t.last_failure_age),
            )
            for t in info.context.identity.throttled_sign_ins()
        ]

    @strawberry.field(
        extensions=[*requires(Role.VIEWER), UserErrors()],
        description="Your API tokens, newest first; with everyone: true (ADMIN), everyone's.",
    )
    async def api_tokens(self, info: Info, everyone: bool = False) -> list[ApiTokenNode]:
        principal = info.context.principal
        assert principal is not None
        found = await info.context.identity.api_tokens(principal, everyone=everyone)
        return [ApiTokenNode.from_model(t) for t in found]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        extensions=[UserErrors({"login.username": "username", "login.password": "password"})],
        description="Sign in with a username and password; returns a bearer token that expires. "
        "The only operation that needs no token. Repeated failures slow further attempts down "
        "(per username and per address); a device that signed in as the user before is not "
        "slowed by the username's failures.",
    )
    async def login(self, info: Info, username: str, password: str) -> LoginResult:
        client = _client_address(info)
        try:
            signed = await info.context.identity.login(username, password, client=client)
        except RateLimitedError as exc:
            return LoginFailed(
                code=exc.code, message=exc.message, retry_after_seconds=math.ceil(exc.retry_after)
            )
        except (AuthenticationError, ValidationError) as exc:
            return LoginFailed(code=exc.code, message=exc.message, retry_after_seconds=None)
        return LoginSuccess(
            token=signed.token, expires_at=signed.expires_at, user=UserNode.from_model(signed.user)
        )

    @strawberry.mutation(
        extensions=[
            *requires(Role.VIEWER),
            UserErrors({"user.password": "newPassword", "user.currentPassword": "currentPassword"}),
        ],
        description="Change your own password; you need the current one, and a sign-in with "
        "your password (not an API token). Wrong current passwords count as failed sign-ins.",
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        principal = info.context.principal
        assert principal is not None
        user = await info.context.identity.change_own_password(
            principal, current_password, new_password, client=_client_address(info)
        )
        return PasswordChanged(user=UserNode.from_model(user))

    @strawberry.mutation(
        extensions=[
            *requires(Role.VIEWER),
            UserErrors({"token.name": "name", "token.expiresInDays": "expiresInDays"}),
        ],
        description="Create an API token carrying your rights, for scripts and pipelines.",
    )
    async def create_api_token(
        self, info: Info, name: str, expires_in_days: int | None = None
    ) -> CreateApiTokenResult:
        principal = info.context.principal
        assert principal is not None
        token, secret = await info.context.identity.create_api_token(
            principal, name=name, expires_in_days=expires_in_days
        )
        return CreateApiTokenSuccess(token=ApiTokenNode.from_model(token), secret=secret)

    @strawberry.mutation(
        extensions=[*requires(Role.VIEWER), UserErrors({"token.id": "id"})],
        description="Revoke an API token at once: yours, or anyone's if you are an ADMIN.",
    )
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenResult:
        principal = info.context.principal
        assert principal is not None
        token = await info.context.identity.revoke_api_token(principal, str(id))
        return ApiTokenSuccess(token=ApiTokenNode.from_model(token))

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"user": "input"})], description="Add a user."
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserResult:
        user, generated = await info.context.identity.create_user(
            actor=info.context.actor,
            username=input.username,
            role=input.role,
            password=input.password,
        )
        return CreateUserSuccess(user=UserNode.from_model(user), generated_password=generated)

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"user.username": "username"})],
        description="Change a user's role; it applies to their very next request.",
    )
    async def set_user_role(self, info: Info, username: str, role: Role) -> UserResult:
        user = await info.context.identity.set_role(
            actor=info.context.actor, username=username, role=role
        )
        return UserSuccess(user=UserNode.from_model(user))

    @strawberry.mutation(
        extensions=[*requires(Role.ADMIN), UserErrors({"user.username": "username"})],
        description="Disable (or re-enable) a user: their tokens stop working at once.",
    )
    async def set_user_disabled(self, info: Info, username: str, disabled: bool) -> UserResult:
        user = await info.context.identity.set_disabled(
            actor=info.context.actor, username=username, disabled=disabled
        )
        return UserSuccess(user=UserNode.from_model(user))

    @strawberry.mutation(
        extensions=[
            *requires(Role.ADMIN),
            UserErrors({"user.username": "username", "user.password": "newPassword"}),
        ],
        description="Set a user's password (one is generated when newPassword is left out).",
    )
    async def reset_user_password(
        self, info: Info, username: str, new_password: str | None = None
    ) -> ResetPasswordResult:
        user, generated = await info.context.identity.reset_password(
            actor=info.context.actor, username=username, password=new_password
        )
        return ResetPasswordSuccess(user=UserNode.from_model(user), generated_password=generated)
