"""The rules in force in plain words for participants ("Aturan penilaian"): one or two sentences per
built-in rule, with this competition's numbers and activity types by name. The rule's own documentation
(parameters, worked example) stays on the page, folded away."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from app import i18n
from scoring.registry import get_rule


def _points(value: Decimal | int) -> str:
    text = i18n.format_number(value)
    return i18n.ngettext("%(points)s point", "%(points)s points", 1 if value == 1 else 2, points=text)


def _per(period: str) -> str:
    return i18n._("each month") if period == "month" else i18n._("each week")


def type_names(types: list[dict[str, Any]]) -> dict[str, str]:
    """Activity types by code, named in the reader's language."""
    english = i18n.get_locale() == "en"
    return {t["code"]: (t["name_en"] or t["name"]) if english else t["name"] for t in types}


def plain(rule_id: str, params: dict[str, Any], type_names: dict[str, str]) -> str | None:
    """What the rule means for a team, or None for a rule this page does not know (a plug-in)."""
    try:
        rule = get_rule(rule_id)
        p: Any = msgspec.convert(params, rule.params_type, strict=False)
    except (KeyError, msgspec.ValidationError):
        return None
    if rule_id == "joint_only":
        return i18n._(
            "Only joint activities count: at least %(senkom)s Senkom member(s) and %(officers)s "
            "Bhabinkamtibmas / Polisi RW officer(s) take part.",
            senkom=p.min_senkom,
            officers=p.min_officers,
        ) + (
            " " + i18n._("An activity counts only once an officer named on it has confirmed it.")
            if p.require_confirmation
            else ""
        )
    if rule_id == "cap_per_period":
        if p.scope == "type":
            return i18n._(
                "%(when)s at most %(n)s activities of each type count; more of the same type "
                "are not counted.",
                when=_per(p.period).capitalize(),
                n=p.max,
            )
        return i18n._(
            "%(when)s at most %(n)s activities count; more are not counted.",
            when=_per(p.period).capitalize(),
            n=p.max,
        )
    if rule_id == "points_per_activity":
        listed = "; ".join(
            f"{type_names.get(code, code)}: {_points(value)}" for code, value in p.points.items()
        )
        text = i18n._("Each counted activity earns points by its type: %(list)s.", list=listed)
        if p.default:
            text += " " + i18n._("Any other type: %(points)s.", points=_points(p.default))
        return text
    if rule_id == "reach_bonus":
        return i18n._(
            "Extra points for the residents an activity reaches: %(per)s for every %(step)s residents, "
            "at most %(max)s per activity.",
            per=_points(p.per),
            step=p.step,
            max=_points(p.max),
        )
    if rule_id == "preemptive_multiplier":
        return i18n._(
            "A preemptive activity (one that prevents trouble before it starts) counts %(factor)s times its "
            "points so far.",
            factor=i18n.format_number(p.factor),
        )
    if rule_id == "judge_quality":
        return i18n._(
            "The judges score each activity on the rubric: the best score keeps all of its points, "
            "the lowest keeps %(floor)s%% of them.",
            floor=i18n.format_number(p.floor * 100),
        )
    if rule_id == "consistency_bonus":
        return i18n._(
            "%(points)s bonus for %(when)s with at least %(n)s counted activities: steady work counts.",
            points=_points(p.points),
            when=_per(p.period),
            n=p.min_activities,
        )
    if rule_id == "coverage":
        return i18n._(
            "Up to %(points)s for working in many desa/kelurahan of your regency or city: the share of them "
            "you reached, times %(points)s.",
            points=_points(p.points),
        )
    if rule_id == "cluster_balance":
        return i18n._(
            "%(points)s bonus once your activities cover all three clusters: Kamtibmas, disaster "
            "response and national defence.",
            points=_points(p.points),
        )
    return None
