"""A ruleset resolved against the registry: every rule found and its parameters validated once, the
rules split by kind in ruleset order, and whether the columnar kernels can evaluate it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.registry import get_rule
from scoring.rules.base import ActivityRule, EligibilityRule, Rule, TeamRule
from scoring.ruleset import Ruleset

__all__ = ["CompiledRuleset", "FastPath"]


@dataclass(frozen=True, slots=True)
class FastPath:
    """Whether :func:`scoring.engine.evaluate` can hand a ruleset to the columnar kernels, and if not,
    why: the ids of its rules that have no kernel (each once, in ruleset order). Without the fast path
    a season is evaluated team by team through the rules' reference methods, about ten times slower."""

    without_kernel: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return not self.without_kernel

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why not, one sentence per rule (English, for logs)."""
        return tuple(f"rule {rule_id} has no columnar kernel" for rule_id in self.without_kernel)


class CompiledRuleset:
    """A ruleset with its parameters validated once, split by kind, in ruleset order."""

    __slots__ = (
        "activity",
        "eligibility",
        "fast_path",
        "quality",
        "rule_ids",
        "team",
        "team_local",
        "tie_break",
    )

    def __init__(self, ruleset: Ruleset) -> None:
        self.eligibility: list[tuple[int, EligibilityRule, Any]] = []
        self.activity: list[tuple[int, ActivityRule, Any]] = []
        self.team: list[tuple[int, TeamRule, Any]] = []
        self.rule_ids: list[str] = []
        #: The judges' q method and trim of the results' ``quality``: the first judge_quality rule's.
        self.quality = ("mean", 1)
        quality_set = False
        team_local = True
        without_kernel: list[str] = []
        for position, ref in enumerate(ruleset.rules):
            rule: Rule = get_rule(ref.rule)
            params = rule.validate(ref.params)
            self.rule_ids.append(rule.id)
            team_local = team_local and rule.team_local
            if not rule.has_kernel() and rule.id not in without_kernel:
                without_kernel.append(rule.id)
            if isinstance(rule, EligibilityRule):
                self.eligibility.append((position, rule, params))
            elif isinstance(rule, ActivityRule):
                self.activity.append((position, rule, params))
                if rule.id == "judge_quality" and not quality_set:
                    self.quality = (params.method, params.trim)
                    quality_set = True
            elif isinstance(rule, TeamRule):
                self.team.append((position, rule, params))
            else:
                raise TypeError(f"rule {rule.id} has an unknown kind {rule.kind!r}")
        self.team_local = team_local
        self.tie_break = tuple(ruleset.tie_break)
        self.fast_path = FastPath(tuple(without_kernel))
