"""Judging: the queue of submitted activities and the decision that verifies or rejects one."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
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
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity_id: int,
    decision: str,
    reason: str,
    scores: dict[str, str] | None = None,
) -> str:
    """Records the review; once enough reviews agree the status changes and the standings are recomputed.

    `scores` are the judge's rubric scores (criterion code -> exact decimal text), checked by the caller
    with `check_scores`.
    """
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
        await Review.insert(
            Review(
                activity=activity_id,
                judge=judge.id,
                decision=decision,
                reason=reason,
                scores=json.dumps(scores or {}),
            )
        )
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
            after={
                "status": status,
                "decision": decision,
                "reason": reason,
                **({"scores": scores} if scores else {}),
            },
            competition_id=competition.id,
        )
        if status != "submitted":
            await Activity.update({Activity.status: status}).where(Activity.id == activity_id)
            if status == "verified":
                await recompute(competition, row["team.code"])
        return status


async def activity_for_judge(activity_id: int) -> dict[str, Any] | None:
    row = await Activity.select(*ACTIVITY_COLUMNS).where(Activity.id == activity_id).first()
    return _decode(row) if row else None


async def check_scores(competition_id: int, scores: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A judge's rubric scores as exact decimal text, and the errors (field `scores.<code>`) if any."""
    from app.competitions.services import rubric
    from app.i18n import _

    criteria = {c["code"]: c for c in await rubric(competition_id)}
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for code, value in scores.items():
        field = f"scores.{code}"
        criterion = criteria.get(code)
        if criterion is None:
            errors[field] = _("Unknown rubric criterion.")
            continue
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
                raise InvalidOperation
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors[field] = _("Must be a number.")
            continue
        low, high = Decimal(criterion["min"]), Decimal(criterion["max"])
        if not low <= number <= high:
            errors[field] = _(
                "Must be between %(low)s and %(high)s.", low=criterion["min"], high=criterion["max"]
            )
            continue
        clean[code] = str(number)
    return clean, errors
