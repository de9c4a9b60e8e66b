"""Hypothesis strategies for scoring: small random facts and random valid rulesets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from scoring_factories import COMPETITION, WIB

from scoring import Activity, Adjustment, Facts, JudgeScore, Ruleset, Team, get_rule, parse_ruleset
from scoring.ruleset import TIE_BREAK_KEYS

TYPES = ("DDS", "BINLUH", "FKPM", "BENCANA")
CLUSTERS = ("kamtibmas", "bencana", "bela_negara")
STATUSES = ("submitted", "verified", "rejected")
TEAMS = (Team("35.01", "A", 6), Team("35.02", "B", 0), Team("35.03", "C", 3))
START = datetime(2024, 2, 12, tzinfo=WIB)
SPAN_MINUTES = 52 * 24 * 60  # a few days beyond the competition on both sides
ZONES = (UTC, WIB, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3)))


def thousandths(high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high * 1000).map(lambda n: Decimal(n).scaleb(-3))


def small_decimal(high: int) -> st.SearchStrategy[Decimal]:
    return st.one_of(st.integers(0, high).map(Decimal), thousandths(high))


judge_scores = st.lists(
    st.builds(
        JudgeScore,
        st.sampled_from(("A", "B", "C", "D")),
        st.lists(
            st.tuples(
                st.sampled_from(("kemitraan", "dampak", "unknown")),
                st.integers(-5, 110).map(Decimal) | thousandths(10),
            ),
            max_size=3,
        ).map(tuple),
    ),
    max_size=4,
).map(tuple)


@st.composite
def activity_fields(
    draw: st.DrawFn,
    team: str | None = None,
    status: str | None = None,
    span_minutes: int = SPAN_MINUTES,
    types: tuple[str, ...] = TYPES,
) -> dict[str, Any]:
    minutes = draw(st.integers(-3 * 24 * 60, span_minutes))
    zone = draw(st.sampled_from(ZONES))
    return {
        "team": team or draw(st.sampled_from([t.code for t in TEAMS])),
        "type": draw(st.sampled_from(types)),
        "cluster": draw(st.sampled_from(CLUSTERS)),
        "occurred_at": (START + timedelta(minutes=minutes)).astimezone(zone),
        "desa_code": draw(st.none() | st.sampled_from(("d1", "d2", "d3", "d4", "d5", "d6", "d7"))),
        "senkom_count": draw(st.integers(0, 3)),
        "officer_count": draw(st.integers(0, 2)),
        "residents_reached": draw(st.integers(0, 150)),
        "preemptive": draw(st.booleans()),
        "status": status or draw(st.sampled_from(STATUSES)),
        "judge_scores": draw(judge_scores),
        "officer_confirmed": draw(st.booleans()),
    }


def numbered(fields: list[dict[str, Any]], first_id: int = 1) -> tuple[Activity, ...]:
    return tuple(Activity(id=first_id + i, **f) for i, f in enumerate(fields))


@st.composite
def facts(draw: st.DrawFn, max_activities: int = 30) -> Facts:
    fields = draw(st.lists(activity_fields(), max_size=max_activities))
    adjustments = draw(
        st.lists(
            st.builds(
                Adjustment,
                st.just(0),
                st.sampled_from([t.code for t in TEAMS]),
                st.integers(-20, 20).map(Decimal),
                st.just("alasan"),
            ),
            max_size=3,
        )
    )
    numbered_adjustments = tuple(
        Adjustment(i + 1, a.team, a.points, a.reason) for i, a in enumerate(adjustments)
    )
    return Facts(COMPETITION, TEAMS, numbered(fields), numbered_adjustments)


#: Parameters tuned to the facts above for the built-in rules (small caps and steps, so that they bite);
#: any other rule's are drawn from its schema (:func:`params_for`).
PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "joint_only": st.fixed_dictionaries(
        {"min_senkom": st.integers(0, 3), "min_officers": st.integers(0, 2)},
        optional={"require_confirmation": st.booleans()},
    ),
    "cap_per_period": st.fixed_dictionaries(
        {
            "period": st.sampled_from(("week", "month")),
            "max": st.integers(1, 4),
            "scope": st.sampled_from(("type", "all")),
        }
    ),
    "points_per_activity": st.fixed_dictionaries(
        {
            "points": st.dictionaries(st.sampled_from(TYPES), small_decimal(10), max_size=4),
            "default": small_decimal(5),
        }
    ),
    "reach_bonus": st.fixed_dictionaries(
        {"step": st.integers(1, 50), "per": small_decimal(3), "max": small_decimal(6)}
    ),
    "preemptive_multiplier": st.fixed_dictionaries({"factor": small_decimal(3)}),
    "judge_quality": st.fixed_dictionaries(
        {
            "method": st.sampled_from(("mean", "median", "trimmed_mean")),
            "trim": st.integers(0, 2),
            "floor": thousandths(1),
        }
    ),
    "consistency_bonus": st.fixed_dictionaries(
        {
            "period": st.sampled_from(("week", "month")),
            "min_activities": st.integers(1, 4),
            "points": small_decimal(20),
        }
    ),
    "coverage": st.fixed_dictionaries({"points": small_decimal(200)}),
    "cluster_balance": st.fixed_dictionaries({"points": small_decimal(50)}),
}
ADDITIVE = (
    "joint_only",
    "points_per_activity",
    "reach_bonus",
    "consistency_bonus",
    "coverage",
    "cluster_balance",
)

tie_breaks = st.permutations(TIE_BREAK_KEYS).flatmap(
    lambda keys: st.integers(1, len(keys)).map(lambda n: tuple(keys[:n]))
)


def _from_schema(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of one parameter within its schema's bounds, the smallest few most often."""
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if prop.get("type") == "boolean":
        return st.booleans()
    if prop.get("type") == "object":
        return st.dictionaries(st.sampled_from(TYPES), _from_schema(prop["additionalProperties"]), max_size=4)
    if prop.get("type") == "integer":
        low, high = int(prop.get("minimum", 0)), int(prop.get("maximum", 1000))
        return st.integers(low, min(high, low + 5)) | st.integers(low, high)
    if prop.get("format") == "decimal":
        low = Decimal(str(prop.get("minimum", 0)))
        high = Decimal(str(prop.get("maximum", 1000)))
        small = min(high, low + 10)
        thousandth = st.integers(int(low * 1000), int(small * 1000)).map(lambda n: Decimal(n).scaleb(-3))
        return st.integers(int(low), int(small)).map(Decimal) | thousandth
    raise TypeError(f"no strategy for the parameter schema {prop!r}")


def params_for(rule_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid parameters of a registered rule: the tuned ones of a built-in, else from its schema."""
    if rule_id in PARAMS:
        return PARAMS[rule_id]
    properties: dict[str, Any] = get_rule(rule_id).params_schema().get("properties", {})
    return st.fixed_dictionaries({name: _from_schema(prop) for name, prop in properties.items()})


@st.composite
def rulesets(
    draw: st.DrawFn,
    rule_ids: tuple[str, ...] = tuple(PARAMS),
    max_rules: int = 7,
    including: str | None = None,
) -> Ruleset:
    """A valid ruleset of rules drawn from ``rule_ids`` (with ``including`` somewhere among them)."""
    chosen = draw(st.lists(st.sampled_from(rule_ids), max_size=max_rules))
    if including is not None:
        chosen.insert(draw(st.integers(0, len(chosen))), including)
    return parse_ruleset(
        {
            "rules": [{"rule": rule_id, "params": draw(params_for(rule_id))} for rule_id in chosen],
            "tie_break": list(draw(tie_breaks)),
        }
    )


periods = st.sampled_from(
    (
        "season",
        "week:2024-W07",
        "week:2024-W09",
        "week:2024-W13",
        "month:2024-02",
        "month:2024-03",
        "month:2024-04",
    )
)
views = st.sampled_from(("overall", "cluster:bencana", "type:DDS"))
