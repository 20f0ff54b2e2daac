"""One error family for the whole project.

Every error a user can cause is a ``RelanceError`` with a stable ``code`` and a message meant
for people. The CLI, the web views and the API each map it to their own output in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class RelanceError(Exception):
    """An error to show to the user, never a crash.

    With ``params``, ``message`` is an English template (marked ``N_``) and the message is
    ``message % params``; the template and the values stay on the error (``template``,
    ``params``) for a page to say it in its reader's language. Without, ``template`` is empty.
    """

    code = "error"

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        self.template = message if params is not None else ""
        self.params: Mapping[str, Any] = dict(params or {})
        if params is not None:
            message = message % self.params
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


class RefusedNowError(InvalidInputError):
    """Input well formed but refused by the state it meets (a pass for a day before the last
    one, or after today): the API answers 409, since no schema can state such a bound."""

    code = "refused_now"


class ConfigurationError(RelanceError):
    code = "configuration"
