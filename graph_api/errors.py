"""Domain errors: the failures a user can cause, each with a code and a message saying what to do.

Services and repositories raise these with a domain path; the GraphQL layer maps the path to
the resolver's own arguments and turns them into typed error results (mutations) or errors
with ``extensions.code`` (queries). Anything else is a bug and gets masked.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"


class ClewError(Exception):
    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        # The domain path the error is about ("table.name", "fields[2].name",
        # "source.connection.port", "edges[0].confidence"): what was checked, in the domain's
        # words. The resolver that called maps it to its own arguments ("input.name"; see
        # graph_api/schema/user_errors.py) before it reaches a client.
        self.field = field
        # Machine-readable particulars for `extensions`, e.g. a connector's failure reason.
        self.details = details or {}


class ValidationError(ClewError):
    code = ErrorCode.VALIDATION


class NotFoundError(ClewError):
    code = ErrorCode.NOT_FOUND


class PermissionDeniedError(ClewError):
    """Something outside Clew (a source database) refuses its account what was asked."""

    code = ErrorCode.PERMISSION_DENIED


class ConflictError(ClewError):
    code = ErrorCode.CONFLICT


class AuthenticationError(ClewError):
    """Nobody, or nobody valid, is signed in."""

    code = ErrorCode.UNAUTHENTICATED


class ForbiddenError(ClewError):
    """The signed-in user's role does not allow this."""

    code = ErrorCode.FORBIDDEN


class RateLimitedError(ClewError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
