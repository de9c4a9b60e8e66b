"""The core's refusals: domain errors that say what is wrong in the user's language and carry no HTTP
status. Services raise them; every door (pages, fragments, SSE, exports, the photo route, the API)
translates them through one table (`app.web.STATUS_OF`), so no door decides a status of its own."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A refusal of the core. `message` is already translated; `fields` names the inputs at fault."""

    def __init__(self, message: str = "", *, fields: Mapping[str, str] | None = None) -> None:
        self.fields: dict[str, str] = dict(fields or {})
        self.message = message or "; ".join(self.fields.values())
        super().__init__(self.message)


class NotSignedIn(DomainError):
    """The action needs an account and the request has none."""


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""


class Forbidden(DomainError):
    """The actor may not see or do this (role, own regency, conflict of interest, private board…)."""


class Conflict(DomainError):
    """The current state forbids the change (final results published, stage closed, already decided…)."""


class Invalid(DomainError):
    """The input is not acceptable; `fields` maps each field to its message."""

    def __init__(self, fields: Mapping[str, str] | None = None, message: str = "") -> None:
        super().__init__(message, fields=fields)


class TooManyAttempts(DomainError):
    """A rate limit refused the action for now."""
