"""Sign-in and sign-out pages and the language switch (the organiser's teams and accounts pages are
`app.organiser.people`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n
from app.accounts import services
from app.accounts.auth import LANG_COOKIE, SESSION_COOKIE, CurrentUser, public, signed_in
from app.errors import Invalid, NotSignedIn, TooManyAttempts
from app.ratelimit import Limiter
from app.settings import Settings
from app.web import page, status_of


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def home_for(role: str) -> str:
    return {"organiser": "/panitia", "judge": "/juri", "participant": "/kegiatan", "officer": "/petugas"}.get(
        role, "/"
    )


class SessionController(Controller):
    path = "/"
    guards = [public]

    @get("/masuk", name="login")
    async def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Template:
        return page(request, "accounts/login.html", next=safe_next(next), username="", error=None)

    @post("/masuk")
    async def login(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        login_limiter: NamedDependency[Limiter],
    ) -> Template | Redirect:
        form = await request.form()
        username = str(form.get("username") or "")
        target = safe_next(str(form.get("next") or ""))
        try:
            signed_in = await services.sign_in(
                username,
                str(form.get("password") or ""),
                client=request.client.host if request.client else "?",
                limiter=login_limiter,
                kind="web",
                days=settings.session_days,
            )
        except (Invalid, NotSignedIn, TooManyAttempts) as exc:
            return page(
                request,
                "accounts/login.html",
                status_code=status_of(exc),
                next=target,
                username=services.normalise_username(username),
                error=exc.message,
            )
        response = Redirect(target if target != "/" else home_for(signed_in.account["role"]))
        response.set_cookie(
            SESSION_COOKIE,
            signed_in.token,
            max_age=settings.session_days * 86400,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
        return response

    @post("/keluar", guards=[signed_in])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await services.close_session(token)
        response = Redirect("/")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/bahasa/{code:str}")
    async def switch_language(
        self,
        code: FromPath[str],
        viewer: NamedDependency[CurrentUser | None],
        next: FromQuery[str | None] = None,
    ) -> Redirect:
        locale = code if code in i18n.LOCALES else i18n.DEFAULT_LOCALE
        if viewer is not None:
            await services.set_locale(viewer.id, locale)
        response = Redirect(safe_next(next))
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
        return response
