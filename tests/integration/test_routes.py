"""Every registered route, asked by every role: a route without a declared guard fails this test.

The expected answer follows from the guard a route declares (`app.accounts.auth.requires`): anonymous
visitors of a protected page are sent to sign in (or get 401), a signed-in account of the wrong role gets
403, and an allowed role never gets 401/403 — nor a 500, whatever the (empty) input.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.accounts.auth import AUTHENTICATED, PUBLIC, SESSION_COOKIE
from app.accounts.services import open_session
from app.tables import Account
from tests.integration.conftest import activity_form, form_key

ROLES = (None, "participant", "judge", "organiser", "officer")
USER_FOR_ROLE = {
    "participant": "peserta.sby",
    "judge": "juri.mlg",
    "organiser": "panitia",
    "officer": "petugas.sby",
}
# Litestar answers OPTIONS itself (CORS preflight, an Allow header); it reaches no handler of ours.
FRAMEWORK_METHODS = {"OPTIONS"}
# The one route whose success changes who is signed in; it is asked last.
ASKED_LAST = {("/keluar", "POST")}
# The JSON API ignores cookies by design: tests/integration/api/test_api_routes.py walks it with tokens.
TOKEN_ONLY = ("/api/", "/schema")


def declared_roles(handler: Any) -> tuple[tuple[str, ...], ...] | None:
    """The roles of every role guard on the way to the handler (Litestar requires all of them to pass)."""
    guards = [
        g.roles for layer in handler.ownership_layers for g in layer.guards or [] if hasattr(g, "roles")
    ]
    return tuple(guards) if guards else None


def route_table(app: Any) -> list[tuple[str, str, tuple[tuple[str, ...], ...] | None]]:
    table = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method not in FRAMEWORK_METHODS:
                    table.append((route.path, method, declared_roles(handler)))
    return sorted(table, key=lambda r: (r[0], r[1]) in ASKED_LAST)


def allowed(guards: tuple[tuple[str, ...], ...], role: str | None) -> bool:
    def passes(roles: tuple[str, ...]) -> bool:
        if PUBLIC in roles:
            return True
        if role is None:
            return False
        return AUTHENTICATED in roles or role in roles

    return all(passes(roles) for roles in guards)


def test_every_route_declares_who_may_use_it(app):
    missing = [f"{method} {path}" for path, method, roles in route_table(app) if roles is None]
    assert not missing, f"routes without a role guard: {missing}"


async def test_route_role_matrix(app, season, browser_factory):
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    location = (await participant.send_activity(activity_form(key))).headers["location"]
    activity_id = int(re.search(r"/kegiatan/(\d+)", location).group(1))
    target = Account(username="sasaran", password_hash="x", role="judge")
    await target.save()
    values = {
        "activity_id": str(activity_id),
        "account_id": str(target.id),
        "code": "35.78",
        "file_path": "app.css",
        "index": "0",
        "version": "1",
        "photo_id": "1",
        "stage_id": "1",
        "token": "bukan-token",
        "webhook_id": "1",
        "delivery_id": "1",
    }

    browsers: dict[str | None, Any] = {}
    for role in ROLES:
        browser = await browser_factory()
        if role is not None:
            token, _ = await open_session(season.accounts[USER_FOR_ROLE[role]], "web", 1)
            browser.client.cookies.set(SESSION_COOKIE, token)
        await browser.csrf()
        browsers[role] = browser

    failures = []
    for path, method, roles in route_table(app):
        assert roles is not None
        if path.startswith(TOKEN_ONLY):
            continue
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)
        for role in ROLES:
            b = browsers[role]
            if method in ("GET", "HEAD"):
                response = await b.client.request(method, url, follow_redirects=False)
            else:
                response = await b.post(url, data={})
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {path} as {role}: {status}")
            elif allowed(roles, role):
                if status in (401, 403):
                    failures.append(f"{method} {path} as {role}: refused ({status}) but allowed by {roles}")
            elif role is None:
                login_redirect = status in (302, 303) and response.headers["location"].startswith("/masuk")
                if not (status == 401 or login_redirect):
                    failures.append(f"{method} {path} anonymous: {status}, expected 401 or sign-in")
            elif status != 403:
                failures.append(f"{method} {path} as {role}: {status}, expected 403 ({roles})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/kegiatan/baru", "/juri", "/panitia/akun"])
async def test_anonymous_get_is_sent_to_sign_in_and_back(app, season, browser_factory, path):
    anonymous = await browser_factory()
    response = await anonymous.get(path)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/masuk?next={path}"


# The organisers' jury console (app/organiser/jury.py): every route organisers only, asked with real ids.
JURY_CONSOLE_ROUTES = (
    ("/panitia/juri", "GET"),
    ("/panitia/juri/tugas", "GET"),
    ("/panitia/juri/tugas/lengkapi", "POST"),
    ("/panitia/juri/alihkan", "GET"),
    ("/panitia/juri/alihkan", "POST"),
    ("/panitia/kegiatan/{activity_id:int}", "GET"),
    ("/panitia/kegiatan/{activity_id:int}/batalkan", "POST"),
)


async def test_jury_console_routes_are_for_organisers_only(app, season, browser_factory):
    table = {(path, method): roles for path, method, roles in route_table(app)}
    for key in JURY_CONSOLE_ROUTES:
        assert table.get(key) == (("organiser",),), key
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    location = (await participant.send_activity(activity_form(key))).headers["location"]
    activity_id = re.search(r"/kegiatan/(\d+)", location).group(1)
    from app.tables import Assignment

    assignment = (await Assignment.select(Assignment.id).first())["id"]
    requests = {
        ("/panitia/juri", "GET"): {},
        ("/panitia/juri/tugas", "GET"): {},
        ("/panitia/juri/tugas/lengkapi", "POST"): {},
        ("/panitia/juri/alihkan", "GET"): {},
        ("/panitia/juri/alihkan", "POST"): {"tugas": assignment, "judge": "", "confirm": ""},
        ("/panitia/kegiatan/{activity_id:int}", "GET"): {},
        ("/panitia/kegiatan/{activity_id:int}/batalkan", "POST"): {"review": "", "reason": ""},
    }
    expected = {
        None: (302, 303, 401),
        "participant": (403,),
        "judge": (403,),
        "officer": (403,),
        "organiser": (200, 302, 303, 422),
    }
    for role in ROLES:
        browser = await browser_factory(USER_FOR_ROLE[role] if role else None)
        for (path, method), data in requests.items():
            url = path.replace("{activity_id:int}", activity_id)
            if path == "/panitia/juri/alihkan" and method == "GET":
                url += f"?tugas={assignment}"
            if method == "GET":
                response = await browser.get(url)
            else:
                response = await browser.post(url, data=data)
            assert response.status_code in expected[role], (role, method, url, response.status_code)
