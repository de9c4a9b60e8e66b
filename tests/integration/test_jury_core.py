"""The jury services on a real database: assignment, panel decisions, tie and tolerance, corrections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.accounts.auth import CurrentUser
from app.accounts.services import set_active
from app.competitions.services import competition_by_id
from app.db import write_transaction
from app.errors import Conflict, Forbidden
from app.judging import assignment, corrections, reviews
from app.judging.reviews import decide
from app.security import hash_password_sync
from app.tables import (
    Account,
    Activity,
    ActivityType,
    Assignment,
    AuditEvent,
    Competition,
    Review,
    RubricCriterion,
    Stage,
)
from tests.integration.conftest import Season

HASH = hash_password_sync("rahasia-123")


def user(row: dict) -> CurrentUser:
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        team_id=None,
        team_code=None,
        team_name=None,
        region_code=row["region_code"],
        locale=None,
        session_kind="web",
    )


async def judge(username: str, region: str | None = None) -> CurrentUser:
    account = Account(
        username=username, password_hash=HASH, full_name=username, role="judge", region_code=region
    )
    await account.save()
    return user(await Account.select().where(Account.id == account.id).first())


async def existing(username: str) -> CurrentUser:
    return user(await Account.select().where(Account.username == username).first())


async def new_activity(season: Season, team: str = "35.78", n: int = 0) -> int:
    type_id = (await ActivityType.select(ActivityType.id).first())["id"]
    competition = season.competition
    activity = Activity(
        competition=competition.id,
        team=season.team_ids[team],
        activity_type=type_id,
        occurred_at=datetime.now(UTC) - timedelta(days=1, minutes=n),
        title=f"Sambang {n}",
        senkom_count=1,
        officer_count=1,
        status="submitted",
        request_hash=f"h{n}-{team}",
    )
    await activity.save()
    async with write_transaction(lock=f"competition:{competition.id}"):
        await assignment.assign_activity(competition, activity.id, team)
    return int(activity.id)


async def set_required(season: Season, n: int, **more) -> None:
    await Competition.update({Competition.reviews_required: n, **more}).where(
        Competition.id == season.competition.id
    )
    season.competition = await competition_by_id(season.competition.id)


async def open_judges(activity_id: int) -> list[int]:
    rows = await Assignment.select(Assignment.judge).where(
        (Assignment.activity == activity_id) & (Assignment.status == "open")
    )
    return sorted(r["judge"] for r in rows)


async def status_of(activity_id: int) -> tuple[str, str]:
    row = await Activity.select(Activity.status, Activity.jury_flag).where(Activity.id == activity_id).first()
    return row["status"], row["jury_flag"]


async def test_assignment_balances_loads_and_skips_own_region(season: Season) -> None:
    await set_required(season, 2)
    extra = [await judge(f"juri.{i}", "35.10") for i in range(2)]
    del extra
    ids = [await new_activity(season, "35.78", i) for i in range(6)]
    sby = season.accounts["juri.sby"]
    loads: dict[int, int] = {}
    for activity_id in ids:
        chosen = await open_judges(activity_id)
        assert len(chosen) == 2 and sby not in chosen
        for j in chosen:
            loads[j] = loads.get(j, 0) + 1
    # Three eligible judges (juri.mlg and the two new ones) share 12 places: 4 each.
    assert sorted(loads.values()) == [4, 4, 4]


async def test_majority_tie_adds_a_judge_then_decides(season: Season) -> None:
    await set_required(season, 2)
    a, b, c = [await judge(f"juri.{n}", "35.10") for n in "abc"]
    # Only a, b and c may judge Surabaya (juri.sby is from there); juri.mlg is disabled for this test.
    await Account.update({Account.is_active: False}).where(Account.username == "juri.mlg")
    activity_id = await new_activity(season)
    first, second = await open_judges(activity_id)
    by_id = {x.id: x for x in (a, b, c)}
    assert await decide(season.competition, by_id[first], activity_id, "verified", "") == "submitted"
    assert (
        await decide(season.competition, by_id[second], activity_id, "rejected", "Foto buram") == "submitted"
    )
    assert await status_of(activity_id) == ("submitted", "tie")
    (third,) = await open_judges(activity_id)
    assert third not in (first, second)
    assert await decide(season.competition, by_id[third], activity_id, "verified", "") == "verified"
    assert await status_of(activity_id) == ("verified", "")


async def _rubric(season: Season) -> None:
    await RubricCriterion.insert(
        RubricCriterion(
            competition=season.competition.id, code="dampak", name="Dampak", weight="1", min="1", max="5"
        )
    )


@pytest.mark.parametrize("action", ["extra_judge", "head_judge"])
async def test_scores_beyond_the_tolerance_ask_for_more(season: Season, action: str) -> None:
    await _rubric(season)
    await Account.update({Account.is_active: False}).where(Account.username == "juri.mlg")
    a, b, c = [await judge(f"juri.{n}", "35.15") for n in "abc"]
    # Ties in load go to the lowest id: the head judge, created last, is not drawn for an ordinary place.
    head = await judge("ketua", "35.10")
    await set_required(season, 2, q_tolerance="0.3", tolerance_action=action, head_judge=head.id)
    by_id = {x.id: x for x in (a, b, c, head)}
    activity_id = await new_activity(season)
    first, second = await open_judges(activity_id)
    assert head.id not in (first, second)
    await decide(season.competition, by_id[first], activity_id, "verified", "", {"dampak": "5"})
    # q = 1.0 and 0.0: a spread of 1 > 0.3.
    await decide(season.competition, by_id[second], activity_id, "verified", "", {"dampak": "1"})
    status, flag = await status_of(activity_id)
    assert status == "submitted"
    (extra,) = await open_judges(activity_id)
    if action == "extra_judge":
        assert flag == "spread" and extra not in (first, second, head.id)
        await decide(season.competition, by_id[extra], activity_id, "verified", "", {"dampak": "3"})
        # The spread persists: now the head judge decides.
        assert await status_of(activity_id) == ("submitted", "head")
        assert await open_judges(activity_id) == [head.id]
    else:
        assert flag == "head" and extra == head.id
    await decide(season.competition, head, activity_id, "rejected", "Tidak sesuai rubrik", {"dampak": "2"})
    assert await status_of(activity_id) == ("rejected", "head")


async def test_scores_within_the_tolerance_decide(season: Season) -> None:
    await _rubric(season)
    await set_required(season, 2, q_tolerance="0.3")
    mlg = await existing("juri.mlg")
    other = await judge("juri.x", "35.10")
    activity_id = await new_activity(season)
    await decide(season.competition, mlg, activity_id, "verified", "", {"dampak": "4"})
    assert await decide(season.competition, other, activity_id, "verified", "", {"dampak": "5"}) == "verified"


async def test_own_region_and_declared_conflict_are_refused(season: Season) -> None:
    activity_id = await new_activity(season)
    sby = await existing("juri.sby")
    with pytest.raises(Forbidden):
        await decide(season.competition, sby, activity_id, "verified", "")
    mlg = await existing("juri.mlg")
    other = await judge("juri.x", "35.10")
    assert await open_judges(activity_id) in ([mlg.id], [other.id])
    holder = mlg if await open_judges(activity_id) == [mlg.id] else other
    await corrections.declare_conflict(season.competition, holder, season.team_ids["35.78"], "Keluarga")
    # Their open assignment moved to the other eligible judge, and a decision by them is refused.
    assert await open_judges(activity_id) == [({mlg.id, other.id} - {holder.id}).pop()]
    with pytest.raises(Forbidden):
        await decide(season.competition, holder, activity_id, "verified", "")


async def test_disabled_judge_hands_over(season: Season) -> None:
    other = await judge("juri.x", "35.10")
    ids = [await new_activity(season, "35.78", i) for i in range(4)]
    mlg = season.accounts["juri.mlg"]
    mine = [i for i in ids if await open_judges(i) == [mlg]]
    assert mine
    await set_active(mlg, False, actor_id=season.accounts["panitia"], actor_name="panitia")
    for activity_id in ids:
        assert await open_judges(activity_id) == [other.id]


async def test_revision_keeps_versions_and_changes_the_status(season: Season) -> None:
    activity_id = await new_activity(season)
    (holder_id,) = await open_judges(activity_id)
    holder = user(await Account.select().where(Account.id == holder_id).first())
    assert await decide(season.competition, holder, activity_id, "verified", "") == "verified"
    assert (
        await reviews.revise(season.competition, holder, activity_id, "rejected", "Petugas tidak hadir")
        == "rejected"
    )
    history = await reviews.review_history(activity_id)
    assert [(r["version"], r["decision"], r["is_current"]) for r in history] == [
        (1, "verified", False),
        (2, "rejected", True),
    ]
    # After the activity stage closes the review can no longer change.
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )
    with pytest.raises(Conflict):
        await reviews.revise(season.competition, holder, activity_id, "verified", "")


async def test_annulment_asks_another_judge(season: Season) -> None:
    other = await judge("juri.x", "35.10")
    activity_id = await new_activity(season)
    (holder_id,) = await open_judges(activity_id)
    holder = user(await Account.select().where(Account.id == holder_id).first())
    await decide(season.competition, holder, activity_id, "verified", "")
    review = await Review.select(Review.id).where(Review.activity == activity_id).first()
    organiser = await existing("panitia")
    assert (
        await corrections.annul_review(
            season.competition, organiser, review["id"], "Juri tidak memeriksa foto"
        )
        == "submitted"
    )
    replacement = ({other.id, season.accounts["juri.mlg"]} - {holder.id}).pop()
    assert await open_judges(activity_id) == [replacement]
    history = await reviews.review_history(activity_id)
    assert history[0]["annulled_at"] is not None and history[0]["annul_reason"] == "Juri tidak memeriksa foto"
    with pytest.raises(Conflict):
        await corrections.annul_review(season.competition, organiser, review["id"], "lagi")


async def test_a_conflict_declared_after_reviewing_annuls_those_reviews(season: Season) -> None:
    other = await judge("juri.x", "35.10")
    first, second = await new_activity(season, "35.78", 1), await new_activity(season, "35.78", 2)
    (holder_id,) = await open_judges(first)
    holder = user(await Account.select().where(Account.id == holder_id).first())
    assert await decide(season.competition, holder, first, "verified", "") == "verified"
    await corrections.declare_conflict(
        season.competition, holder, season.team_ids["35.78"], "Sepupu ketua tim"
    )
    # The verification no longer counts: the activity waits for the other judge, who is asked now.
    assert (await status_of(first))[0] == "submitted"
    replacement = ({other.id, season.accounts["juri.mlg"]} - {holder.id}).pop()
    assert await open_judges(first) == [replacement]
    assert holder.id not in await open_judges(second)
    (annulled,) = [r for r in await reviews.review_history(first) if r["judge"] == holder.id]
    assert annulled["annulled_at"] is not None
    assert annulled["annul_reason"] == "Juri menyatakan konflik kepentingan: Sepupu ketua tim"
    events = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.action == "review.annul") & (AuditEvent.object_id == str(annulled["id"]))
    )
    assert len(events) == 1


async def test_a_conflict_after_verification_closed_leaves_the_frozen_reviews(season: Season) -> None:
    activity_id = await new_activity(season)
    (holder_id,) = await open_judges(activity_id)
    holder = user(await Account.select().where(Account.id == holder_id).first())
    await decide(season.competition, holder, activity_id, "verified", "")
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )
    await corrections.declare_conflict(season.competition, holder, season.team_ids["35.78"], "Keluarga")
    assert (await status_of(activity_id))[0] == "verified"
    assert all(r["annulled_at"] is None for r in await reviews.review_history(activity_id))


async def test_only_the_assigned_judge_reviews_the_organiser_moves_the_work(season: Season) -> None:
    activity_id = await new_activity(season)
    (holder_id,) = await open_judges(activity_id)
    newcomer = await judge("juri.baru", "35.10")
    assert holder_id != newcomer.id
    with pytest.raises(Forbidden, match="tidak ditugaskan kepada Anda"):
        await decide(season.competition, newcomer, activity_id, "verified", "")
    assert not await Review.exists().where(Review.activity == activity_id)
    assert await open_judges(activity_id) == [holder_id]
    # The organiser's reassignment is the way work moves; then the newcomer may review it.
    organiser = await existing("panitia")
    (open_row,) = await Assignment.select(Assignment.id).where(
        (Assignment.activity == activity_id) & (Assignment.status == "open")
    )
    await assignment.override_assignment(season.competition, open_row["id"], newcomer.id, organiser)
    assert await decide(season.competition, newcomer, activity_id, "verified", "") == "verified"
    rows = await Assignment.select(Assignment.judge, Assignment.status).where(
        Assignment.activity == activity_id
    )
    assert {(r["judge"], r["status"]) for r in rows} == {(holder_id, "moved"), (newcomer.id, "done")}


async def test_queue_order_skip_and_progress(season: Season) -> None:
    ids = [await new_activity(season, "35.78", i) for i in range(3)]
    mlg = await existing("juri.mlg")
    first = await assignment.next_assignment(season.competition.id, mlg)
    assert first is not None and first["activity_id"] == ids[0]
    await assignment.skip(season.competition.id, mlg, first["id"])
    assert (await assignment.next_assignment(season.competition.id, mlg))["activity_id"] == ids[1]
    assert await assignment.progress(season.competition.id, mlg) == (0, 3)
    await decide(season.competition, mlg, ids[1], "verified", "")
    assert await assignment.progress(season.competition.id, mlg) == (1, 3)
    assert (await assignment.next_assignment(season.competition.id, mlg))["activity_id"] == ids[2]


async def test_team_stage_scoring_versions(season: Season) -> None:
    # The team rubric the scores are checked against (reviews.score_team: every criterion, in bounds).
    await RubricCriterion.insert(
        RubricCriterion(
            competition=season.competition.id,
            code="dampak",
            name="Dampak",
            weight="1",
            min="1",
            max="5",
            position=0,
            scope="team",
        )
    )
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    team_id = season.team_ids["35.10"]
    mlg = await existing("juri.mlg")
    async with write_transaction(lock=f"competition:{season.competition.id}"):
        chosen = await assignment.assign(
            season.competition,
            team_code="35.10",
            stage_id=stage["id"],
            team_id=team_id,
            needed=1,
            origin="auto",
        )
    assert chosen
    holder = user(await Account.select().where(Account.id == chosen[0]).first())
    await reviews.score_team(season.competition, holder, stage["id"], team_id, {"dampak": "4"}, "Baik")
    await reviews.score_team(season.competition, holder, stage["id"], team_id, {"dampak": "5"}, "Sangat baik")
    from app.tables import TeamReview

    rows = await TeamReview.select(TeamReview.version, TeamReview.is_current, TeamReview.scores).order_by(
        TeamReview.id
    )
    assert [(r["version"], r["is_current"], json.loads(r["scores"])) for r in rows] == [
        (1, False, {"dampak": "4"}),
        (2, True, {"dampak": "5"}),
    ]
    if holder.id != mlg.id:
        with pytest.raises(Forbidden):
            await reviews.score_team(season.competition, mlg, stage["id"], team_id, {"dampak": "1"}, "")


async def test_no_new_activity_once_verification_closed(season: Season, browser_factory) -> None:
    from tests.integration.conftest import activity_form, form_key

    participant = await browser_factory("peserta.sby")
    first = await participant.send_activity(
        activity_form(form_key((await participant.get("/kegiatan/baru")).text))
    )
    assert first.status_code in (302, 303)
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )
    form = activity_form(form_key((await participant.get("/kegiatan/baru")).text), title="Ronda malam RW 05")
    refused = await participant.send_activity(form)
    assert refused.status_code == 409
    assert "Verifikasi kegiatan sudah ditutup" in refused.text and "Ronda malam RW 05" in refused.text
    assert await Activity.count() == 1


async def test_revising_scores_of_a_verified_activity_updates_the_standings(season: Season) -> None:
    from app.tables import Standing

    await _rubric(season)
    activity_id = await new_activity(season)
    (holder_id,) = await open_judges(activity_id)
    holder = user(await Account.select().where(Account.id == holder_id).first())

    async def score() -> str:
        row = (
            await Standing.select(Standing.score)
            .where(
                (Standing.team == season.team_ids["35.78"])
                & (Standing.period == "season")
                & (Standing.view == "overall")
            )
            .first()
        )
        return row["score"]

    assert (
        await decide(season.competition, holder, activity_id, "verified", "", {"dampak": "5"}) == "verified"
    )
    high = await score()
    assert (
        await reviews.revise(season.competition, holder, activity_id, "verified", "", {"dampak": "1"})
        == "verified"
    )
    low = await score()
    # judge_quality (floor 0,5) halves the points of an activity whose q fell from 1 to 0.
    assert Decimal(low) < Decimal(high)


async def test_stage_page_is_live_and_its_fragment_follows_team_scores(
    season: Season, browser_factory
) -> None:
    await RubricCriterion.insert(
        RubricCriterion(
            competition=season.competition.id,
            code="kemitraan",
            name="Kemitraan",
            weight="1",
            min="1",
            max="5",
            scope="team",
        )
    )
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    anonymous = await browser_factory()
    page = await anonymous.get("/papan/tahap/lapangan")
    assert page.status_code == 200 and 'sse-connect="/papan/sse"' in page.text
    assert 'hx-get="/papan/tahap/lapangan/baris"' in page.text and 'data-testid="stage-empty"' in page.text
    async with write_transaction(lock=f"competition:{season.competition.id}"):
        (judge_id,) = await assignment.assign(
            season.competition,
            team_code="35.10",
            stage_id=stage["id"],
            team_id=season.team_ids["35.10"],
            needed=1,
            origin="auto",
        )
    holder = user(await Account.select().where(Account.id == judge_id).first())
    await reviews.score_team(
        season.competition, holder, stage["id"], season.team_ids["35.10"], {"kemitraan": "4"}, ""
    )
    fragment = await anonymous.get("/papan/tahap/lapangan/baris")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        'data-testid="stage-row" data-team="35.10"' in fragment.text
        and '<td class="num"><strong>75,00</strong></td>' in fragment.text
    )
    assert (await anonymous.get("/papan/tahap/tidak-ada/baris")).status_code == 404


async def test_after_verification_closes_nothing_waits_in_vain(season: Season, browser_factory) -> None:
    from tests.integration.conftest import activity_form, form_key

    participant = await browser_factory("peserta.sby")
    sent = await participant.send_activity(
        activity_form(form_key((await participant.get("/kegiatan/baru")).text))
    )
    activity_id = int(sent.headers["location"].split("/")[2].split("?")[0])
    organiser = await browser_factory("panitia")
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "activity"))
        .first()
    )
    confirm = await organiser.get(f"/panitia/tahap/{stage['id']}/tutup")
    assert 'data-testid="close-unjudged"' in confirm.text and "1 kegiatan masih menunggu juri" in confirm.text
    await Stage.update({Stage.status: "closed"}).where(Stage.id == stage["id"])
    detail = await participant.get(f"/kegiatan/{activity_id}")
    assert (
        'data-testid="verification-closed"' in detail.text
        and 'data-testid="edit-activity"' not in detail.text
    )
    edit = await participant.get(f"/kegiatan/{activity_id}/ubah")
    assert edit.status_code == 409 and "Verifikasi kegiatan sudah ditutup" in edit.text
    assert (await participant.get(f"/kegiatan/{activity_id}/tarik")).status_code == 409
    form = await participant.get("/kegiatan/baru")
    assert 'data-testid="submissions-closed"' in form.text
    judge = await browser_factory("juri.mlg")
    waiting = await judge.get("/juri/daftar")
    assert (
        'data-testid="verification-closed"' in waiting.text
        and f'data-activity-id="{activity_id}"' not in waiting.text
    )
