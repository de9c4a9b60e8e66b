"""Deterministic facts for the scoring benchmark: 514 teams and 1,000,000 activities.

The activities are generated straight into an :class:`~scoring.facts.ActivityTable` (the columns a
database loader fills), from one seeded NumPy generator, so two runs build identical facts. Team 0 has
exactly 2,000 activities (the one re-evaluated on its own); the others share the rest unevenly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from scoring.facts import (
    CLUSTERS,
    STATUSES,
    ActivityTable,
    Adjustment,
    Competition,
    Criterion,
    Facts,
    JudgeScore,
    Team,
    microseconds,
)

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
JUDGES = 40


def generate(
    teams: int = TEAMS,
    activities: int = ACTIVITIES,
    scored_share: float = 0.10,
    judges: int = 3,
    seed: int = 2024,
    team_order: bool = False,
) -> Facts:
    """The benchmark's facts: 80 % verified, 12 % submitted, 8 % rejected; residents reached
    exponential with mean 45; 40 % preemptive; 95 % with a desa code. ``scored_share`` of the
    activities carry rubric scores from ``judges`` judges on the four criteria of :data:`RUBRIC`.
    Rows come in random team order with ids ascending, or, with ``team_order``, ordered by (team,
    time, id) as the app's loader returns them (ids then follow that order)."""
    rng = np.random.default_rng(seed)
    desa_count = rng.integers(40, 451, size=teams)
    team_list = tuple(
        Team(f"{11 + i // 99:02d}.{1 + i % 99:02d}", f"Kabupaten {i + 1}", int(desa_count[i]))
        for i in range(teams)
    )
    desa_names = [
        f"{team.code}.{k // 30 + 1:02d}.{2001 + k % 30}" for team in team_list for k in range(team.desa_count)
    ]
    desa_first = np.concatenate(([0], np.cumsum(desa_count)[:-1]))
    weights = rng.uniform(0.2, 1.8, size=teams - 1)
    owner = np.concatenate(
        (
            np.zeros(SINGLE_TEAM_ACTIVITIES, dtype=np.int64),
            rng.choice(
                np.arange(1, teams), size=activities - SINGLE_TEAM_ACTIVITIES, p=weights / weights.sum()
            ),
        )
    )
    rng.shuffle(owner)
    start = datetime.combine(COMPETITION.starts_on, datetime.min.time(), tzinfo=UTC) - timedelta(hours=7)
    span = int((COMPETITION.ends_on - COMPETITION.starts_on).days + 1) * 86400
    occurred = microseconds(start) + rng.integers(0, span, size=activities) * 1_000_000
    if team_order:
        order = np.lexsort((occurred, owner))
        owner, occurred = owner[order], occurred[order]
    kind = rng.integers(0, len(TYPES), size=activities)
    cluster_of_type = np.array([CLUSTERS.index(CLUSTER_OF.get(t, "kamtibmas")) for t in TYPES])
    desa = desa_first[owner] + (rng.random(activities) * desa_count[owner]).astype(np.int64)
    desa[rng.random(activities) >= 0.95] = -1
    statuses = np.array([STATUSES.index(s) for s in ("verified", "submitted", "rejected")])
    status = statuses[rng.choice(3, size=activities, p=[0.80, 0.12, 0.08])]
    return Facts(
        COMPETITION,
        team_list,
        ActivityTable(
            id=np.arange(1, activities + 1, dtype=np.int64),
            team=(owner, [t.code for t in team_list]),
            type=(kind, TYPES),
            cluster=(cluster_of_type[kind], CLUSTERS),
            occurred_at=occurred,
            desa_code=(desa, desa_names),
            senkom_count=np.array((0, 1, 2, 2, 3, 4, 5, 6, 8, 10))[rng.integers(0, 10, size=activities)],
            officer_count=np.array((0, 1, 1, 1, 2, 2, 3, 4, 1, 1))[rng.integers(0, 10, size=activities)],
            residents_reached=rng.exponential(45, size=activities).astype(np.int64),
            preemptive=rng.random(activities) < 0.4,
            status=(status, STATUSES),
            judge_scores=_judge_scores(rng, activities, scored_share, judges),
        ),
        tuple(
            Adjustment(k + 1, team_list[int(t)].code, Decimal(int(p)), "bench")
            for k, (t, p) in enumerate(
                zip(rng.integers(0, teams, 200), rng.integers(-20, 21, 200), strict=True)
            )
        ),
    )


def _judge_scores(
    rng: np.random.Generator, activities: int, share: float, judges: int
) -> dict[int, tuple[JudgeScore, ...]]:
    rows = np.flatnonzero(rng.random(activities) < share)
    panel = np.argsort(rng.random((len(rows), JUDGES)), axis=1)[:, :judges]
    scores = [rng.integers(int(c.min), int(c.max) + 1, size=(len(rows), judges)).tolist() for c in RUBRIC]
    names = [f"juri-{j}" for j in range(JUDGES)]
    decimals = [Decimal(n) for n in range(101)]
    codes = [c.code for c in RUBRIC]
    return {
        row: tuple(
            JudgeScore(
                names[judge],
                tuple((code, decimals[column[i][j]]) for code, column in zip(codes, scores, strict=True)),
            )
            for j, judge in enumerate(panel[i].tolist())
        )
        for i, row in enumerate(rows.tolist())
    }


def single_team(facts: Facts) -> tuple[str, Facts]:
    """The team with exactly 2,000 activities, and the facts the app would hand over to re-evaluate
    it alone: every team, but only that team's activities and adjustments."""
    code = facts.teams[0].code
    activities = facts.activities
    own = (
        activities.of_team(code)
        if isinstance(activities, ActivityTable)
        else tuple(a for a in activities if a.team == code)
    )
    return code, Facts(
        facts.competition, facts.teams, own, tuple(a for a in facts.adjustments if a.team == code)
    )
