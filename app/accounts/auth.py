"""Resolving the signed-in account of a request, and the role guards every route declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from app import i18n
from app.errors import NotSignedIn
from app.security import token_digest
from app.tables import AuthSession

SESSION_COOKIE = "sinergi_session"
LANG_COOKIE = "sinergi_lang"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
SKIP_PREFIXES = ("/static/", "/healthz", "/readyz")


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    username: str
    full_name: str
    role: str
    team_id: int | None
    team_code: str | None
    team_name: str | None
    region_code: str | None
    locale: str | None
    session_kind: str

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


async def user_for_token(token: str, kind: str) -> CurrentUser | None:
    """A session or API token is valid while unexpired and while its account is active."""
    row = await (
        AuthSession.select(
            AuthSession.account.id,
            AuthSession.account.username,
            AuthSession.account.full_name,
            AuthSession.account.role,
            AuthSession.account.team.id,
            AuthSession.account.team.code,
            AuthSession.account.team.name,
            AuthSession.account.region_code,
            AuthSession.account.locale,
            AuthSession.kind,
        )
        .where(
            (AuthSession.token_hash == token_digest(token))
            & (AuthSession.kind == kind)
            & (AuthSession.expires_at > datetime.now(UTC))
            & (AuthSession.account.is_active.eq(True))
        )
        .first()
    )
    if row is None:
        return None
    return CurrentUser(
        id=row["account.id"],
        username=row["account.username"],
        full_name=row["account.full_name"],
        role=row["account.role"],
        team_id=row["account.team.id"],
        team_code=row["account.team.code"],
        team_name=row["account.team.name"],
        region_code=row["account.region_code"],
        locale=row["account.locale"],
        session_kind=row["kind"],
    )


def auth_middleware(app: ASGIApp) -> ASGIApp:
    """Puts the account (or None) on every request and picks its language; it never refuses anything."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(SKIP_PREFIXES):
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookies = _parse_cookies(headers.get("cookie", ""))
        user: CurrentUser | None = None
        authorization = headers.get("authorization", "")
        if scope["path"].startswith("/api/"):
            # The API authenticates by bearer token only: cookies there would open a CSRF hole.
            if authorization.lower().startswith("bearer "):
                user = await user_for_token(authorization[7:].strip(), "api")
        elif token := cookies.get(SESSION_COOKIE):
            user = await user_for_token(token, "web")
        scope["user"] = user
        locale = (
            cookies.get(LANG_COOKIE)
            or (user.locale if user else None)
            or i18n.negotiate(headers.get("accept-language"))
            or i18n.DEFAULT_LOCALE
        )
        if scope["path"].startswith("/api/"):
            locale = i18n.negotiate(headers.get("accept-language")) or i18n.DEFAULT_LOCALE
        token_ = i18n.set_locale(locale)
        try:
            await app(scope, receive, send)
        finally:
            i18n.reset_locale(token_)

    return middleware


def _parse_cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            cookies[name] = value
    return cookies


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(*roles: str) -> Guard:
    """A guard naming who may use a route: PUBLIC, AUTHENTICATED, or one or more roles."""

    # Async on purpose: Litestar runs a plain function guard in a worker thread, a hop on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if PUBLIC in roles:
            return
        user: CurrentUser | None = connection.scope.get("user")  # type: ignore[assignment]
        if user is None:
            raise NotAuthorizedException(detail=i18n._("Please sign in first."))
        if AUTHENTICATED not in roles and user.role not in roles:
            raise PermissionDeniedException(detail=i18n._("You do not have access to this page."))

    guard.roles = roles  # type: ignore[attr-defined]
    return guard


public = requires(PUBLIC)
signed_in = requires(AUTHENTICATED)
organiser_only = requires("organiser")
judge_only = requires("judge")
participant_only = requires("participant")
officer_only = requires("officer")


async def provide_viewer(request: Request[Any, Any, Any]) -> CurrentUser | None:
    """The `viewer` dependency: the signed-in account, or None for the public."""
    return request.scope.get("user")  # type: ignore[return-value]


async def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """The `user` dependency of every route that needs an account (its guard has already let it in)."""
    user: CurrentUser | None = request.scope.get("user")  # type: ignore[assignment]
    if user is None:
        raise NotSignedIn(i18n._("Please sign in first."))
    return user
