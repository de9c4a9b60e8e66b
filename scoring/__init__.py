"""Sinergi's scoring engine: a pure library turning a ruleset and immutable facts into explained
standings. No I/O, no clock, no randomness; the web app builds the facts and stores the results."""

from scoring.engine import (
    Comparison,
    FastPath,
    Line,
    Standings,
    TeamResult,
    compare,
    evaluate,
    evaluate_team,
    fast_path,
    format_points,
    rank,
)
from scoring.facts import Activity, Adjustment, Competition, Criterion, Facts, JudgeScore, Team
from scoring.periods import Period, parse_period
from scoring.registry import all_rules, get_rule
from scoring.ruleset import (
    FieldError,
    RuleRef,
    Ruleset,
    RulesetInvalid,
    default_ruleset,
    parse_ruleset,
    ruleset_to_dict,
    ruleset_to_json,
)

__all__ = [
    "Activity",
    "Adjustment",
    "Comparison",
    "Competition",
    "Criterion",
    "Facts",
    "FastPath",
    "FieldError",
    "JudgeScore",
    "Line",
    "Period",
    "RuleRef",
    "Ruleset",
    "RulesetInvalid",
    "Standings",
    "Team",
    "TeamResult",
    "all_rules",
    "compare",
    "default_ruleset",
    "evaluate",
    "evaluate_team",
    "fast_path",
    "format_points",
    "get_rule",
    "parse_period",
    "parse_ruleset",
    "rank",
    "ruleset_to_dict",
    "ruleset_to_json",
]
