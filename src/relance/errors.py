"""One error family for the whole project.

Every error a user can cause is a ``RelanceError`` with a stable ``code`` and a message meant
for people. The CLI, the web views and the API each map it to their own output in one place.
"""

from __future__ import annotations


class RelanceError(Exception):
    """An error to show to the user, never a crash."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class NotFoundError(RelanceError):
    code = "not_found"


class InvalidInputError(RelanceError):
    code = "invalid_input"


class ConfigurationError(RelanceError):
    code = "configuration"
