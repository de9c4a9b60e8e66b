"""The leaderboard page `/` and the team pages are assembled per request from the viewer's shell
(navigation, CSRF token) and a body rendered once per (competition, view or team, period, audience,
version, freeze, locale, activity types or week),
chosen after the board policy decided: the body is reused while nothing changes, a change makes a new one,
the frozen public and the staff get different bodies, a private board refuses the anonymous visitor before
any body is chosen, and the shell still differs per viewer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.leaderboard import views
from app.tables import Competition

TEAM = "35.78"


@pytest.fixture(autouse=True)
def _nothing_kept(app: Any) -> None:
    """The application outlives a test: each starts with no page kept (a wiped database reuses ids)."""
    app.state["board_caches"].fragments.entries.clear()


def _bodies(app: Any) -> dict[Any, str]:
    """The page bodies the application keeps (keys of 9: the fragments' keys have 8)."""
    store = app.state["board_caches"]
    return {
        key: value for key, value in store.fragments.entries.items() if len(key) == 9 and key[0] != "team"
    }


def _teams(app: Any) -> dict[Any, Any]:
    """The team pages' summaries the application keeps."""
    store = app.state["board_caches"]
    return {key: value for key, value in store.fragments.entries.items() if key[0] == "team"}


def _csrf(html: str) -> str:
    found = re.search(r'"x-csrftoken": "([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _main(html: str) -> str:
    """What is below the viewer's navigation (the body from the kept bytes), the CSRF token left out."""
    return html.split('<nav class="chips"', 1)[1].split("</nav>", 1)[1].split("</main>", 1)[0]


async def test_the_page_body_is_made_once_per_version_and_audience(app, season, browser_factory):
    anonymous = await browser_factory()
    other = await browser_factory()
    participant = await browser_factory("peserta.mlg")
    organiser = await browser_factory("panitia")

    first = await anonymous.get("/")
    assert first.status_code == 200 and 'data-testid="board-row"' in first.text
    kept = _bodies(app)
    assert len(kept) == 1
    body = next(iter(kept.values()))
    again = await other.get("/")
    # The same bytes for another anonymous viewer, no new body made; its own CSRF token in its shell.
    assert _bodies(app) == kept and next(iter(_bodies(app).values())) is body
    assert _main(again.text) == _main(first.text) and body.strip() in again.text
    assert _csrf(again.text) != _csrf(first.text)

    # A participant is the public audience too: the same body, its own navigation.
    seen = await participant.get("/")
    assert len(_bodies(app)) == 1 and _main(seen.text) == _main(first.text)
    assert 'data-testid="nav-activities"' in seen.text and 'data-testid="nav-activities"' not in first.text
    # The organiser: the staff's body, the organiser's links.
    staff = await organiser.get("/")
    assert len(_bodies(app)) == 2
    assert 'data-testid="freeze-link"' in staff.text and 'data-testid="freeze-link"' not in seen.text
    assert 'data-testid="nav-console"' in staff.text

    # A change of the standings: new bytes for the next page, with the new score.
    before = _main(first.text)
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": TEAM, "points": "7", "reason": "Uji halaman"}
    )
    assert bonus.status_code in (302, 303)
    after = await anonymous.get("/")
    assert len(_bodies(app)) == 3 and _main(after.text) != before

    # What is served from the kept body equals the page rendered anew (nothing kept).
    app.state["board_caches"].fragments.entries.clear()
    fresh = await other.get("/")
    assert _main(fresh.text) == _main(after.text)


async def test_frozen_public_and_staff_and_locales(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    public = await browser_factory()
    english = await browser_factory()
    await english.get("/bahasa/en?next=/")

    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": TEAM, "points": "9", "reason": "Sesudah beku"}
    )
    assert bonus.status_code in (302, 303)
    frozen = (await public.get("/")).text
    live = (await organiser.get("/")).text
    assert 'data-testid="frozen-staff-notice"' in live and 'data-testid="frozen-staff-notice"' not in frozen
    assert _main(frozen) != _main(live)
    # The public's body is the freeze's, and stays it while the live standings move.
    keys = [key for key in _bodies(app) if key[3] == views.PUBLIC]
    assert len(keys) == 1 and keys[0][5] is not None
    assert _main((await public.get("/")).text) == _main(frozen)

    # Indonesian and English bodies are kept apart.
    in_english = (await english.get("/")).text
    assert "Whole season" in in_english and "Seluruh musim" in frozen
    assert {key[6] for key in _bodies(app) if key[3] == views.PUBLIC} == {"id", "en"}
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})


async def test_a_private_board_refuses_the_anonymous_visitor_before_any_body(app, season, browser_factory):
    await Competition.update({Competition.is_private: True}).where(Competition.id == season.competition.id)
    views.invalidate()
    anonymous = await browser_factory()
    member = await browser_factory("peserta.mlg")
    refused = await anonymous.get("/")
    assert refused.status_code in (302, 303) and refused.headers["location"].startswith("/masuk")
    assert _bodies(app) == {}
    shown = await member.get("/")
    assert shown.status_code == 200 and 'data-testid="board-row"' in shown.text
    assert len(_bodies(app)) == 1
    # A body kept for a member is never served to the anonymous visitor.
    again = await anonymous.get("/")
    assert again.status_code in (302, 303) and 'data-testid="board-row"' not in again.text


def _summary(html: str) -> str:
    return html.split('data-testid="live">', 1)[1].split("</main>", 1)[0]


async def test_the_team_page_is_made_once_per_version_and_audience(app, season, browser_factory):
    anonymous = await browser_factory()
    other = await browser_factory()
    participant = await browser_factory("peserta.mlg")
    organiser = await browser_factory("panitia")
    english = await browser_factory()
    await english.get("/bahasa/en?next=/")
    url = f"/tim/{TEAM}"

    first = await anonymous.get(url)
    assert first.status_code == 200 and 'property="og:title"' in first.text
    kept = _teams(app)
    assert len(kept) == 1
    made = next(iter(kept.values()))
    again = await other.get(url)
    assert next(iter(_teams(app).values())) is made and _summary(again.text) == _summary(first.text)
    assert _csrf(again.text) != _csrf(first.text)
    seen = await participant.get(url)
    assert len(_teams(app)) == 1 and 'data-testid="nav-activities"' in seen.text
    assert _summary(seen.text) == _summary(first.text)
    await organiser.get(url)
    await english.get(url)
    assert len(_teams(app)) == 3  # the staff's, and the public's in English
    # Another team is a summary of its own.
    assert (await anonymous.get("/tim/35.73")).status_code == 200 and len(_teams(app)) == 4
    assert (await anonymous.get("/tim/99.99")).status_code == 404

    # The freeze: a change after it gives the staff new bytes, the public keeps the freeze's.
    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    frozen = _summary((await anonymous.get(url)).text)
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": TEAM, "points": "11", "reason": "Sesudah beku"}
    )
    assert bonus.status_code in (302, 303)
    staff_before = {key for key in _teams(app) if key[4] != views.PUBLIC}
    live = _summary((await organiser.get(url)).text)
    assert {key for key in _teams(app) if key[4] != views.PUBLIC} - staff_before
    assert _summary((await anonymous.get(url)).text) == frozen != live
    # What is served from the kept summary equals the page rendered anew.
    app.state["board_caches"].fragments.entries.clear()
    assert _summary((await other.get(url)).text) == frozen
    assert _summary((await organiser.get(url)).text) == live
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})


async def test_a_private_board_refuses_the_team_page_before_any_summary(app, season, browser_factory):
    await Competition.update({Competition.is_private: True}).where(Competition.id == season.competition.id)
    views.invalidate()
    member = await browser_factory("peserta.mlg")
    assert (await member.get(f"/tim/{TEAM}")).status_code == 200 and len(_teams(app)) == 1
    refused = await (await browser_factory()).get(f"/tim/{TEAM}")
    assert refused.status_code in (302, 303) and TEAM not in refused.text
