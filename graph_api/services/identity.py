"""Sign-in, bearer-token checks and user administration.

One instance lives as long as the app: it holds the sign-in throttle, which must outlast a
request. Every change to a user or token is audited with the acting user, like catalog changes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graph_api.auth import passwords, throttle, tokens
from graph_api.auth.roles import Principal, Role, forbidden
from graph_api.auth.throttle import Attempt, LoginThrottle, ThrottleCounts
from graph_api.auth.throttle_redis import SharedThrottle
from graph_api.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from graph_api.models import ApiToken, User
from graph_api.settings import Settings
from graph_api.store.audit import AuditRepository, ChangeDraft
from graph_api.store.client import Store, Tx
from graph_api.store.users import UserRepository

log = logging.getLogger(__name__)

MAX_USERNAME_LENGTH = 64
USERNAME_RULE = "1 to 64 letters, digits, dots, dashes, underscores or @"
# Recording every use of an API token would turn each read into a write; once a minute will do.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def _check_username(username: str) -> str:
    name = username.strip()
    if not (1 <= len(name) <= MAX_USERNAME_LENGTH) or not all(
        c.isalnum() or c in "._-@" for c in name
    ):
        raise ValidationError(
            f"'{username}' is not a usable username: use {USERNAME_RULE}.", field="user.username"
        )
    return name


def _check_password(password: str) -> None:
    try:
        passwords.check_strength(password)
    except passwords.WeakPasswordError as exc:
        raise ValidationError(str(exc), field="user.password") from None


def _user_state(user: User) -> dict[str, object]:
    return {"username": user.username, "role": user.role, "disabled": user.disabled}


@dataclass(frozen=True)
class SignIn:
    user: User
    token: str
    expires_at: datetime


class IdentityService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._users = UserRepository(store)
        self._audit = AuditRepository(store)
        self._settings = settings
        self._ttl = timedelta(minutes=settings.token_ttl_minutes)
        # Counted in Redis (one series over every replica) when it is configured.
        self.throttle: ThrottleCounts = (
            SharedThrottle(settings.redis_url, free_failures=settings.login_max_failures)
            if settings.redis_url
            else LoginThrottle(free_failures=settings.login_max_failures)
        )
        self._hashing = asyncio.Semaphore(2)

    # Signing in and checking tokens

    @functools.cached_property
    def _signing_key(self) -> bytes:
        if self._settings.token_signing_key:
            return self._settings.token_signing_key.encode()
        if not self._settings.secret_keys:
            # The service refuses to start without a key, so only a tool can get here.
            raise RuntimeError("Sign-in tokens need CLEW_TOKEN_SIGNING_KEY or CLEW_SECRET_KEYS.")
        return tokens.derive_signing_key(self._settings.secret_keys[0])

    async def _count_attempt(
        self, username: str, client: str, *, known_clients_pass: bool = True
    ) -> Attempt:
        """Counts a sign-in attempt as failed until proven right, in one step with the check
        (concurrent guesses, on this replica or another, cannot all slip past it); refuses
        it, uncounted, while its delay runs."""
        label = username.strip()[:64]
        attempt = await self.throttle.count_attempt(
            user=throttle.digest("user", username.strip().casefold()),
            client=throttle.digest("address", client),
            user_label=label,
            client_label=client,
            known_clients_pass=known_clients_pass,
        )
        if attempt.wait > 0:
            seconds = max(1, math.ceil(attempt.wait))
            raise RateLimitedError(
                f"Too many failed sign-ins; wait {seconds} second{'s' if seconds != 1 else ''} "
                "before the next try. Each further failure doubles the wait (up to 15 minutes); "
                "a device that signed in as this user before is not slowed down, and an "
                "administrator can reset a forgotten password.",
                retry_after=attempt.wait,
            )
        if attempt.user_failures == self.throttle.free_failures or (
            attempt.client_failures == self.throttle.client_free_failures
        ):
            # Once per username or address: the moment its sign-ins start being slowed.
            log.warning(
                "sign-ins slowed down after repeated failures (see signInThrottles)",
                extra={"username": label, "client": client, "failures": attempt.user_failures},
            )
        return attempt

    async def login(self, username: str, password: str, *, client: str) -> SignIn:
        # Before the throttle and the database: an over-long value costs nothing to refuse.
        if len(username) > MAX_USERNAME_LENGTH or len(password) > passwords.MAX_LENGTH:
            raise ValidationError(
                f"Usernames have at most {MAX_USERNAME_LENGTH} characters and passwords at "
                f"most {passwords.MAX_LENGTH:,}; check what you sent.",
                field="login.username" if len(username) > MAX_USERNAME_LENGTH else "login.password",
            )
        attempt = await self._count_attempt(username, client)
        stored = await self._users.login_record(username)
        # Always verify (against a dummy hash for unknown users) so timing reveals nothing.
        # Argon2 takes ~0.3 s of CPU and 64 MiB by design: off the event loop, a few at a time.
        valid = await self._verify(stored.password_hash if stored else None, password)
        if stored is None or not valid or stored.user.disabled:
            await self.throttle.attempt_failed(attempt)
            log.info("sign-in refused", extra={"username": username[:64], "client": client})
            raise AuthenticationError(
                "Wrong username or password, or the account is disabled. Check both and try "
                "again; an administrator can reset a forgotten password."
            )
        await self.throttle.attempt_succeeded(attempt)
        if stored.password_hash and passwords.needs_rehash(stored.password_hash):
            rehashed = await self._hash(password)
            await self._store.transaction(
                lambda tx: self._users.update(
                    tx, username=stored.user.username, changes={"password_hash": rehashed}
                )
            )
        issued = tokens.issue_sign_in_token(
            key=self._signing_key, user_id=stored.user.id, ttl=self._ttl
        )
        return SignIn(user=stored.user, token=issued.token, expires_at=issued.expires_at)

    async def throttled_sign_ins(self) -> list[throttle.Throttled]:
        return await self.throttle.throttled_now()

    async def close(self) -> None:
        await self.throttle.close()

    async def authenticate(self, authorization: str | None) -> Principal | None:
        """The principal an Authorization header names; None when there is no header.
        A header that is present but wrong is an error, never a silent sign-out."""
        if not authorization or not authorization.strip():
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError(
                "Send the token as 'Authorization: Bearer <token>' (get one from the login "
                "mutation, or an API token from createApiToken)."
            )
        if tokens.is_api_token(token):
            return await self._api_token_principal(token)
        try:
            user_id, issued_at = tokens.read_sign_in_token(token, key=self._signing_key)
        except tokens.InvalidTokenError as exc:
            raise AuthenticationError(str(exc)) from None
        user = (await self._users.get_many([user_id], timestamps=False)).get(user_id)
        if user is not None and user.signed_out_at is not None:
            # A token issued in the very millisecond of a sign-out is refused too.
            if issued_at <= int(user.signed_out_at.timestamp() * 1000):
                raise AuthenticationError(
                    "Your password was changed or your account disabled since you signed in; "
                    "sign in again."
                )
        return self._principal(user, via="password")

    async def try_authenticate(
        self, authorization: str | None
    ) -> tuple[Principal | None, AuthenticationError | None]:
        """`authenticate` without raising: a bad token is not fatal to a request (`login` must
        still work), and every field that needs one then says what is wrong with it."""
        try:
            return await self.authenticate(authorization), None
        except AuthenticationError as exc:
            return None, exc

    async def _api_token_principal(self, token: str) -> Principal:
        owner = await self._users.token_owner(tokens.api_token_digest(token))
        if owner is None:
            raise AuthenticationError(
                "This API token is unknown, revoked or expired; create a new one with "
                "createApiToken."
            )
        last = owner.last_used_at
        if last is None or datetime.now(UTC) - last > _TOKEN_TOUCH_INTERVAL:
            await self._users.touch_token(owner.token_id)
        return self._principal(owner.user, via="api-token", token_id=owner.token_id)

    async def _hash(self, password: str) -> str:
        async with self._hashing:
            return await asyncio.to_thread(passwords.hash_password, password)

    async def _verify(self, stored_hash: str | None, password: str) -> bool:
        async with self._hashing:
            return await asyncio.to_thread(passwords.verify_password, stored_hash, password)

    @staticmethod
    def _principal(user: User | None, *, via: str, token_id: str | None = None) -> Principal:
        if user is None or user.disabled:
            raise AuthenticationError(
                "The account this token belongs to is disabled or gone; ask an administrator."
            )
        return Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            via=via,
            token_id=token_id,
        )

    # Users

    async def users(self) -> list[User]:
        return await self._users.all()

    async def users_by_username(self, username: str) -> User | None:
        stored = await self._users.login_record(username)
        return stored.user if stored else None

    async def users_count(self) -> int:
        return (await self._users.counts())[0]

    async def users_by_id(self, ids: list[str]) -> dict[str, User]:
        return await self._users.get_many(ids)

    async def create_user(
        self, *, actor: str, username: str, role: Role, password: str | None
    ) -> tuple[User, str | None]:
        """The new user, and the generated password when none was given (shown once)."""
        name = _check_username(username)
        generated = None
        if password is None:
            password = generated = passwords.generate_password()
        _check_password(password)
        password_hash = await self._hash(password)

        async def work(tx: Tx) -> User:
            user = await self._users.create(
                tx, username=name, role=role.value, password_hash=password_hash
            )
            await self._record(tx, actor, user.id, "CREATE", None, _user_state(user))
            return user

        return await self._store.transaction(work), generated

    async def set_role(self, *, actor: str, username: str, role: Role) -> User:
        return await self._change(actor, username, {"role": role.value})

    async def set_disabled(self, *, actor: str, username: str, disabled: bool) -> User:
        if not disabled:
            return await self._change(actor, username, {"disabled": False})
        # Disabling ends every sign-in and API token for good: re-enabling the user later
        # must not revive a token that was stolen or handed on meanwhile.
        return await self._change(
            actor,
            username,
            {"disabled": True, "signed_out_at": datetime.now(UTC)},
            revoke_tokens=True,
        )

    async def reset_password(
        self, *, actor: str, username: str, password: str | None
    ) -> tuple[User, str | None]:
        """Sets a new password (generated when None, and returned to show once)."""
        generated = None
        if password is None:
            password = generated = passwords.generate_password()
        _check_password(password)
        changes: dict[str, object] = {
            "password_hash": await self._hash(password),
            # Sign-ins from before the reset end with it (a stolen token among them).
            "signed_out_at": datetime.now(UTC),
        }
        # A reset is what an administrator does when an account may be compromised: the
        # user's API tokens end with it too.
        return await self._change(actor, username, changes, revoke_tokens=True), generated

    async def change_own_password(
        self, principal: Principal, current: str, new: str, *, client: str
    ) -> User:
        if principal.via == "api-token":
            raise ForbiddenError(
                "An API token cannot change a password (a leaked one would otherwise take the "
                "account over); sign in with your password to change it."
            )
        if len(current) > passwords.MAX_LENGTH:
            raise ValidationError(
                "The current password is wrong; nothing was changed.", field="user.currentPassword"
            )
        # A wrong current password is a failed sign-in: guessing it is throttled alike.
        # Someone holding a sign-in token is no device to wave through: the delay applies.
        attempt = await self._count_attempt(principal.username, client, known_clients_pass=False)
        stored = await self._users.login_record(principal.username)
        if stored is None or not await self._verify(stored.password_hash, current):
            await self.throttle.attempt_failed(attempt)
            raise ValidationError(
                "The current password is wrong; nothing was changed.", field="user.currentPassword"
            )
        await self.throttle.attempt_succeeded(attempt)
        _check_password(new)
        return await self._change(
            principal.username,
            principal.username,
            {"password_hash": await self._hash(new), "signed_out_at": datetime.now(UTC)},
        )

    async def _change(
        self,
        actor: str,
        username: str,
        changes: dict[str, object],
        *,
        revoke_tokens: bool = False,
    ) -> User:
        async def work(tx: Tx) -> User:
            await self._users.lock_admins(tx)
            result = await self._users.update(tx, username=username, changes=changes)
            if result is None:
                raise NotFoundError(f"There is no user named '{username}'.", field="user.username")
            before, after = result
            _, admins = await self._users.counts(tx)
            if admins == 0 and before.role == Role.ADMIN.value and not before.disabled:
                # Raising rolls the transaction back: the change never happened.
                raise ConflictError(
                    f"'{username}' is the last enabled administrator; make someone else an "
                    "ADMIN first, so the catalog is never left without one."
                )
            action = "PASSWORD_RESET" if "password_hash" in changes else "UPDATE"
            state = _user_state(after)
            if revoke_tokens:
                state["apiTokensRevoked"] = await self._users.revoke_tokens_of(tx, user_id=after.id)
            await self._record(tx, actor, after.id, action, _user_state(before), state)
            return after

        return await self._store.transaction(work)

    async def bootstrap_admin(
        self, *, username: str, password: str | None
    ) -> tuple[bool, str | None]:
        """Creates the first administrator when there are no users at all: (created, the
        generated password to show once, if one was generated)."""
        if await self.users_count():
            return False, None
        try:
            _, generated = await self.create_user(
                actor="bootstrap", username=username, role=Role.ADMIN, password=password
            )
        except ConflictError:
            # Another process bootstrapped it at the same moment.
            return False, None
        return True, generated

    # API tokens

    async def create_api_token(
        self, principal: Principal, *, name: str, expires_in_days: int | None
    ) -> tuple[ApiToken, str]:
        if principal.via == "api-token":
            raise ForbiddenError(
                "An API token cannot create API tokens (a leaked one could otherwise outlive "
                "its revocation); sign in with your password to create one."
            )
        label = name.strip()
        if not 1 <= len(label) <= 100:
            raise ValidationError(
                "Give the token a name of 1 to 100 characters.", field="token.name"
            )
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise ValidationError(
                "expiresInDays must be between 1 and 3650, or left out for no expiry.",
                field="token.expiresInDays",
            )
        secret = tokens.new_api_token()
        props: dict[str, object] = {
            "name": label,
            "digest": tokens.api_token_digest(secret),
            "hint": secret[:9] + "…",
        }
        if expires_in_days is not None:
            props["expires_at"] = datetime.now(UTC) + timedelta(days=expires_in_days)

        async def work(tx: Tx) -> ApiToken:
            token = await self._users.create_token(tx, user_id=principal.user_id, props=props)
            if token is None:
                raise AuthenticationError("Your account no longer exists; ask an administrator.")
            await self._record(
                tx,
                principal.username,
                token.id,
                "CREATE",
                None,
                {"name": token.name, "user": principal.username},
                entity="ApiToken",
            )
            return token

        return await self._store.transaction(work), secret

    async def api_tokens(self, principal: Principal, *, everyone: bool) -> list[ApiToken]:
        if everyone and not principal.allows(Role.ADMIN):
            raise forbidden(principal, Role.ADMIN, "list other people's API tokens")
        return await self._users.tokens(user_id=None if everyone else principal.user_id)

    async def revoke_api_token(self, principal: Principal, token_id: str) -> ApiToken:
        # Administrators may revoke anyone's token (e.g. a leaked one); others only their own.
        owner_filter = None if principal.allows(Role.ADMIN) else principal.user_id

        async def work(tx: Tx) -> ApiToken:
            token = await self._users.revoke_token(tx, token_id=token_id, user_id=owner_filter)
            if token is None:
                raise NotFoundError(
                    f"There is no API token {token_id} of yours to revoke.", field="token.id"
                )
            await self._record(
                tx,
                principal.username,
                token.id,
                "REVOKE",
                None,
                {"name": token.name, "user": token.username},
                entity="ApiToken",
            )
            return token

        return await self._store.transaction(work)

    async def _record(
        self,
        tx: Tx,
        actor: str,
        entity_id: str,
        action: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
        *,
        entity: str = "User",
    ) -> None:
        await self._audit.record(
            tx,
            actor=actor,
            changes=[ChangeDraft(entity_id, entity, action, before=before, after=after)],
        )
