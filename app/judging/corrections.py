"""Corrections: an organiser annuls a review (another judge takes its place), and a judge declares a
conflict of interest with a team (their open assignments move to others; their reviews of its activities
are annulled while verification is open)."""

from __future__ import annotations

from typing import Any

from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.competitions.services import CompetitionInfo
from app.competitions.stages import activity_stage
from app.db import advisory_lock, lock_activity, write_transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _
from app.judging.assignment import assign, move_assignments, now
from app.judging.reviews import apply_status, require_stage_open
from app.tables import Activity, Assignment, ConflictOfInterest, Review, Team
from scoring.jury import region_key


async def annul_review(competition: CompetitionInfo, actor: CurrentUser, review_id: int, reason: str) -> str:
    """An organiser annuls a review with a reason; a replacement judge is asked and the activity resettled."""
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": _("Annulling a review needs a reason.")})
    async with write_transaction(lock=f"competition:{competition.id}"):
        stage = await activity_stage(competition.id)
        require_stage_open(stage)
        found = await Review.select(Review.activity).where(Review.id == review_id).first()
        if found is not None:
            # The activity's row before its reviews change (app.db.LOCK_ORDER), then read them under it.
            await lock_activity(found["activity"])
        row = await Review.select(*_ANNULLABLE).where(Review.id == review_id).first()
        if row is None or row["activity.competition"] != competition.id:
            raise NotFound(_("Review not found."))
        if not row["is_current"] or row["annulled_at"] is not None:
            raise Conflict(_("Only a judge's current review can be annulled."))
        return await _annul(competition, stage, actor.id, actor.username, row, reason)


async def activity_of_review(review_id: int) -> int:
    row = await Review.select(Review.activity).where(Review.id == review_id).first()
    if row is None:
        raise NotFound(_("Review not found."))
    return int(row["activity"])


_ANNULLABLE = (
    Review.id,
    Review.activity,
    Review.judge,
    Review.decision,
    Review.is_current,
    Review.annulled_at,
    Review.activity.status,
    Review.activity.team.code,
    Review.activity.competition,
)


async def _annul(
    competition: CompetitionInfo,
    stage: dict[str, Any] | None,
    actor_id: int,
    actor_name: str,
    row: dict[str, Any],
    reason: str,
) -> str:
    """Annuls one current review (inside the caller's write transaction): its judge's place goes to
    another judge and the activity is settled again."""
    await Review.update(
        {Review.annulled_at: now(), Review.annulled_by: actor_id, Review.annul_reason: reason}
    ).where(Review.id == row["id"])
    # The annulled judge's assignment no longer counts; another judge takes the place.
    await Assignment.update({Assignment.status: "cancelled"}).where(
        (Assignment.activity == row["activity"])
        & (Assignment.judge == row["judge"])
        & (Assignment.status == "done")
    )
    await assign(
        competition,
        team_code=row["activity.team.code"],
        stage_id=stage["id"] if stage else None,
        activity_id=row["activity"],
        needed=1,
        origin="annul",
        exclude=(row["judge"],),
    )
    status = await apply_status(
        competition, row["activity"], row["activity.team.code"], row["activity.status"]
    )
    await audit.record(
        actor_id=actor_id,
        actor_name=actor_name,
        action="review.annul",
        object_type="review",
        object_id=row["id"],
        before={"decision": row["decision"], "status": row["activity.status"]},
        after={"annulled": True, "reason": reason, "status": status},
        competition_id=competition.id,
    )
    return status


async def declare_conflict(
    competition: CompetitionInfo, judge: CurrentUser, team_id: int, reason: str
) -> None:
    """Records a judge's conflict with a team; their open assignments of that team go to other judges,
    and their reviews of its activities are annulled while verification is open."""
    reason = reason.strip()
    team = (
        await Team.select(Team.id, Team.code)
        .where((Team.id == team_id) & (Team.competition == competition.id))
        .first()
    )
    errors: dict[str, str] = {}
    # One's own regency is never judged anyway: it is not a team a conflict is declared with.
    if team is None or (judge.region_code and region_key(team["code"]) == region_key(judge.region_code)):
        errors["team"] = _("Choose a team.")
    if not reason:
        errors["reason"] = _("Say briefly why (e.g. family, former member of the team).")
    if errors:
        raise Invalid(errors)
    async with write_transaction(lock=f"competition:{competition.id}"):
        if await ConflictOfInterest.exists().where(
            (ConflictOfInterest.judge == judge.id) & (ConflictOfInterest.team == team_id)
        ):
            raise Conflict(_("You have already declared a conflict with this team."))
        # Every lock this declaration may need, in app.db.LOCK_ORDER, before the audit chain's: the rows
        # of the team's activities the judge reviewed or holds (their reviews are annulled, their places
        # moved), then the jury's.
        touched = await Activity.select(Activity.id).where(
            (Activity.team == team_id)
            & (
                Activity.id.is_in(Review.select(Review.activity).where(Review.judge == judge.id))
                | Activity.id.is_in(
                    Assignment.select(Assignment.activity).where(
                        (Assignment.judge == judge.id) & Assignment.activity.is_not_null()
                    )
                )
            )
        )
        await lock_activity(*(r["id"] for r in touched))
        await advisory_lock(f"jury:{competition.id}")
        await ConflictOfInterest.insert(ConflictOfInterest(judge=judge.id, team=team_id, reason=reason))
        await audit.record(
            actor_id=judge.id,
            actor_name=judge.username,
            action="conflict.declare",
            object_type="team",
            object_id=team_id,
            after={"judge": judge.id, "reason": reason},
            competition_id=competition.id,
        )
        rows = await Assignment.select(
            Assignment.id, Assignment.activity, Assignment.team, Assignment.stage, Assignment.origin
        ).where(
            (Assignment.competition == competition.id)
            & (Assignment.judge == judge.id)
            & (Assignment.status == "open")
            & ((Assignment.team == team_id) | (Assignment.activity.team == team_id))
        )
        await move_assignments(competition, rows, judge.id, judge.id, judge.username)
        # Reviews the judge already gave that team's activities no longer count while verification is
        # open: each is annulled and another judge takes the place (after it closes they stay, frozen).
        stage = await activity_stage(competition.id)
        if stage is None or stage["status"] != "closed":
            reviewed = await Review.select(*_ANNULLABLE).where(
                (Review.judge == judge.id)
                & Review.is_current.eq(True)
                & Review.annulled_at.is_null()
                & (Review.activity.team == team_id)
                & (Review.activity.competition == competition.id)
            )
            why = _("Conflict of interest declared by the judge: %(reason)s", reason=reason)
            for row in reviewed:
                await _annul(competition, stage, judge.id, judge.username, row, why)


async def conflicts(judge_id: int) -> list[dict[str, Any]]:
    return await (
        ConflictOfInterest.select(
            ConflictOfInterest.id,
            ConflictOfInterest.team,
            ConflictOfInterest.team.code,
            ConflictOfInterest.team.name,
            ConflictOfInterest.reason,
            ConflictOfInterest.created_at,
        )
        .where(ConflictOfInterest.judge == judge_id)
        .order_by(ConflictOfInterest.id)
    )


async def conflicts_page(
    competition_id: int,
    viewer: CurrentUser,
    *,
    judge_id: int | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The conflicts declared with the competition's teams, by id after `after_id`: an organiser sees
    everyone's, a judge their own (as on /juri/konflik), whatever `judge_id` asks; one more row than
    `limit` tells that another page follows."""
    if viewer.role == "judge":
        judge_id = viewer.id
    elif viewer.role != "organiser":
        raise Forbidden(_("You do not have access to this page."))
    where = (ConflictOfInterest.team.competition == competition_id) & (ConflictOfInterest.id > after_id)
    if judge_id is not None:
        where &= ConflictOfInterest.judge == judge_id
    return await (
        ConflictOfInterest.select(
            ConflictOfInterest.id,
            ConflictOfInterest.judge,
            ConflictOfInterest.judge.username,
            ConflictOfInterest.judge.full_name,
            ConflictOfInterest.team,
            ConflictOfInterest.team.code,
            ConflictOfInterest.team.name,
            ConflictOfInterest.reason,
            ConflictOfInterest.created_at,
        )
        .where(where)
        .order_by(ConflictOfInterest.id)
        .limit(limit + 1)
    )
