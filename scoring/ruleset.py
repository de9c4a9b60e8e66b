"""Rulesets: an ordered list of (rule id, parameters) plus a tie-break chain; JSON in and out."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from scoring.registry import get_rule
from scoring.rules.base import FieldError, ParamsInvalid

__all__ = [
    "TIE_BREAK_KEYS",
    "FieldError",
    "RuleRef",
    "Ruleset",
    "RulesetInvalid",
    "default_ruleset",
    "parse_ruleset",
    "ruleset_to_dict",
    "ruleset_to_json",
]

#: The keys a tie-break chain may use, best-first semantics documented in scoring.ranking.
TIE_BREAK_KEYS = ("score", "counted_activities", "quality", "coverage", "earliest_last_activity")


class RuleRef(msgspec.Struct, frozen=True):
    """One step of a ruleset: a registered rule id and its parameters (defaults filled in)."""

    rule: str
    params: dict[str, Any] = {}


class Ruleset(msgspec.Struct, frozen=True):
    """Rules in the order they apply (by kind: eligibility, activity, team) and the tie-break chain."""

    rules: tuple[RuleRef, ...]
    tie_break: tuple[str, ...] = TIE_BREAK_KEYS


class RulesetInvalid(ValueError):
    """The ruleset does not validate; ``errors`` has one entry per problem, with its path."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message_en}" for e in errors))
        self.errors = errors


_decoder = msgspec.json.Decoder(float_hook=Decimal)
_encoder = msgspec.json.Encoder(decimal_format="number", order="deterministic")


def _normalised(params: msgspec.Struct) -> dict[str, Any]:
    built: dict[str, Any] = msgspec.to_builtins(params, builtin_types=(Decimal,))
    return built


def parse_ruleset(data: bytes | str | Mapping[str, Any]) -> Ruleset:
    """Validate a ruleset given as JSON or as a mapping; every rule id and parameter is checked.

    Parameters come back with their defaults filled in. Raises RulesetInvalid listing every error.
    """
    if isinstance(data, bytes | str):
        try:
            data = _decoder.decode(data)
        except msgspec.DecodeError as exc:
            raise RulesetInvalid(
                [FieldError("", f"JSON tidak valid: {exc}", f"Invalid JSON: {exc}")]
            ) from None
    if not isinstance(data, Mapping):
        raise RulesetInvalid([FieldError("", "Harus berupa objek.", "Must be an object.")])
    errors: list[FieldError] = []
    for key in data:
        if key not in ("rules", "tie_break"):
            errors.append(FieldError(str(key), f"Kolom tidak dikenal: {key}.", f"Unknown field: {key}."))
    raw_rules = data.get("rules")
    refs: list[RuleRef] = []
    if not isinstance(raw_rules, list | tuple):
        errors.append(FieldError("rules", "Harus berupa daftar aturan.", "Must be a list of rules."))
        raw_rules = []
    for index, item in enumerate(raw_rules):
        where = f"rules[{index}]"
        if isinstance(item, RuleRef):
            item = {"rule": item.rule, "params": item.params}
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "Harus berupa objek.", "Must be an object."))
            continue
        for key in item:
            if key not in ("rule", "params"):
                errors.append(
                    FieldError(f"{where}.{key}", f"Kolom tidak dikenal: {key}.", f"Unknown field: {key}.")
                )
        rule_id = item.get("rule")
        try:
            rule = get_rule(rule_id) if isinstance(rule_id, str) else None
        except KeyError:
            rule = None
        if rule is None:
            errors.append(
                FieldError(
                    f"{where}.rule",
                    f"Aturan tidak dikenal: {rule_id}.",
                    f"Unknown rule: {rule_id}.",
                )
            )
            continue
        try:
            params = rule.validate(item.get("params") or {})
        except ParamsInvalid as exc:
            errors.extend(FieldError(f"{where}.{e.path}", e.message_id, e.message_en) for e in exc.errors)
            continue
        refs.append(RuleRef(rule.id, _normalised(params)))
    tie_break = data.get("tie_break", TIE_BREAK_KEYS)
    if not isinstance(tie_break, list | tuple) or not tie_break:
        errors.append(
            FieldError("tie_break", "Harus berupa daftar kunci.", "Must be a non-empty list of keys.")
        )
        tie_break = ()
    seen: set[object] = set()
    for index, key in enumerate(tie_break):
        if key not in TIE_BREAK_KEYS:
            allowed = ", ".join(TIE_BREAK_KEYS)
            errors.append(
                FieldError(
                    f"tie_break[{index}]",
                    f"Kunci tidak dikenal: {key}. Pilihan: {allowed}.",
                    f"Unknown key: {key}. Allowed: {allowed}.",
                )
            )
        elif key in seen:
            errors.append(FieldError(f"tie_break[{index}]", f"Kunci ganda: {key}.", f"Duplicate key: {key}."))
        seen.add(key)
    if errors:
        raise RulesetInvalid(errors)
    return Ruleset(tuple(refs), tuple(tie_break))


def ruleset_to_dict(ruleset: Ruleset) -> dict[str, Any]:
    """The ruleset as plain data (Decimals kept as Decimal)."""
    return {
        "rules": [{"rule": ref.rule, "params": dict(ref.params)} for ref in ruleset.rules],
        "tie_break": list(ruleset.tie_break),
    }


def ruleset_to_json(ruleset: Ruleset) -> bytes:
    """The ruleset as JSON, Decimals written as exact numbers, keys in a stable order."""
    return _encoder.encode(ruleset_to_dict(ruleset))


def default_ruleset() -> Ruleset:
    """The demo competition's ruleset: every built-in rule, with the demo's parameters."""
    return parse_ruleset(
        {
            "rules": [
                {"rule": "joint_only", "params": {"min_senkom": 1, "min_officers": 1}},
                {"rule": "cap_per_period", "params": {"period": "week", "max": 5, "scope": "type"}},
                {
                    "rule": "points_per_activity",
                    "params": {
                        "points": {
                            "DDS": 2,
                            "DETEKSI_DINI": 3,
                            "PROBLEM_SOLVING": 5,
                            "BINLUH": 3,
                            "FKPM": 4,
                            "SISKAMLING": 2,
                            "PENGAMANAN": 4,
                            "BENCANA": 4,
                            "BELA_NEGARA": 3,
                        },
                        "default": 1,
                    },
                },
                {"rule": "reach_bonus", "params": {"step": 25, "per": 1, "max": 4}},
                {"rule": "preemptive_multiplier", "params": {"factor": Decimal("1.5")}},
                {
                    "rule": "judge_quality",
                    "params": {"method": "trimmed_mean", "trim": 1, "floor": Decimal("0.5")},
                },
                {
                    "rule": "consistency_bonus",
                    "params": {"period": "week", "min_activities": 3, "points": 10},
                },
                {"rule": "coverage", "params": {"points": 100}},
                {"rule": "cluster_balance", "params": {"points": 20}},
            ]
        }
    )
