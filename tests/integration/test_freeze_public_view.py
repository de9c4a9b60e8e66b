"""The frozen view of every public path is the board at the freeze: the public team page lists the
activities as they were (a verdict revised or a new one decided after the freeze changes nothing there),
and the API's `standings_version` stays the freeze's for the public."""

from __future__ import annotations

import re

from tests.integration.api import helpers
from tests.integration.test_judge import submit

api_factory = helpers.api_factory  # the API tests' client fixture

TEAM = "35.78"


def _listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li data-activity-id="(\d+)"', html)]


async def _verify(judge, activity_id: int) -> None:
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert response.status_code in (302, 303), response.text[:300]


async def test_the_public_team_page_lists_the_activities_of_the_freeze(season, browser_factory):
    organiser = await browser_factory("panitia")
    judge = await browser_factory("juri.mlg")
    public = await browser_factory()
    participant = await browser_factory("peserta.mlg")
    kept = await submit(browser_factory, title="Sambang sebelum beku")
    await _verify(judge, kept)
    before = (await public.get(f"/tim/{TEAM}")).text
    assert _listed(before) == [kept]

    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    # After the freeze: the verdict on the listed activity is revised, and another one is verified.
    revised = await judge.post(
        f"/juri/ulasan/{kept}", data={"decision": "rejected", "reason": "Foto di luar wilayah"}
    )
    assert revised.status_code in (302, 303), revised.text[:300]
    late = await submit(browser_factory, title="Sambang sesudah beku")
    await _verify(judge, late)

    for viewer in (public, participant):
        page = (await viewer.get(f"/tim/{TEAM}")).text
        assert _listed(page) == [kept] and "Sambang sesudah beku" not in page
        summary = (await viewer.get(f"/tim/{TEAM}/ringkas")).text
        assert _listed(summary) == [kept]
    # Organisers and judges see today's list.
    assert _listed((await organiser.get(f"/tim/{TEAM}")).text) == [late]
    assert _listed((await judge.get(f"/tim/{TEAM}")).text) == [late]

    assert (await organiser.post("/panitia/beku", data={"action": "unfreeze"})).status_code in (302, 303)
    assert _listed((await public.get(f"/tim/{TEAM}")).text) == [late]


async def test_the_public_api_shows_the_standings_version_of_the_freeze(season, browser_factory, api_factory):
    organiser = await browser_factory("panitia")
    anonymous = await api_factory()
    participant = await api_factory("peserta.mlg")
    staff = await api_factory("panitia")

    async def versions(api) -> tuple[int, int]:
        one = (await api.get("/api/v1/competitions/uji")).json()["standings_version"]
        listed = (await api.get("/api/v1/competitions")).json()["items"]
        return one, next(c for c in listed if c["slug"] == "uji")["standings_version"]

    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    (frozen, _), live = await versions(anonymous), await versions(staff)
    assert live == (frozen, frozen)  # the freeze is a version of its own, the same for everyone
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": TEAM, "points": "5", "reason": "Sesudah beku"}
    )
    assert bonus.status_code in (302, 303)
    assert await versions(anonymous) == (frozen, frozen)
    assert await versions(participant) == (frozen, frozen)
    moved = await versions(staff)
    assert moved[0] > frozen and moved[1] > frozen
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})
    assert (await versions(anonymous))[0] > moved[0]
