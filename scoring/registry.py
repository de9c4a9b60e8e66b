"""The registry of scoring rules: the built-ins plus those installed packages declare under the
entry-point group ``sinergi.scoring_rules``. A rule brings its own columnar kernel, or none (see
:meth:`Rule.has_kernel`): the registry finds both through the rule."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from scoring.rules import BUILTIN_RULES
from scoring.rules.base import (
    ActivityRule,
    EligibilityRule,
    Rule,
    TeamContext,
    TeamPoints,
    TeamRule,
    decimal_param,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ActivityRule",
    "EligibilityRule",
    "Rule",
    "TeamContext",
    "TeamPoints",
    "TeamRule",
    "all_rules",
    "decimal_param",
    "get_rule",
    "kernel_rules",
]

ENTRY_POINT_GROUP = "sinergi.scoring_rules"
KINDS = ("eligibility", "activity", "team")


@cache
def _rules() -> dict[str, Rule]:
    """Built-ins first, then entry points by name. An entry point may name a Rule instance or a Rule
    subclass (instantiated without arguments). A third-party rule cannot replace a built-in or an
    earlier rule with the same id: the first one registered keeps the id."""
    rules: dict[str, Rule] = {rule.id: rule for rule in BUILTIN_RULES}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: (p.name, p.value)):
        loaded = point.load()
        rule = loaded() if isinstance(loaded, type) and issubclass(loaded, Rule) else loaded
        if not isinstance(rule, Rule) or rule.kind not in KINDS:
            raise TypeError(f"entry point {point.name} = {point.value} is not a scoring rule")
        rules.setdefault(rule.id, rule)
    return rules


def all_rules() -> list[Rule]:
    """Every registered rule: built-ins in their canonical order, then third-party rules."""
    return list(_rules().values())


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; raises KeyError if none is registered."""
    return _rules()[rule_id]


def kernel_rules() -> list[Rule]:
    """Every registered rule that has a columnar kernel, in the order of :func:`all_rules`."""
    return [rule for rule in all_rules() if rule.has_kernel()]
