"""Domain errors: the failures a user can cause, each with a code and a message saying what to do.

Services raise these; the GraphQL layer turns them into typed error results (mutations) or
errors with ``extensions.code`` (queries). Anything else is a bug and gets masked.
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
        # The input path the error is about, e.g. "input.name" or "fields[2].name".
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
