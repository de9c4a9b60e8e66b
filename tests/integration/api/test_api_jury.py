"""The jury through the API: assignments (list, filters, override, assign the unassigned), conflicts of
interest (declared by a judge, listed for organisers) and the judge's queue (list, next, skip)."""

from __future__ import annotations

from app.tables import Assignment, AuditEvent, Competition, ConflictOfInterest, Review
from tests.integration.api.helpers import activity_body

BASE = "/api/v1/competitions/uji"


async def _submit(api, n: int, **overrides) -> int:
    response = await api.post(
        f"{BASE}/activities",
        activity_body(title=f"Sambang {n}", **overrides),
        headers={"Idempotency-Key": f"j-{n}"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _new_judge(organiser, username: str, region: str) -> int:
    created = await organiser.post(
        "/api/v1/users",
        {"username": username, "password": "rahasia-123", "role": "judge", "region_code": region},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_assignments_list_filter_and_pages(season, api_factory):
    team = await api_factory("peserta.sby")
    ids = [await _submit(team, n) for n in range(3)]
    organiser = await api_factory("panitia")
    listed = await organiser.get(f"{BASE}/assignments", params={"limit": 2})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    rest = (
        await organiser.get(f"{BASE}/assignments", params={"limit": 2, "cursor": body["next_cursor"]})
    ).json()
    items = body["items"] + rest["items"]
    assert [i["activity_id"] for i in items] == ids and rest["next_cursor"] is None
    assert {i["judge_username"] for i in items} == {"juri.mlg"}, "Surabaya's judge never judges Surabaya"
    assert all(i["status"] == "open" and i["team_code"] == "35.78" for i in items)
    mlg = season.accounts["juri.mlg"]
    by_judge = (await organiser.get(f"{BASE}/assignments", params={"judge_id": mlg, "status": "open"})).json()
    assert len(by_judge["items"]) == 3
    assert (await organiser.get(f"{BASE}/assignments", params={"status": "done"})).json()["items"] == []
    assert (await organiser.get(f"{BASE}/assignments", params={"team": "35.07"})).json()["items"] == []
    one = (await organiser.get(f"{BASE}/assignments", params={"activity_id": ids[1]})).json()["items"]
    assert [i["activity_id"] for i in one] == [ids[1]]
    bad = await organiser.get(f"{BASE}/assignments", params={"status": "lost"})
    assert bad.status_code == 422
    refused = await (await api_factory("juri.mlg")).get(f"{BASE}/assignments")
    assert refused.status_code == 403


async def test_override_gives_the_assignment_to_an_eligible_judge(season, api_factory):
    team = await api_factory("peserta.sby")
    activity_id = await _submit(team, 1)
    organiser = await api_factory("panitia")
    other = await _new_judge(organiser, "juri.lain", "35.10")
    row = await Assignment.select(Assignment.id).where(Assignment.activity == activity_id).first()
    url = f"{BASE}/assignments/{row['id']}/override"
    own_region = await organiser.post(url, {"judge_id": season.accounts["juri.sby"]})
    assert own_region.status_code == 422
    assert own_region.json()["errors"][0]["field"] == "judge_id"
    english = await organiser.post(url, {"judge_id": season.accounts["juri.sby"]}, lang="en")
    assert "own regency" in english.json()["errors"][0]["message"]
    missing = await organiser.post(f"{BASE}/assignments/999999/override", {"judge_id": other})
    assert missing.status_code == 404
    moved = await organiser.post(url, {"judge_id": other})
    assert moved.status_code == 200, moved.text
    assert moved.json()["judge_username"] == "juri.lain" and moved.json()["origin"] == "override"
    again = await organiser.post(url, {"judge_id": other})
    assert again.status_code == 409, "only an open assignment moves"
    states = (await organiser.get(f"{BASE}/assignments", params={"activity_id": activity_id})).json()["items"]
    assert [(i["judge_username"], i["status"]) for i in states] == [
        ("juri.mlg", "moved"),
        ("juri.lain", "open"),
    ]
    assert await AuditEvent.exists().where(AuditEvent.action == "assignment.override")
    # The judge who lost it may no longer decide it (the same refusal as the page's).
    lost = await (await api_factory("juri.mlg")).post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"}
    )
    assert lost.status_code == 403


async def test_assign_unassigned_tops_up_like_the_console(season, api_factory):
    team = await api_factory("peserta.sby")
    organiser = await api_factory("panitia")
    first = await _submit(team, 1)
    await Competition.update({Competition.reviews_required: 2}).where(Competition.id == season.competition.id)
    await _new_judge(organiser, "juri.dua", "35.10")
    answer = await organiser.post(f"{BASE}/assignments/assign-unassigned")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"assigned": 1}
    assert await Assignment.count().where(Assignment.activity == first) == 2
    assert (await organiser.post(f"{BASE}/assignments/assign-unassigned")).json() == {"assigned": 0}
    assert await AuditEvent.count().where(AuditEvent.action == "assignment.ensure") == 2


async def test_conflict_declared_through_the_api_has_the_pages_effects(season, api_factory):
    team = await api_factory("peserta.sby")
    kept = await _submit(team, 1)
    reviewed = await _submit(team, 2)
    judge = await api_factory("juri.mlg")
    organiser = await api_factory("panitia")
    await _new_judge(organiser, "juri.lain", "35.10")
    assert (
        await judge.post(
            f"/api/v1/activities/{reviewed}/reviews", {"decision": "rejected", "reason": "Kabur"}
        )
    ).status_code == 201
    queue = (await judge.get(f"{BASE}/queue")).json()
    assert [i["id"] for i in queue["items"]] == [kept]

    missing = await judge.post(f"{BASE}/conflicts", {"team_code": "35.99", "reason": ""})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"team_code", "reason"}
    own = await judge.post(f"{BASE}/conflicts", {"team_code": "35.07", "reason": "Daerah sendiri"})
    assert own.status_code == 422, "one's own regency is no team to declare a conflict with"
    declared = await judge.post(
        f"{BASE}/conflicts", {"team_code": "35.78", "reason": "Adik saya anggota tim"}
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["team_code"] == "35.78" and declared.json()["judge_username"] == "juri.mlg"
    twice = await judge.post(f"{BASE}/conflicts", {"team_code": "35.78", "reason": "Lagi"})
    assert twice.status_code == 409
    assert await ConflictOfInterest.count() == 1
    # The page's effects: open work moved, the review annulled, the team's activities out of reach.
    mine = await Assignment.select(Assignment.status).where(
        (Assignment.activity == kept) & (Assignment.judge == season.accounts["juri.mlg"])
    )
    assert [a["status"] for a in mine] == ["moved"]
    review = await Review.select(Review.annulled_at).where(Review.activity == reviewed).first()
    assert review["annulled_at"] is not None
    assert (await judge.get(f"{BASE}/queue")).json()["items"] == []
    assert (await judge.get(f"{BASE}/queue/next")).json()["assignment"] is None
    assert (await judge.get(f"/api/v1/activities/{kept}")).status_code == 403

    listed = await organiser.get(f"{BASE}/conflicts")
    assert listed.status_code == 200
    assert [(c["judge_username"], c["team_code"]) for c in listed.json()["items"]] == [("juri.mlg", "35.78")]
    other = await organiser.get(f"{BASE}/conflicts", params={"judge_id": season.accounts["juri.sby"]})
    assert other.json()["items"] == []
    # The judge lists their own, as /juri/konflik shows them.
    assert (await judge.get(f"{BASE}/conflicts")).json()["items"] == listed.json()["items"]
    assert (
        await organiser.post(f"{BASE}/conflicts", {"team_code": "35.78", "reason": "x"})
    ).status_code == 403


async def test_queue_next_and_skip_follow_the_judges_page(season, api_factory, browser_factory):
    team = await api_factory("peserta.sby")
    first = await _submit(team, 1)
    second = await _submit(team, 2)
    judge = await api_factory("juri.mlg")
    nxt = (await judge.get(f"{BASE}/queue/next")).json()
    assert nxt["assignment"]["kind"] == "activity" and nxt["activity"]["id"] == first
    assert nxt["activity"]["team_code"] == "35.78" and not nxt["activity"]["blind"]
    assert (nxt["done"], nxt["total"]) == (0, 2)
    page = await browser_factory("juri.mlg")
    assert f'data-activity-id="{first}"' in (await page.get("/juri")).text
    skipped = await judge.post(f"{BASE}/queue/{nxt['assignment']['id']}/skip")
    assert skipped.status_code == 204
    after = (await judge.get(f"{BASE}/queue/next")).json()
    assert after["activity"]["id"] == second
    assert f'data-activity-id="{second}"' in (await page.get("/juri")).text
    assert (await judge.post(f"{BASE}/queue/999999/skip")).status_code == 404
    # Blind judging: nothing names the team, as on the page.
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)
    blind = (await judge.get(f"{BASE}/queue/next")).json()["activity"]
    assert blind["blind"] and blind["team_code"] is None and blind["desa_code"] is None
    listed = (await judge.get(f"{BASE}/queue")).json()["items"]
    assert [i["id"] for i in listed] == [first, second] and all(i["team_code"] is None for i in listed)
    assert (await (await api_factory("peserta.sby")).get(f"{BASE}/queue/next")).status_code == 403
    assert (await (await api_factory("panitia")).get(f"{BASE}/queue")).status_code == 403


async def test_team_stage_next_and_review_like_the_page(season, api_factory, browser_factory):
    from app.tables import RubricCriterion, Stage, TeamReview

    await RubricCriterion.insert(
        *[
            RubricCriterion(
                competition=season.competition.id,
                code=code,
                name=code,
                weight="1",
                min="1",
                max="5",
                position=i,
                scope="team",
            )
            for i, code in enumerate(("sinergi", "dampak"))
        ]
    )
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    ids = []
    for code in ("35.78", "35.10"):
        row = Assignment(
            competition=season.competition.id,
            stage=stage["id"],
            team=season.team_ids[code],
            judge=season.accounts["juri.mlg"],
        )
        await row.save()
        ids.append(row.id)
    judge = await api_factory("juri.mlg")
    nxt = (await judge.get(f"{BASE}/queue/next")).json()
    assert nxt["assignment"] == {"id": ids[0], "kind": "team", "origin": "auto", "stage_id": stage["id"]}
    assert nxt["activity"] is None and nxt["team"]["code"] == "35.78"
    url = f"{BASE}/queue/{ids[0]}/team-review"
    missing = await judge.post(url, {"scores": {"sinergi": 4}})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["scores.dampak"]
    page = await browser_factory("juri.mlg")
    form = await page.post("/juri/tim/nilai", data={"assignment": ids[0], "score_sinergi": "4"})
    assert form.status_code == 422 and 'data-testid="error-score_dampak"' in form.text
    out_of_range = await judge.post(url, {"scores": {"sinergi": 4, "dampak": 9}})
    assert out_of_range.status_code == 422 and out_of_range.json()["errors"][0]["field"] == "scores.dampak"
    saved = await judge.post(url, {"scores": {"sinergi": 4, "dampak": "2.5"}, "note": "Posko aktif"})
    assert saved.status_code == 201, saved.text
    assert (
        saved.json()["scores"] == {"sinergi": "4", "dampak": "2.5"} and saved.json()["team_code"] == "35.78"
    )
    again = await judge.post(url, {"scores": {"sinergi": 5, "dampak": 3}})
    assert again.status_code == 201
    versions = await TeamReview.select(TeamReview.version).where(TeamReview.team == season.team_ids["35.78"])
    assert sorted(v["version"] for v in versions) == [1, 2]
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)
    blind = (await judge.get(f"{BASE}/queue/next")).json()
    assert blind["assignment"]["id"] == ids[1] and blind["team"] == {"code": None, "name": None}
    other = await api_factory("juri.sby")
    assert (await other.post(url, {"scores": {"sinergi": 4, "dampak": 3}})).status_code == 404
    await Stage.update({Stage.status: "closed"}).where(Stage.id == stage["id"])
    closed = await judge.post(url, {"scores": {"sinergi": 4, "dampak": 3}})
    form_closed = await page.post(
        "/juri/tim/nilai", data={"assignment": ids[0], "score_sinergi": "4", "score_dampak": "3"}
    )
    assert closed.status_code == form_closed.status_code == 409


async def test_queue_filter_by_officer_confirmation_matches_the_page(season, api_factory, browser_factory):
    import re

    team = await api_factory("peserta.sby")
    ids = [await _submit(team, n) for n in range(2)]
    judge = await api_factory("juri.mlg")
    page = await browser_factory("juri.mlg")
    seen = set()
    for state in ("confirmed", "pending", "declined", "none"):
        listed = await judge.get(f"{BASE}/queue", params={"attested": state})
        assert listed.status_code == 200, listed.text
        api_ids = [i["id"] for i in listed.json()["items"]]
        assert all(i["attestation"]["state"] == state for i in listed.json()["items"])
        html = (await page.get(f"/juri/daftar?petugas={state}")).text
        assert api_ids == [int(i) for i in re.findall(r'data-activity-id="(\d+)"', html)], state
        seen |= set(api_ids)
    assert seen == set(ids), "every waiting activity is in exactly one state"
    assert (await judge.get(f"{BASE}/queue", params={"attested": "maybe"})).status_code == 422


async def test_a_judge_lists_their_own_conflicts_as_the_page_shows_them(season, api_factory, browser_factory):
    """The judge's /juri/konflik lists the conflicts they declared: the API's list gives a judge theirs
    (never another judge's, whatever judge_id asks for); organisers keep seeing everyone's."""
    mlg = await api_factory("juri.mlg")
    sby = await api_factory("juri.sby")
    assert (
        await mlg.post(f"{BASE}/conflicts", {"team_code": "35.78", "reason": "Saudara"})
    ).status_code == 201
    assert (await sby.post(f"{BASE}/conflicts", {"team_code": "35.07", "reason": "Ipar"})).status_code == 201
    own = await mlg.get(f"{BASE}/conflicts")
    assert own.status_code == 200, own.text
    assert [(c["judge_username"], c["team_code"]) for c in own.json()["items"]] == [("juri.mlg", "35.78")]
    asked = await mlg.get(f"{BASE}/conflicts", params={"judge_id": season.accounts["juri.sby"]})
    assert [c["judge_username"] for c in asked.json()["items"]] == ["juri.mlg"]
    page = await browser_factory("juri.mlg")
    assert "Saudara" in (await page.get("/juri/konflik")).text
    everyone = await (await api_factory("panitia")).get(f"{BASE}/conflicts")
    assert {c["judge_username"] for c in everyone.json()["items"]} == {"juri.mlg", "juri.sby"}
    assert (await (await api_factory("peserta.sby")).get(f"{BASE}/conflicts")).status_code == 403


async def test_an_organiser_annuls_a_review_as_the_console_does(season, api_factory):
    """The console's "Batalkan ulasan" (/panitia/kegiatan/{id}/batalkan) through the API: the same service
    (corrections.annul_review): a reason needed, only a current review, another judge asked, audited."""
    team = await api_factory("peserta.sby")
    activity_id = await _submit(team, 1)
    judge = await api_factory("juri.mlg")
    organiser = await api_factory("panitia")
    await _new_judge(organiser, "juri.lain", "35.10")
    reviewed = await judge.post(f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"})
    assert reviewed.status_code == 201, reviewed.text
    detail = (await organiser.get(f"/api/v1/activities/{activity_id}")).json()
    assert detail["status"] == "verified"
    review_id = detail["reviews"][0]["id"]
    url = f"{BASE}/reviews/{review_id}/annul"
    no_reason = await organiser.post(url, {"reason": "  "}, lang="en")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert (await judge.post(url, {"reason": "Foto tidak sesuai"})).status_code == 403
    assert (await organiser.post(f"{BASE}/reviews/999999/annul", {"reason": "x"})).status_code == 404
    done = await organiser.post(url, {"reason": "Foto tidak sesuai"})
    assert done.status_code == 200, done.text
    assert done.json() == {"review_id": review_id, "activity_id": activity_id, "status": "submitted"}
    assert (await organiser.get(f"/api/v1/activities/{activity_id}")).json()["status"] == "submitted"
    assert await AuditEvent.count().where(AuditEvent.action == "review.annul") == 1
    again = await organiser.post(url, {"reason": "Lagi"})
    assert again.status_code == 409
    lain = await Assignment.select(Assignment.judge.username).where(
        (Assignment.activity == activity_id) & (Assignment.status == "open")
    )
    assert [r["judge.username"] for r in lain] == ["juri.lain"]


async def test_a_judge_revises_their_review_as_the_console_does(season, api_factory):
    """The judge's /juri/ulasan/{id} through the API (reviews.revise): a new version of their own review
    while the verification stage is open; none for an activity they did not review."""
    team = await api_factory("peserta.sby")
    activity_id = await _submit(team, 1)
    judge = await api_factory("juri.mlg")
    url = f"/api/v1/activities/{activity_id}/reviews/mine"
    assert (await judge.put(url, {"decision": "rejected", "reason": "Kabur"})).status_code == 404
    first = await judge.post(f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"})
    assert first.status_code == 201, first.text
    no_reason = await judge.put(url, {"decision": "rejected", "reason": ""}, lang="en")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    revised = await judge.put(url, {"decision": "rejected", "reason": "Foto kabur"})
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert body["decision"] == "rejected" and body["activity_status"] == "rejected"
    versions = await Review.select(Review.version, Review.is_current).where(Review.activity == activity_id)
    assert sorted((r["version"], r["is_current"]) for r in versions) == [(1, False), (2, True)]
    other = await api_factory("juri.sby")
    assert (await other.put(url, {"decision": "verified"})).status_code in (403, 404)
    assert (await team.put(url, {"decision": "verified"})).status_code == 403


async def test_a_judge_pages_through_their_own_reviews(season, api_factory):
    """The judge's /juri/ulasan through the API: every version of their own reviews in the competition, by
    id, a cursor page at a time; never another judge's."""
    team = await api_factory("peserta.sby")
    ids = [await _submit(team, n) for n in range(3)]
    judge = await api_factory("juri.mlg")
    for activity_id in ids:
        made = await judge.post(f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"})
        assert made.status_code == 201, made.text
    revised = await judge.put(
        f"/api/v1/activities/{ids[0]}/reviews/mine", {"decision": "rejected", "reason": "Kabur"}
    )
    assert revised.status_code == 200, revised.text
    first = await judge.get(f"{BASE}/my-reviews", params={"limit": 2})
    assert first.status_code == 200, first.text
    rest = await judge.get(f"{BASE}/my-reviews", params={"limit": 2, "cursor": first.json()["next_cursor"]})
    items = first.json()["items"] + rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert [(i["activity_id"], i["version"], i["is_current"]) for i in items] == [
        (ids[0], 1, False),
        (ids[1], 1, True),
        (ids[2], 1, True),
        (ids[0], 2, True),
    ]
    assert items[-1]["decision"] == "rejected" and items[-1]["reason"] == "Kabur"
    other = await api_factory("juri.sby")
    assert (await other.get(f"{BASE}/my-reviews")).json()["items"] == []
    assert (await team.get(f"{BASE}/my-reviews")).status_code == 403
