"""Judging: the queue of submitted activities and the decision that verifies or rejects one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities.services import ACTIVITY_COLUMNS, _decode
from app.competitions.services import CompetitionInfo
from app.db import write_transaction
from app.tables import Activity
from scoring.jury import region_key

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


def check_decision(decision: str, reason: str) -> str:
    """The reason, stripped; refuses an unknown decision or a rejection without a reason (422)."""
    from app.i18n import _

    if decision not in DECISIONS:
        raise DecisionError(422, _("Choose verify or reject."))
    reason = reason.strip()
    if decision == "rejected" and not reason:
        raise DecisionError(422, _("A rejection needs a reason."))
    return reason


async def load_for_review(
    competition: CompetitionInfo, judge: CurrentUser, activity_id: int
) -> dict[str, Any]:
    """The activity a judge is about to review: 404 outside the competition, 403 for their own regency
    or a team they declared a conflict with."""
    from app.i18n import _
    from app.tables import ConflictOfInterest

    row = await (
        Activity.select(Activity.id, Activity.status, Activity.team, Activity.team.code, Activity.competition)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or row["competition"] != competition.id:
        raise DecisionError(404, _("Activity not found."))
    if judge.region_code and region_key(row["team.code"]) == region_key(judge.region_code):
        raise DecisionError(403, _("You may not judge an activity of your own regency/city."))
    if await ConflictOfInterest.exists().where(
        (ConflictOfInterest.judge == judge.id) & (ConflictOfInterest.team == row["team"])
    ):
        raise DecisionError(403, _("You declared a conflict of interest with this team."))
    return row


async def decide(
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity_id: int,
    decision: str,
    reason: str,
    scores: dict[str, str] | None = None,
) -> str:
    """Records the judge's review and settles the activity (app.judging.jury): the majority of the
    assigned judges decides, a tie or scores spread beyond the tolerance ask one more judge (or the head
    judge); standings are recomputed when verification changes.

    `scores` are the judge's rubric scores (criterion code -> exact decimal text), checked by the caller
    with `check_scores`.
    """
    from app.judging import jury

    reason = check_decision(decision, reason)
    async with write_transaction(lock=f"competition:{competition.id}"):
        activity = await load_for_review(competition, judge, activity_id)
        jury.require_stage_open(await jury.activity_stage(competition.id))
        return await jury.record_review(competition, judge, activity, decision, reason, scores, revise=False)


async def activity_for_judge(activity_id: int) -> dict[str, Any] | None:
    row = await Activity.select(*ACTIVITY_COLUMNS).where(Activity.id == activity_id).first()
    return _decode(row) if row else None


async def check_scores(
    competition_id: int, scores: dict[str, Any], *, localised: bool = False
) -> tuple[dict[str, str], dict[str, str]]:
    """A judge's rubric scores as exact decimal text, and the errors (field `scores.<code>`) if any.
    `localised`: the bounds in an error are written the user's way ("0,5"), for a page; the API keeps
    the stored text."""
    from app.competitions.services import rubric
    from app.i18n import _, format_number

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
                "Must be between %(low)s and %(high)s.",
                low=format_number(low, 3) if localised else criterion["min"],
                high=format_number(high, 3) if localised else criterion["max"],
            )
            continue
        clean[code] = str(number)
    return clean, errors
