"""Judging: the queue of submitted activities and the decision that verifies or rejects one."""

from __future__ import annotations

from typing import Any

from app.accounts.auth import CurrentUser
from app.activities.services import ACTIVITY_COLUMNS, _decode
from app.audit import services as audit
from app.competitions.services import CompetitionInfo
from app.db import write_transaction
from app.leaderboard.services import recompute
from app.tables import Activity, Review

PAGE_SIZE = 20
DECISIONS = ("verified", "rejected")


class DecisionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _queue_filter(competition_id: int, judge: CurrentUser) -> Any:
    where = (Activity.competition == competition_id) & (Activity.status == "submitted")
    if judge.region_code:
        # Conflict of interest: a judge never sees their own regency's activities.
        where &= Activity.team.code != judge.region_code
    return where


async def queue(competition_id: int, judge: CurrentUser, page: int) -> tuple[list[dict[str, Any]], int]:
    where = _queue_filter(competition_id, judge)
    rows = await (
        Activity.select(*ACTIVITY_COLUMNS)
        .where(where)
        .order_by(Activity.submitted_at)
        .order_by(Activity.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    total = await Activity.count().where(where)
    return [_decode(r) for r in rows], total


async def decide(
    competition: CompetitionInfo, judge: CurrentUser, activity_id: int, decision: str, reason: str
) -> str:
    """Records the review; once enough reviews agree the status changes and the standings are recomputed."""
    from app.i18n import _

    if decision not in DECISIONS:
        raise DecisionError(422, _("Choose verify or reject."))
    reason = reason.strip()
    if decision == "rejected" and not reason:
        raise DecisionError(422, _("A rejection needs a reason."))
    async with write_transaction(lock=f"competition:{competition.id}"):
        row = await (
            Activity.select(Activity.id, Activity.status, Activity.team.code, Activity.competition)
            .where(Activity.id == activity_id)
            .first()
        )
        if row is None or row["competition"] != competition.id:
            raise DecisionError(404, _("Activity not found."))
        if judge.region_code and row["team.code"] == judge.region_code:
            raise DecisionError(403, _("You may not judge an activity of your own regency/city."))
        if row["status"] != "submitted":
            raise DecisionError(409, _("This activity has already been decided."))
        if await Review.exists().where((Review.activity == activity_id) & (Review.judge == judge.id)):
            raise DecisionError(409, _("You have already reviewed this activity."))
        await Review.insert(Review(activity=activity_id, judge=judge.id, decision=decision, reason=reason))
        reviews = await Review.select(Review.decision).where(Review.activity == activity_id)
        votes = [r["decision"] for r in reviews]
        status = "submitted"
        if len(votes) >= competition.reviews_required:
            verified = votes.count("verified")
            status = (
                "verified"
                if verified * 2 > len(votes)
                else "rejected"
                if verified * 2 < len(votes)
                else status
            )
        await audit.record(
            actor_id=judge.id,
            actor_name=judge.username,
            action=f"review.{decision}",
            object_type="activity",
            object_id=activity_id,
            before={"status": row["status"]},
            after={"status": status, "decision": decision, "reason": reason},
            competition_id=competition.id,
        )
        if status != "submitted":
            await Activity.update({Activity.status: status}).where(Activity.id == activity_id)
            if status == "verified":
                await recompute(competition)
        return status


async def activity_for_judge(activity_id: int) -> dict[str, Any] | None:
    row = await Activity.select(*ACTIVITY_COLUMNS).where(Activity.id == activity_id).first()
    return _decode(row) if row else None
