"""What every API route shares: error bodies, the 422 shape, cursors, exact decimals and timestamps."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from app import i18n
from app.accounts.auth import CurrentUser
from app.competitions.services import CompetitionInfo, competition_by_slug
from app.errors import DomainError, NotSignedIn
from app.errors import Invalid as InvalidInput
from app.i18n import parse_number
from app.inputs import MAX_ID
from app.leaderboard import policy
from app.web import STATUS_MESSAGES, http_exception_handler, status_of

BEARER = [{"bearer": []}]

# Ids beyond 32 bits cannot exist (and SQLite refuses them): 422 rather than a server error.
ActivityId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
T = TypeVar("T")

Limit = Annotated[int | None, QueryParameter(ge=1, le=200, description="Page size (default 50).")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=64, description="`next_cursor` of the previous page.")
]


class ErrorBody(msgspec.Struct):
    """Every error but 422: the HTTP status and a message in the request's language."""

    status_code: int
    detail: str


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class ValidationErrors(msgspec.Struct):
    """422: one entry per invalid field (messages in Indonesian unless `Accept-Language: en`)."""

    errors: list[FieldProblem]


class Invalid(HTTPException):
    """A 422 naming the invalid fields."""

    status_code = 422

    def __init__(self, errors: dict[str, str] | list[tuple[str, str]]) -> None:
        items = list(errors.items()) if isinstance(errors, dict) else list(errors)
        super().__init__(detail="; ".join(f"{f}: {m}" for f, m in items))
        self.errors = items


_DESCRIPTIONS = {
    400: "Malformed request (unreadable JSON or form).",
    401: "No token, or a bad, expired or revoked one.",
    403: "Wrong role, or a conflict of interest.",
    404: "Unknown resource.",
    409: "Conflict with the current state.",
    413: "Request body too large.",
    422: "Invalid fields.",
    429: "Too many attempts.",
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error responses of a route (400 and 422 always: any body or parameter can be bad)."""
    result: dict[int, ResponseSpec] = {}
    for code in sorted({400, 422, *codes}):
        container = ValidationErrors if code == 422 else ErrorBody
        result[code] = ResponseSpec(
            data_container=container, description=_DESCRIPTIONS[code], generate_examples=False
        )
    return result


# msgspec's messages, in the words of the catalogue; the first pattern that matches wins.
_TYPE_NAMES = {
    "str": i18n.lazy("text"),
    "int": i18n.lazy("a whole number"),
    "float": i18n.lazy("a number"),
    "bool": i18n.lazy("true or false"),
    "array": i18n.lazy("a list"),
    "object": i18n.lazy("an object"),
    "decimal": i18n.lazy("a number"),
    "null": i18n.lazy("null"),
}
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_EXPECTED = re.compile(r"Expected `([a-z]+)(?: \| [a-z]+)*`, got `([a-z]+)`")
_MAX_LENGTH = re.compile(r"Expected `(?:str|array)` of length <= (\d+)")
_MIN_LENGTH = re.compile(r"Expected `(?:str|array)` of length >= (\d+)")
_MISSING_PARAMETER = re.compile(r"Missing required \w+ parameter '([^']+)'")
_BOUND = re.compile(r"Expected `(?:int|float)` (>=|<=|>|<) (-?[\d.]+)")


def _translate(message: str) -> tuple[str, str | None]:
    """(translated message, field named by the message itself, if any)."""
    if match := _MISSING.search(message):
        return i18n._("This field is required."), match[1]
    if match := _MAX_LENGTH.search(message):
        return i18n._("Too long: at most %(n)s characters or items.", n=match[1]), None
    if match := _MIN_LENGTH.search(message):
        return i18n._("Too short: at least %(n)s characters or items.", n=match[1]), None
    if match := _BOUND.search(message):
        if match[1].startswith(">"):
            return i18n._("Must be at least %(n)s.", n=match[2]), None
        return i18n._("Must be at most %(n)s.", n=match[2]), None
    if match := _EXPECTED.search(message):
        wanted = i18n._(_TYPE_NAMES.get(match[1], match[1]))
        return i18n._("Wrong type: expected %(type)s.", type=wanted), None
    if "Invalid enum value" in message:
        return i18n._("Not one of the allowed values."), None
    return i18n._("Invalid value."), None


def _field_of(key: str) -> str:
    # Litestar writes the body path as "data" or "data.x"; the API speaks of the field itself.
    key = key.removeprefix("data.").removeprefix("$.")
    return "" if key in ("data", "$") else key


def api_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, Invalid):
        body = {"errors": [{"field": f, "message": m} for f, m in exc.errors]}
        return Response(body, status_code=422, media_type=MediaType.JSON)
    if isinstance(exc, ValidationException):
        extra = exc.extra if isinstance(exc.extra, list) else []
        problems = []
        for item in extra:
            if not isinstance(item, dict) or "key" not in item:
                continue
            if item["key"] == "data" and item.get("source") == "body" and item.get("message") == "'data'":
                # Litestar's words for a body that is not there at all.
                problems.append({"field": "", "message": i18n._("Send a JSON object as the request body.")})
                continue
            message, named = _translate(str(item.get("message", "")))
            field = _field_of(str(item["key"]))
            if named:
                field = f"{field}.{named}" if field else named
            problems.append({"field": field, "message": message})
        if not problems and (match := _MISSING_PARAMETER.search(str(exc.detail))):
            name = "Idempotency-Key" if match[1].lower() == "idempotency-key" else match[1]
            problems.append({"field": name, "message": i18n._("This field is required.")})
        if problems:
            return Response({"errors": problems}, status_code=422, media_type=MediaType.JSON)
        return Response(
            {"status_code": 400, "detail": i18n._("The request could not be read.")},
            status_code=400,
            media_type=MediaType.JSON,
        )
    status = exc.status_code
    if status >= 500:
        return http_exception_handler(request, exc)
    detail = exc.detail
    if status == 400 and _raised_by_framework(exc):
        # The parser's own English ("JSON is malformed: …", "Invalid multipart/form-data"): our words.
        detail = i18n._("The request could not be read.")
    if not detail or detail == _phrase(status):
        detail = i18n._(STATUS_MESSAGES.get(status, "Error"))
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthorizedException) else None
    return Response(
        {"status_code": status, "detail": detail},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def api_domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A refusal of the core on the API: 422 names each field, every other status carries a detail."""
    status = status_of(exc)
    if isinstance(exc, InvalidInput):
        problems = [{"field": f, "message": m} for f, m in exc.fields.items()] or [
            {"field": "", "message": exc.message}
        ]
        return Response({"errors": problems}, status_code=422, media_type=MediaType.JSON)
    detail = exc.message or i18n._(STATUS_MESSAGES.get(status, "Error"))
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotSignedIn) else None
    return Response(
        {"status_code": status, "detail": detail},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _raised_by_framework(exc: BaseException) -> bool:
    """Whether Litestar itself raised it (its messages are English and name its parser's internals)."""
    trace = exc.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace is not None and str(trace.tb_frame.f_globals.get("__name__", "")).startswith("litestar")


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the next page starts (0: from the beginning); 422 for a cursor we did not issue."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        # No row has an id beyond PostgreSQL's `integer`; such a number there would be a server error.
        if kind != "id" or not value.isdigit() or len(value) > 10 or int(value) > MAX_ID:
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            {"cursor": i18n._("Unknown cursor: use the next_cursor of the previous page.")}
        ) from None


def page_of(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """At most `limit` rows (the query asks for one more) and the cursor of the next page, if any."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1]["id"])
    return rows, None


def page_in_order(items: list[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """A page of a short list kept in its own order (stages by position, records by stage): the items
    after the one the cursor names, and the cursor of the next page. Each item has an `id`."""
    after = decode_cursor(cursor)
    if after:
        ids = [item.id for item in items]  # type: ignore[attr-defined]
        if after not in ids:
            raise Invalid({"cursor": i18n._("Unknown cursor: use the next_cursor of the previous page.")})
        items = items[ids.index(after) + 1 :]
    if len(items) > limit:
        items = items[:limit]
        return items, encode_cursor(items[-1].id)  # type: ignore[attr-defined]
    return items, None


def decimal_text(value: Decimal | str | int) -> str:
    """The exact value as text, without exponent or trailing zeros: Decimal("12.500") -> "12.5"."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text


def parse_decimal(
    value: Any, field: str, errors: dict[str, str], low: Decimal, high: Decimal, places: int = 3
) -> Decimal | None:
    """A JSON number or numeric string as an exact Decimal within low..high with at most `places` decimals."""
    number = parse_number(value, localised=False)
    if number is None:
        errors[field] = i18n._("Must be a number.")
        return None
    if not low <= number <= high:
        errors[field] = i18n._(
            "Must be between %(low)s and %(high)s.", low=decimal_text(low), high=decimal_text(high)
        )
        return None
    exponent = number.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -places
        and number != number.quantize(Decimal(1).scaleb(-places))
    ):
        errors[field] = i18n._("At most %(n)s decimal places.", n=places)
        return None
    return number + 0


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with an offset (UTC); databases that drop the zone give naive UTC back."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


async def visible_competition(slug: str, user: CurrentUser | None) -> CompetitionInfo:
    """The competition named by the path; a private one only with a token (the board policy's rule,
    `app.leaderboard.policy.ensure_board_visible`, the same for every door)."""
    from litestar.exceptions import NotFoundException

    competition = await competition_by_slug(slug)
    if competition is None:
        raise NotFoundException(detail=i18n._("Competition not found."))
    policy.ensure_board_visible(user, competition)
    return competition
