"""The team page's people ("both partners"): the Senkom members and the officers of its verified activities,
each with a count, an officer's confirmations counted for the team served; the public of a frozen board
sees the people of the activities copied at the freeze; a private board shows nobody to the anonymous."""

from __future__ import annotations

import re

from app.db import write_transaction
from app.leaderboard.people import tally
from app.leaderboard.services import recompute
from app.tables import Activity, Competition
from tests.integration.test_judge import submit

TEAM = "35.78"


def people(html: str, side: str) -> dict[str, str]:
    """Person -> count text, as listed on one side ("senkom" or "officers")."""
    listed = re.search(rf'data-testid="people-{side}">(.*?)</ul>', html, re.S)
    if listed is None:
        return {}
    return {
        who: re.sub(r"<[^>]+>", "", count).strip()
        for who, count in re.findall(
            r'<span class="person-name">(.*?)</span>'
            r'<span class="num" data-testid="person-count">(.*?)</span></li>',
            listed.group(1),
            re.S,
        )
    }


async def _verified(browser_factory, **form) -> int:
    activity_id = await submit(browser_factory, **form)
    judge = await browser_factory("juri.mlg")
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert response.status_code in (302, 303), response.text[:300]
    return activity_id


async def _confirm(season, activity_id: int) -> None:
    async with write_transaction():
        await Activity.update({Activity.officer_confirmed: True}).where(Activity.id == activity_id)
        await recompute(season.competition)


async def test_the_team_page_lists_the_people_of_its_verified_activities(app, season, browser_factory):
    first = await _verified(browser_factory, title="Sambang satu")
    await _verified(
        browser_factory,
        title="Sambang dua",
        senkom_members="ahmad  santoso\nDewi Kartika",  # the same Ahmad, typed differently
        officer_name=["Budi Wibowo", "Rina Sari"],
        officer_rank=["Bripka", "Aipda"],
        officer_nrp=["85011234", "86020001"],
        officer_polres=["Polrestabes Surabaya", "Polrestabes Surabaya"],
    )
    # Waiting for the jury: its people are not the team's yet.
    await submit(browser_factory, title="Belum diputuskan", senkom_members="Joko Waluyo")
    public = await browser_factory()
    # The app lives for the whole session: other tests' teams may sit in the same cache.
    app.state["board_caches"].people.entries.clear()
    html = (await public.get(f"/tim/{TEAM}")).text
    assert 'data-testid="team-people"' in html and "Orang-orang tim" in html
    assert people(html, "senkom") == {
        "Ahmad Santoso": "2 kegiatan",
        "Dewi Kartika": "1 kegiatan",
        "Siti Lestari": "1 kegiatan",
    }
    assert people(html, "officers") == {"Bripka Budi Wibowo": "2 kegiatan", "Aipda Rina Sari": "1 kegiatan"}
    assert "Joko Waluyo" not in html
    # Counted once per version of the team's standing: the fragment's poll reads the same list.
    ((key, counted),) = app.state["board_caches"].people.entries.items()
    await public.get(f"/tim/{TEAM}/ringkas")
    assert list(app.state["board_caches"].people.entries) == [key]
    assert app.state["board_caches"].people.entries[key] is counted  # not counted again

    # An officer's confirmation counts for the team served.
    await _confirm(season, first)
    html = (await public.get(f"/tim/{TEAM}")).text
    assert people(html, "officers")["Bripka Budi Wibowo"] == "2 kegiatan · ✓ 1 dikonfirmasi"
    assert people(html, "officers")["Aipda Rina Sari"] == "1 kegiatan"
    await public.get(f"/bahasa/en?next=/tim/{TEAM}")
    english = (await public.get(f"/tim/{TEAM}")).text
    assert "The team&#39;s people" in english or "The team's people" in english
    assert people(english, "officers")["Bripka Budi Wibowo"] == "2 activities · ✓ 1 confirmed"
    # The live fragment carries the list too.
    assert "Dewi Kartika" in (await public.get(f"/tim/{TEAM}/ringkas")).text


async def test_the_frozen_view_shows_the_people_of_the_freeze(season, browser_factory):
    organiser = await browser_factory("panitia")
    public = await browser_factory()
    await _verified(browser_factory, title="Sebelum beku")
    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    late = await _verified(browser_factory, title="Sesudah beku", senkom_members="Joko Waluyo")
    await _confirm(season, late)
    frozen = (await public.get(f"/tim/{TEAM}")).text
    assert 'data-testid="frozen-notice"' in frozen
    assert people(frozen, "senkom") == {"Ahmad Santoso": "1 kegiatan", "Siti Lestari": "1 kegiatan"}
    assert people(frozen, "officers") == {"Bripka Budi Wibowo": "1 kegiatan"}  # no confirmation then
    assert (
        "Joko Waluyo" not in frozen and "Joko Waluyo" not in (await public.get(f"/tim/{TEAM}/ringkas")).text
    )
    # Organisers see today's people.
    live = (await organiser.get(f"/tim/{TEAM}")).text
    assert people(live, "senkom")["Joko Waluyo"] == "1 kegiatan"
    assert people(live, "officers")["Bripka Budi Wibowo"] == "2 kegiatan · ✓ 1 dikonfirmasi"
    assert (await organiser.post("/panitia/beku", data={"action": "unfreeze"})).status_code in (302, 303)
    assert people((await public.get(f"/tim/{TEAM}")).text, "senkom")["Joko Waluyo"] == "1 kegiatan"


async def test_a_private_board_shows_no_people_to_the_anonymous(season, browser_factory):
    await _verified(browser_factory)
    await Competition.update({Competition.is_private: True}).where(Competition.id == season.competition.id)
    response = await (await browser_factory()).get(f"/tim/{TEAM}")
    assert "Ahmad Santoso" not in response.text and "Budi Wibowo" not in response.text
    participant = (await (await browser_factory("peserta.mlg")).get(f"/tim/{TEAM}")).text
    assert people(participant, "senkom")["Ahmad Santoso"] == "1 kegiatan"


def test_the_tally_counts_thousands_and_keeps_the_most_active_first() -> None:
    rows = [
        {"senkom_members": [{"name": f"Anggota {i % 40}"}], "officers": [{"name": "Budi", "nrp": "85011234"}]}
        for i in range(1234)
    ]
    rows.append({"senkom_members": "[]", "officers": '[{"name": "budi w", "nrp": "8501 1234"}]'})
    counted = tally(rows)
    assert counted.senkom_total == 40 and len(counted.senkom) == 30 and counted.senkom_more == 10
    assert [p.activities for p in counted.senkom][:2] == [31, 31]
    (officer,) = counted.officers
    assert officer.name == "Budi" and officer.activities == 1235 and officer.confirmed == 0
