"""Deterministic facts for the scoring benchmark: 514 teams and 1,000,000 activities.

Everything comes from one seeded ``random.Random``, so two runs build identical facts. Team 0 has
exactly 2,000 activities (the one re-evaluated on its own); the others share the rest unevenly.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from scoring.facts import Activity, Adjustment, Competition, Criterion, Facts, JudgeScore, Team

TEAMS = 514
ACTIVITIES = 1_000_000
SINGLE_TEAM_ACTIVITIES = 2_000
TYPES = (
    "DDS",
    "DETEKSI_DINI",
    "PROBLEM_SOLVING",
    "BINLUH",
    "FKPM",
    "SISKAMLING",
    "PENGAMANAN",
    "BENCANA",
    "BELA_NEGARA",
    "LAINNYA",
)
CLUSTER_OF = {"BENCANA": "bencana", "BELA_NEGARA": "bela_negara"}
RUBRIC = (
    Criterion("kemitraan", Decimal(35), Decimal(0), Decimal(100)),
    Criterion("dampak", Decimal(30), Decimal(0), Decimal(100)),
    Criterion("bukti", Decimal(20), Decimal(1), Decimal(5)),
    Criterion("inovasi", Decimal(15), Decimal(0), Decimal(10)),
)
COMPETITION = Competition(date(2024, 2, 12), date(2024, 6, 30), "Asia/Jakarta", RUBRIC)


def generate(
    teams: int = TEAMS,
    activities: int = ACTIVITIES,
    scored_share: float = 0.10,
    judges: int = 3,
    seed: int = 2024,
    team_order: bool = False,
) -> Facts:
    """The benchmark's facts. ``scored_share`` of the activities carry rubric scores from ``judges``
    judges on the four criteria of :data:`RUBRIC`. Activities come in random team order, or grouped by
    team when ``team_order`` (as a query ordered by team would return them; ids follow that order)."""
    rng = random.Random(seed)
    team_list = tuple(
        Team(f"{11 + i // 99:02d}.{1 + i % 99:02d}", f"Kabupaten {i + 1}", rng.randint(40, 450))
        for i in range(teams)
    )
    desa = [
        [f"{team.code}.{k // 30 + 1:02d}.{2001 + k % 30}" for k in range(team.desa_count)]
        for team in team_list
    ]
    # Team 0 gets exactly SINGLE_TEAM_ACTIVITIES; the rest are spread with uneven weights.
    weights = [rng.uniform(0.2, 1.8) for _ in range(teams - 1)]
    owners = [0] * SINGLE_TEAM_ACTIVITIES + rng.choices(
        range(1, teams), weights=weights, k=activities - SINGLE_TEAM_ACTIVITIES
    )
    rng.shuffle(owners)
    if team_order:
        owners.sort()
    start = datetime.combine(COMPETITION.starts_on, datetime.min.time(), tzinfo=UTC) - timedelta(hours=7)
    span = int((COMPETITION.ends_on - COMPETITION.starts_on).days + 1) * 86400
    judge_names = [f"juri-{j}" for j in range(40)]
    criteria = [(c.code, int(c.min), int(c.max)) for c in RUBRIC]
    decimals = {n: Decimal(n) for n in range(0, 101)}
    statuses = ("verified",) * 80 + ("submitted",) * 12 + ("rejected",) * 8
    rows = []
    for activity_id, owner in enumerate(owners, start=1):
        team = team_list[owner]
        kind = rng.choice(TYPES)
        scores: tuple[JudgeScore, ...] = ()
        if rng.random() < scored_share:
            scores = tuple(
                JudgeScore(
                    name, tuple((code, decimals[rng.randint(low, high)]) for code, low, high in criteria)
                )
                for name in rng.sample(judge_names, judges)
            )
        rows.append(
            Activity(
                id=activity_id,
                team=team.code,
                type=kind,
                cluster=CLUSTER_OF.get(kind, "kamtibmas"),
                occurred_at=start + timedelta(seconds=rng.randrange(span)),
                desa_code=rng.choice(desa[owner]) if rng.random() < 0.95 else None,
                senkom_count=rng.choice((0, 1, 2, 2, 3, 4, 5, 6, 8, 10)),
                officer_count=rng.choice((0, 1, 1, 1, 2, 2, 3, 4, 1, 1)),
                residents_reached=int(rng.expovariate(1 / 45)),
                preemptive=rng.random() < 0.4,
                status=rng.choice(statuses),
                judge_scores=scores,
            )
        )
    adjustments = tuple(
        Adjustment(k + 1, team_list[rng.randrange(teams)].code, Decimal(rng.randint(-20, 20)), "bench")
        for k in range(200)
    )
    return Facts(COMPETITION, team_list, tuple(rows), adjustments)


def single_team(facts: Facts) -> tuple[str, Facts]:
    """The team with exactly 2,000 activities, and the facts the app would hand over to re-evaluate
    it alone: every team, but only that team's activities and adjustments."""
    code = facts.teams[0].code
    return code, Facts(
        facts.competition,
        facts.teams,
        tuple(a for a in facts.activities if a.team == code),
        tuple(a for a in facts.adjustments if a.team == code),
    )
