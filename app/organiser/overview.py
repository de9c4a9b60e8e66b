"""The state of the season at a glance, for the organisers' console home: what stage it is in, how much is
waiting for the judges and how far they are, whether the board is frozen or final, which rules apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.competitions.services import CompetitionInfo, ruleset_in_force
from app.competitions.stages import stage_label, stages
from app.organiser.results import final_result, waiting_activities
from app.tables import Account, Activity, Assignment, Competition, Team


@dataclass(frozen=True, slots=True)
class SeasonOverview:
    stage: dict[str, Any] | None  # the first stage still open (the last one when all are closed)
    stage_name: str
    stages_closed: int
    stages_total: int
    waiting: int  # activities sent and not yet decided
    verified: int
    rejected: int
    assignments_done: int
    assignments_open: int
    judges: int
    teams: int
    frozen_at: datetime | None
    final_at: datetime | None
    ruleset_version: int

    @property
    def decided(self) -> int:
        return self.verified + self.rejected

    @property
    def decided_share(self) -> int:
        """Per cent of the activities sent that the judges have decided (0 before any is sent)."""
        total = self.decided + self.waiting
        return (100 * self.decided) // total if total else 0


async def season_overview(competition: CompetitionInfo) -> SeasonOverview:
    rows = await stages(competition.id)
    current = next((s for s in rows if s["status"] != "closed"), rows[-1] if rows else None)
    counts = {"submitted": 0, "verified": 0, "rejected": 0}
    for row in await Activity.select(Activity.status).where(Activity.competition == competition.id):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    done = open_ = 0
    for row in await Assignment.select(Assignment.status).where(
        (Assignment.competition == competition.id) & Assignment.status.is_in(["done", "open"])
    ):
        if row["status"] == "done":
            done += 1
        else:
            open_ += 1
    state = await Competition.select(Competition.frozen_at).where(Competition.id == competition.id).first()
    frozen_at = (state or {}).get("frozen_at")
    if frozen_at is not None and frozen_at.tzinfo is None:
        frozen_at = frozen_at.replace(tzinfo=UTC)
    final = await final_result(competition.id)
    version, _ruleset = await ruleset_in_force(competition.id)
    return SeasonOverview(
        stage=current,
        stage_name=stage_label(current) if current else "",
        stages_closed=sum(1 for s in rows if s["status"] == "closed"),
        stages_total=len(rows),
        waiting=await waiting_activities(competition.id),
        verified=counts["verified"],
        rejected=counts["rejected"],
        assignments_done=done,
        assignments_open=open_,
        judges=await Account.count().where((Account.role == "judge") & Account.is_active.eq(True)),
        teams=await Team.count().where(Team.competition == competition.id),
        frozen_at=frozen_at,
        final_at=final["published_at"] if final else None,
        ruleset_version=version,
    )
