"""A stateful machine: submit, verify, reject, correct and change the ruleset; after every step the
engine's standings agree with a plain model written independently, and incremental == full."""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from scoring_factories import COMPETITION, WIB
from scoring_strategies import PARAMS, TEAMS, activity_fields

from scoring import Activity, Facts, Ruleset, evaluate, evaluate_team, parse_ruleset, rank

MODELLED = (
    "joint_only",
    "cap_per_period",
    "points_per_activity",
    "reach_bonus",
    "preemptive_multiplier",
    "consistency_bonus",
    "coverage",
    "cluster_balance",
)
TIE_BREAK = ("score", "counted_activities")
# Activities crowded into a fortnight and two types, so that caps and bonuses interact.
CROWDED = {"span_minutes": 14 * 24 * 60, "types": ("DDS", "BENCANA")}


def local_date(activity: Activity) -> date:
    return activity.occurred_at.astimezone(WIB).date()


def period_of(activity: Activity, period: str) -> tuple[int, int]:
    day = local_date(activity)
    return day.isocalendar()[:2] if period == "week" else (day.year, day.month)


def thousandths(value: Fraction) -> Fraction:
    """Rounded half to even to 0.001 (Python's round on a Fraction is half-to-even)."""
    return Fraction(round(value * 1000), 1000)


def model_team(
    rules: list[tuple[str, dict[str, Any]]], code: str, activities: list[Activity]
) -> tuple[Fraction, int]:
    """The score and counted activities of one team, the slow obvious way."""
    team = next(t for t in TEAMS if t.code == code)
    counted = [
        a
        for a in activities
        if a.team == code
        and a.status == "verified"
        and COMPETITION.starts_on <= local_date(a) <= COMPETITION.ends_on
    ]
    for rule_id, p in rules:
        if rule_id == "joint_only":
            counted = [
                a
                for a in counted
                if a.senkom_count >= p["min_senkom"]
                and a.officer_count >= p["min_officers"]
                and (a.officer_confirmed or not p.get("require_confirmation", False))
            ]
        elif rule_id == "cap_per_period":
            seen: Counter[Any] = Counter()
            kept = []
            for a in sorted(counted, key=lambda a: (a.occurred_at, a.id)):
                key = (period_of(a, p["period"]), a.type if p["scope"] == "type" else None)
                seen[key] += 1
                if seen[key] <= p["max"]:
                    kept.append(a)
            counted = kept
    score = Fraction(0)
    for a in counted:
        points = Fraction(0)
        for rule_id, p in rules:
            if rule_id == "points_per_activity":
                points += Fraction(p["points"].get(a.type, p["default"]))
            elif rule_id == "reach_bonus":
                points += min((a.residents_reached // p["step"]) * Fraction(p["per"]), Fraction(p["max"]))
            elif rule_id == "preemptive_multiplier" and a.preemptive:
                points = thousandths(points * Fraction(p["factor"]))
        score += points
    for rule_id, p in rules:
        if rule_id == "consistency_bonus":
            periods = Counter(period_of(a, p["period"]) for a in counted)
            score += Fraction(p["points"]) * sum(1 for n in periods.values() if n >= p["min_activities"])
        elif rule_id == "coverage" and team.desa_count:
            reached = min(len({a.desa_code for a in counted} - {None}), team.desa_count)
            score += thousandths(Fraction(p["points"]) * reached / team.desa_count)
        elif rule_id == "cluster_balance" and {a.cluster for a in counted} >= {
            "kamtibmas",
            "bencana",
            "bela_negara",
        }:
            score += Fraction(p["points"])
    return score, len(counted)


class Competition(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.activities: dict[int, Activity] = {}
        self.rules: list[tuple[str, dict[str, Any]]] = []
        self.ruleset: Ruleset = parse_ruleset({"rules": []})
        self.changed_team: str | None = None
        self.previous: Any = None

    def facts(self) -> Facts:
        return Facts(COMPETITION, TEAMS, tuple(self.activities.values()))

    def _set_ruleset(self, rules: list[tuple[str, dict[str, Any]]]) -> None:
        self.ruleset = parse_ruleset(
            {"rules": [{"rule": r, "params": p} for r, p in rules], "tie_break": list(TIE_BREAK)}
        )
        self.rules = [(ref.rule, ref.params) for ref in self.ruleset.rules]

    @initialize(rules=st.lists(st.sampled_from(MODELLED), max_size=6), data=st.data())
    def start(self, rules: list[str], data: st.DataObject) -> None:
        self._set_ruleset([(r, data.draw(PARAMS[r])) for r in rules])
        self.previous = evaluate(self.ruleset, self.facts())

    def _touch(self, activity: Activity) -> None:
        self.previous = evaluate(self.ruleset, self.facts())
        self.activities[activity.id] = activity
        self.changed_team = activity.team

    @rule(fields=activity_fields(status="submitted", **CROWDED))
    def submit(self, fields: dict[str, Any]) -> None:
        self._touch(Activity(id=len(self.activities) + 1, **fields))

    @rule(team=st.sampled_from(("35.01", "35.03")), data=st.data())
    def submit_and_verify(self, team: str, data: st.DataObject) -> None:
        fields = data.draw(activity_fields(team=team, status="submitted", **CROWDED))
        self._touch(Activity(id=len(self.activities) + 1, **fields))
        self.agrees_with_the_model()
        self._touch(Activity(id=len(self.activities), **{**fields, "status": "verified"}))

    @precondition(lambda self: self.activities)
    @rule(data=st.data(), status=st.sampled_from(("verified", "rejected", "verified")))
    def review(self, data: st.DataObject, status: str) -> None:
        activity = self.activities[data.draw(st.sampled_from(sorted(self.activities)))]
        self._touch(msgspec.structs.replace(activity, status=status))

    @precondition(lambda self: self.activities)
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        activity = self.activities[data.draw(st.sampled_from(sorted(self.activities)))]
        fields = data.draw(activity_fields(team=activity.team, status=activity.status, **CROWDED))
        self._touch(Activity(id=activity.id, **fields))

    @rule(rules=st.lists(st.sampled_from(MODELLED), max_size=6), data=st.data())
    def change_ruleset(self, rules: list[str], data: st.DataObject) -> None:
        self._set_ruleset([(r, data.draw(PARAMS[r])) for r in rules])
        self.previous = None
        self.changed_team = None

    @invariant()
    def agrees_with_the_model(self) -> None:
        standings = evaluate(self.ruleset, self.facts())
        activities = list(self.activities.values())
        model = {t.code: model_team(self.rules, t.code, activities) for t in TEAMS}
        for row in standings.rows:
            score, counted = model[row.team]
            assert Fraction(row.score) == score, (row.team, row.score, score)
            assert row.counted == counted
            better = sum(1 for other in model.values() if other > model[row.team])
            assert row.rank == better + 1

    @invariant()
    def incremental_equals_full(self) -> None:
        if self.changed_team is None or self.previous is None:
            return
        facts = self.facts()
        result = evaluate_team(self.ruleset, facts, self.changed_team)
        rows = [result if row.team == self.changed_team else row for row in self.previous.rows]
        assert rank(rows, self.ruleset.tie_break) == evaluate(self.ruleset, facts)


Competition.TestCase.settings = settings(
    max_examples=50, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCompetition = Competition.TestCase
