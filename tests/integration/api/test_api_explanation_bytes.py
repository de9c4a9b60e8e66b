"""The API team explanation is served from bytes made once per (team, period, audience, visible version,
freeze, locale) after the board policy decided: the same bytes while nothing changes, equal to what is
built anew, a change makes new ones, and while frozen the public keeps the freeze's."""

from __future__ import annotations

from typing import Any

from tests.integration.api import helpers

api_factory = helpers.api_factory

URL = "/api/v1/competitions/uji/teams/35.78/explanation"


def _kept(app: Any) -> dict[Any, bytes]:
    entries = app.state["board_caches"].fragments.entries
    return {key: value for key, value in entries.items() if key[0] == "api-explanation"}


async def test_the_api_explanation_bytes(
    app: Any, season: Any, browser_factory: Any, api_factory: Any
) -> None:
    app.state["board_caches"].fragments.entries.clear()
    anonymous = await api_factory()
    staff = await api_factory("panitia")
    organiser = await browser_factory("panitia")

    first = await anonymous.get(URL)
    assert first.status_code == 200 and first.json()["team_code"] == "35.78", first.text
    made = next(iter(_kept(app).values()))
    again = await anonymous.get(URL)
    assert again.content == first.content and next(iter(_kept(app).values())) is made
    # Served from the kept bytes equals built anew (nothing kept).
    app.state["board_caches"].fragments.entries.clear()
    assert (await anonymous.get(URL)).content == first.content
    assert (await anonymous.get("/api/v1/competitions/uji/teams/99.99/explanation")).status_code == 404
    assert (await anonymous.get(URL + "?period=bogus")).status_code == 422

    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "9191", "reason": "Bonus uji"}
    )
    assert bonus.status_code in (302, 303)
    changed = await anonymous.get(URL)
    assert changed.content != first.content and "9191" in changed.text

    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    frozen = await anonymous.get(URL)
    more = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "7373", "reason": "Bonus sesudah beku"}
    )
    assert more.status_code in (302, 303)
    assert (await anonymous.get(URL)).content == frozen.content and "7373" not in frozen.text
    assert "7373" in (await staff.get(URL)).text
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})
