"""Rubric scores and a judge's q through HTTP are written the user's way: "3,5" and "1.234,5" in Indonesian,
"3.5" and "1,234.5" once English is chosen; form values and data attributes keep the stored "3.5"."""

from __future__ import annotations

import json
import re

from app.tables import Assignment, RubricCriterion, Stage
from tests.integration.conftest import activity_form, form_key


async def add_rubric(competition_id: int, scope: str) -> None:
    prefix = "T" if scope == "team" else "A"
    await RubricCriterion.insert(
        RubricCriterion(
            competition=competition_id,
            code=f"{prefix}SINERGI",
            name="Sinergi",
            name_en="Synergy",
            weight="0.6",
            min="0.5",
            max="5",
            position=0,
            scope=scope,
            levels=json.dumps([{"score": "2.5", "id": "Cukup", "en": "Fair"}]),
        ),
        RubricCriterion(
            competition=competition_id,
            code=f"{prefix}DAMPAK",
            name="Dampak",
            name_en="Impact",
            weight="0.4",
            min="0",
            max="2000",
            position=1,
            scope=scope,
        ),
    )


async def submit(browser_factory) -> int:
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    response = await b.send_activity(activity_form(key, title="Ronda bersama"))
    assert response.status_code in (302, 303), response.text[:400]
    return int(response.headers["location"].split("/")[2].split("?")[0])


def version_scores(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", s).strip()
        for s in re.findall(r'data-testid="version-scores">(.*?)</span>', html, re.S)
    ]


def team_scores(html: str) -> list[str]:
    items = re.findall(r'data-testid="my-team-review".*?<br><span class="small">(.*?)</span>', html, re.S)
    return [re.sub(r"\s+", " ", s).strip() for s in items]


def history_cells(html: str) -> list[tuple[str, str]]:
    """(scores, q) of each row of the organiser's review history."""
    rows = re.findall(r'<tr data-testid="review-version".*?</tr>', html, re.S)
    out = []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out.append((cells[3].strip(), cells[4].strip()))
    return out


async def test_scores_and_q_are_written_the_users_way(season, browser_factory):
    await add_rubric(season.competition.id, "activity")
    activity_id = await submit(browser_factory)
    judge = await browser_factory("juri.mlg")

    # The rubric beside the form: a level's score and the scale, the Indonesian way.
    page = (await judge.get("/juri")).text
    assert "<b>2,5</b> — Cukup" in page and 'data-score="2.5"' in page
    assert 'data-min="0.5"' in page

    # Out of range: the bounds in the message as the form shows them.
    url = f"/juri/kegiatan/{activity_id}/keputusan"
    bad = await judge.post(url, data={"decision": "verified", "score_ASINERGI": "0,25", "score_ADAMPAK": "1"})
    assert bad.status_code == 422 and "antara 0,5 dan 5" in bad.text

    done = await judge.post(
        url, data={"decision": "verified", "score_ASINERGI": "3,5", "score_ADAMPAK": "1234,5"}
    )
    assert done.status_code in (302, 303), done.text[:400]

    # The judge's own reviews.
    mine = (await judge.get("/juri/ulasan")).text
    assert version_scores(mine) == ["Sinergi 3,5 · Dampak 1.234,5"]
    # The organiser's view of the activity: every version with its scores and q.
    organiser = await browser_factory("panitia")
    history = (await organiser.get(f"/panitia/kegiatan/{activity_id}")).text
    assert history_cells(history) == [("Sinergi: 3,5; Dampak: 1.234,5", "0,647")]

    # English chosen: the English way.
    await judge.get("/bahasa/en?next=/juri/ulasan")
    mine = (await judge.get("/juri/ulasan")).text
    assert version_scores(mine) == ["Synergy 3.5 · Impact 1,234.5"]
    await organiser.get(f"/bahasa/en?next=/panitia/kegiatan/{activity_id}")
    history = (await organiser.get(f"/panitia/kegiatan/{activity_id}")).text
    assert history_cells(history) == [("Synergy: 3.5; Impact: 1,234.5", "0.647")]
    # The revision form keeps what was stored, as its value.
    form = (await judge.get(f"/juri/ulasan/{activity_id}")).text
    assert 'value="3.5"' in form and "<b>2.5</b> — Fair" in form


async def test_team_scores_on_the_judges_own_reviews(season, browser_factory):
    await add_rubric(season.competition.id, "team")
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    assignment = Assignment(
        competition=season.competition.id,
        stage=stage["id"],
        team=season.team_ids["35.78"],
        judge=season.accounts["juri.mlg"],
    )
    await assignment.save()
    judge = await browser_factory("juri.mlg")

    bad = await judge.post(
        "/juri/tim/nilai", data={"assignment": assignment.id, "score_TSINERGI": "9", "score_TDAMPAK": "1"}
    )
    assert bad.status_code == 422 and "antara 0,5 dan 5" in bad.text
    saved = await judge.post(
        "/juri/tim/nilai",
        data={"assignment": assignment.id, "score_TSINERGI": "3.5", "score_TDAMPAK": "1234.5"},
    )
    assert saved.status_code in (302, 303), saved.text[:400]

    assert team_scores((await judge.get("/juri/ulasan")).text) == ["Sinergi 3,5 · Dampak 1.234,5"]
    await judge.get("/bahasa/en?next=/juri/ulasan")
    assert team_scores((await judge.get("/juri/ulasan")).text) == ["Synergy 3.5 · Impact 1,234.5"]
