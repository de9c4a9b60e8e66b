"""The ruleset editor: a working draft per competition, the what-if preview, publishing and restoring.

The draft is always a valid ruleset (every change is validated before it is stored); publishing it, or
restoring an earlier version, stores the next immutable RulesetVersion and recomputes the standings in
the same transaction, so the leaderboards change at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from app import i18n
from app.audit import services as audit
from app.competitions.events import RulesetPublished
from app.competitions.services import (
    CompetitionInfo,
    ensure_results_open,
    ruleset_in_force,
    save_ruleset,
    teams,
)
from app.db import write_transaction
from app.errors import Invalid
from app.events import emit
from app.i18n import parse_number
from app.leaderboard import kept
from app.leaderboard.services import load_facts
from app.leaderboard.state import competition_state
from app.tables import RulesetDraft, RulesetVersion
from scoring.engine import compare, fast_path
from scoring.facts import Facts
from scoring.registry import all_rules, get_rule
from scoring.ruleset import (
    FieldError,
    RuleRef,
    Ruleset,
    RulesetInvalid,
    parse_ruleset,
    ruleset_to_dict,
    ruleset_to_json,
)

KIND_LABELS = {
    "eligibility": i18n.lazy("Eligibility"),
    "activity": i18n.lazy("Per activity"),
    "team": i18n.lazy("Per team"),
}

TIE_BREAK_LABELS = {
    "score": i18n.lazy("Total points"),
    "counted_activities": i18n.lazy("Number of counted activities"),
    "quality": i18n.lazy("Judges' quality"),
    "coverage": i18n.lazy("Desa coverage"),
    "earliest_last_activity": i18n.lazy("Earliest last activity"),
}

# Parameter labels by name; a rule from another package falls back to its schema's description.
PARAM_LABELS = {
    "min_senkom": i18n.lazy("Minimum Senkom members"),
    "min_officers": i18n.lazy("Minimum officers"),
    "require_confirmation": i18n.lazy("Only activities an officer has confirmed"),
    "period": i18n.lazy("Period"),
    "max": i18n.lazy("Maximum"),
    "scope": i18n.lazy("Counted per"),
    "points": i18n.lazy("Points"),
    "default": i18n.lazy("Points for a type not listed"),
    "step": i18n.lazy("Residents per step"),
    "per": i18n.lazy("Points per full step"),
    "factor": i18n.lazy("Multiplier"),
    "method": i18n.lazy("Method"),
    "trim": i18n.lazy("Values dropped at each end"),
    "floor": i18n.lazy("The factor for quality 0"),
    "min_activities": i18n.lazy("Fewest activities"),
}

ENUM_LABELS = {
    "week": i18n.lazy("week"),
    "month": i18n.lazy("month"),
    "all": i18n.lazy("all activities"),
    "type": i18n.lazy("activity type"),
    "mean": i18n.lazy("mean"),
    "median": i18n.lazy("median"),
    "trimmed_mean": i18n.lazy("trimmed mean"),
}


def text(pair: dict[str, str]) -> str:
    """A rule's title or documentation in the reader's language."""
    return pair.get(i18n.get_locale()) or pair.get("en") or ""


def message(error: FieldError) -> str:
    return error.message_en if i18n.get_locale() == "en" else error.message_id


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a rule's parameter form, generated from its JSON Schema."""

    name: str  # the form field: p.<param> or p.<param>.<CODE>
    param: str
    label: str
    kind: str  # integer, decimal, enum (a yes/no parameter too), mapping
    value: str
    minimum: Any = None
    maximum: Any = None
    options: tuple[tuple[str, str], ...] = ()
    entries: tuple[tuple[str, str, str, str], ...] = ()  # mapping: (field name, code, label, value)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def param_fields(rule_id: str, params: dict[str, Any], activity_types: list[dict[str, Any]]) -> list[Field]:
    """The parameter form of one rule: numbers, enums as selects, a mapping as one input per activity type."""
    schema = get_rule(rule_id).params_schema()
    fields: list[Field] = []
    for key, prop in schema.get("properties", {}).items():
        label = i18n._(PARAM_LABELS[key]) if key in PARAM_LABELS else prop.get("description", key)
        value = params.get(key, prop.get("default"))
        if "enum" in prop:
            options = tuple((str(o), i18n._(ENUM_LABELS.get(str(o), str(o)))) for o in prop["enum"])
            fields.append(Field(f"p.{key}", key, label, "enum", _plain(value), options=options))
        elif prop.get("type") == "boolean":
            options = (("false", i18n._("No")), ("true", i18n._("Yes")))
            fields.append(
                Field(f"p.{key}", key, label, "enum", "true" if value is True else "false", options=options)
            )
        elif prop.get("type") == "object":
            mapping = value if isinstance(value, dict) else {}
            locale = i18n.get_locale()
            entries = tuple(
                (
                    f"p.{key}.{t['code']}",
                    t["code"],
                    t["name_en"] if locale == "en" and t.get("name_en") else t["name"],
                    _plain(mapping.get(t["code"])),
                )
                for t in activity_types
            )
            extra = tuple(
                (f"p.{key}.{code}", code, code, _plain(v))
                for code, v in mapping.items()
                if code not in {t["code"] for t in activity_types}
            )
            fields.append(Field(f"p.{key}", key, label, "mapping", "", entries=entries + extra))
        elif prop.get("type") == "integer":
            fields.append(
                Field(
                    f"p.{key}", key, label, "integer", _plain(value), prop.get("minimum"), prop.get("maximum")
                )
            )
        else:
            fields.append(
                Field(
                    f"p.{key}", key, label, "decimal", _plain(value), prop.get("minimum"), prop.get("maximum")
                )
            )
    return fields


def _number(raw: str) -> Any:
    """What the organiser typed, as a number when it reads as one ("1,5" is 1.5), else the text itself
    (so the rule's validation words the error)."""
    number = parse_number(raw)
    return raw.strip() if number is None else number


def params_from_form(rule_id: str, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters a submitted form describes, and the errors found before the rule's own validation."""
    schema = get_rule(rule_id).params_schema()
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, prop in schema.get("properties", {}).items():
        name = f"p.{key}"
        if prop.get("type") == "object":
            mapping: dict[str, Any] = {}
            prefix = name + "."
            for field_name, raw in form.items():
                if field_name.startswith(prefix) and raw.strip():
                    mapping[field_name[len(prefix) :]] = _number(raw)
            params[key] = mapping
            continue
        raw = form.get(name, "").strip()
        if not raw:
            continue  # the default applies
        if "enum" in prop:
            params[key] = raw
        elif prop.get("type") == "boolean":
            if raw in ("true", "false"):
                params[key] = raw == "true"
            else:
                errors[name] = i18n._("Choose yes or no.")
        elif prop.get("type") == "integer":
            number = _number(raw)
            if isinstance(number, Decimal) and number == number.to_integral():
                params[key] = int(number)
            else:
                errors[name] = i18n._("Enter a whole number.")
        else:
            number = _number(raw)
            if isinstance(number, Decimal):
                params[key] = number
            else:
                errors[name] = i18n._("Enter a number, e.g. 1,5.")
    return params, errors


def validate_params(rule_id: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The rule's own validation; errors keyed by form field, in the reader's language."""
    try:
        ruleset = parse_ruleset({"rules": [{"rule": rule_id, "params": params}]})
    except RulesetInvalid as exc:
        errors: dict[str, str] = {}
        for e in exc.errors:
            path = e.path.removeprefix("rules[0].").removeprefix("params.")
            errors.setdefault(f"p.{path}" if path and path != "params" else "p", message(e))
        return None, errors
    return dict(ruleset.rules[0].params), {}


@dataclass(frozen=True, slots=True)
class Draft:
    ruleset: Ruleset
    based_on: int
    stored: bool
    updated_at: datetime | None


async def draft(competition: CompetitionInfo) -> Draft:
    """The working draft, or (when none is stored) a copy of the ruleset in force."""
    row = await RulesetDraft.select().where(RulesetDraft.competition == competition.id).first()
    if row is not None:
        try:
            return Draft(parse_ruleset(row["body"]), row["based_on"], True, row["updated_at"])
        except RulesetInvalid:
            pass  # a rule package was uninstalled since; start again from the ruleset in force
    version, ruleset = await ruleset_in_force(competition.id)
    return Draft(ruleset, version, False, None)


async def save_draft(
    competition: CompetitionInfo, ruleset: Ruleset, *, actor_id: int, actor_name: str, change: str
) -> None:
    """Stores the draft (validated again here) and records the change; nothing is in force yet. After
    the final results nothing in the rules changes any more, the draft included."""
    ruleset = parse_ruleset(ruleset_to_json(ruleset))
    body = ruleset_to_json(ruleset).decode()
    async with write_transaction(lock=f"competition:{competition.id}"):
        # A draft that could never be published is refused as its publication would be.
        await ensure_results_open(competition.id)
        row = await RulesetDraft.select().where(RulesetDraft.competition == competition.id).first()
        before = json.loads(row["body"]) if row else None
        if row is None:
            version, _ = await ruleset_in_force(competition.id)
            await RulesetDraft.insert(
                RulesetDraft(
                    competition=competition.id,
                    body=body,
                    based_on=version,
                    updated_by=actor_id,
                    updated_at=datetime.now(UTC),
                )
            )
        else:
            await RulesetDraft.update(
                {
                    RulesetDraft.body: body,
                    RulesetDraft.updated_by: actor_id,
                    RulesetDraft.updated_at: datetime.now(UTC),
                }
            ).where(RulesetDraft.id == row["id"])
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="ruleset.draft",
            object_type="ruleset_draft",
            object_id=competition.id,
            before=before,
            after={"change": change, **json.loads(body)},
            competition_id=competition.id,
        )


async def discard_draft(competition: CompetitionInfo, *, actor_id: int, actor_name: str) -> None:
    async with write_transaction(lock=f"competition:{competition.id}"):
        row = await RulesetDraft.select().where(RulesetDraft.competition == competition.id).first()
        if row is None:
            return
        await RulesetDraft.delete().where(RulesetDraft.id == row["id"])
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="ruleset.draft_discard",
            object_type="ruleset_draft",
            object_id=competition.id,
            before=json.loads(row["body"]),
            competition_id=competition.id,
        )


def with_rule_added(ruleset: Ruleset, rule_id: str) -> Ruleset:
    """The draft with one more rule at the end; a rule already in the draft is refused (twice the same
    rule would count its points twice, or cap twice, which nobody means: change its parameters instead)."""
    rule = get_rule(rule_id)
    if any(ref.rule == rule.id for ref in ruleset.rules):
        raise Invalid(
            {
                "rule": i18n._(
                    "“%(rule)s” is already in the draft:"
                    " change its parameters there instead of adding it again."
                )
                % {"rule": text(rule.title)}
            }
        )
    params = ruleset_to_dict(parse_ruleset({"rules": [{"rule": rule.id, "params": {}}]}))["rules"][0][
        "params"
    ]
    return msgspec.structs.replace(ruleset, rules=(*ruleset.rules, RuleRef(rule.id, params)))


def with_rule_removed(ruleset: Ruleset, index: int) -> Ruleset:
    rules = list(ruleset.rules)
    del rules[index]
    return msgspec.structs.replace(ruleset, rules=tuple(rules))


def with_rule_moved(ruleset: Ruleset, index: int, offset: int) -> Ruleset:
    rules = list(ruleset.rules)
    target = max(0, min(len(rules) - 1, index + offset))
    rules.insert(target, rules.pop(index))
    return msgspec.structs.replace(ruleset, rules=tuple(rules))


def with_params(ruleset: Ruleset, index: int, params: dict[str, Any]) -> Ruleset:
    rules = list(ruleset.rules)
    rules[index] = RuleRef(rules[index].rule, params)
    return msgspec.structs.replace(ruleset, rules=tuple(rules))


def with_tie_break(ruleset: Ruleset, keys: list[str]) -> tuple[Ruleset | None, dict[str, str]]:
    chosen = [k for k in keys if k]
    try:
        parsed = parse_ruleset({**ruleset_to_dict(ruleset), "tie_break": chosen})
    except RulesetInvalid as exc:
        errors: dict[str, str] = {}
        for e in exc.errors:
            errors.setdefault("tie_break", message(e))
        return None, errors
    return parsed, {}


@dataclass(frozen=True, slots=True)
class PreviewRow:
    team_code: str
    team_name: str
    rank_now: int
    score_now: Decimal
    rank_draft: int
    score_draft: Decimal

    @property
    def rank_change(self) -> int:
        """Places gained (positive) or lost (negative) under the draft."""
        return self.rank_now - self.rank_draft

    @property
    def points_change(self) -> Decimal:
        return self.score_draft - self.score_now


async def preview(competition: CompetitionInfo, candidate: Ruleset) -> list[PreviewRow]:
    """Every team's rank and points under the ruleset in force and under the candidate; writes nothing."""
    _, current = await ruleset_in_force(competition.id)
    facts = await _season_facts(competition)
    names = {t["code"]: t["name"] for t in await teams(competition.id)}
    compared = await kept.run_read(compare, current, candidate, facts)
    return [
        PreviewRow(c.team_code, names.get(c.team_code, c.team_code), c.rank_a, c.score_a, c.rank_b, c.score_b)
        for c in compared
        if c.team_code in names
    ]


async def _season_facts(competition: CompetitionInfo) -> Facts:
    """The season's facts as the board keeps them at the current standings version (loaded once for
    every asker when they are not kept), not read again for each preview."""
    state = await competition_state(competition.id, max_age=0)
    if state is None:
        return await load_facts(competition)
    return (await kept.facts_at(state.stamp, state.info, state.version)).facts


def rules_without_fast_path(ruleset: Ruleset) -> list[str]:
    """The titles of the ruleset's rules that have no columnar kernel: with any of them the standings
    are computed team by team, about ten times slower (the preview says so before it is published)."""
    return [text(get_rule(rule_id).title) for rule_id in fast_path(ruleset).without_kernel]


async def publish(
    competition: CompetitionInfo,
    ruleset: Ruleset,
    *,
    actor_id: int,
    actor_name: str,
    note: str,
    restored_from: int | None = None,
) -> int:
    """The next version, in force at once: stored, standings recomputed, draft cleared, one transaction."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        # save_ruleset refuses once the final results are published (the one final-results lock).
        before_version, _ = await ruleset_in_force(competition.id)
        version = await save_ruleset(
            competition.id, ruleset, actor_id=actor_id, actor_name=actor_name, note=note
        )
        if restored_from is not None:
            await audit.record(
                actor_id=actor_id,
                actor_name=actor_name,
                action="ruleset.restore",
                object_type="ruleset",
                object_id=f"{competition.id}:{version}",
                before={"version": before_version},
                after={"version": version, "restored_from": restored_from},
                competition_id=competition.id,
            )
        else:
            await RulesetDraft.delete().where(RulesetDraft.competition == competition.id)
        await emit(RulesetPublished(competition, version))
    return version


async def versions(competition_id: int) -> list[dict[str, Any]]:
    rows = await (
        RulesetVersion.select(
            RulesetVersion.version,
            RulesetVersion.note,
            RulesetVersion.created_at,
            RulesetVersion.created_by.username,
            RulesetVersion.body,
        )
        .where(RulesetVersion.competition == competition_id)
        .order_by(RulesetVersion.version, ascending=False)
    )
    for row in rows:
        body = row["body"]
        row["ruleset"] = parse_ruleset(body if isinstance(body, str | bytes) else json.dumps(body))
    return rows


async def version(competition_id: int, number: int) -> Ruleset | None:
    row = await (
        RulesetVersion.select(RulesetVersion.body)
        .where((RulesetVersion.competition == competition_id) & (RulesetVersion.version == number))
        .first()
    )
    if row is None:
        return None
    body = row["body"]
    return parse_ruleset(body if isinstance(body, str | bytes) else json.dumps(body))


def rule_choices() -> list[dict[str, str]]:
    return [
        {
            "id": r.id,
            "title": text(r.title),
            "kind": i18n._(KIND_LABELS.get(r.kind, r.kind)),
            "doc": text(r.doc),
        }
        for r in all_rules()
    ]


def describe(ruleset: Ruleset) -> list[dict[str, Any]]:
    """Each rule of a ruleset with its title, kind and parameters, for the pages."""
    out = []
    for ref in ruleset.rules:
        rule = get_rule(ref.rule)
        out.append(
            {
                "id": rule.id,
                "title": text(rule.title),
                "kind": i18n._(KIND_LABELS.get(rule.kind, rule.kind)),
                "doc": text(rule.doc),
                "params": ref.params,
            }
        )
    return out


def tie_break_labels(keys: tuple[str, ...] | list[str]) -> list[str]:
    return [i18n._(TIE_BREAK_LABELS.get(k, k)) for k in keys]
