"""Signing in and out, the rate limit, CSRF, disabling an account, and sessions that outlive the process."""

from __future__ import annotations

import httpx

from app.accounts.auth import SESSION_COOKIE
from app.main import create_app
from app.tables import Account, AuditEvent, AuthSession
from tests.integration.conftest import PASSWORD


async def test_sign_in_lands_on_the_roles_home_and_sign_out_ends_the_session(season, browser_factory):
    b = await browser_factory()
    response = await b.post("/masuk", data={"username": "peserta.sby", "password": PASSWORD})
    assert response.status_code in (302, 303) and response.headers["location"] == "/kegiatan"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert (await b.get("/kegiatan")).status_code == 200
    assert await AuthSession.count() == 1
    assert (await b.post("/keluar")).status_code in (302, 303)
    assert await AuthSession.count() == 0
    assert (await b.get("/kegiatan")).status_code in (302, 303)


async def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(season, browser_factory):
    b = await browser_factory()
    ok = await b.post("/masuk", data={"username": "panitia", "password": PASSWORD, "next": "/panitia/akun"})
    assert ok.headers["location"] == "/panitia/akun"
    evil = await (await browser_factory()).post(
        "/masuk", data={"username": "panitia", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert evil.headers["location"] == "/panitia"


async def test_wrong_password_and_empty_fields(season, browser_factory):
    b = await browser_factory()
    wrong = await b.post("/masuk", data={"username": "peserta.sby", "password": "salah-sekali"})
    assert wrong.status_code == 401 and 'data-testid="login-error"' in wrong.text
    assert 'value="peserta.sby"' in wrong.text
    empty = await b.post("/masuk", data={"username": "", "password": ""})
    assert empty.status_code == 422
    unknown = await b.post("/masuk", data={"username": "tidak.ada", "password": "apa saja"})
    assert unknown.status_code == 401


async def test_login_is_rate_limited(season, browser_factory):
    b = await browser_factory()
    statuses = [
        (await b.post("/masuk", data={"username": "juri.sby", "password": f"salah-{i}"})).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    # Even the right password waits out the window: the limit is per account and address.
    blocked = await b.post("/masuk", data={"username": "juri.sby", "password": PASSWORD})
    assert blocked.status_code == 429
    other = await browser_factory()
    assert (
        await other.post("/masuk", data={"username": "juri.mlg", "password": PASSWORD})
    ).status_code == 302


async def test_unsafe_requests_need_the_csrf_token(season, browser_factory):
    b = await browser_factory("peserta.sby")
    response = await b.client.post("/keluar", follow_redirects=False)
    assert response.status_code == 403
    assert await AuthSession.count() == 1
    forged = await b.client.post("/keluar", headers={"x-csrftoken": "palsu"}, follow_redirects=False)
    assert forged.status_code == 403


async def test_disabling_an_account_signs_it_out_at_once(season, browser_factory):
    participant = await browser_factory("peserta.mlg")
    assert (await participant.get("/kegiatan")).status_code == 200
    organiser = await browser_factory("panitia")
    account_id = season.accounts["peserta.mlg"]
    confirm = await organiser.get(f"/panitia/akun/{account_id}/status")
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.text
    done = await organiser.post(f"/panitia/akun/{account_id}/status", data={"active": "0"})
    assert done.status_code in (302, 303)
    assert (await participant.get("/kegiatan")).status_code in (302, 303)
    again = await (await browser_factory()).post(
        "/masuk", data={"username": "peserta.mlg", "password": PASSWORD}
    )
    assert again.status_code == 401
    assert await AuditEvent.exists().where(AuditEvent.action == "account.disable")
    await organiser.post(f"/panitia/akun/{account_id}/status", data={"active": "1"})
    assert (await (await browser_factory()).login("peserta.mlg")).status_code in (302, 303)


async def test_a_session_survives_a_new_application_process(season, settings, browser_factory):
    b = await browser_factory("juri.sby")
    token = b.client.cookies[SESSION_COOKIE]
    restarted = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=restarted), base_url="http://testserver.local"
    ) as client:
        client.cookies.set(SESSION_COOKIE, token)
        response = await client.get("/juri", follow_redirects=False)
    assert response.status_code == 200 and "Juri.Sby" in response.text


async def test_organiser_creates_accounts_with_clear_errors(season, browser_factory):
    organiser = await browser_factory("panitia")
    page = await organiser.get("/panitia/akun")
    # One row per account of the season (the officer too).
    assert page.status_code == 200 and page.text.count('data-testid="account-row"') == len(season.accounts)
    bad = await organiser.post(
        "/panitia/akun", data={"username": "X", "password": "pendek", "role": "participant", "team": ""}
    )
    assert bad.status_code == 422
    assert 'id="err-username"' in bad.text and 'id="err-password"' in bad.text and 'id="err-team"' in bad.text
    taken = await organiser.post(
        "/panitia/akun", data={"username": "panitia", "password": "panjang-sekali", "role": "organiser"}
    )
    assert taken.status_code == 409 and 'id="err-username"' in taken.text
    ok = await organiser.post(
        "/panitia/akun",
        data={
            "username": "peserta.kediri",
            "password": "panjang-sekali",
            "role": "participant",
            "team": "35.06",
        },
    )
    assert ok.status_code in (302, 303)
    row = (
        await Account.select(Account.role, Account.team.code)
        .where(Account.username == "peserta.kediri")
        .first()
    )
    assert row == {"role": "participant", "team.code": "35.06"}
    assert (
        await (await browser_factory()).post(
            "/masuk", data={"username": "peserta.kediri", "password": "panjang-sekali"}
        )
    ).status_code in (302, 303)


async def test_language_switch_is_remembered(season, browser_factory):
    b = await browser_factory("peserta.sby")
    assert 'lang="id"' in (await b.get("/kegiatan")).text
    response = await b.get("/bahasa/en?next=/kegiatan")
    assert response.status_code in (302, 303) and response.headers["location"] == "/kegiatan"
    page = (await b.get("/kegiatan")).text
    assert 'lang="en"' in page and "Our activities" in page
    assert (await Account.select(Account.locale).where(Account.username == "peserta.sby").first())[
        "locale"
    ] == "en"
    assert (await b.get("/bahasa/en?next=https://evil.example")).headers["location"] == "/"
