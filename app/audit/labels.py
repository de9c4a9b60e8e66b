"""The audit trail in words: each action, object type, role and recorded field by name, and an event's
before/after as the fields that changed (field: old → new) rather than raw JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app import i18n
from scoring.registry import get_rule

ACTIONS = {
    "account.create": i18n.lazy("Account created"),
    "account.enable": i18n.lazy("Account enabled"),
    "account.disable": i18n.lazy("Account disabled"),
    "account.password_reset": i18n.lazy("Password reset"),
    "activity.submit": i18n.lazy("Activity sent"),
    "activity.edit": i18n.lazy("Activity changed"),
    "activity.withdraw": i18n.lazy("Activity withdrawn"),
    "activity_type.create": i18n.lazy("Activity type added"),
    "adjustment.create": i18n.lazy("Bonus or penalty given"),
    "assignment.ensure": i18n.lazy("Judges assigned"),
    "attestation.confirm": i18n.lazy("Activity confirmed by the officer"),
    "attestation.decline": i18n.lazy("Activity declined by the officer"),
    "attestation.withdraw": i18n.lazy("Officer's confirmation withdrawn (the team changed the activity)"),
    "attestation.invite": i18n.lazy("Officer invited with a one-time link"),
    "assignment.move": i18n.lazy("Assignments moved"),
    "assignment.override": i18n.lazy("Assignment given to another judge"),
    "audit.seal": i18n.lazy("Audit chain sealed"),
    "backup.restore": i18n.lazy("Backup restored"),
    "competition.configure": i18n.lazy("Season settings changed"),
    "competition.create": i18n.lazy("Season created"),
    "competition.update": i18n.lazy("Season changed"),
    "conflict.declare": i18n.lazy("Conflict of interest declared"),
    "demo.seed": i18n.lazy("Demo season seeded"),
    "leaderboard.freeze": i18n.lazy("Leaderboard frozen"),
    "leaderboard.unfreeze": i18n.lazy("Leaderboard unfrozen"),
    "photo.add": i18n.lazy("Photo added"),
    "results.publish_final": i18n.lazy("Final results published"),
    "review.verified": i18n.lazy("Activity verified by a judge"),
    "review.rejected": i18n.lazy("Activity rejected by a judge"),
    "review.revise": i18n.lazy("Review revised"),
    "review.annul": i18n.lazy("Review annulled"),
    "rubric.update": i18n.lazy("Rubric changed"),
    "ruleset.draft": i18n.lazy("Rules draft changed"),
    "ruleset.draft_discard": i18n.lazy("Rules draft discarded"),
    "ruleset.publish": i18n.lazy("Rules published"),
    "ruleset.restore": i18n.lazy("Earlier rules restored"),
    "stage.close": i18n.lazy("Stage closed"),
    "stage.create": i18n.lazy("Stage added"),
    "stage.update": i18n.lazy("Stage changed"),
    "team.create": i18n.lazy("Team added"),
    "team_review.create": i18n.lazy("Team scored by a judge"),
    "team_review.revise": i18n.lazy("Team score revised"),
    "webhook.create": i18n.lazy("Webhook registered"),
    "webhook.update": i18n.lazy("Webhook changed"),
    "webhook.delete": i18n.lazy("Webhook deleted"),
}

OBJECT_TYPES = {
    "account": i18n.lazy("Account"),
    "activity": i18n.lazy("Activity"),
    "activity_type": i18n.lazy("Activity type"),
    "adjustment": i18n.lazy("Bonus or penalty"),
    "assignment": i18n.lazy("Assignment"),
    "audit": i18n.lazy("Audit trail"),
    "backup": i18n.lazy("Backup"),
    "competition": i18n.lazy("Season"),
    "photo": i18n.lazy("Photo"),
    "review": i18n.lazy("Review"),
    "rubric": i18n.lazy("Rubric"),
    "ruleset": i18n.lazy("Rules"),
    "ruleset_draft": i18n.lazy("Rules draft"),
    "stage": i18n.lazy("Stage"),
    "team": i18n.lazy("Team"),
    "webhook": i18n.lazy("Webhook"),
}

ROLES = {
    "organiser": i18n.lazy("Organiser"),
    "judge": i18n.lazy("Judge"),
    "participant": i18n.lazy("Participant"),
    "officer": i18n.lazy("Officer"),
}

# Recorded fields by name; a field not listed keeps its own name (the record is still readable).
FIELDS = {
    "title": i18n.lazy("Title"),
    "type": i18n.lazy("Activity type"),
    "team": i18n.lazy("Team"),
    "role": i18n.lazy("Role"),
    "username": i18n.lazy("Username"),
    "full_name": i18n.lazy("Full name"),
    "photos": i18n.lazy("Photos"),
    "points": i18n.lazy("Points"),
    "reason": i18n.lazy("Reason"),
    "note": i18n.lazy("Note"),
    "version": i18n.lazy("Version"),
    "decision": i18n.lazy("Decision"),
    "status": i18n.lazy("Status"),
    "name": i18n.lazy("Name"),
    "judge": i18n.lazy("Judge"),
    "is_active": i18n.lazy("Active"),
    "active": i18n.lazy("Active"),
    "change": i18n.lazy("Change"),
    "rules": i18n.lazy("Rules"),
    "tie_break": i18n.lazy("Tie-break chain"),
    "ruleset_version": i18n.lazy("Rules version"),
    "standings": i18n.lazy("Standings"),
    "starts_on": i18n.lazy("Starts on"),
    "ends_on": i18n.lazy("Ends on"),
    "timezone": i18n.lazy("Time zone"),
    "reviews_required": i18n.lazy("Reviews that decide an activity"),
    "region_code": i18n.lazy("Regency or city"),
    "slug": i18n.lazy("Name in the address"),
    "stages": i18n.lazy("Stage weights"),
    "activities": i18n.lazy("Activities"),
    "reviews": i18n.lazy("Reviews"),
    "nrp": i18n.lazy("NRP"),
    "rank": i18n.lazy("Rank"),
    "polres": i18n.lazy("Polres"),
    "state": i18n.lazy("Officer confirmation"),
    "located": i18n.lazy("Position shared"),
    "why": i18n.lazy("Why"),
    "expires_at": i18n.lazy("Valid until"),
}

WORDS = {
    "verified": i18n.lazy("verified"),
    "rejected": i18n.lazy("rejected"),
    "submitted": i18n.lazy("waiting"),
    "pending": i18n.lazy("not confirmed yet"),
    "confirmed": i18n.lazy("confirmed"),
    "declined": i18n.lazy("declined"),
    "edit": i18n.lazy("changed by the team"),
}
# The tie-break keys by name (the same words as the rules editor's, app/organiser/rulesets.py, which the
# audit layer may not import).
TIE_BREAK = {
    "score": i18n.lazy("Total points"),
    "counted_activities": i18n.lazy("Number of counted activities"),
    "quality": i18n.lazy("Judges' quality"),
    "coverage": i18n.lazy("Desa coverage"),
    "earliest_last_activity": i18n.lazy("Earliest last activity"),
}
# A value longer than this is cut (the full record stays in the database and in the chain's check).
VALUE_MAX = 120


def action_label(action: str) -> str:
    return i18n._(ACTIONS[action]) if action in ACTIONS else action


def object_label(object_type: str) -> str:
    return i18n._(OBJECT_TYPES[object_type]) if object_type in OBJECT_TYPES else object_type


def role_label(role: str) -> str:
    return i18n._(ROLES[role]) if role in ROLES else role


def _field(path: str) -> str:
    head, _, rest = path.partition(".")
    name = i18n._(FIELDS[head]) if head in FIELDS else head
    return f"{name} · {rest}" if rest else name


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return i18n._("yes") if value else i18n._("no")
    if key.split(".")[-1] == "role" and isinstance(value, str):
        return role_label(value)
    if isinstance(value, str) and value in WORDS:
        return i18n._(WORDS[value])
    if _is_rules(value):
        # Whole: a cut list would hide the very rule that changed.
        return "; ".join(_rule_words(entry) for entry in value)
    if key.split(".")[-1] == "tie_break" and isinstance(value, list):
        text = ", ".join(i18n._(TIE_BREAK[v]) if v in TIE_BREAK else str(v) for v in value)
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"


def _is_rules(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and isinstance(v.get("rule"), str) for v in value)
    )


def _rule_words(entry: dict[str, Any]) -> str:
    """A ruleset entry as the organiser knows it: the rule's title in the reader's language, then its
    parameters (a changed parameter shows in the difference without reading JSON)."""
    try:
        titles = get_rule(entry["rule"]).title
        name = titles.get(i18n.get_locale(), titles["id"])
    except (KeyError, LookupError):
        name = entry["rule"]
    params = entry.get("params") or {}
    if not isinstance(params, dict) or not params:
        return name
    shown = ", ".join(f"{k} {_param(v)}" for k, v in params.items())
    return f"{name} ({shown})"


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return i18n._("yes") if value else i18n._("no")
    if isinstance(value, int | float):
        return i18n.format_number(value)
    return str(value)


def _flat(value: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested records as dotted fields, two levels deep (rules lists and standings stay whole)."""
    if isinstance(value, dict) and depth < 2:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k), depth + 1))
        return out
    return {prefix or "": value}


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: str | None  # None: the field is new
    after: str | None  # None: the field is gone


def difference(before: Any, after: Any) -> list[Change]:
    """The fields that differ between the two records, in the order they were recorded; a field only in
    `after` is new, one only in `before` is gone. Equal fields are left out."""
    old, new = _flat(before) if before is not None else {}, _flat(after) if after is not None else {}
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in old and key in new and old[key] == new[key]:
            continue
        changes.append(
            Change(
                field=_field(key) if key else i18n._("Value"),
                before=_value(key, old[key]) if key in old else None,
                after=_value(key, new[key]) if key in new else None,
            )
        )
    return changes
