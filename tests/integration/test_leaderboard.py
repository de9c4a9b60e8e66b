"""The public leaderboard: stored standings, a fragment that answers 204 while nothing changed, probes."""

from __future__ import annotations

import re

from tests.integration.test_judge import submit


async def test_fragment_answers_204_until_the_standings_change(season, browser_factory):
    public = await browser_factory()
    page = (await public.get("/")).text
    version = int(re.search(r'data-version="(\d+)"', page).group(1))
    assert page.count('data-testid="board-row"') == 38
    assert 'hx-get="/papan/baris?versi=' in page and 'hx-trigger="sse:changed, every 5s' in page
    unchanged = await public.get(f"/papan/baris?versi={version}")
    assert unchanged.status_code == 204 and unchanged.content == b""
    activity_id = await submit(browser_factory)
    assert (await public.get(f"/papan/baris?versi={version}")).status_code == 204
    judge = await browser_factory("juri.mlg")
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    changed = await public.get(f"/papan/baris?versi={version}")
    assert changed.status_code == 200
    new_version = int(re.search(r'data-version="(\d+)"', changed.text).group(1))
    assert new_version > version
    first = re.search(r'data-testid="board-row" data-team="([\d.]+)"', changed.text).group(1)
    assert first == "35.78"
    assert "<html" not in changed.text
    assert (await public.get("/papan/baris?versi=abc")).status_code == 400


async def test_shared_ranks_are_shown_and_every_team_is_listed(season, browser_factory):
    page = (await (await browser_factory()).get("/")).text
    ranks = re.findall(r'data-testid="rank">(\d+)', page)
    assert ranks == ["1"] * 38
    assert page.count('class="tie"') == 38


async def test_team_page_and_unknown_team(season, browser_factory):
    public = await browser_factory()
    assert (await public.get("/tim/35.78")).status_code == 200
    missing = await public.get("/tim/99.99")
    assert missing.status_code == 404 and 'data-testid="error-page"' in missing.text


async def test_probes(season, browser_factory):
    public = await browser_factory()
    health = await public.get("/healthz")
    assert health.status_code == 200 and health.text == "ok"
    ready = await public.get("/readyz")
    assert ready.status_code == 200 and ready.text == "ok"


async def test_unknown_page_is_a_translated_404(season, browser_factory):
    response = await (await browser_factory()).get("/tidak-ada")
    assert response.status_code == 404 and 'lang="id"' in response.text
