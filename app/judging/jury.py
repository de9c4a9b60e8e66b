"""The jury: stages, who judges what (assignment), how a panel's reviews settle an activity, corrections.

The arithmetic (eligibility, fewest-open-first choice, the panel's verdict, the tolerance rule) is pure and
lives in ``scoring.jury``; this module gathers its facts from the database and stores what it decides, always
inside the caller's write transaction and with an audit event beside every change.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.competitions.services import CompetitionInfo
from app.db import advisory_lock, write_transaction
from app.tables import (
    Account,
    Activity,
    Assignment,
    Competition,
    ConflictOfInterest,
    Review,
    RubricCriterion,
    Stage,
    Team,
    TeamReview,
)
from scoring import jury as pure
from scoring.aggregate import MICRO, Rubric
from scoring.facts import Criterion, JudgeScore

ACTIVE = ("open", "done")

DEFAULT_STAGES = (
    # code, name, name_en, kind, top_n, status
    ("verifikasi", "Verifikasi kegiatan", "Activity verification", "activity", 0, "open"),
    ("lapangan", "Penilaian lapangan", "Field assessment", "team", 10, "waiting"),
    ("penetapan", "Penetapan", "Final decision", "final", 0, "waiting"),
)


def _error(status: int, message: str) -> Exception:
    from app.judging.services import DecisionError

    return DecisionError(status, message)


def _now() -> datetime:
    return datetime.now(UTC)


async def announce_stage_change(competition_id: int) -> None:
    """A stage's ranking changed without the standings changing (a team scored, a stage closed): after
    the commit, the open stage pages are told to fetch their ranking again."""
    from app.db import after_commit
    from app.leaderboard.live import announce

    await after_commit(lambda: announce(competition_id))


# --- Stages ---------------------------------------------------------------------------------------


async def stages(competition_id: int) -> list[dict[str, Any]]:
    return await (
        Stage.select().where(Stage.competition == competition_id).order_by(Stage.position).order_by(Stage.id)
    )


async def stage_by_id(competition_id: int, stage_id: int) -> dict[str, Any] | None:
    return await Stage.select().where((Stage.competition == competition_id) & (Stage.id == stage_id)).first()


async def activity_stage(competition_id: int) -> dict[str, Any] | None:
    return await (
        Stage.select()
        .where((Stage.competition == competition_id) & (Stage.kind == "activity"))
        .order_by(Stage.position)
        .order_by(Stage.id)
        .first()
    )


async def ensure_default_stages(competition_id: int) -> None:
    """Gives a competition the three usual stages unless it has stages already (idempotent)."""
    if await Stage.exists().where(Stage.competition == competition_id):
        return
    await Stage.insert(
        *[
            Stage(
                competition=competition_id,
                position=i,
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                top_n=top_n,
                status=status,
            )
            for i, (code, name, name_en, kind, top_n, status) in enumerate(DEFAULT_STAGES)
        ]
    )


def stage_label(stage: dict[str, Any]) -> str:
    from app.i18n import get_locale

    return (stage.get("name_en") or stage["name"]) if get_locale() == "en" else stage["name"]


def require_stage_open(stage: dict[str, Any] | None) -> None:
    """Refuses a change of reviews once their stage is closed (or before it opens)."""
    from app.i18n import _

    if stage is None:
        return
    if stage["status"] == "closed":
        raise _error(
            409, _("Stage %(stage)s is closed: its reviews can no longer change.", stage=stage_label(stage))
        )
    if stage["status"] != "open":
        raise _error(409, _("Stage %(stage)s has not started yet.", stage=stage_label(stage)))


async def stage_closed_for_activity(competition_id: int) -> bool:
    stage = await activity_stage(competition_id)
    return stage is not None and stage["status"] == "closed"


# --- Assignment -----------------------------------------------------------------------------------


async def judge_slots(competition_id: int) -> list[pure.JudgeSlot]:
    judges = await Account.select(Account.id, Account.region_code).where(
        (Account.role == "judge") & Account.is_active.eq(True)
    )
    if not judges:
        return []
    loads: dict[int, int] = {}
    for row in await Assignment.select(Assignment.judge).where(
        (Assignment.competition == competition_id) & (Assignment.status == "open")
    ):
        loads[row["judge"]] = loads.get(row["judge"], 0) + 1
    conflicts: dict[int, set[str]] = {}
    for row in await ConflictOfInterest.select(ConflictOfInterest.judge, ConflictOfInterest.team.code).where(
        ConflictOfInterest.team.competition == competition_id
    ):
        conflicts.setdefault(row["judge"], set()).add(row["team.code"])
    return [
        pure.JudgeSlot(
            judge_id=j["id"],
            region_code=j["region_code"],
            open_count=loads.get(j["id"], 0),
            conflicts=frozenset(conflicts.get(j["id"], ())),
        )
        for j in judges
    ]


async def assign(
    competition: CompetitionInfo,
    *,
    team_code: str,
    stage_id: int | None,
    activity_id: int | None = None,
    team_id: int | None = None,
    needed: int,
    origin: str,
    exclude: Collection[int] = (),
) -> list[int]:
    """Asks `needed` more eligible judges (fewest open assignments first) to review an activity or a team.

    Call inside a write transaction. Returns the judges chosen: fewer than `needed` when the eligible
    judges run out (the activity then waits for an organiser to add judges or override).
    """
    await advisory_lock(f"jury:{competition.id}")
    if needed <= 0:
        return []
    taken = await Assignment.select(Assignment.judge).where(
        (Assignment.activity == activity_id)
        if activity_id is not None
        else (Assignment.team == team_id) & (Assignment.stage == stage_id)
    )
    excluded = set(exclude) | {row["judge"] for row in taken}
    chosen = pure.choose_judges(team_code, await judge_slots(competition.id), needed, excluded)
    if chosen:
        await Assignment.insert(
            *[
                Assignment(
                    competition=competition.id,
                    stage=stage_id,
                    activity=activity_id,
                    team=team_id,
                    judge=judge_id,
                    status="open",
                    origin=origin,
                )
                for judge_id in chosen
            ]
        )
    return chosen


async def _active_assignments(activity_id: int) -> list[dict[str, Any]]:
    return await (
        Assignment.select()
        .where((Assignment.activity == activity_id) & Assignment.status.is_in(list(ACTIVE)))
        .order_by(Assignment.id)
    )


async def assign_activity(competition: CompetitionInfo, activity_id: int, team_code: str) -> list[int]:
    """Tops an activity up to the competition's `reviews_required` judges (inside a write transaction)."""
    stage = await activity_stage(competition.id)
    active = await _active_assignments(activity_id)
    required = await _reviews_required(competition.id)
    return await assign(
        competition,
        team_code=team_code,
        stage_id=stage["id"] if stage else None,
        activity_id=activity_id,
        needed=required - len(active),
        origin="auto",
    )


async def _reviews_required(competition_id: int) -> int:
    row = (
        await Competition.select(Competition.reviews_required).where(Competition.id == competition_id).first()
    )
    return max(1, int(row["reviews_required"])) if row else 1


async def ensure_assignments(competition: CompetitionInfo) -> int:
    """Gives every submitted activity without enough judges its judges; returns how many were assigned."""
    stage = await activity_stage(competition.id)
    if stage is not None and stage["status"] != "open":
        return 0
    required = await _reviews_required(competition.id)
    rows = await Activity.select(Activity.id, Activity.team.code).where(
        (Activity.competition == competition.id) & (Activity.status == "submitted")
    )
    if not rows:
        return 0
    counts: dict[int, int] = {}
    for a in await Assignment.select(Assignment.activity).where(
        (Assignment.competition == competition.id)
        & Assignment.activity.is_not_null()
        & Assignment.status.is_in(list(ACTIVE))
    ):
        counts[a["activity"]] = counts.get(a["activity"], 0) + 1
    short = [r for r in rows if counts.get(r["id"], 0) < required]
    if not short:
        return 0
    assigned = 0
    async with write_transaction(lock=f"competition:{competition.id}"):
        for row in short:
            assigned += len(await assign_activity(competition, row["id"], row["team.code"]))
    return assigned


async def move_open_assignments(
    competition: CompetitionInfo, judge_id: int, actor_id: int | None, actor_name: str
) -> int:
    """A judge who can no longer judge (disabled, or a new conflict): their open assignments go to others."""
    rows = await Assignment.select(
        Assignment.id, Assignment.activity, Assignment.team, Assignment.stage, Assignment.origin
    ).where(
        (Assignment.competition == competition.id)
        & (Assignment.judge == judge_id)
        & (Assignment.status == "open")
    )
    return await _move(competition, rows, judge_id, actor_id, actor_name)


async def _move(
    competition: CompetitionInfo,
    rows: Sequence[dict[str, Any]],
    judge_id: int,
    actor_id: int | None,
    actor_name: str,
) -> int:
    moved = 0
    for row in rows:
        await Assignment.update({Assignment.status: "moved", Assignment.done_at: _now()}).where(
            Assignment.id == row["id"]
        )
        team_code = await _team_code(row)
        chosen = await assign(
            competition,
            team_code=team_code,
            stage_id=row["stage"],
            activity_id=row["activity"],
            team_id=row["team"],
            needed=1,
            origin=row["origin"] if row["origin"] in ("tie", "spread", "head") else "auto",
            exclude=(judge_id,),
        )
        moved += 1
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="assignment.move",
            object_type="assignment",
            object_id=row["id"],
            before={"judge": judge_id},
            after={"judge": chosen[0] if chosen else None},
            competition_id=competition.id,
        )
    return moved


async def _team_code(row: dict[str, Any]) -> str:
    if row.get("activity"):
        found = await Activity.select(Activity.team.code).where(Activity.id == row["activity"]).first()
        return str(found["team.code"]) if found else ""
    found = await Team.select(Team.code).where(Team.id == row["team"]).first()
    return str(found["code"]) if found else ""


async def override_assignment(
    competition: CompetitionInfo, assignment_id: int, new_judge_id: int, actor: CurrentUser
) -> None:
    """An organiser gives an open assignment to another judge; eligibility still holds (audited)."""
    from app.i18n import _

    async with write_transaction(lock=f"competition:{competition.id}"):
        row = (
            await Assignment.select()
            .where((Assignment.id == assignment_id) & (Assignment.competition == competition.id))
            .first()
        )
        if row is None:
            raise _error(404, _("Assignment not found."))
        if row["status"] != "open":
            raise _error(409, _("Only an open assignment can be given to another judge."))
        slots = {s.judge_id: s for s in await judge_slots(competition.id)}
        slot = slots.get(new_judge_id)
        if slot is None:
            raise _error(422, _("Choose an active judge."))
        team_code = await _team_code(row)
        if not pure.eligible(slot, team_code):
            raise _error(422, _("That judge may not judge this team (own regency or a declared conflict)."))
        taken = await Assignment.exists().where(
            (
                (Assignment.activity == row["activity"])
                if row["activity"]
                else ((Assignment.team == row["team"]) & (Assignment.stage == row["stage"]))
            )
            & (Assignment.judge == new_judge_id)
            & Assignment.status.is_in(list(ACTIVE))
        )
        if taken:
            raise _error(409, _("That judge is already assigned to it."))
        await Assignment.update({Assignment.status: "moved", Assignment.done_at: _now()}).where(
            Assignment.id == assignment_id
        )
        replacement = Assignment(
            competition=competition.id,
            stage=row["stage"],
            activity=row["activity"],
            team=row["team"],
            judge=new_judge_id,
            status="open",
            origin="override",
        )
        await replacement.save()
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="assignment.override",
            object_type="assignment",
            object_id=assignment_id,
            before={"judge": row["judge"]},
            after={"judge": new_judge_id, "assignment": replacement.id},
            competition_id=competition.id,
        )


# --- The judge's queue ----------------------------------------------------------------------------


async def next_assignment(competition_id: int, judge: CurrentUser) -> dict[str, Any] | None:
    row = await (
        Assignment.select(
            Assignment.id, Assignment.activity, Assignment.team, Assignment.stage, Assignment.origin
        )
        .where(
            (Assignment.competition == competition_id)
            & (Assignment.judge == judge.id)
            & (Assignment.status == "open")
        )
        .order_by(Assignment.skipped)
        .order_by(Assignment.id)
        .first()
    )
    if row is None:
        return None
    return {
        "id": row["id"],
        "kind": "activity" if row["activity"] else "team",
        "activity_id": row["activity"],
        "team_id": row["team"],
        "stage_id": row["stage"],
        "origin": row["origin"],
    }


async def open_assignments(competition_id: int, judge_id: int) -> list[dict[str, Any]]:
    return await (
        Assignment.select()
        .where(
            (Assignment.competition == competition_id)
            & (Assignment.judge == judge_id)
            & (Assignment.status == "open")
        )
        .order_by(Assignment.skipped)
        .order_by(Assignment.id)
    )


async def progress(competition_id: int, judge: CurrentUser) -> tuple[int, int]:
    """(done, done + open) of the judge's assignments in the stages still open."""
    rows = await Assignment.select(Assignment.status, Assignment.stage.status).where(
        (Assignment.competition == competition_id)
        & (Assignment.judge == judge.id)
        & Assignment.status.is_in(list(ACTIVE))
    )
    rows = [r for r in rows if r["stage.status"] in (None, "open")]
    done = sum(1 for r in rows if r["status"] == "done")
    return done, len(rows)


async def skip(competition_id: int, judge: CurrentUser, assignment_id: int) -> None:
    from app.i18n import _

    async with write_transaction(lock=f"competition:{competition_id}"):
        row = (
            await Assignment.select(Assignment.id, Assignment.skipped)
            .where(
                (Assignment.id == assignment_id)
                & (Assignment.competition == competition_id)
                & (Assignment.judge == judge.id)
                & (Assignment.status == "open")
            )
            .first()
        )
        if row is None:
            raise _error(404, _("Assignment not found."))
        # Skipping moves it behind every assignment skipped fewer times, i.e. to the end of the queue.
        top = (
            await Assignment.select(Assignment.skipped)
            .where(
                (Assignment.competition == competition_id)
                & (Assignment.judge == judge.id)
                & (Assignment.status == "open")
            )
            .order_by(Assignment.skipped, ascending=False)
            .first()
        )
        await Assignment.update({Assignment.skipped: (top["skipped"] if top else 0) + 1}).where(
            Assignment.id == assignment_id
        )


# --- Decisions ------------------------------------------------------------------------------------


def _scores(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value or {})


async def _rubric(competition_id: int, scope: str) -> Rubric:
    rows = await RubricCriterion.select().where(
        (RubricCriterion.competition == competition_id) & (RubricCriterion.scope == scope)
    )
    return Rubric(
        tuple(
            Criterion(
                code=r["code"], weight=Decimal(r["weight"]), min=Decimal(r["min"]), max=Decimal(r["max"])
            )
            for r in rows
        )
    )


def _judge_q(rubric: Rubric, judge_id: int, scores: dict[str, str]) -> int | None:
    pairs: list[tuple[str, Decimal]] = []
    for code, value in scores.items():
        try:
            pairs.append((code, Decimal(value)))
        except (InvalidOperation, TypeError):
            continue
    if not pairs:
        return None
    return rubric.judge_q(JudgeScore(judge=str(judge_id), scores=tuple(sorted(pairs))))


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
    active = await _active_assignments(activity_id)
    stage_id = active[0]["stage"] if active else None
    head = [r for r in reviews if r["is_head"]]
    if head:
        return head[-1]["decision"], "head"
    required = max(await _reviews_required(competition.id), len(active))
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
    rubric = await _rubric(competition.id, "activity")
    qs = [q for r in reviews if (q := _judge_q(rubric, r["judge"], _scores(r["scores"]))) is not None]
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
    verified."""
    from app.leaderboard.services import recompute

    status, flag = await settle(competition, activity_id, team_code)
    await Activity.update({Activity.status: status, Activity.jury_flag: flag}).where(
        Activity.id == activity_id
    )
    # A verified activity's points depend on its judges' current scores: a revision or an annulment that
    # keeps it verified still changes them.
    if "verified" in (status, old_status):
        await recompute(competition, team_code)
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
    from app.i18n import _

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
            raise _error(404, _("You have not reviewed this activity."))
        if previous["annulled_at"] is not None:
            raise _error(409, _("Your review was annulled by the organisers; it can no longer be revised."))
    else:
        if previous is not None:
            raise _error(409, _("You have already reviewed this activity."))
        if activity["status"] != "submitted":
            raise _error(409, _("This activity has already been decided."))
        if assignment is None:
            assignment = await _take_over(competition, judge, activity_id)
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
        await Assignment.update({Assignment.status: "done", Assignment.done_at: _now()}).where(
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


async def _take_over(competition: CompetitionInfo, judge: CurrentUser, activity_id: int) -> dict[str, Any]:
    """An eligible judge who reviews an activity given to someone else takes over one open assignment."""
    from app.i18n import _

    other = await (
        Assignment.select(Assignment.id, Assignment.judge, Assignment.stage, Assignment.origin)
        .where((Assignment.activity == activity_id) & (Assignment.status == "open"))
        .order_by(Assignment.id)
        .first()
    )
    if other is None:
        # No open place to take over: the judge fills a place still missing (fewer judges were eligible
        # than the competition requires when it was submitted), or there is nothing left to review.
        stage = await activity_stage(competition.id)
        if len(await _active_assignments(activity_id)) >= await _reviews_required(competition.id):
            raise _error(409, _("This activity already has all the reviews it needs."))
        other = {"id": None, "judge": None, "stage": stage["id"] if stage else None, "origin": "auto"}
    if other["origin"] == "head":
        raise _error(403, _("This activity waits for the head judge's decision."))
    if other["id"] is not None:
        await Assignment.update({Assignment.status: "moved", Assignment.done_at: _now()}).where(
            Assignment.id == other["id"]
        )
    mine = Assignment(
        competition=competition.id,
        stage=other["stage"],
        activity=activity_id,
        judge=judge.id,
        status="open",
        origin="takeover",
    )
    await mine.save()
    return {"id": mine.id, "origin": other["origin"]}


async def revise(
    competition: CompetitionInfo,
    judge: CurrentUser,
    activity_id: int,
    decision: str,
    reason: str,
    scores: dict[str, str] | None = None,
) -> str:
    """A new version of the judge's own review, until the activity stage closes."""
    from app.judging.services import check_decision, load_for_review

    reason = check_decision(decision, reason)
    async with write_transaction(lock=f"competition:{competition.id}"):
        require_stage_open(await activity_stage(competition.id))
        activity = await load_for_review(competition, judge, activity_id)
        return await record_review(competition, judge, activity, decision, reason, scores, revise=True)


async def annul_review(competition: CompetitionInfo, actor: CurrentUser, review_id: int, reason: str) -> str:
    """An organiser annuls a review with a reason; a replacement judge is asked and the activity resettled."""
    from app.i18n import _

    reason = reason.strip()
    if not reason:
        raise _error(422, _("Annulling a review needs a reason."))
    async with write_transaction(lock=f"competition:{competition.id}"):
        stage = await activity_stage(competition.id)
        require_stage_open(stage)
        row = await Review.select(*_ANNULLABLE).where(Review.id == review_id).first()
        if row is None or row["activity.competition"] != competition.id:
            raise _error(404, _("Review not found."))
        if not row["is_current"] or row["annulled_at"] is not None:
            raise _error(409, _("Only a judge's current review can be annulled."))
        return await _annul(competition, stage, actor.id, actor.username, row, reason)


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
        {Review.annulled_at: _now(), Review.annulled_by: actor_id, Review.annul_reason: reason}
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
        row["scores"] = _scores(row["scores"])
    return rows


# --- Team-level stages ------------------------------------------------------------------------------


async def score_team(
    competition: CompetitionInfo,
    judge: CurrentUser,
    stage_id: int,
    team_id: int,
    scores: dict[str, str],
    note: str,
) -> None:
    """A judge's team-level rubric scores (a new version when they scored this team before)."""
    from app.i18n import _

    async with write_transaction(lock=f"competition:{competition.id}"):
        stage = await stage_by_id(competition.id, stage_id)
        if stage is None or stage["kind"] != "team":
            raise _error(404, _("Stage not found."))
        require_stage_open(stage)
        team = (
            await Team.select(Team.id, Team.code)
            .where((Team.id == team_id) & (Team.competition == competition.id))
            .first()
        )
        if team is None:
            raise _error(404, _("Team not found."))
        slots = {s.judge_id: s for s in await judge_slots(competition.id)}
        slot = slots.get(judge.id)
        if slot is None or not pure.eligible(slot, team["code"]):
            raise _error(403, _("You may not judge this team (own regency or a declared conflict)."))
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
            raise _error(403, _("This team is not assigned to you."))
        if not scores:
            raise _error(422, _("Give a score for every criterion."))
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
        await Assignment.update({Assignment.status: "done", Assignment.done_at: _now()}).where(
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


# --- Conflicts of interest --------------------------------------------------------------------------


async def declare_conflict(
    competition: CompetitionInfo, judge: CurrentUser, team_id: int, reason: str
) -> None:
    """Records a judge's conflict with a team; their open assignments of that team go to other judges,
    and their reviews of its activities are annulled while verification is open."""
    from app.i18n import _

    reason = reason.strip()
    if not reason:
        raise _error(422, _("Say briefly why (e.g. family, former member of the team)."))
    async with write_transaction(lock=f"competition:{competition.id}"):
        team = (
            await Team.select(Team.id, Team.code)
            .where((Team.id == team_id) & (Team.competition == competition.id))
            .first()
        )
        if team is None:
            raise _error(404, _("Team not found."))
        if await ConflictOfInterest.exists().where(
            (ConflictOfInterest.judge == judge.id) & (ConflictOfInterest.team == team_id)
        ):
            raise _error(409, _("You have already declared a conflict with this team."))
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
        await _move(competition, rows, judge.id, judge.id, judge.username)
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
