"""Errors every module raises; the web layer renders them as JSON or a friendly page."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A failure the user should see: HTTP status, machine code and a Chinese message."""

    status_code = 400
    code = "bad_request"
    # Some failures must still commit their unit of work (failed-login counters, lockouts).
    keep_changes = False

    def __init__(self, message: str, *, code: str | None = None, details: Any = None, status_code: int | None = None) -> None:  # noqa: ANN401
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(AppError):
    """Input failed validation; ``details`` maps field names to Chinese messages."""

    status_code = 422
    code = "validation_failed"


class NotFound(AppError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    status_code = 404
    code = "not_found"


class NotAuthenticated(AppError):
    """Login required."""

    status_code = 401
    code = "not_authenticated"


class PermissionDenied(AppError):
    """The caller's role or data scope does not allow this."""

    status_code = 403
    code = "permission_denied"


class Conflict(AppError):
    """The request conflicts with stored state."""

    status_code = 409
    code = "conflict"


class TooManyAttempts(AppError):
    """Locked out for a while after repeated failures."""

    status_code = 429
    code = "too_many_attempts"
