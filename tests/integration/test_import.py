"""Importing accounts from CSV and XLSX: every bad row is named and nothing is written until the file is
fixed; then every account is created at once, each with its audit event."""

from __future__ import annotations

import io
import json
import re

from openpyxl import Workbook

from app.security import verify_password
from app.tables import Account, AuditEvent

GOOD_AND_BAD = (
    "username,nama,peran,tim,wilayah,kata_sandi\n"
    "peserta.kediri,Tim Kediri,peserta,35.06,,rahasia-kediri\n"  # row 2: good
    "peserta.atlantis,Tim Atlantis,peserta,Atlantis,,\n"  # row 3: unknown regency
    "peserta.sby,Sudah Ada,peserta,35.78,,\n"  # row 4: username already taken (season fixture)
    "juri.baru,Juri Baru,,,35.07,\n"  # row 5: missing role
    "peserta.kediri,Ganda,peserta,Kabupaten Kediri,,\n"  # row 6: duplicate of row 2
    "juri.malang,Juri Malang,juri,,Kabupaten Malang,\n"  # row 7: good (regency by name)
)
FIXED = (
    "username;nama;peran;tim;wilayah;kata_sandi\n"
    "peserta.kediri;Tim Kediri;peserta;35.06;;rahasia-kediri\n"
    "peserta.blitar;Tim Blitar;Peserta;Kabupaten Blitar;;\n"
    "juri.malang;Juri Malang;juri;;Kabupaten Malang;\n"
)


def rows(html: str) -> dict[int, list[str]]:
    found = {}
    for line, cell in re.findall(
        r'data-testid="import-row" data-line="(\d+)".*?<td>.*?</td>(.*?)</tr>', html, re.S
    ):
        found[int(line)] = re.findall(r'data-testid="row-error">([^<]*)<', cell)
    return found


async def _accounts() -> set[str]:
    return {r["username"] for r in await Account.select(Account.username)}


async def test_bad_rows_are_named_and_nothing_is_written(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    before = await _accounts()
    events_before = await AuditEvent.count()
    response = await organiser.post(
        "/panitia/akun/impor", files={"file": ("akun.csv", GOOD_AND_BAD.encode(), "text/csv")}
    )
    assert response.status_code == 422
    found = rows(response.text)
    assert found[2] == [] and found[7] == []
    assert any("Atlantis" in e for e in found[3]), found[3]
    assert any("peserta.sby" in e for e in found[4]), found[4]
    assert any("Peran" in e or "role" in e.lower() for e in found[5]), found[5]
    assert any("baris 2" in e or "row 2" in e for e in found[6]), found[6]
    assert 'data-testid="import-confirm"' not in response.text
    # A forged confirmation with the bad rows is refused too.
    payload = json.dumps([{"line": 3, "username": "x.atlantis", "role": "peserta", "team": "Atlantis"}])
    forged = await organiser.post("/panitia/akun/impor/simpan", data={"payload": payload})
    assert forged.status_code == 422
    assert await _accounts() == before
    assert await AuditEvent.count() == events_before

    # The fixed file (semicolons, names instead of codes) previews cleanly, and writes on confirmation.
    response = await organiser.post(
        "/panitia/akun/impor", files={"file": ("akun.csv", FIXED.encode(), "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert all(errors == [] for errors in rows(response.text).values())
    assert await _accounts() == before
    payload = re.search(r'name="payload" value="([^"]+)"', response.text).group(1)
    import html as html_lib

    done = await organiser.post("/panitia/akun/impor/simpan", data={"payload": html_lib.unescape(payload)})
    assert done.status_code == 200 and 'data-testid="import-done"' in done.text
    assert await _accounts() == before | {"peserta.kediri", "peserta.blitar", "juri.malang"}
    kediri = await Account.select().where(Account.username == "peserta.kediri").first()
    assert await verify_password(kediri["password_hash"], "rahasia-kediri")
    assert kediri["team"] == season.team_ids["35.06"] and kediri["role"] == "participant"
    malang = await Account.select().where(Account.username == "juri.malang").first()
    assert malang["region_code"] == "35.07" and malang["role"] == "judge"
    # A generated password is shown once, and it works.
    generated = re.findall(r"<td>peserta\.blitar</td>.*?<code>([^<]+)</code>", done.text, re.S)
    assert generated and len(generated[0]) >= 8
    new = await browser_factory()
    assert (
        await new.post("/masuk", data={"username": "peserta.blitar", "password": generated[0]})
    ).status_code in (
        302,
        303,
    )
    assert await AuditEvent.count() == events_before + 3
    # Confirming the same file twice writes nothing more.
    again = await organiser.post("/panitia/akun/impor/simpan", data={"payload": html_lib.unescape(payload)})
    assert again.status_code == 422


async def test_xlsx_import_names_bad_rows(app, season, browser_factory):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Username", "Nama", "Peran", "Tim", "Wilayah", "Kata sandi"])
    sheet.append(["peserta.jember", "Tim Jember", "peserta", "35.09", None, "rahasia-jember"])
    sheet.append(["peserta.x", "Tanpa Tim", "peserta", None, None, None])
    sheet.append(["juri.y", "Juri Y", None, None, 35.07, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    organiser = await browser_factory("panitia")
    before = await _accounts()
    response = await organiser.post(
        "/panitia/akun/impor",
        files={
            "file": (
                "akun.xlsx",
                buffer.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )
    assert response.status_code == 422
    found = rows(response.text)
    assert found[2] == [] and found[3] and found[4]
    assert await _accounts() == before


async def test_unreadable_files_are_refused(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    for name, content in (("akun.xlsx", b"not a zip"), ("akun.pdf", b"%PDF"), ("akun.csv", b"a,b\n1,2\n")):
        response = await organiser.post("/panitia/akun/impor", files={"file": (name, content, "text/plain")})
        assert response.status_code == 422 and 'data-testid="import-error"' in response.text
    assert (await organiser.post("/panitia/akun/impor", data={})).status_code == 422


async def test_password_reset_ends_sessions_and_export(app, season, browser_factory):
    participant = await browser_factory("peserta.sby")
    assert (await participant.get("/kegiatan")).status_code == 200
    organiser = await browser_factory("panitia")
    account_id = season.accounts["peserta.sby"]
    short = await organiser.post(
        f"/panitia/akun/{account_id}/sandi", data={"password": "x", "password2": "x"}
    )
    assert short.status_code == 422
    ok = await organiser.post(
        f"/panitia/akun/{account_id}/sandi",
        data={"password": "sandi-baru-123", "password2": "sandi-baru-123"},
    )
    assert ok.status_code in (302, 303)
    assert (await participant.get("/kegiatan")).status_code in (302, 303, 401)  # signed out
    fresh = await browser_factory()
    await fresh.login("peserta.sby", "sandi-baru-123")
    event = await AuditEvent.select().where(AuditEvent.action == "account.password_reset").first()
    assert event and "sandi-baru" not in json.dumps(event, default=str)
    export = await organiser.get("/panitia/akun/ekspor")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "peserta.sby" in export.text and "password" not in export.text.lower()
