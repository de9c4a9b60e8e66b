"""Reviews and settling: a judge's review of an activity (and its revisions), how the panel's current reviews
settle the activity (majority; a tie or scores spread beyond the tolerance ask one more judge or the head
judge), and a judge's team-level scores in a team stage."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities import policy
from app.audit import services as audit
from app.competitions.services import CompetitionInfo, scoring_rubric
from app.competitions.stages import activity_stage, stage_by_id, stage_label
from app.db import lock_activity, write_transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events import emit
from app.i18n import _
from app.judging.assignment import ACTIVE, active_assignments, assign, judge_slots, now, reviews_required
from app.judging.events import ActivityDecided, StageRankingChanged, VerificationChanged
from app.judging.scores import check_team_scores, judge_q, stored_scores
from app.tables import Activity, Assignment, Competition, Review, Team, TeamReview
from scoring import jury as pure
from scoring.aggregate import MICRO

DECISIONS = ("verified", "rejected")


def check_decision(decision: str, reason: str) -> str:
    """The reason, stripped; refuses an unknown decision or a rejection without a reason (422)."""
    if decision not in DECISIONS:
        raise Invalid({"decision": _("Choose verify or reject.")})
    reason = reason.strip()
    if decision == "rejected" and not reason:
        raise Invalid({"reason": _("A rejection needs a reason.")})
    return reason


async def load_for_review(
    competition: CompetitionInfo, judge: CurrentUser, activity_id: int
) -> dict[str, Any]:
    """The activity a judge is about to review: 404 outside the competition, 403 for their own regency
    or a team they declared a conflict with (app.activities.policy, the rule every door shares)."""
    row = await (
        Activity.select(Activity.id, Activity.status, Activity.team, Activity.team.code, Activity.competition)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or row["competition"] != competition.id:
        raise NotFound(_("Activity not found."))
    await policy.refuse_judge(judge, row["team"], row["team.code"])
    return row


async def decide(
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity_id: int,
    decision: str,
    reason: str,
    scores: dict[str, str] | None = None,
) -> str:
    """Records the judge's review and settles the activity (`settle`): the majority of the
    assigned judges decides, a tie or scores spread beyond the tolerance ask one more judge (or the head
    judge); standings are recomputed when verification changes.

    `scores` are the judge's rubric scores (criterion code -> exact decimal text), checked by the caller
    with `app.judging.scores.check_scores`.
    """
    reason = check_decision(decision, reason)
    async with write_transaction(lock=f"competition:{competition.id}"):
        # The activity's row before anything is read of it (app.db.LOCK_ORDER): a participant's edit or
        # withdrawal either committed before (and is judged as it now is) or waits for the verdict.
        await lock_activity(activity_id)
        activity = await load_for_review(competition, judge, activity_id)
        require_stage_open(await activity_stage(competition.id))
        return await record_review(competition, judge, activity, decision, reason, scores, revise=False)


async def announce_stage_change(competition_id: int) -> None:
    """A stage's ranking changed without the standings changing (a team scored): after the commit, the open
    stage pages are told to fetch their ranking again (`StageRankingChanged`)."""
    await emit(StageRankingChanged(competition_id))


def require_stage_open(stage: dict[str, Any] | None) -> None:
    """Refuses a change of reviews once their stage is closed (or before it opens)."""
    if stage is None:
        return
    if stage["status"] == "closed":
        raise Conflict(
            _("Stage %(stage)s is closed: its reviews can no longer change.", stage=stage_label(stage))
        )
    if stage["status"] != "open":
        raise Conflict(_("Stage %(stage)s has not started yet.", stage=stage_label(stage)))


async def _tolerance(competition_id: int) -> tuple[int, str, int | None]:
    row = (
        await Competition.select(
            Competition.q_tolerance, Competition.tolerance_action, Competition.head_judge
        )
        .where(Competition.id == competition_id)
        .first()
    )
    try:
        tolerance = int(Decimal(row["q_tolerance"]) * MICRO)
    except (InvalidOperation, TypeError):
        tolerance = MICRO
    return tolerance, row["tolerance_action"], row["head_judge"]


async def current_reviews(activity_id: int) -> list[dict[str, Any]]:
    return await (
        Review.select()
        .where((Review.activity == activity_id) & Review.is_current.eq(True) & Review.annulled_at.is_null())
        .order_by(Review.id)
    )


async def settle(competition: CompetitionInfo, activity_id: int, team_code: str) -> tuple[str, str]:
    """Works out an activity's status and jury flag from its current reviews; adds a judge when the panel
    ties or its scores spread beyond the tolerance. Returns (status, flag). Inside a write transaction."""
    reviews = await current_reviews(activity_id)
    active = await active_assignments(activity_id)
    stage_id = active[0]["stage"] if active else None
    head = [r for r in reviews if r["is_head"]]
    if head:
        return head[-1]["decision"], "head"
    required = max(await reviews_required(competition.id), len(active))
    verdict = pure.panel_verdict([r["decision"] for r in reviews], required)
    waiting = any(a["status"] == "open" for a in active)
    if verdict == "pending" or waiting:
        flag = next((a["origin"] for a in reversed(active) if a["origin"] in ("tie", "spread", "head")), "")
        return "submitted", flag
    if verdict == "tie":
        added = await assign(
            competition,
            team_code=team_code,
            stage_id=stage_id,
            activity_id=activity_id,
            needed=1,
            origin="tie",
        )
        if added:
            return "submitted", "tie"
        return await _to_head(competition, activity_id, team_code, stage_id, "tie")
    tolerance, action, _head = await _tolerance(competition.id)
    rubric = await scoring_rubric(competition.id, "activity")
    qs = [q for r in reviews if (q := judge_q(rubric, r["judge"], r["scores"])) is not None]
    if not pure.exceeds_tolerance(qs, tolerance):
        return verdict, ""
    spread_added = any(a["origin"] == "spread" for a in active)
    if action == "extra_judge" and not spread_added:
        added = await assign(
            competition,
            team_code=team_code,
            stage_id=stage_id,
            activity_id=activity_id,
            needed=1,
            origin="spread",
        )
        if added:
            return "submitted", "spread"
    status, flag = await _to_head(competition, activity_id, team_code, stage_id, "spread")
    # Without a head judge to ask, the extra judge's vote has been heard: the majority stands, flagged.
    return (verdict, "spread") if status == "undecided" else (status, flag)


async def _to_head(
    competition: CompetitionInfo, activity_id: int, team_code: str, stage_id: int | None, why: str
) -> tuple[str, str]:
    _tol, _action, head = await _tolerance(competition.id)
    if head is not None:
        if await Assignment.exists().where(
            (Assignment.activity == activity_id) & (Assignment.judge == head) & (Assignment.status == "open")
        ):
            return "submitted", "head"
        slots = {s.judge_id: s for s in await judge_slots(competition.id)}
        reviewed = await Review.exists().where(
            (Review.activity == activity_id) & (Review.judge == head) & Review.is_current.eq(True)
        )
        if head in slots and pure.eligible(slots[head], team_code) and not reviewed:
            await Assignment.insert(
                Assignment(
                    competition=competition.id,
                    stage=stage_id,
                    activity=activity_id,
                    judge=head,
                    status="open",
                    origin="head",
                )
            )
            return "submitted", "head"
    return ("submitted", why) if why == "tie" else ("undecided", why)


async def apply_status(
    competition: CompetitionInfo, activity_id: int, team_code: str, old_status: str
) -> str:
    """Settles the activity and stores its status and flag; recomputes the standings when it is or was
    verified (`VerificationChanged`)."""
    status, flag = await settle(competition, activity_id, team_code)
    await Activity.update({Activity.status: status, Activity.jury_flag: flag}).where(
        Activity.id == activity_id
    )
    if status != old_status and status in ("verified", "rejected"):
        await emit(ActivityDecided(competition, activity_id, team_code, status, old_status))
    # A verified activity's points depend on its judges' current scores: a revision or an annulment that
    # keeps it verified still changes them.
    if "verified" in (status, old_status):
        await emit(VerificationChanged(competition, activity_id, team_code))
    return status


async def record_review(
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity: dict[str, Any],
    decision: str,
    reason: str,
    scores: dict[str, str] | None,
    *,
    revise: bool,
) -> str:
    """The judge's review (a new version when revising), then the activity settled. In a transaction."""
    activity_id = activity["id"]
    previous = await (
        Review.select()
        .where((Review.activity == activity_id) & (Review.judge == judge.id) & Review.is_current.eq(True))
        .first()
    )
    assignment = (
        await Assignment.select(Assignment.id, Assignment.origin)
        .where(
            (Assignment.activity == activity_id)
            & (Assignment.judge == judge.id)
            & (Assignment.status == "open")
        )
        .first()
    )
    if revise:
        if previous is None:
            raise NotFound(_("You have not reviewed this activity."))
        if previous["annulled_at"] is not None:
            raise Conflict(_("Your review was annulled by the organisers; it can no longer be revised."))
    else:
        if previous is not None:
            raise Conflict(_("You have already reviewed this activity."))
        if activity["status"] != "submitted":
            raise Conflict(_("This activity has already been decided."))
        if assignment is None:
            # Only the assigned judges review: a judge does not choose whose work to judge. Work moves
            # between judges by the organisers' reassignment (assignment.override_assignment).
            raise Forbidden(
                _(
                    "This activity is not assigned to you: only its assigned judges may review it. "
                    "The organisers can reassign it."
                )
            )
    is_head = bool(assignment and assignment["origin"] == "head") or bool(previous and previous["is_head"])
    if previous is not None:
        await Review.update({Review.is_current: False}).where(Review.id == previous["id"])
    review = Review(
        activity=activity_id,
        judge=judge.id,
        decision=decision,
        reason=reason,
        scores=json.dumps(scores or {}),
        version=(previous["version"] + 1) if previous else 1,
        is_current=True,
        is_head=is_head,
    )
    await review.save()
    if assignment is not None:
        await Assignment.update({Assignment.status: "done", Assignment.done_at: now()}).where(
            Assignment.id == assignment["id"]
        )
    status = await apply_status(competition, activity_id, activity["team.code"], activity["status"])
    await audit.record(
        actor_id=judge.id,
        actor_name=judge.username,
        action=f"review.{'revise' if revise else decision}",
        object_type="activity",
        object_id=activity_id,
        before={"status": activity["status"], **({"decision": previous["decision"]} if previous else {})},
        after={
            "status": status,
            "decision": decision,
            "reason": reason,
            "version": review.version,
            **({"scores": scores} if scores else {}),
        },
        competition_id=competition.id,
    )
    return status


async def revise(
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity_id: int,
    decision: str,
    reason: str,
    scores: dict[str, str] | None = None,
) -> str:
    """A new version of the judge's own review, until the activity stage closes."""
    reason = check_decision(decision, reason)
    async with write_transaction(lock=f"competition:{competition.id}"):
        await lock_activity(activity_id)
        require_stage_open(await activity_stage(competition.id))
        activity = await load_for_review(competition, judge, activity_id)
        return await record_review(competition, judge, activity, decision, reason, scores, revise=True)


async def review_history(activity_id: int) -> list[dict[str, Any]]:
    """Every version of every review of an activity, oldest first, with the judge's and annuller's names."""
    rows = await (
        Review.select(
            Review.id,
            Review.judge,
            Review.judge.username,
            Review.judge.full_name,
            Review.decision,
            Review.reason,
            Review.scores,
            Review.version,
            Review.is_current,
            Review.is_head,
            Review.created_at,
            Review.annulled_at,
            Review.annul_reason,
            Review.annulled_by.username,
        )
        .where(Review.activity == activity_id)
        .order_by(Review.id)
    )
    for row in rows:
        row["scores"] = stored_scores(row["scores"])
    return rows


async def score_team(
    competition: CompetitionInfo,
    judge: CurrentUser,
    stage_id: int,
    team_id: int,
    scores: dict[str, str],
    note: str,
    *,
    localised: bool = False,
) -> None:
    """A judge's team-level rubric scores (a new version when they scored this team before): every
    criterion of the team rubric, within its bounds (`localised`: typed into a page, "7,5")."""
    scores = await check_team_scores(competition.id, scores, localised=localised)
    async with write_transaction(lock=f"competition:{competition.id}"):
        stage = await stage_by_id(competition.id, stage_id)
        if stage is None or stage["kind"] != "team":
            raise NotFound(_("Stage not found."))
        require_stage_open(stage)
        team = (
            await Team.select(Team.id, Team.code)
            .where((Team.id == team_id) & (Team.competition == competition.id))
            .first()
        )
        if team is None:
            raise NotFound(_("Team not found."))
        slots = {s.judge_id: s for s in await judge_slots(competition.id)}
        slot = slots.get(judge.id)
        if slot is None or not pure.eligible(slot, team["code"]):
            raise Forbidden(_("You may not judge this team (own regency or a declared conflict)."))
        assignment = (
            await Assignment.select(Assignment.id, Assignment.status)
            .where(
                (Assignment.team == team_id)
                & (Assignment.stage == stage_id)
                & (Assignment.judge == judge.id)
                & Assignment.status.is_in(list(ACTIVE))
            )
            .first()
        )
        if assignment is None:
            raise Forbidden(_("This team is not assigned to you."))
        if not scores:
            raise Invalid({"scores": _("Give a score for every criterion.")})
        previous = (
            await TeamReview.select(TeamReview.id, TeamReview.version)
            .where(
                (TeamReview.stage == stage_id)
                & (TeamReview.team == team_id)
                & (TeamReview.judge == judge.id)
                & TeamReview.is_current.eq(True)
            )
            .first()
        )
        if previous is not None:
            await TeamReview.update({TeamReview.is_current: False}).where(TeamReview.id == previous["id"])
        await TeamReview.insert(
            TeamReview(
                stage=stage_id,
                team=team_id,
                judge=judge.id,
                scores=json.dumps(scores),
                note=note.strip(),
                version=(previous["version"] + 1) if previous else 1,
            )
        )
        await Assignment.update({Assignment.status: "done", Assignment.done_at: now()}).where(
            Assignment.id == assignment["id"]
        )
        await announce_stage_change(competition.id)
        await audit.record(
            actor_id=judge.id,
            actor_name=judge.username,
            action="team_review.revise" if previous else "team_review.create",
            object_type="team",
            object_id=team_id,
            after={"stage": stage["code"], "scores": scores, "note": note.strip()},
            competition_id=competition.id,
        )
