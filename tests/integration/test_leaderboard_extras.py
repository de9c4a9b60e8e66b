"""The map, the exports, the big screen and the award night reveal; none of them leaks past a freeze."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from app.leaderboard.map import LAYOUT
from tests.integration.test_judge import submit
from tests.integration.test_leaderboard_views import A, B, weeks  # noqa: F401  (fixture)


async def test_map_has_every_regency_with_its_rank_and_a_text_alternative(weeks, browser_factory):  # noqa: F811
    public = await browser_factory()
    page = (await public.get("/peta")).text
    tiles = re.findall(
        r'data-testid="map-tile" data-team="([\d.]+)" data-rank="(\d*)" data-level="(\d)"', page
    )
    assert len(tiles) == 38 and {t[0] for t in tiles} == set(LAYOUT)
    by_code = {code: (int(rank), int(level)) for code, rank, level in tiles}
    assert by_code[B] == (1, 4) and by_code[A][0] == 2 and by_code["35.01"] == (3, 0)
    assert 'href="/tim/35.78"' in page and 'data-testid="map-legend"' in page
    table = re.search(r'data-testid="map-table".*?</table>', page, re.S).group(0)
    assert table.count("<tr data-team=") == 38 and "Kota Surabaya" in table
    assert 'sse-connect="/papan/sse"' in page
    version = re.search(r'data-testid="map" data-version="(\d+)"', page).group(1)
    assert (await public.get(f"/peta/isi?versi={version}")).status_code == 204


async def test_exports_have_indonesian_headers_and_numbers(weeks, browser_factory):  # noqa: F811
    public = await browser_factory()
    response = await public.get("/papan/unduh.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("sep=,\r\n")  # Excel under Indonesian settings still splits on commas
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows[0][:5] == ["Peringkat", "Kode tim", "Tim", "Skor", "Kegiatan yang dihitung"]
    # Two decimals and a decimal point: "102.083" would read as 102083 under Indonesian settings.
    assert all(re.fullmatch(r"\d+\.\d\d", row[3]) for row in rows[1:])
    assert rows[1][:2] == ["1", B] and float(rows[1][3]) > float(rows[2][3]) > 0 and len(rows) == 39
    xlsx = await public.get("/papan/unduh.xlsx?tampilan=cluster:kamtibmas")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Peringkat" and values[1][0] == 1 and values[1][1] == B
    assert isinstance(values[1][3], float) and values[1][3] > 0
    assert (await public.get("/papan/unduh.pdf")).status_code == 404
    assert (await public.get("/papan/unduh.csv?periode=x")).status_code == 400


async def test_big_screen_pages_the_whole_board_then_the_clusters(weeks, browser_factory):  # noqa: F811
    public = await browser_factory()
    page = (await public.get("/layar")).text
    assert 'data-step="0"' in page and 'hx-get="/layar/isi?langkah=1"' in page
    assert 'sse-connect="/papan/sse"' in page and page.count('data-testid="board-row"') == 10
    assert 'data-testid="screen-clock"' in page and "WIB" in page
    titles, teams = [], []
    for step in range(8):  # 38 teams: four pages of the overall board, three clusters, this week
        fragment = (await public.get(f"/layar/isi?langkah={step}")).text
        titles.append(re.search(r'data-testid="screen-title">([^<]+)<', fragment).group(1))
        if step < 4:
            teams += re.findall(r'data-testid="board-row" data-team="([\d.]+)"', fragment)
    assert len(set(teams)) == 38 and len(teams) == 38  # every team, once
    assert titles[0].endswith("halaman 1 dari 4") and titles[3].endswith("halaman 4 dari 4")
    assert len(set(titles)) == 8 and "Klaster Kamtibmas" in titles[4] and "Pekan" in titles[7]
    assert 'data-step="0"' in (await public.get("/layar/isi?langkah=8")).text


async def test_reveal_steps_from_the_last_place_to_juara_one(weeks, browser_factory):  # noqa: F811
    organiser = await browser_factory("panitia")
    start = (await organiser.get("/panitia/pengumuman")).text
    assert 'data-step="0"' in start and "reveal-row" not in start
    total = int(re.search(r'data-total="(\d+)"', start).group(1))
    assert total == 38  # every team, the 36 sharing the last place first
    first = (await organiser.get("/panitia/pengumuman?langkah=1")).text
    assert re.findall(r'data-testid="reveal-row" data-rank="(\d+)"', first) == ["3"]
    # A shared place says so on the big card and in the list, as on the board: "3=".
    assert first.count('aria-label="Peringkat bersama">=</span>') == 2
    last = (await organiser.get(f"/panitia/pengumuman?langkah={total}")).text
    ranks = re.findall(r'data-testid="reveal-row" data-rank="(\d+)" data-team="([\d.]+)"', last)
    assert ranks[0] == ("1", B) and ranks[1] == ("2", A) and "Juara I" in last
    assert 'data-testid="reveal-done"' in last
    assert last.count('aria-label="Peringkat bersama">=</span>') == 36  # Juara I and II stand alone
    assert (await (await browser_factory("juri.mlg")).get("/panitia/pengumuman")).status_code == 403


async def test_map_export_and_screen_keep_the_frozen_standings(season, browser_factory):
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/beku", data={"action": "freeze"})
    activity_id = await submit(browser_factory)
    judge = await browser_factory("juri.mlg")
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    for viewer in (await browser_factory(), await browser_factory("peserta.sby")):
        page = (await viewer.get("/peta")).text
        assert set(re.findall(r'data-rank="(\d+)" data-level="(\d)"', page)) == {("1", "0")}
        rows = list(csv.reader(io.StringIO((await viewer.get("/papan/unduh.csv")).content.decode())))[1:]
        assert {float(r[3]) for r in rows[1:]} == {0.0}
        assert (await viewer.get("/papan/unduh.csv?periode=week:2024-W07")).text.count("\n") == 2
        screen = (await viewer.get("/layar")).text
        assert "Papan peringkat dibekukan" in screen
        assert re.findall(r'data-testid="rank">(\d+)<span class="tie"', screen) == ["1"] * 10
    staff_rows = list(csv.reader(io.StringIO((await judge.get("/papan/unduh.csv")).content.decode())))[1:]
    assert staff_rows[1][1] == "35.78" and float(staff_rows[1][3]) > 0
    staff_map = (await judge.get("/peta")).text
    assert re.search(r'data-team="35.78" data-rank="1" data-level="4"', staff_map)
