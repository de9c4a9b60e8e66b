"""Stages: each stage's ranking and closing a stage (with its Berita Acara).

A season runs through ordered stages (``app.tables.Stage``; which exist and how they are set up:
``app.competitions.stages``, ``app.competitions.stage_setup``). Their rankings:

- an **activity** stage ranks the stored overall season standings (the leaderboard's own ranks, with the
  ruleset's tie-break chain already applied);
- a **team** stage ranks the teams its judges scored: per team the mean of the judges' current,
  non-annulled team-level q (the team-scope rubric, ``scoring.aggregate.Rubric``), shown as q × 100 with
  two decimals; only teams with at least one review are listed;
- a **final** stage combines the earlier stages' scores with the weights of the ruleset in force
  (``Ruleset.stages``, ``scoring.jury.combine_stages``); without weights it is the activity stage's ranking.

Equal scores share a rank (1, 2, 2, 4); teams sharing a rank are listed by team code.

Closing a stage (``close_stage``) happens in one write transaction: the stage is closed, the next one opens
(a team stage then gets judges for the top N teams of the closed stage's ranking), the stage's open
assignments are cancelled, the Berita Acara PDF is produced and stored with its SHA-256, and one audit event
records it all. Nothing updates or deletes a Berita Acara afterwards.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from app import i18n
from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.competitions.services import CompetitionInfo, ruleset_in_force, scoring_rubric
from app.competitions.stages import stage_by_id, stage_label, stages
from app.db import write_transaction
from app.errors import Conflict, NotFound
from app.events import emit
from app.judging.assignment import assign, reviews_required
from app.judging.berita_acara import TITLED_PLACES, render_pdf
from app.judging.events import StageClosed
from app.judging.scores import judge_q
from app.standings import stored_season
from app.tables import (
    Account,
    Activity,
    Assignment,
    BeritaAcara,
    Competition,
    Review,
    RubricCriterion,
    Stage,
    Team,
    TeamReview,
)
from scoring.aggregate import MICRO
from scoring.jury import combine_stages

CENT = Decimal("0.01")


def _ranked(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries (team_code, team_name, score, parts) best first with shared ranks (1, 2, 2, 4)."""
    entries.sort(key=lambda e: (-e["score"], e["team_code"]))
    ranked: list[dict[str, Any]] = []
    previous: Decimal | None = None
    rank = 0
    for position, entry in enumerate(entries, start=1):
        if entry["score"] != previous:
            rank = position
            previous = entry["score"]
        ranked.append({**entry, "rank": rank})
    return _mark_shared(ranked)


def _mark_shared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(r["rank"] for r in rows)
    for row in rows:
        row["shared"] = counts[row["rank"]] > 1
    return rows


async def _team_ids(competition_id: int) -> dict[str, int]:
    return {
        t["code"]: t["id"]
        for t in await Team.select(Team.id, Team.code).where(Team.competition == competition_id)
    }


async def _activity_ranking(competition: CompetitionInfo) -> list[dict[str, Any]]:
    rows, _ = await stored_season(competition.id)
    ids = await _team_ids(competition.id)
    return _mark_shared(
        [
            {
                "rank": r["rank"],
                "team_id": ids.get(r["team.code"]),
                "team_code": r["team.code"],
                "team_name": r["team.name"],
                "score": Decimal(r["score"]),
                "parts": {"counted": r["counted"]},
            }
            for r in rows
        ]
    )


def q_score(qs: list[int]) -> Decimal:
    """The mean of q values (millionths) as a score out of 100, rounded half to even to 0.01."""
    mean = Fraction(sum(qs), len(qs) * MICRO) * 100
    return (Decimal(mean.numerator) / Decimal(mean.denominator)).quantize(CENT, rounding=ROUND_HALF_EVEN)


async def _team_stage_ranking(competition: CompetitionInfo, stage: dict[str, Any]) -> list[dict[str, Any]]:
    rubric = await scoring_rubric(competition.id, "team")
    reviews = await TeamReview.select(
        TeamReview.team, TeamReview.team.code, TeamReview.team.name, TeamReview.judge, TeamReview.scores
    ).where(
        (TeamReview.stage == stage["id"]) & TeamReview.is_current.eq(True) & TeamReview.annulled_at.is_null()
    )
    by_team: dict[str, dict[str, Any]] = {}
    for review in reviews:
        q = judge_q(rubric, review["judge"], review["scores"])
        if q is None:
            continue
        entry = by_team.setdefault(
            review["team.code"],
            {"team_id": review["team"], "team_name": review["team.name"], "qs": []},
        )
        entry["qs"].append(q)
    return _ranked(
        [
            {
                "team_id": e["team_id"],
                "team_code": code,
                "team_name": e["team_name"],
                "score": q_score(e["qs"]),
                "parts": {"reviews": len(e["qs"])},
            }
            for code, e in by_team.items()
        ]
    )


async def _final_ranking(
    competition: CompetitionInfo, stage: dict[str, Any], all_stages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    _, ruleset = await ruleset_in_force(competition.id)
    earlier = [
        s
        for s in all_stages
        if (s["position"], s["id"]) < (stage["position"], stage["id"]) and s["kind"] != "final"
    ]
    weights = dict(ruleset.stages)
    if not any(s["code"] in weights for s in earlier):
        # No stage weights in the ruleset: the final ranking is the season's own (the activity stage's).
        return await _activity_ranking(competition)
    scores: dict[str, dict[str, Decimal]] = {}
    names: dict[str, tuple[int | None, str]] = {}
    for s in earlier:
        if s["code"] not in weights:
            continue
        ranking = await stage_ranking(competition, s, all_stages)
        scores[s["code"]] = {r["team_code"]: r["score"] for r in ranking}
        for r in ranking:
            names[r["team_code"]] = (r["team_id"], r["team_name"])
    totals = combine_stages(scores, weights)
    return _ranked(
        [
            {
                "team_id": names[code][0],
                "team_code": code,
                "team_name": names[code][1],
                "score": total,
                "parts": {
                    stage_code: {
                        "score": team_scores.get(code, Decimal(0)),
                        "weight": weights[stage_code],
                    }
                    for stage_code, team_scores in scores.items()
                },
            }
            for code, total in totals.items()
        ]
    )


async def stage_ranking(
    competition: CompetitionInfo, stage: dict[str, Any], all_stages: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The stage's ranking, best first: rank (shared ranks equal), shared, team_id, team_code, team_name,
    score (Decimal) and parts (what the score is made of)."""
    if stage["kind"] == "team":
        return await _team_stage_ranking(competition, stage)
    if stage["kind"] == "final":
        return await _final_ranking(competition, stage, all_stages or await stages(competition.id))
    return await _activity_ranking(competition)


def qualifiers(ranking: list[dict[str, Any]], top_n: int) -> list[dict[str, Any]]:
    """The teams that go on to a team stage: rank within the top N (a tie at the boundary takes every
    team sharing that rank) and a score above zero."""
    return [r for r in ranking if r["rank"] <= top_n and r["score"] > 0 and r["team_id"] is not None]


def person(row: dict[str, Any], prefix: str = "") -> str:
    return row.get(f"{prefix}full_name") or row.get(f"{prefix}username") or ""


async def panel(competition_id: int, stage: dict[str, Any], all_stages: list[dict[str, Any]]) -> list[str]:
    """The names of the judges who reviewed in the stage (a final stage: in any earlier stage), by name."""
    judge_ids: set[int] = set()
    kinds = (
        {stage["kind"]}
        if stage["kind"] != "final"
        else {s["kind"] for s in all_stages if s["position"] < stage["position"]}
    )
    stage_ids = (
        [stage["id"]]
        if stage["kind"] != "final"
        else [s["id"] for s in all_stages if s["position"] < stage["position"] and s["kind"] == "team"]
    )
    if "activity" in kinds:
        for row in await Review.select(Review.judge).where(
            (Review.activity.competition == competition_id)
            & Review.is_current.eq(True)
            & Review.annulled_at.is_null()
        ):
            judge_ids.add(row["judge"])
    if stage_ids:
        for row in await TeamReview.select(TeamReview.judge).where(
            TeamReview.stage.is_in(stage_ids)
            & TeamReview.is_current.eq(True)
            & TeamReview.annulled_at.is_null()
        ):
            judge_ids.add(row["judge"])
    if not judge_ids:
        return []
    rows = await Account.select(Account.id, Account.username, Account.full_name).where(
        Account.id.is_in(sorted(judge_ids))
    )
    return sorted((person(r) for r in rows), key=str.casefold)


async def close_plan(competition: CompetitionInfo, stage: dict[str, Any]) -> dict[str, Any]:
    """What closing the stage would do: the next stage, the teams that get judges, the stage's ranking."""
    all_stages = await stages(competition.id)
    following = [s for s in all_stages if (s["position"], s["id"]) > (stage["position"], stage["id"])]
    nxt = next((s for s in following if s["status"] == "waiting"), None)
    ranking = await stage_ranking(competition, stage, all_stages)
    teams = qualifiers(ranking, nxt["top_n"]) if nxt is not None and nxt["kind"] == "team" else []
    earlier_open = [
        s
        for s in all_stages
        if (s["position"], s["id"]) < (stage["position"], stage["id"]) and s["status"] != "closed"
    ]
    rubric_missing = (
        nxt is not None
        and nxt["kind"] == "team"
        and not await RubricCriterion.exists().where(
            (RubricCriterion.competition == competition.id) & (RubricCriterion.scope == "team")
        )
    )
    # Activities still waiting for judges when the verification closes are never judged nor counted.
    unjudged = (
        await Activity.count().where(
            (Activity.competition == competition.id) & (Activity.status == "submitted")
        )
        if stage["kind"] == "activity"
        else 0
    )
    return {
        "stages": all_stages,
        "next": nxt,
        "unjudged": unjudged,
        "rubric_missing": rubric_missing,
        "ranking": ranking,
        "teams": teams,
        "earlier_open": earlier_open,
    }


async def close_stage(competition: CompetitionInfo, stage_id: int, actor: CurrentUser) -> int:
    """Closes an open stage; returns the id of its Berita Acara. Raises NotFound or Conflict."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        stage = await stage_by_id(competition.id, stage_id)
        if stage is None:
            raise NotFound(i18n._("Stage not found."))
        if stage["status"] != "open":
            raise Conflict(
                i18n._("Stage %(stage)s is not open, so it cannot be closed.", stage=stage_label(stage))
                if stage["status"] == "waiting"
                else i18n._("Stage %(stage)s is already closed.", stage=stage_label(stage)),
            )
        plan = await close_plan(competition, stage)
        if plan["earlier_open"]:
            raise Conflict(
                i18n._(
                    "Close stage %(stage)s first: stages close in order.",
                    stage=stage_label(plan["earlier_open"][0]),
                ),
            )
        now = datetime.now(UTC).replace(microsecond=0)
        await Stage.update({Stage.status: "closed", Stage.closed_at: now, Stage.closed_by: actor.id}).where(
            Stage.id == stage["id"]
        )
        # Reviews of a closed stage are frozen: its judges' open work is withdrawn from their queues.
        cancelled = await Assignment.count().where(
            (Assignment.stage == stage["id"]) & (Assignment.status == "open")
        )
        await Assignment.update({Assignment.status: "cancelled"}).where(
            (Assignment.stage == stage["id"]) & (Assignment.status == "open")
        )
        nxt = plan["next"]
        assigned: dict[str, list[int]] = {}
        if nxt is not None:
            await Stage.update({Stage.status: "open"}).where(Stage.id == nxt["id"])
            if nxt["kind"] == "team":
                needed = await reviews_required(competition.id)
                for team in plan["teams"]:
                    assigned[team["team_code"]] = await assign(
                        competition,
                        team_code=team["team_code"],
                        stage_id=nxt["id"],
                        team_id=team["team_id"],
                        needed=needed,
                        origin="auto",
                    )
        details = await _record_details(competition.id)
        closed_stage = {**stage, "status": "closed", "closed_at": now}
        content = render_pdf(
            competition_name=details["name"],
            place=details["place"],
            timezone=competition.timezone,
            stage=closed_stage,
            ranking=plan["ranking"],
            panel=await panel(competition.id, stage, plan["stages"]),
            head_judge=details["head_judge"],
            closed_by=actor.full_name or actor.username,
            closed_at=now,
        )
        digest = hashlib.sha256(content).hexdigest()
        record = BeritaAcara(
            competition=competition.id,
            stage=stage["id"],
            content=content,
            sha256=digest,
            created_at=now,
            created_by=actor.id,
        )
        await record.save()
        await emit(StageClosed(competition.id, stage["id"]))
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="stage.close",
            object_type="stage",
            object_id=stage["id"],
            before={"code": stage["code"], "status": "open"},
            after={
                "code": stage["code"],
                "status": "closed",
                "closed_at": now.isoformat(),
                "next_stage": nxt["code"] if nxt else None,
                "assignments_cancelled": cancelled,
                "assigned": assigned,
                "berita_acara": record.id,
                "sha256": digest,
                "ranking": [
                    {"rank": r["rank"], "team": r["team_code"], "score": str(r["score"])}
                    for r in plan["ranking"][:TITLED_PLACES]
                ],
            },
            competition_id=competition.id,
        )
    return int(record.id)


async def _record_details(competition_id: int) -> dict[str, Any]:
    row = await (
        Competition.select(
            Competition.name,
            Competition.place,
            Competition.head_judge.username,
            Competition.head_judge.full_name,
        )
        .where(Competition.id == competition_id)
        .first()
    )
    assert row is not None
    return {
        "name": row["name"],
        "place": row["place"] or "",
        "head_judge": person(row, "head_judge.") or None,
    }


async def records(competition_id: int) -> list[dict[str, Any]]:
    """Every Berita Acara of the competition (without the bytes), in stage order."""
    rows = await (
        BeritaAcara.select(
            BeritaAcara.id,
            BeritaAcara.stage,
            BeritaAcara.stage.code,
            BeritaAcara.stage.name,
            BeritaAcara.stage.name_en,
            BeritaAcara.stage.position,
            BeritaAcara.sha256,
            BeritaAcara.created_at,
            BeritaAcara.created_by.username,
            BeritaAcara.created_by.full_name,
        )
        .where(BeritaAcara.competition == competition_id)
        .order_by(BeritaAcara.id)
    )
    rows.sort(key=lambda r: (r["stage.position"], r["id"]))
    return rows


async def record_for_stage(competition_id: int, stage_id: int) -> dict[str, Any] | None:
    return await (
        BeritaAcara.select(BeritaAcara.id, BeritaAcara.content, BeritaAcara.sha256, BeritaAcara.stage.code)
        .where((BeritaAcara.competition == competition_id) & (BeritaAcara.stage == stage_id))
        .order_by(BeritaAcara.id)
        .first()
    )
