"""The public contract the web app imports: names exist and a tiny evaluation works end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import scoring
from scoring import Activity, Competition, Facts, Team, default_ruleset, evaluate


def test_public_names() -> None:
    for name in scoring.__all__:
        assert hasattr(scoring, name)


def test_every_team_appears_and_lines_sum_to_the_score() -> None:
    facts = Facts(
        Competition(date(2024, 2, 12), date(2024, 3, 31)),
        (Team("35.01", "Pacitan", 171), Team("35.02", "Ponorogo", 307)),
        (
            Activity(
                1,
                "35.01",
                "DDS",
                "kamtibmas",
                datetime(2024, 2, 13, 1, tzinfo=UTC),
                "1",
                1,
                1,
                0,
                False,
                "verified",
            ),
        ),
    )
    standings = evaluate(default_ruleset(), facts)
    assert [row.team for row in standings.rows] == ["35.01", "35.02"]
    assert [row.rank for row in standings.rows] == [1, 2]
    for row in standings.rows:
        assert sum((line.points for line in row.lines), Decimal(0)) == row.score
