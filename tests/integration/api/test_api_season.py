"""A whole season through the API alone: competition, users, rubric, ruleset, activities, reviews,
adjustment, leaderboards and explanations, every score checked against a hand computation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.tables import Account, Activity, AuditEvent, Review
from tests.integration.api.helpers import activity_body, wib

SLUG = "musim-api"
RULESET = {
    "rules": [
        {"rule": "joint_only", "params": {"min_senkom": 1, "min_officers": 1}},
        {
            "rule": "points_per_activity",
            "params": {"points": {"DDS": 2, "PROBLEM_SOLVING": 5, "BENCANA": 4}, "default": 1},
        },
        {"rule": "reach_bonus", "params": {"step": 25, "per": 1, "max": 4}},
        {"rule": "preemptive_multiplier", "params": {"factor": 1.5}},
        {"rule": "judge_quality", "params": {"method": "mean", "floor": 0.5}},
    ],
    "tie_break": ["score", "counted_activities", "quality", "coverage", "earliest_last_activity"],
}
RUBRIC = {
    "criteria": [
        {"code": "kemitraan", "name": "Kemitraan", "weight": 60, "min": 0, "max": 100},
        {"code": "dampak", "name": "Dampak", "weight": "40", "min": "0", "max": "10"},
    ]
}


async def _setup(api_factory) -> dict:
    organiser = await api_factory("panitia")
    today = datetime.now(UTC).date()
    response = await organiser.post(
        "/api/v1/competitions",
        {
            "slug": SLUG,
            "name": "Lomba Sinergitas 2024 (API)",
            "starts_on": (today - timedelta(days=30)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "timezone": "Asia/Jakarta",
            "teams": "jatim",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == SLUG
    users = [
        {"username": "api.sby", "role": "participant", "team_code": "35.78", "competition": SLUG},
        {"username": "api.mlg", "role": "participant", "team_code": "35.07", "competition": SLUG},
        {"username": "api.juri.sby", "role": "judge", "region_code": "35.78"},
        {"username": "api.juri.mlg", "role": "judge", "region_code": "35.07"},
    ]
    for user in users:
        response = await organiser.post(
            "/api/v1/users", {"password": "rahasia-123", "full_name": user["username"].title(), **user}
        )
        assert response.status_code == 201, response.text
        assert response.json()["role"] == user["role"]
    response = await organiser.put(f"/api/v1/competitions/{SLUG}/rubric", RUBRIC)
    assert response.status_code == 200, response.text
    assert response.json()["criteria"][1] == {
        "code": "dampak",
        "name": "Dampak",
        "name_en": "",
        "weight": "40",
        "min": "0",
        "max": "10",
        "scope": "activity",
        "description": "",
        "levels": [],
    }
    response = await organiser.put(f"/api/v1/competitions/{SLUG}/ruleset", RULESET)
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2  # the default ruleset was version 1
    return {"organiser": organiser}


async def _submit(api, key: str, **overrides) -> int:
    response = await api.post(
        f"/api/v1/competitions/{SLUG}/activities",
        activity_body(**overrides),
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    return body["id"]


async def test_a_whole_season_through_the_api(season, api_factory):
    ctx = await _setup(api_factory)
    organiser = ctx["organiser"]
    # Only assigned judges review: the fixture's own judges step aside, so the API's judges get the work.
    await Account.update({Account.is_active: False}).where(Account.username.is_in(["juri.sby", "juri.mlg"]))
    sby = await api_factory("api.sby", "rahasia-123")
    mlg = await api_factory("api.mlg", "rahasia-123")
    juri_sby = await api_factory("api.juri.sby", "rahasia-123")
    juri_mlg = await api_factory("api.juri.mlg", "rahasia-123")

    a1 = await _submit(sby, "a1", type="DDS", residents_reached=60, preemptive=True, occurred_at=wib(3))
    a2 = await _submit(
        sby,
        "a2",
        type="PROBLEM_SOLVING",
        residents_reached=10,
        title="Mediasi sengketa batas",
        occurred_at=wib(2),
    )
    a3 = await _submit(
        sby, "a3", type="BENCANA", residents_reached=100, title="Simulasi banjir", occurred_at=wib(1)
    )
    b1 = await _submit(
        mlg,
        "b1",
        type="FKPM",
        residents_reached=30,
        preemptive=True,
        desa_code="35.07.01.2001",
        title="Forum warga",
        occurred_at=wib(2),
    )

    # Conflict of interest: the Surabaya judge may not decide a Surabaya activity.
    refused = await juri_sby.post(f"/api/v1/activities/{a1}/reviews", {"decision": "verified"})
    assert refused.status_code == 403
    # A rejection without a reason is invalid; the field is named.
    invalid = await juri_mlg.post(f"/api/v1/activities/{a3}/reviews", {"decision": "rejected"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "reason"

    review = await juri_mlg.post(
        f"/api/v1/activities/{a1}/reviews", {"decision": "verified", "scores": {"kemitraan": 80, "dampak": 5}}
    )
    assert review.status_code == 201, review.text
    assert review.json()["activity_status"] == "verified"
    assert review.json()["scores"] == {"kemitraan": "80", "dampak": "5"}
    assert (
        await juri_mlg.post(f"/api/v1/activities/{a2}/reviews", {"decision": "verified"})
    ).status_code == 201
    rejected = await juri_mlg.post(
        f"/api/v1/activities/{a3}/reviews", {"decision": "rejected", "reason": "Foto tidak jelas"}
    )
    assert rejected.status_code == 201 and rejected.json()["activity_status"] == "rejected"
    review = await juri_sby.post(
        f"/api/v1/activities/{b1}/reviews",
        {"decision": "verified", "scores": {"kemitraan": "100", "dampak": 10}},
    )
    assert review.status_code == 201, review.text
    adjustment = await organiser.post(
        f"/api/v1/competitions/{SLUG}/adjustments",
        {"team_code": "35.07", "points": "2.5", "reason": "Laporan lengkap"},
    )
    assert adjustment.status_code == 201, adjustment.text
    assert adjustment.json()["points"] == "2.5"

    # By hand. a1: DDS 2 + reach 60//25 = 2 -> 4, preemptive x1.5 -> 6,
    # rubric q = (60*0.8 + 40*0.5)/100 = 0.68, factor 0.5 + 0.5*0.68 = 0.84 -> 5.04.
    # a2: 5 + 0 = 5, no scores (factor 1). a3 rejected: nothing.
    # b1: FKPM default 1 + reach 1 = 2, x1.5 = 3, q = 1 -> 3; adjustment 2.5 -> 5.5.
    board = (await api_factory()).get(f"/api/v1/competitions/{SLUG}/leaderboard")
    body = (await board).json()
    assert body["competition"] == SLUG and body["view"] == "overall" and body["period"] == "season"
    assert body["ruleset_version"] == 2 and body["frozen"] is False
    assert datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    rows = body["rows"]
    assert len(rows) == 38
    assert rows[0] == {
        "rank": 1,
        "team_code": "35.78",
        "team_name": "Kota Surabaya",
        "score": "10.04",
        "counted_activities": 2,
        "breakdown": {
            "joint_only": "0",
            "points_per_activity": "7",
            "reach_bonus": "2",
            "preemptive_multiplier": "2",
            "judge_quality": "-0.96",
        },
    }
    assert rows[1]["team_code"] == "35.07" and rows[1]["score"] == "5.5" and rows[1]["rank"] == 2
    assert rows[1]["breakdown"]["adjustment"] == "2.5"
    assert all(r["score"] == "0" and r["rank"] == 3 for r in rows[2:])

    explanation = await (await api_factory()).get(f"/api/v1/competitions/{SLUG}/teams/35.78/explanation")
    assert explanation.status_code == 200
    lines = explanation.json()["lines"]
    assert sum(Decimal(line["points"]) for line in lines) == Decimal("10.04")
    assert {line["activity_id"] for line in lines} == {a1, a2}
    quality = next(line for line in lines if line["rule"] == "judge_quality")
    assert quality["points"] == "-0.96" and quality["reason"].startswith("-0,96 poin (mutu q = 0,68")
    english = await (await api_factory()).get(
        f"/api/v1/competitions/{SLUG}/teams/35.78/explanation", headers={"Accept-Language": "en"}
    )
    assert any(
        line["reason"].startswith("-0.96 points (quality q = 0.68") for line in english.json()["lines"]
    )

    # Other views are evaluated from the same facts: a cluster, a type, a week, a month.
    anonymous = await api_factory()
    by_type = (await anonymous.get(f"/api/v1/competitions/{SLUG}/leaderboard?view=type:DDS")).json()["rows"]
    assert by_type[0]["team_code"] == "35.78" and by_type[0]["score"] == "5.04"
    assert by_type[1]["score"] == "0"
    bencana = (await anonymous.get(f"/api/v1/competitions/{SLUG}/leaderboard?view=cluster:bencana")).json()
    assert all(r["score"] == "0" for r in bencana["rows"])
    a1_day = date.fromisoformat(wib(3)[:10])
    year, week, _ = a1_day.isocalendar()
    weekly = await anonymous.get(f"/api/v1/competitions/{SLUG}/leaderboard?period=week:{year}-W{week:02d}")
    assert weekly.status_code == 200
    weekly_rows = {r["team_code"]: r for r in weekly.json()["rows"]}
    # a1 is in that week for sure; the adjustment counts in the season only.
    assert Decimal(weekly_rows["35.78"]["score"]) >= Decimal("5.04")
    assert "adjustment" not in weekly_rows["35.07"]["breakdown"]
    month = await anonymous.get(f"/api/v1/competitions/{SLUG}/leaderboard?period=month:{a1_day:%Y-%m}")
    assert month.status_code == 200 and len(month.json()["rows"]) == 38

    # The what-if preview changes nothing.
    preview_body = {
        **RULESET,
        "rules": [*RULESET["rules"][:1], {"rule": "points_per_activity", "params": {"default": 10}}],
    }
    preview = await organiser.post(f"/api/v1/competitions/{SLUG}/ruleset/preview", preview_body)
    assert preview.status_code == 200, preview.text
    by_team = {row["team_code"]: row for row in preview.json()}
    assert by_team["35.78"] == {
        "team_code": "35.78",
        "rank_now": 1,
        "score_now": "10.04",
        "rank_preview": 1,
        "score_preview": "20",
    }
    assert by_team["35.07"]["score_preview"] == "12.5"
    ruleset = (await anonymous.get(f"/api/v1/competitions/{SLUG}/ruleset")).json()
    assert ruleset["version"] == 2 and ruleset["rules"][3]["params"] == {"factor": 1.5}

    # Participants see only their team's activities; every write left an audit event.
    listed = (await sby.get(f"/api/v1/competitions/{SLUG}/activities")).json()["items"]
    assert {a["id"] for a in listed} == {a1, a2, a3}
    verified = (await organiser.get(f"/api/v1/competitions/{SLUG}/activities?status=verified")).json()[
        "items"
    ]
    assert {a["id"] for a in verified} == {a1, a2, b1}
    detail = (await sby.get(f"/api/v1/activities/{a3}")).json()
    assert detail["status"] == "rejected" and detail["reviews"][0]["reason"] == "Foto tidak jelas"
    assert (await sby.get(f"/api/v1/activities/{b1}")).status_code == 404
    assert await Activity.count() == 4 and await Review.count() == 4
    actions = {r["action"] for r in await AuditEvent.select(AuditEvent.action)}
    assert {
        "competition.create",
        "account.create",
        "rubric.update",
        "ruleset.publish",
        "activity.submit",
        "review.verified",
        "review.rejected",
        "adjustment.create",
    } <= actions
