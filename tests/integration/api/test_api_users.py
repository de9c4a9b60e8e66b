"""Accounts through the API: list (filters, cursor pages), create, disable/enable (sessions and tokens end),
import with a dry run (each row's problems), export as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from app.tables import Account, Assignment, AuditEvent, AuthSession
from tests.integration.api.helpers import activity_body
from tests.integration.test_import import FIXED, GOOD_AND_BAD, rows

USERS = "/api/v1/users"


async def test_list_filters_and_pages(season, api_factory):
    organiser = await api_factory("panitia")
    first = await organiser.get(USERS, params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    seen = [u["username"] for u in body["items"]]
    cursor = body["next_cursor"]
    while cursor:
        page = (await organiser.get(USERS, params={"limit": 2, "cursor": cursor})).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(season.accounts)
    judges = (await organiser.get(USERS, params={"role": "judge"})).json()["items"]
    assert {u["username"] for u in judges} == {"juri.sby", "juri.mlg"}
    team = (await organiser.get(USERS, params={"team": "35.78"})).json()["items"]
    assert [(u["username"], u["team_code"]) for u in team] == [("peserta.sby", "35.78")]
    found = (await organiser.get(USERS, params={"q": "MLG"})).json()["items"]
    assert {u["username"] for u in found} == {"juri.mlg", "peserta.mlg"}
    assert (await organiser.get(USERS, params={"active": "false"})).json()["items"] == []
    assert (await organiser.get(USERS, params={"role": "raja"})).status_code == 422
    assert (await organiser.get(USERS, params={"cursor": "bukan"})).status_code == 422
    for username in ("juri.mlg", "peserta.sby"):
        assert (await (await api_factory(username)).get(USERS)).status_code == 403
    assert (await (await api_factory()).get(USERS)).status_code == 401


async def test_disable_ends_sessions_and_tokens_and_moves_the_judges_work(
    season, api_factory, browser_factory
):
    team = await api_factory("peserta.sby")
    created = await team.post(
        "/api/v1/competitions/uji/activities", activity_body(), headers={"Idempotency-Key": "nonaktif"}
    )
    activity_id = created.json()["id"]
    organiser = await api_factory("panitia")
    judge_api = await api_factory("juri.mlg")
    judge_page = await browser_factory("juri.mlg")
    assert (await judge_page.get("/juri")).status_code == 200
    mlg = season.accounts["juri.mlg"]
    disabled = await organiser.post(f"{USERS}/{mlg}/disable")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["is_active"] is False and disabled.json()["username"] == "juri.mlg"
    assert await AuthSession.count().where(AuthSession.account == mlg) == 0
    assert (await judge_api.get("/api/v1/competitions/uji/queue")).status_code == 401
    assert (await judge_page.get("/juri")).status_code in (302, 303, 401)
    statuses = await Assignment.select(Assignment.status).where(
        (Assignment.activity == activity_id) & (Assignment.judge == mlg)
    )
    assert [s["status"] for s in statuses] == ["moved"]
    assert await AuditEvent.exists().where(AuditEvent.action == "account.disable")
    enabled = await organiser.post(f"{USERS}/{mlg}/enable")
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True
    await api_factory("juri.mlg")  # signs in again
    # The service's refusals, as on the console's page.
    own = await organiser.post(f"{USERS}/{season.accounts['panitia']}/disable", lang="en")
    assert own.status_code == 409 and own.json()["detail"] == "You cannot disable your own account."
    page = await browser_factory("panitia")
    confirm = await page.get(f"/panitia/akun/{season.accounts['panitia']}/status")
    assert 'data-testid="own-account"' in confirm.text and 'data-testid="confirm"' not in confirm.text
    other = await page.get(f"/panitia/akun/{season.accounts['juri.sby']}/status")
    assert 'data-testid="own-account"' not in other.text and 'data-testid="confirm"' in other.text
    assert (
        await page.post(f"/panitia/akun/{season.accounts['panitia']}/status", data={"active": "0"})
    ).status_code == 409
    assert (await organiser.post(f"{USERS}/999999/disable")).status_code == 404
    assert (await page.post("/panitia/akun/999999/status", data={"active": "0"})).status_code == 404
    assert (await judge_api.post(f"{USERS}/{mlg}/disable")).status_code == 401


async def test_create_refuses_like_the_page(season, api_factory, browser_factory):
    organiser = await api_factory("panitia")
    page = await browser_factory("panitia")
    taken = await organiser.post(
        USERS, {"username": "Panitia", "password": "panjang-sekali", "role": "organiser"}
    )
    assert taken.status_code == 409
    taken_page = await page.post(
        "/panitia/akun", data={"username": "panitia", "password": "panjang-sekali", "role": "organiser"}
    )
    assert taken_page.status_code == 409
    bad = await organiser.post(USERS, {"username": "X", "password": "pendek", "role": "participant"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"username", "password", "team_code"}
    made = await organiser.post(
        USERS,
        {
            "username": "peserta.kediri",
            "password": "panjang-sekali",
            "role": "participant",
            "team_code": "35.06",
        },
    )
    assert made.status_code == 201 and made.json()["team_code"] == "35.06"


async def test_import_dry_run_names_each_rows_problems_like_the_page(season, api_factory, browser_factory):
    organiser = await api_factory("panitia")
    before = await Account.count()
    files = {"file": ("akun.csv", GOOD_AND_BAD.encode(), "text/csv")}
    dry = await organiser.post(f"{USERS}/import", params={"dry_run": "true"}, files=files)
    assert dry.status_code == 200, dry.text
    assert dry.headers["cache-control"] == "no-store"
    report = dry.json()
    assert report["dry_run"] and not report["valid"] and report["created"] == 0
    problems = {r["line"]: r["problems"] for r in report["rows"]}
    page = await browser_factory("panitia")
    preview = await page.post("/panitia/akun/impor", files=files)
    assert preview.status_code == 422
    assert problems == rows(preview.text), "the same rows, the same messages, as the console's preview"
    refused = await organiser.post(f"{USERS}/import", files=files)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {f"line.{line}" for line, found in problems.items() if found}
    assert await Account.count() == before
    unreadable = await organiser.post(
        f"{USERS}/import", files={"file": ("akun.pdf", b"%PDF", "application/pdf")}
    )
    assert unreadable.status_code == 422 and unreadable.json()["errors"][0]["field"] == "file"

    good = {"file": ("akun.csv", FIXED.encode(), "text/csv")}
    checked = (await organiser.post(f"{USERS}/import", params={"dry_run": "true"}, files=good)).json()
    assert checked["valid"] and checked["created"] == 0 and await Account.count() == before
    written = await organiser.post(f"{USERS}/import", files=good)
    assert written.status_code == 201, written.text
    body = written.json()
    assert body["created"] == 3 and await Account.count() == before + 3
    passwords = {r["username"]: r["password"] for r in body["rows"]}
    assert passwords["peserta.kediri"] is None, "a password from the file is never echoed"
    assert passwords["peserta.blitar"] and passwords["juri.malang"]
    await api_factory("peserta.blitar", passwords["peserta.blitar"])
    again = await organiser.post(f"{USERS}/import", files=good)
    assert again.status_code == 422, "every username is taken now"
    assert (await (await api_factory("juri.mlg")).post(f"{USERS}/import", files=good)).status_code == 403


async def test_export_csv_and_xlsx_match_the_console(season, api_factory, browser_factory):
    organiser = await api_factory("panitia")
    await organiser.post(
        USERS,
        {"username": "juri.formula", "password": "panjang-sekali", "role": "judge", "full_name": "=1+1"},
    )
    as_csv = await organiser.get(f"{USERS}/export.csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    page = await browser_factory("panitia")
    from_console = await page.get("/panitia/akun/ekspor")
    assert from_console.text == as_csv.text
    assert from_console.headers["content-type"] == as_csv.headers["content-type"]
    table = list(csv.reader(io.StringIO(as_csv.text)))
    assert table[0] == ["username", "nama", "peran", "tim", "nama_tim", "wilayah", "aktif"]
    assert ["juri.formula", "'=1+1", "judge", "", "", "", "ya"] in table
    as_xlsx = await organiser.get(f"{USERS}/export.xlsx")
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    from_page = await page.get("/panitia/akun/ekspor", params={"format": "xlsx"})
    assert from_page.status_code == 200 and re.search("spreadsheetml", from_page.headers["content-type"])
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    values = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == table[0]
    formula_row = next(r for r in values if r[0] == "juri.formula")
    assert (
        formula_row[1] == "=1+1" and sheet.cell(row=values.index(formula_row) + 1, column=2).data_type == "s"
    )
    assert len(values) == len(table)
    assert (await (await api_factory("peserta.sby")).get(f"{USERS}/export.xlsx")).status_code == 403


async def test_an_organiser_sets_a_new_password_as_the_console_does(season, api_factory):
    """The console's /panitia/akun/{id}/sandi through the API: the same rule (at least 8 characters), the
    account's sessions and API tokens end, and it is audited."""
    from app.tables import AuditEvent

    judge = await api_factory("juri.mlg")
    organiser = await api_factory("panitia")
    account = season.accounts["juri.mlg"]
    short = await organiser.post(f"{USERS}/{account}/password", {"password": "pendek"}, lang="en")
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    assert (await judge.get("/api/v1/competitions/uji/queue")).status_code == 200, "nothing changed yet"
    missing = await organiser.post(f"{USERS}/999999/password", {"password": "sandi-baru-123"})
    assert missing.status_code == 404
    done = await organiser.post(f"{USERS}/{account}/password", {"password": "sandi-baru-123"})
    assert done.status_code == 204, done.text
    assert (await judge.get("/api/v1/competitions/uji/queue")).status_code == 401, "its tokens ended"
    await api_factory("juri.mlg", "sandi-baru-123")
    assert await AuditEvent.count().where(AuditEvent.action == "account.password_reset") == 1
    refused = await judge.post(f"{USERS}/{account}/password", {"password": "sandi-baru-123"})
    assert refused.status_code == 401
    other = await api_factory("peserta.sby")
    assert (
        await other.post(f"{USERS}/{account}/password", {"password": "sandi-baru-123"})
    ).status_code == 403
