"""The organisers' console home (the season at a glance), its menu on every console page, and the audit
trail in words."""

from __future__ import annotations

import re

from tests.integration.test_participant_followup import _decide, _sent

SECTIONS = (
    "/panitia",
    "/panitia/musim",
    "/panitia/tahap",
    "/panitia/juri",
    "/panitia/aturan",
    "/panitia/tim",
    "/panitia/akun",
    "/panitia/penyesuaian",
    "/panitia/musim/hasil-akhir",
    "/panitia/audit",
)
CONSOLE_PAGES = (
    *SECTIONS,
    "/panitia/akun/impor",
    "/panitia/aturan/pratinjau",
    "/panitia/aturan/terbitkan",
    "/panitia/juri/tugas",
    "/panitia/beku",
    "/panitia/audit/verifikasi",
)


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="console".*?</nav>', html, re.S)
    assert nav, "the console menu is on the page"
    return re.findall(r'href="([^"]+)"', nav.group(0))


async def test_home_shows_the_season_at_a_glance(season, browser_factory):
    team = await browser_factory("peserta.sby")
    first = await _sent(team, title="Satu")
    await _sent(team, title="Dua")
    await _decide(await browser_factory("juri.mlg"), first, "verified")
    organiser = await browser_factory("panitia")
    signed = await (await browser_factory()).post(
        "/masuk", data={"username": "panitia", "password": "rahasia-123"}
    )
    assert signed.headers["location"] == "/panitia"  # the organisers land on their home
    home = await organiser.get("/panitia")
    assert home.status_code == 200
    assert 'data-testid="glance-waiting" data-count="1"' in home.text
    assert 'data-testid="glance-frozen" data-frozen="0"' in home.text
    assert 'data-testid="glance-final" data-final="0"' in home.text
    assert re.search(r'data-testid="glance-rules" data-version="\d+"', home.text)
    assert "Verifikasi kegiatan" in home.text  # the current stage by name
    assert "Satu musim" not in home.text


async def test_every_console_page_has_the_menu_to_every_section(season, browser_factory):
    organiser = await browser_factory("panitia")
    for url in CONSOLE_PAGES:
        response = await organiser.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        menu = _menu(response.text)
        assert set(SECTIONS) <= set(menu), (url, set(SECTIONS) - set(menu))
        # One way to the rules from the console: the editor; the public reference only in the top bar.
        assert response.text.count('href="/aturan"') == 1, url
        assert menu.count("/panitia/aturan") == 1, url
    # The current section is marked.
    stages = (await organiser.get("/panitia/tahap")).text
    assert re.search(r'href="/panitia/tahap" data-testid="console-stages" aria-current="page"', stages)


async def test_the_audit_trail_speaks_in_words(season, browser_factory):
    organiser = await browser_factory("panitia")
    created = await organiser.post(
        "/panitia/akun",
        data={"username": "juri.baru", "full_name": "Juri Baru", "role": "judge", "password": "rahasia-456"},
    )
    assert created.status_code in (302, 303), created.text[:500]
    await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.07", "points": "3", "reason": "Bonus kegiatan bencana"}
    )
    page = (await organiser.get("/panitia/audit")).text
    assert "Akun dibuat" in page and "Bonus atau penalti diberikan" in page
    assert "<code>account.create</code>" not in page and '<pre class="json">' not in page
    assert re.search(r'<span class="field">Peran:</span>\s*<ins>Juri</ins>', page)
    # Every recorded field by name, the demo seeding's counts and a judge's regency included.
    assert 'class="field">region_code' not in page
    assert 'class="field">Kabupaten/kota:</span>' in page
    # A published ruleset's tie-break chain by name, not by key.
    await organiser.post("/panitia/aturan/terbitkan", data={"note": "Versi baru", "confirm": "1"})
    page = (await organiser.get("/panitia/audit")).text
    assert "earliest_last_activity" not in page and "Kegiatan terakhir paling awal" in page
    # The filter offers the actions by name, with the codes as values.
    assert '<option value="account.create" >Akun dibuat</option>' in page or re.search(
        r'<option value="account.create"\s*>Akun dibuat</option>', page
    )
