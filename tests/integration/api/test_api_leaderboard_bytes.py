"""The API leaderboard is served from bytes made once per standings version, after the board policy has
decided: the bytes equal what is built for that version, a change makes new ones, and while the board is
frozen the public gets the freeze's bytes and the staff the live ones."""

from __future__ import annotations

import json
from typing import Any

from app.api import leaderboard as api_leaderboard
from app.competitions.services import competition_by_id
from app.i18n import set_locale
from tests.integration.api import helpers

api_factory = helpers.api_factory

URL = "/api/v1/competitions/uji/leaderboard"


class _Organiser:
    role = "organiser"


async def _built(season: Any, staff: bool) -> dict[str, Any]:
    """What the answer holds when built now for the viewer (without the time it was made)."""
    set_locale("id")
    competition = await competition_by_id(season.competition.id)
    viewer = (
        type("Staff", (), {"role": "organiser", "id": season.accounts.get("panitia")})() if staff else None
    )
    board, frozen = await api_leaderboard.LeaderboardController._board(
        None,  # type: ignore[arg-type]
        competition,
        viewer,  # type: ignore[arg-type]
        "overall",
        "season",
    )
    built = json.loads(
        api_leaderboard.encode_json(
            api_leaderboard._leaderboard_out(competition, "overall", "season", board, frozen)
        )
    )
    built.pop("generated_at")
    return built


def _content(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    body.pop("generated_at")
    return body


async def test_the_api_leaderboard_bytes(season: Any, browser_factory: Any, api_factory: Any) -> None:
    anonymous = await api_factory()
    staff = await api_factory("panitia")
    organiser = await browser_factory("panitia")

    first = await anonymous.get(URL)
    again = await anonymous.get(URL)
    assert first.content == again.content, "the same bytes while nothing changed"
    assert _content(first) == await _built(season, staff=False)
    assert first.json()["rows"] and first.json()["frozen"] is False

    # A change (an adjustment of 9191 points) makes new bytes, equal to what is built for the new version.
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "9191", "reason": "Bonus uji"}
    )
    assert bonus.status_code in (302, 303)
    changed = await anonymous.get(URL)
    assert changed.content != first.content
    assert _content(changed) == await _built(season, staff=False)
    assert "9191" in changed.text and "9191" not in first.text

    # Frozen: the public's bytes are the freeze's and stay so after another change; the staff's follow.
    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    frozen = await anonymous.get(URL)
    assert frozen.json()["frozen"] is True
    staff_before = await staff.get(URL)
    assert staff_before.json()["frozen"] is False
    more = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.07", "points": "7373", "reason": "Bonus sesudah beku"}
    )
    assert more.status_code in (302, 303)
    frozen_again = await anonymous.get(URL)
    assert frozen_again.content == frozen.content and "7373" not in frozen_again.text
    assert _content(frozen_again) == await _built(season, staff=False)
    staff_after = await staff.get(URL)
    assert "7373" in staff_after.text and staff_after.content != staff_before.content
    assert _content(staff_after) == await _built(season, staff=True)
