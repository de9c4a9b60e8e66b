"""What the organisers' jury pages read and how they word it: each judge's work and the panel's agreement,
the open assignments, the judges eligible for one, the flagged activities and an activity's assignments.
Reads only; every change goes through app.judging."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app import i18n, regions
from app.competitions.services import criteria_of, rubric, scoring_rubric
from app.competitions.stages import stages
from app.db import is_postgres
from app.judging import assignment as assignments
from app.judging.scores import judge_q
from app.tables import (
    Account,
    Activity,
    Assignment,
    ConflictOfInterest,
    Review,
    TeamReview,
)
from scoring import jury as pure
from scoring.aggregate import MICRO, Rubric
from scoring.fixedpoint import div_round

PAGE_SIZE = 50
REASON_MAX = 2000
FLAGS = ("tie", "spread", "head")
ORIGINS = ("auto", "override", "tie", "spread", "head", "annul", "takeover")


def fraction_text(value: Fraction | None, digits: int = 3) -> str:
    """An exact fraction in the locale's notation ("0,667"), or "—" when there is none."""
    if value is None:
        return "—"
    return i18n.format_number(Decimal(value.numerator) / Decimal(value.denominator), digits)


def percent_text(value: Fraction | None) -> str:
    if value is None:
        return "—"
    return i18n.format_number(Decimal(value.numerator * 100) / Decimal(value.denominator), 1) + " %"


def q_text(q: int | None) -> str:
    """A quality q (millionths) on the 0..1 scale with 3 decimals, or "—"."""
    return "—" if q is None else i18n.format_number(Decimal(q) / MICRO, 3)


def age_text(created: datetime | None, now: datetime | None = None) -> str:
    if created is None:
        return ""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - created).total_seconds()))
    if seconds >= 86400:
        return i18n.ngettext("%(num)s day", "%(num)s days", seconds // 86400)
    if seconds >= 3600:
        return i18n.ngettext("%(num)s hour", "%(num)s hours", seconds // 3600)
    return i18n.ngettext("%(num)s minute", "%(num)s minutes", seconds // 60)


def origin_label(origin: str) -> str:
    labels = {
        "auto": i18n._("automatic"),
        "override": i18n._("given by an organiser"),
        "tie": i18n._("tie breaker"),
        "spread": i18n._("scores spread"),
        "head": i18n._("head judge"),
        "annul": i18n._("replaces an annulled review"),
        "takeover": i18n._("taken over"),
    }
    return labels.get(origin, origin)


def flag_reason(flag: str) -> str:
    reasons = {
        "tie": i18n._("Tie: the judges were split evenly; one more judge decides."),
        "spread": i18n._("Spread: the judges' quality scores lie further apart than the tolerance."),
        "head": i18n._("Head judge: the head judge decides (or has decided) this activity."),
    }
    return reasons.get(flag, "")


# --- Judge quality and the panel's agreement -------------------------------------------------------


# The judges' current, non-annulled activity reviews of the competition (decided ones only), counted by
# the database: per judge, and per activity as its tally of decisions (for the nominal alpha). Only the
# reviews with rubric scores are read row by row (their q is the rubric's).
_CURRENT = (
    "FROM review r JOIN activity a ON a.id = r.activity WHERE a.competition = {competition}"
    " AND r.is_current = {true} AND r.annulled_at IS NULL AND r.decision IN ('verified', 'rejected')"
)
_PER_JUDGE = (
    "SELECT r.judge AS judge, COUNT(*) AS reviews,"
    " SUM(CASE WHEN r.decision = 'rejected' THEN 1 ELSE 0 END) AS rejected,"
    " SUM(CASE WHEN a.status IN ('verified', 'rejected') THEN 1 ELSE 0 END) AS decided,"
    " SUM(CASE WHEN a.status IN ('verified', 'rejected') AND r.decision <> a.status THEN 1 ELSE 0 END)"
    " AS differing " + _CURRENT + " GROUP BY r.judge"
)
_TALLY_PER_ACTIVITY = (
    "SELECT a.id, SUM(CASE WHEN r.decision = 'verified' THEN 1 ELSE 0 END) AS verified,"
    " SUM(CASE WHEN r.decision = 'rejected' THEN 1 ELSE 0 END) AS rejected " + _CURRENT
)
_TALLIES = "".join(
    (
        "SELECT verified, rejected, COUNT(*) AS units FROM (",
        _TALLY_PER_ACTIVITY,
        " GROUP BY a.id HAVING COUNT(*) >= 2) AS tally GROUP BY verified, rejected",
    )
)
_SCORED = (
    "SELECT r.activity AS activity, r.judge AS judge, r.scores AS scores "
    + _CURRENT
    + (" AND CAST(r.scores AS TEXT) <> {{}} ORDER BY r.id")
)
_OPEN_PER_JUDGE = (
    "SELECT judge, COUNT(*) AS n FROM assignment WHERE competition = {competition}"
    " AND status = 'open' GROUP BY judge"
)


def _sql(template: str, competition_id: int) -> str:
    return template.format(competition=int(competition_id), true="TRUE" if is_postgres() else "1")


#: A review's q by (the rubric's criteria, its stored scores): a pure function of the two, so kept across
#: requests (a review version never changes); bounded, emptied when full.
_Q_MEMO: dict[tuple[Any, str], int | None] = {}
Q_MEMO_SIZE = 500_000


def _qs_of(criteria: Any, rows: list[dict[str, Any]]) -> dict[int, dict[int, int]]:
    weighed = Rubric(criteria)
    qs: dict[int, dict[int, int]] = {}
    memo = _Q_MEMO
    for r in rows:
        raw = r["scores"]
        key = (criteria, raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True))
        try:
            q = memo[key]
        except KeyError:
            if len(memo) >= Q_MEMO_SIZE:
                memo.clear()
            q = memo[key] = judge_q(weighed, r["judge"], raw)
        if q is not None:
            qs.setdefault(r["activity"], {})[r["judge"]] = q
    return qs


async def _scored_qs(competition_id: int) -> dict[int, dict[int, int]]:
    """activity -> {judge: q} of the current decided reviews that carry rubric scores (the rubric's
    arithmetic in a worker thread, each distinct q once: `_Q_MEMO`)."""
    criteria = criteria_of(await rubric(competition_id, "activity"))
    rows = await Review.raw(_sql(_SCORED, competition_id), "{}")
    return await asyncio.to_thread(_qs_of, criteria, rows)


async def judge_table(
    competition_id: int, qs: dict[int, dict[int, int]] | None = None
) -> list[dict[str, Any]]:
    """Per judge: reviews done, open assignments, mean q, rejection and disagreement rates, conflicts.
    The counts come from the database (GROUP BY); `qs` are the scored reviews' q when already read."""
    judges = await (
        Account.select(
            Account.id, Account.username, Account.full_name, Account.region_code, Account.is_active
        )
        .where(Account.role == "judge")
        .order_by(Account.full_name)
        .order_by(Account.username)
    )
    counted = {r["judge"]: r for r in await Review.raw(_sql(_PER_JUDGE, competition_id))}
    if qs is None:
        qs = await _scored_qs(competition_id)
    given: dict[int, list[int]] = {}
    for by_judge in qs.values():
        for judge, q in by_judge.items():
            given.setdefault(judge, []).append(q)
    open_counts = {r["judge"]: r["n"] for r in await Assignment.raw(_sql(_OPEN_PER_JUDGE, competition_id))}
    declared: dict[int, list[dict[str, Any]]] = {}
    for row in await (
        ConflictOfInterest.select(
            ConflictOfInterest.judge,
            ConflictOfInterest.team.code,
            ConflictOfInterest.team.name,
            ConflictOfInterest.reason,
        )
        .where(ConflictOfInterest.team.competition == competition_id)
        .order_by(ConflictOfInterest.id)
    ):
        declared.setdefault(row["judge"], []).append(row)
    out = []
    for j in judges:
        c = counted.get(j["id"])
        reviews = int(c["reviews"]) if c else 0
        decided = int(c["decided"] or 0) if c else 0
        own_qs = given.get(j["id"], [])
        region = regions.regency(j["region_code"]) if j["region_code"] else None
        out.append(
            {
                **j,
                "region_name": region.name if region else (j["region_code"] or ""),
                "reviews": reviews,
                "open": int(open_counts.get(j["id"], 0)),
                "mean_q": div_round(sum(own_qs), len(own_qs)) if own_qs else None,
                "rejection_rate": Fraction(int(c["rejected"] or 0), reviews) if reviews else None,
                "disagreement_rate": Fraction(int(c["differing"] or 0), decided) if decided else None,
                "conflicts": declared.get(j["id"], []),
            }
        )
    return out


async def console(competition_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The jury console's judge table and agreement, the scored reviews read once for both."""
    qs = await _scored_qs(competition_id)
    # The two sides' counts are independent queries: run side by side.
    judges, agreed = await asyncio.gather(judge_table(competition_id, qs), agreement(competition_id, qs))
    return judges, agreed


async def agreement(competition_id: int, qs: dict[int, dict[int, int]] | None = None) -> list[dict[str, Any]]:
    """Krippendorff's alpha per stage: nominal on the decisions and interval on q (activity stages), interval
    on the team-level q (team stages); None where it cannot be computed. The decisions are tallied per
    activity by the database; `qs` are the scored reviews' q when already read."""
    out = []
    activity_side: tuple[int, Fraction | None, Fraction | None] | None = None
    team_rubric: Rubric | None = None
    for stage in await stages(competition_id):
        if stage["kind"] == "activity":
            if activity_side is None:
                tallies = {
                    (int(r["verified"]), int(r["rejected"])): int(r["units"])
                    for r in await Review.raw(_sql(_TALLIES, competition_id))
                }
                if qs is None:
                    qs = await _scored_qs(competition_id)
                # The interval alpha does not change with the scale: q in millionths (integers) gives
                # exactly the alpha of q on 0..1, at the cost of integer arithmetic.
                activity_side = (
                    sum(tallies.values()),
                    pure.nominal_alpha_of_tallies(tallies),
                    await asyncio.to_thread(pure.krippendorff_alpha, qs, "interval"),
                )
            units, nominal, interval = activity_side
            out.append(
                {
                    "stage": stage,
                    "units": units,
                    "nominal": nominal,
                    "interval": interval,
                    "has_nominal": True,
                }
            )
        elif stage["kind"] == "team":
            if team_rubric is None:
                team_rubric = await scoring_rubric(competition_id, "team")
            team_qs: dict[int, dict[int, Fraction]] = {}
            for row in await TeamReview.select(TeamReview.team, TeamReview.judge, TeamReview.scores).where(
                (TeamReview.stage == stage["id"])
                & TeamReview.is_current.eq(True)
                & TeamReview.annulled_at.is_null()
            ):
                q = judge_q(team_rubric, row["judge"], row["scores"])
                if q is not None:
                    team_qs.setdefault(row["team"], {})[row["judge"]] = Fraction(q, MICRO)
            out.append(
                {
                    "stage": stage,
                    "units": sum(1 for unit in team_qs.values() if len(unit) >= 2),
                    "nominal": None,
                    "interval": pure.krippendorff_alpha(team_qs, "interval"),
                    "has_nominal": False,
                }
            )
    return out


# --- Assignments -----------------------------------------------------------------------------------


ASSIGNMENT_COLUMNS = (
    Assignment.id,
    Assignment.activity,
    Assignment.activity.title,
    Assignment.activity.jury_flag,
    Assignment.activity.status,
    Assignment.activity.team.code,
    Assignment.activity.team.name,
    Assignment.team,
    Assignment.team.code,
    Assignment.team.name,
    Assignment.stage,
    Assignment.stage.name,
    Assignment.stage.name_en,
    Assignment.judge,
    Assignment.judge.username,
    Assignment.judge.full_name,
    Assignment.status,
    Assignment.origin,
    Assignment.skipped,
    Assignment.created_at,
)


def _assignment_row(row: dict[str, Any]) -> dict[str, Any]:
    row["team_code"] = row["activity.team.code"] or row["team.code"] or ""
    row["team_name"] = row["activity.team.name"] or row["team.name"] or ""
    return row


STATUSES = ("open", "done", "moved", "cancelled")


def _assignment_where(
    competition_id: int,
    *,
    status: str | None,
    judge_id: int | None,
    team_code: str,
    flag: str,
    activity_id: int | None = None,
) -> Any:
    """The filters of the assignments list, the same for the console's page and the API."""
    where = Assignment.competition == competition_id
    if status:
        where &= Assignment.status == status
    if judge_id is not None:
        where &= Assignment.judge == judge_id
    if team_code:
        where &= (Assignment.activity.team.code == team_code) | (Assignment.team.code == team_code)
    if flag in FLAGS:
        where &= Assignment.activity.jury_flag == flag
    if activity_id is not None:
        where &= Assignment.activity == activity_id
    return where


async def assignments_after(
    competition_id: int,
    *,
    status: str | None,
    judge_id: int | None,
    team_code: str,
    flag: str,
    activity_id: int | None,
    after_id: int,
    limit: int,
) -> list[dict[str, Any]]:
    """The assignments list (any status) by id after `after_id`, for cursor pages; one more row than
    `limit` tells that another page follows."""
    where = _assignment_where(
        competition_id,
        status=status,
        judge_id=judge_id,
        team_code=team_code,
        flag=flag,
        activity_id=activity_id,
    )
    rows = await (
        Assignment.select(*ASSIGNMENT_COLUMNS)
        .where(where & (Assignment.id > after_id))
        .order_by(Assignment.id)
        .limit(limit + 1)
    )
    return [_assignment_row(r) for r in rows]


async def open_assignment_list(
    competition_id: int,
    *,
    judge_id: int | None,
    team_code: str,
    flag: str,
    number: int,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the open assignments, oldest first (created_at, id). With a cursor — the last row of
    the page before (`after`) or the first row of the page after (`before`) — the page is read from the
    index `assignment_open_age` onward from that row (keyset), however deep; without one, page `number`
    by offset. A cursor that is not an open assignment of this list falls back to the offset."""
    where = _assignment_where(
        competition_id, status="open", judge_id=judge_id, team_code=team_code, flag=flag
    )
    cursor = after if after is not None else before
    anchor = None
    if cursor is not None:
        anchor = await (
            Assignment.select(Assignment.created_at)
            .where((Assignment.id == cursor) & (Assignment.competition == competition_id))
            .first()
        )
    query = Assignment.select(*ASSIGNMENT_COLUMNS)
    if anchor is not None and anchor["created_at"] is not None:
        moment = anchor["created_at"]
        if after is not None:
            keyset = (Assignment.created_at >= moment) & (
                (Assignment.created_at > moment) | (Assignment.id > cursor)
            )
        else:
            keyset = (Assignment.created_at <= moment) & (
                (Assignment.created_at < moment) | (Assignment.id < cursor)
            )
        forward = after is not None
        query = (
            query.where(where & keyset)
            .order_by(Assignment.created_at, ascending=forward)
            .order_by(Assignment.id, ascending=forward)
            .limit(PAGE_SIZE)
        )
        rows = await query
        if not forward:
            rows.reverse()
    else:
        rows = await (
            query.where(where)
            .order_by(Assignment.created_at)
            .order_by(Assignment.id)
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    total = await Assignment.count().where(where)
    return [_assignment_row(r) for r in rows], total


async def assignment_by_id(competition_id: int, assignment_id: int) -> dict[str, Any] | None:
    row = await (
        Assignment.select(*ASSIGNMENT_COLUMNS)
        .where((Assignment.id == assignment_id) & (Assignment.competition == competition_id))
        .first()
    )
    return _assignment_row(row) if row else None


async def eligible_judges(competition_id: int, assignment: dict[str, Any]) -> list[dict[str, Any]]:
    """The active judges who may take this assignment over: eligible for the team (not its regency, no
    declared conflict) and not already on it; lightest load first."""
    slots = await assignments.judge_slots(competition_id)
    if assignment["activity"]:
        taken_where = Assignment.activity == assignment["activity"]
    else:
        taken_where = (Assignment.team == assignment["team"]) & (Assignment.stage == assignment["stage"])
    taken = {
        r["judge"]
        for r in await Assignment.select(Assignment.judge).where(
            taken_where & Assignment.status.is_in(list(assignments.ACTIVE))
        )
    }
    ok = [s for s in slots if s.judge_id not in taken and pure.eligible(s, assignment["team_code"])]
    if not ok:
        return []
    names = {
        a["id"]: a
        for a in await Account.select(Account.id, Account.username, Account.full_name).where(
            Account.id.is_in([s.judge_id for s in ok])
        )
    }
    rows = [{**names[s.judge_id], "open": s.open_count} for s in ok if s.judge_id in names]
    return sorted(rows, key=lambda r: (r["open"], r["full_name"] or r["username"], r["id"]))


async def flagged_activities(competition_id: int) -> list[dict[str, Any]]:
    """Activities the tie or tolerance rule flagged, with the judges' current q and its spread."""
    rows = await (
        Activity.select(
            Activity.id,
            Activity.title,
            Activity.status,
            Activity.jury_flag,
            Activity.team.code,
            Activity.team.name,
        )
        .where((Activity.competition == competition_id) & Activity.jury_flag.is_in(list(FLAGS)))
        .order_by(Activity.id)
    )
    if not rows:
        return []
    weighed = await scoring_rubric(competition_id, "activity")
    qs: dict[int, list[int]] = {}
    votes: dict[int, dict[str, int]] = {}
    for r in await Review.select(Review.activity, Review.judge, Review.decision, Review.scores).where(
        Review.activity.is_in([a["id"] for a in rows])
        & Review.is_current.eq(True)
        & Review.annulled_at.is_null()
    ):
        tally = votes.setdefault(r["activity"], {})
        tally[r["decision"]] = tally.get(r["decision"], 0) + 1
        q = judge_q(weighed, r["judge"], r["scores"])
        if q is not None:
            qs.setdefault(r["activity"], []).append(q)
    for a in rows:
        values = sorted(qs.get(a["id"], []))
        a["why"] = flag_reason(a["jury_flag"])
        # "; " between them: in Indonesian the comma is the decimal sign ("0,5; 0,75").
        a["qs"] = "; ".join(q_text(q) for q in values)
        a["spread"] = q_text(pure.spread(values)) if len(values) >= 2 else "—"
        a["verified_votes"] = votes.get(a["id"], {}).get("verified", 0)
        a["rejected_votes"] = votes.get(a["id"], {}).get("rejected", 0)
    return rows


# --- An activity's reviews -------------------------------------------------------------------------


async def activity_assignments(activity_id: int) -> list[dict[str, Any]]:
    rows = await (
        Assignment.select(*ASSIGNMENT_COLUMNS, Assignment.done_at)
        .where(Assignment.activity == activity_id)
        .order_by(Assignment.id)
    )
    return [_assignment_row(r) for r in rows]


# --- Pages -----------------------------------------------------------------------------------------
