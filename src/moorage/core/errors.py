"""Domain errors: a code, a message and the field at fault, mapped once to 4xx and form errors."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the business refused an action; nothing was changed."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        # A lazily translated message is rendered now, in the language of the request that raised it.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
