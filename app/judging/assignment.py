"""Who judges what: every new activity gets its judges (fewest open assignments first, never of their own
regency or a declared conflict), organisers override or top up, a judge skips; the judge's queue.

The arithmetic (eligibility, the fewest-open-first choice) is pure and lives in ``scoring.jury``; this module
gathers its facts and stores what it decides, inside the caller's write transaction, audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.competitions.services import CompetitionInfo, competition_by_id
from app.competitions.stages import activity_stage
from app.db import advisory_lock, write_transaction
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.tables import Account, Activity, Assignment, Competition, ConflictOfInterest, Team
from scoring import jury as pure

ACTIVE = ("open", "done")
OPEN_LOADS = (
    "SELECT judge, count(*) AS n FROM assignment WHERE competition = {} AND status = 'open' GROUP BY judge"
)


def now() -> datetime:
    return datetime.now(UTC)


async def judge_slots(competition_id: int) -> list[pure.JudgeSlot]:
    judges = await Account.select(Account.id, Account.region_code).where(
        (Account.role == "judge") & Account.is_active.eq(True)
    )
    if not judges:
        return []
    # Each judge's open assignments, counted by the database from the index assignment_open
    # (competition, status, judge): never a scan of the open assignments in Python (issue 16).
    loads = {row["judge"]: row["n"] for row in await Assignment.raw(OPEN_LOADS, competition_id)}
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


async def active_assignments(activity_id: int) -> list[dict[str, Any]]:
    return await (
        Assignment.select()
        .where((Assignment.activity == activity_id) & Assignment.status.is_in(list(ACTIVE)))
        .order_by(Assignment.id)
    )


async def assign_activity(competition: CompetitionInfo, activity_id: int, team_code: str) -> list[int]:
    """Tops an activity up to the competition's `reviews_required` judges (inside a write transaction)."""
    stage = await activity_stage(competition.id)
    active = await active_assignments(activity_id)
    required = await reviews_required(competition.id)
    return await assign(
        competition,
        team_code=team_code,
        stage_id=stage["id"] if stage else None,
        activity_id=activity_id,
        needed=required - len(active),
        origin="auto",
    )


async def reviews_required(competition_id: int) -> int:
    row = (
        await Competition.select(Competition.reviews_required).where(Competition.id == competition_id).first()
    )
    return max(1, int(row["reviews_required"])) if row else 1


async def ensure_assignments(competition: CompetitionInfo) -> int:
    """Gives every submitted activity without enough judges its judges; returns how many were assigned."""
    stage = await activity_stage(competition.id)
    if stage is not None and stage["status"] != "open":
        return 0
    required = await reviews_required(competition.id)
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


async def assign_unassigned(competition: CompetitionInfo, actor: CurrentUser) -> int:
    """ "Tugaskan yang belum mendapat juri": every submitted activity gets its missing judges (audited);
    returns how many assignments were made."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        count = await ensure_assignments(competition)
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="assignment.ensure",
            object_type="competition",
            object_id=competition.id,
            after={"assigned": count},
            competition_id=competition.id,
        )
    return count


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
    return await move_assignments(competition, rows, judge_id, actor_id, actor_name)


async def hand_over_everywhere(judge_id: int, actor_id: int, actor_name: str) -> None:
    """A disabled judge's open assignments move to other judges, in every competition."""
    rows = await Assignment.select(Assignment.competition).where(
        (Assignment.judge == judge_id) & (Assignment.status == "open")
    )
    for competition_id in sorted({r["competition"] for r in rows}):
        competition = await competition_by_id(competition_id)
        if competition is not None:
            await move_open_assignments(competition, judge_id, actor_id, actor_name)


async def move_assignments(
    competition: CompetitionInfo,
    rows: Sequence[dict[str, Any]],
    judge_id: int,
    actor_id: int | None,
    actor_name: str,
) -> int:
    moved = 0
    for row in rows:
        await Assignment.update({Assignment.status: "moved", Assignment.done_at: now()}).where(
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
) -> int:
    """An organiser gives an open assignment to another judge; eligibility still holds (audited). Returns
    the new assignment's id."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        row = (
            await Assignment.select()
            .where((Assignment.id == assignment_id) & (Assignment.competition == competition.id))
            .first()
        )
        if row is None:
            raise NotFound(_("Assignment not found."))
        if row["status"] != "open":
            raise Conflict(_("Only an open assignment can be given to another judge."))
        slots = {s.judge_id: s for s in await judge_slots(competition.id)}
        slot = slots.get(new_judge_id)
        if slot is None:
            raise Invalid({"judge": _("Choose an active judge.")})
        team_code = await _team_code(row)
        if not pure.eligible(slot, team_code):
            raise Invalid(
                {"judge": _("That judge may not judge this team (own regency or a declared conflict).")}
            )
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
            raise Conflict(_("That judge is already assigned to it."))
        await Assignment.update({Assignment.status: "moved", Assignment.done_at: now()}).where(
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
    return int(replacement.id)


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
            raise NotFound(_("Assignment not found."))
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
