"""The built-in scoring rules, one module each, in the order the engine applies their kinds."""

from __future__ import annotations

from scoring.rules import (
    cap_per_period,
    cluster_balance,
    consistency_bonus,
    coverage,
    joint_only,
    judge_quality,
    points_per_activity,
    preemptive_multiplier,
    reach_bonus,
)
from scoring.rules.base import Rule

__all__ = ["BUILTIN_RULES"]

BUILTIN_RULES: tuple[Rule, ...] = (
    joint_only.RULE,
    cap_per_period.RULE,
    points_per_activity.RULE,
    reach_bonus.RULE,
    preemptive_multiplier.RULE,
    judge_quality.RULE,
    consistency_bonus.RULE,
    coverage.RULE,
    cluster_balance.RULE,
)
