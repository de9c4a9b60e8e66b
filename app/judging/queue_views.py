"""What the judge's pages read: the rubric with its level descriptions, the activity or team in front of the
judge (with blind judging applied), the judge's own reviews and the teams they may declare a conflict with.

Reads only; every change goes through app.judging.assignment / reviews / corrections.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities import attestation, policy
from app.activities.services import ACTIVITY_COLUMNS, _decode
from app.competitions.stages import stage_closed_for_activity
from app.errors import DomainError, Forbidden
from app.i18n import _, parse_number
from app.judging.assignment import next_assignment
from app.standings import season_overall
from app.tables import (
    Activity,
    Assignment,
    ConflictOfInterest,
    Photo,
    Review,
    RubricCriterion,
    Stage,
    Standing,
    Team,
    TeamReview,
)

# /juri/daftar is one line per activity: a page holds many.
LIST_PAGE_SIZE = 50
# A scale with at most this many whole steps is offered as radio buttons; otherwise a number field.
MAX_RADIO_STEPS = 11
TEAM_RECENT_ACTIVITIES = 4
TEAM_PHOTOS_PER_ACTIVITY = 2


async def blind_judging(competition_id: int) -> bool:
    return await policy.blind_judging(competition_id)


def _levels(text: Any) -> list[dict[str, str]]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict) and "score" in item:
            out.append(
                {
                    "score": str(item["score"]),
                    "id": str(item.get("id") or ""),
                    "en": str(item.get("en") or ""),
                }
            )
    return out


def _decimal(text: Any) -> Decimal | None:
    return parse_number(text, localised=False)


def _steps(low: Decimal | None, high: Decimal | None) -> list[str]:
    """The whole scores of a small whole-number scale ("1".."5"); empty for other scales (number field)."""
    if low is None or high is None or low != low.to_integral() or high != high.to_integral():
        return []
    if high < low or high - low + 1 > MAX_RADIO_STEPS:
        return []
    return [str(n) for n in range(int(low), int(high) + 1)]


async def criteria(competition_id: int, scope: str) -> list[dict[str, Any]]:
    """The rubric criteria of one scope ("activity" or "team") in order, with their levels parsed and,
    for a small whole-number scale, the list of scores a judge picks from."""
    rows = await (
        RubricCriterion.select()
        .where((RubricCriterion.competition == competition_id) & (RubricCriterion.scope == scope))
        .order_by(RubricCriterion.position)
        .order_by(RubricCriterion.id)
    )
    out = []
    for row in rows:
        levels = _levels(row.get("levels"))
        by_score = {}
        for level in levels:
            number = _decimal(level["score"])
            by_score[str(number) if number is not None else level["score"]] = level
        steps = _steps(_decimal(row["min"]), _decimal(row["max"]))
        out.append(
            {
                **row,
                "levels": levels,
                "steps": [{"score": s, "level": by_score.get(s)} for s in steps],
                "field": f"score_{row['code']}",
            }
        )
    return out


def form_scores(form: Any, rubric: list[dict[str, Any]]) -> dict[str, str]:
    """The `score_<code>` fields the judge filled in (criterion code -> text as typed)."""
    scores: dict[str, str] = {}
    for criterion in rubric:
        typed = str(form.get(criterion["field"]) or "").strip()
        number = parse_number(typed)
        # "7,5" and "7.5" are the same score; what is no number goes on as typed, for check_scores to word.
        value = typed if number is None else format(number, "f")
        if value:
            scores[criterion["code"]] = value[:32]
    return scores


def missing_scores(rubric: list[dict[str, Any]], scores: dict[str, str]) -> list[dict[str, Any]]:
    return [c for c in rubric if c["code"] not in scores]


# --- The activity in front of the judge -------------------------------------------------------------


def blind_flags(photos: list[dict[str, Any]], hidden: str) -> list[dict[str, Any]]:
    """Photos without what would name a team or a regency (blind judging): the flags keep their kind but
    not the team or regency they name, and the EXIF GPS position (which shows where) is left out."""
    for photo in photos:
        photo["gps_lat"] = photo["gps_lon"] = None
        redacted = []
        for flag in photo.get("flags") or []:
            flag = dict(flag)
            if "region" in flag:
                flag["region"] = hidden
            if "team" in flag:
                flag["team"] = hidden
            flag.pop("code", None)
            redacted.append(flag)
        photo["flags"] = redacted
    return photos


async def open_assignment(competition_id: int, judge_id: int, activity_id: int) -> dict[str, Any] | None:
    return await (
        Assignment.select()
        .where(
            (Assignment.competition == competition_id)
            & (Assignment.judge == judge_id)
            & (Assignment.activity == activity_id)
            & (Assignment.status == "open")
        )
        .first()
    )


async def conflicted_team_ids(judge_id: int) -> set[int]:
    rows = await ConflictOfInterest.select(ConflictOfInterest.team).where(
        ConflictOfInterest.judge == judge_id
    )
    return {r["team"] for r in rows}


async def _waiting_where(competition_id: int, judge: CurrentUser, attested: str | None = None) -> Any:
    """Every submitted activity assigned to the judge and not reviewed by them yet (never their regency nor a
    declared conflict), optionally only those whose officer confirmation is in state `attested`
    (app.activities.attestation.SUMMARY_STATES): what the judge's list shows, whichever door asks."""
    where = (Activity.competition == competition_id) & (Activity.status == "submitted")
    where &= Activity.id.is_in(
        Assignment.select(Assignment.activity).where(
            (Assignment.judge == judge.id) & (Assignment.status == "open") & Assignment.activity.is_not_null()
        )
    )
    hidden = await policy.hidden_team_ids(judge, competition_id)
    if hidden:
        where &= Activity.team.not_in(hidden)
    where &= Activity.id.not_in(
        Review.select(Review.activity).where((Review.judge == judge.id) & Review.is_current.eq(True))
    )
    if attested in attestation.SUMMARY_STATES:
        where &= Activity.id.is_in(await attestation.ids_in_state(competition_id, attested) or [0])
    return where


async def waiting_after(
    competition_id: int, judge: CurrentUser, *, after_id: int, limit: int, attested: str | None = None
) -> list[dict[str, Any]]:
    """The judge's list (`_waiting_where`) by id after `after_id`, for cursor pages (the API); one more row
    than `limit` tells that another page follows. Nothing while the verification stage is closed."""
    if await stage_closed_for_activity(competition_id):
        return []
    where = (await _waiting_where(competition_id, judge, attested)) & (Activity.id > after_id)
    rows = await Activity.select(*ACTIVITY_COLUMNS).where(where).order_by(Activity.id).limit(limit + 1)
    return [_decode(r) for r in rows]


async def next_in_queue(
    competition_id: int, judge: CurrentUser
) -> tuple[dict[str, Any] | None, policy.ActivityView | None]:
    """The judge's next assignment (app.judging.assignment.next_assignment) and, for an activity, the
    activity as the judge may see it (blind judging applied). An activity the policy refuses the judge
    (a conflict declared meanwhile) is no next assignment: (None, None)."""
    assignment = await next_assignment(competition_id, judge)
    if assignment is None or assignment["kind"] != "activity":
        return assignment, None
    try:
        view = await policy.activity_view(judge, assignment["activity_id"], competition_id=competition_id)
    except DomainError:
        return None, None
    return assignment, view


async def waiting(
    competition_id: int, judge: CurrentUser, page: int, attested: str | None = None
) -> tuple[list[dict[str, Any]], int, set[int]]:
    """The judge's list (`_waiting_where`), oldest first, a page at a time, optionally only the activities
    whose officer confirmation is in state `attested` (app.activities.attestation.SUMMARY_STATES), each with
    that confirmation (row "attestation"); and which of them are assigned to the judge (all: only the
    assigned judges review, app.judging.reviews)."""
    where = await _waiting_where(competition_id, judge, attested)
    rows = await (
        Activity.select(*ACTIVITY_COLUMNS)
        .where(where)
        .order_by(Activity.submitted_at)
        .order_by(Activity.id)
        .offset((page - 1) * LIST_PAGE_SIZE)
        .limit(LIST_PAGE_SIZE)
    )
    total = await Activity.count().where(where)
    ids = [r["id"] for r in rows]
    mine: set[int] = set()
    if ids:
        mine = {
            r["activity"]
            for r in await Assignment.select(Assignment.activity).where(
                Assignment.activity.is_in(ids)
                & (Assignment.judge == judge.id)
                & (Assignment.status == "open")
            )
        }
    summaries = await attestation.summaries(ids)
    return [{**_decode(r), "attestation": summaries[r["id"]]} for r in rows], total, mine


# --- Team-level stage ---------------------------------------------------------------------------------


async def team(competition_id: int, team_id: int) -> dict[str, Any] | None:
    return await (
        Team.select(Team.id, Team.code, Team.name)
        .where((Team.id == team_id) & (Team.competition == competition_id))
        .first()
    )


async def team_by_code(competition_id: int, code: str) -> dict[str, Any] | None:
    return await (
        Team.select(Team.id, Team.code, Team.name)
        .where((Team.code == code) & (Team.competition == competition_id))
        .first()
    )


async def team_summary(competition_id: int, team_id: int) -> dict[str, Any]:
    """The team's standing (rank, score, counted activities) and its latest verified activities with a
    few of their photos."""
    standing = await (
        Standing.select(Standing.rank, Standing.score, Standing.counted)
        .where(season_overall(competition_id) & (Standing.team == team_id))
        .first()
    )
    recent = await (
        Activity.select(*ACTIVITY_COLUMNS)
        .where((Activity.team == team_id) & (Activity.status == "verified"))
        .order_by(Activity.occurred_at, ascending=False)
        .order_by(Activity.id, ascending=False)
        .limit(TEAM_RECENT_ACTIVITIES)
    )
    recent = [_decode(r) for r in recent]
    photos: dict[int, list[int]] = {}
    if recent:
        for row in await (
            Photo.select(Photo.id, Photo.activity)
            .where(Photo.activity.is_in([r["id"] for r in recent]))
            .order_by(Photo.id)
        ):
            bucket = photos.setdefault(row["activity"], [])
            if len(bucket) < TEAM_PHOTOS_PER_ACTIVITY:
                bucket.append(row["id"])
    verified = await Activity.count().where((Activity.team == team_id) & (Activity.status == "verified"))
    return {
        "rank": standing["rank"] if standing else None,
        "score": _decimal(standing["score"]) if standing else None,
        "counted": standing["counted"] if standing else 0,
        "verified": verified,
        "recent": recent,
        "photos": photos,
    }


async def stage(competition_id: int, stage_id: int | None) -> dict[str, Any] | None:
    if stage_id is None:
        return None
    return await Stage.select().where((Stage.competition == competition_id) & (Stage.id == stage_id)).first()


async def current_team_review(stage_id: int, team_id: int, judge_id: int) -> dict[str, Any] | None:
    row = await (
        TeamReview.select()
        .where(
            (TeamReview.stage == stage_id)
            & (TeamReview.team == team_id)
            & (TeamReview.judge == judge_id)
            & TeamReview.is_current.eq(True)
        )
        .first()
    )
    if row is not None:
        row["scores"] = _json_dict(row["scores"])
    return row


def _json_dict(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {}
    return {str(k): str(v) for k, v in (value or {}).items()} if isinstance(value, dict) else {}


# --- The judge's own reviews ----------------------------------------------------------------------------


async def my_reviews(competition_id: int, judge_id: int) -> list[dict[str, Any]]:
    """The judge's reviewed activities, latest first, each with every version of their review
    (oldest first): decision, reason, scores, when, annulment."""
    rows = await (
        Review.select(
            Review.id,
            Review.activity,
            Review.activity.title,
            Review.activity.status,
            Review.decision,
            Review.reason,
            Review.scores,
            Review.version,
            Review.is_current,
            Review.created_at,
            Review.annulled_at,
            Review.annul_reason,
        )
        .where((Review.judge == judge_id) & (Review.activity.competition == competition_id))
        .order_by(Review.id)
    )
    grouped: dict[int, dict[str, Any]] = {}
    for row in rows:
        row["scores"] = _json_dict(row["scores"])
        entry = grouped.setdefault(
            row["activity"],
            {
                "activity_id": row["activity"],
                "title": row["activity.title"],
                "status": row["activity.status"],
                "versions": [],
                "current": None,
            },
        )
        entry["versions"].append(row)
        if row["is_current"]:
            entry["current"] = row
    return sorted(grouped.values(), key=lambda e: e["versions"][-1]["id"], reverse=True)


async def my_reviews_after(
    competition_id: int, judge: CurrentUser, *, after_id: int = 0, limit: int = 50
) -> list[dict[str, Any]]:
    """The judge's own reviews in the competition, every version, by id after `after_id` (the API's cursor
    pages over what /juri/ulasan shows); one more row than `limit` tells that another page follows."""
    if judge.role != "judge":
        raise Forbidden(_("You do not have access to this page."))
    rows = await (
        Review.select(
            Review.id,
            Review.activity,
            Review.activity.title,
            Review.activity.status,
            Review.decision,
            Review.reason,
            Review.scores,
            Review.version,
            Review.is_current,
            Review.created_at,
            Review.annulled_at,
            Review.annul_reason,
        )
        .where(
            (Review.judge == judge.id)
            & (Review.activity.competition == competition_id)
            & (Review.id > after_id)
        )
        .order_by(Review.id)
        .limit(limit + 1)
    )
    for row in rows:
        row["scores"] = _json_dict(row["scores"])
    return rows


async def my_review_of(activity_id: int, judge_id: int) -> dict[str, Any] | None:
    rows = await (
        Review.select()
        .where((Review.activity == activity_id) & (Review.judge == judge_id))
        .order_by(Review.id)
    )
    if not rows:
        return None
    for row in rows:
        row["scores"] = _json_dict(row["scores"])
    current = next((r for r in rows if r["is_current"]), rows[-1])
    return {"current": current, "versions": rows}


async def my_team_reviews(competition_id: int, judge_id: int) -> list[dict[str, Any]]:
    rows = await (
        TeamReview.select(
            TeamReview.id,
            TeamReview.team,
            TeamReview.team.code,
            TeamReview.team.name,
            TeamReview.stage,
            TeamReview.stage.name,
            TeamReview.stage.name_en,
            TeamReview.stage.status,
            TeamReview.scores,
            TeamReview.note,
            TeamReview.version,
            TeamReview.is_current,
            TeamReview.created_at,
            TeamReview.annulled_at,
        )
        .where((TeamReview.judge == judge_id) & (TeamReview.team.competition == competition_id))
        .order_by(TeamReview.id)
    )
    assignments = {
        (a["stage"], a["team"]): a["id"]
        for a in await Assignment.select(Assignment.id, Assignment.stage, Assignment.team).where(
            (Assignment.competition == competition_id)
            & (Assignment.judge == judge_id)
            & Assignment.team.is_not_null()
            & Assignment.status.is_in(["open", "done"])
        )
    }
    for row in rows:
        row["scores"] = _json_dict(row["scores"])
        # Where the judge scores this team again (a new version), while its stage is open.
        row["assignment"] = assignments.get((row["stage"], row["team"]))
    return rows


async def team_assignment(competition_id: int, judge_id: int, assignment_id: int) -> dict[str, Any] | None:
    """The judge's own open or done assignment of a team (scoring it again makes a new version)."""
    return await (
        Assignment.select()
        .where(
            (Assignment.id == assignment_id)
            & (Assignment.competition == competition_id)
            & (Assignment.judge == judge_id)
            & Assignment.team.is_not_null()
            & Assignment.status.is_in(["open", "done"])
        )
        .first()
    )


# --- Conflicts of interest ----------------------------------------------------------------------------


async def teams_for_conflict(competition_id: int, judge: CurrentUser) -> list[dict[str, Any]]:
    """The teams a judge may still declare a conflict with (not their own regency: never judged anyway,
    not already declared)."""
    conflicted = await conflicted_team_ids(judge.id)
    rows = (
        await Team.select(Team.id, Team.code, Team.name)
        .where(Team.competition == competition_id)
        .order_by(Team.name)
    )
    return [r for r in rows if r["id"] not in conflicted and r["code"] != judge.region_code]
