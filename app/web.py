"""What every HTML page shares: the template context, pagination and error pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.utils.scope.state import ScopeState

from app import i18n
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    NotSignedIn,
    TooManyAttempts,
)

log = logging.getLogger("sinergi")


def csrf_token(request: Request[Any, Any, Any]) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""


def page(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("user", request.scope.get("user"))
    context["csrf"] = csrf_token(request)
    context["locale"] = i18n.get_locale()
    context["path"] = request.url.path
    query = request.url.query
    context["here"] = request.url.path + (f"?{query}" if query else "")
    # Absolute addresses for share links and Open Graph tags (behind a proxy: its forwarded host).
    context["site"] = str(request.base_url).rstrip("/")
    return Template(template_name=template, context=context, status_code=status_code)


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(("/api/", "/schema"))


FALLBACK_MESSAGE = i18n.lazy("Something went wrong.")
STATUS_MESSAGES = {
    400: i18n.lazy("The request could not be read."),
    401: i18n.lazy("Please sign in first."),
    403: i18n.lazy("You do not have access to this page."),
    404: i18n.lazy("The page you are looking for does not exist."),
    405: i18n.lazy("That action is not allowed here."),
    409: i18n.lazy("That conflicts with the current state."),
    413: i18n.lazy("What you sent is too large."),
    422: i18n.lazy("Some fields are not valid."),
    429: i18n.lazy("Too many attempts. Please wait a few minutes and try again."),
}


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        log.error("server error on %s %s", request.method, request.url.path, exc_info=exc.__cause__ or exc)
    if wants_json(request):
        detail = exc.detail if exc.detail and status != 500 else i18n._(STATUS_MESSAGES.get(status, "Error"))
        body: dict[str, Any] = {"status_code": status, "detail": detail}
        if isinstance(exc, ValidationException) and exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=status, media_type=MediaType.JSON)
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="/?=&")
        return Redirect(f"/masuk?next={target}")
    if status == 403 and "csrf" in str(exc.detail).lower():
        message = i18n._("The form has expired. Reload the page and try again.")
    elif exc.detail and exc.detail != HTTPStatus(status).phrase:
        message = exc.detail
    else:
        message = i18n._(STATUS_MESSAGES.get(status, FALLBACK_MESSAGE))
    return page(request, "error.html", status_code=status, status=status, message=message)  # type: ignore[return-value]


# The one table from the core's refusals to HTTP: every door answers a domain error with this status.
STATUS_OF: dict[type[DomainError], int] = {
    NotSignedIn: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooManyAttempts: 429,
}


def status_of(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]  # type: ignore[index]
    return 400


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A refusal of the core on an HTML route: the error page in the user's language (a form that wants
    to show its fields again catches `Invalid` itself)."""
    status = status_of(exc)
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return http_exception_handler(request, NotAuthorizedException(detail=exc.message))
    message = exc.message or i18n._(STATUS_MESSAGES.get(status, FALLBACK_MESSAGE))
    return page(request, "error.html", status_code=status, status=status, message=message)  # type: ignore[return-value]


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    status = HTTP_500_INTERNAL_SERVER_ERROR
    message = i18n._("Something went wrong on our side. Your data is safe; please try again.")
    if wants_json(request):
        return Response({"status_code": status, "detail": message}, status_code=status)
    return page(request, "error.html", status_code=status, status=status, message=message)  # type: ignore[return-value]
