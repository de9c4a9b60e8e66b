"""Rulesets: an ordered list of (rule id, parameters) plus a tie-break chain; JSON in and out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from scoring.registry import get_rule
from scoring.rules.base import FieldError, ParamsInvalid

__all__ = [
    "STAGE_WEIGHT_MAX",
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
#: Stage weights: 0 < weight <= STAGE_WEIGHT_MAX, at most STAGE_WEIGHT_PLACES decimals.
STAGE_WEIGHT_MAX = Decimal(1000)
STAGE_WEIGHT_PLACES = 4
_STAGE_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")


class RuleRef(msgspec.Struct, frozen=True):
    """One step of a ruleset: a registered rule id and its parameters (defaults filled in)."""

    rule: str
    params: dict[str, Any] = {}


class Ruleset(msgspec.Struct, frozen=True):
    """Rules in the order they apply (by kind: eligibility, activity, team) and the tie-break chain.

    ``stages`` maps a stage code to its weight in the final ranking (see scoring.jury.combine_stages);
    empty means the final ranking is this ruleset's own standings.
    """

    rules: tuple[RuleRef, ...]
    tie_break: tuple[str, ...] = TIE_BREAK_KEYS
    stages: dict[str, Decimal] = {}


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
        except RecursionError:
            raise RulesetInvalid(
                [FieldError("", "JSON bersarang terlalu dalam.", "The JSON is nested too deeply.")]
            ) from None
    if not isinstance(data, Mapping):
        raise RulesetInvalid([FieldError("", "Harus berupa objek.", "Must be an object.")])
    errors: list[FieldError] = []
    for key in data:
        if key not in ("rules", "tie_break", "stages"):
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
    stages = _parse_stages(data.get("stages", {}), errors)
    if errors:
        raise RulesetInvalid(errors)
    return Ruleset(tuple(refs), tuple(tie_break), stages)


def _stage_weight(value: object) -> Decimal | None:
    """The weight as an exact Decimal (from a JSON number, an int or Decimal text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        weight = Decimal(value)
    elif isinstance(value, str):
        try:
            weight = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return weight if weight.is_finite() else None


def _parse_stages(raw: object, errors: list[FieldError]) -> dict[str, Decimal]:
    if isinstance(raw, Mapping):
        items = list(raw.items())
    else:
        errors.append(
            FieldError(
                "stages",
                "Harus berupa objek: kode tahap → bobot.",
                "Must be an object: stage code → weight.",
            )
        )
        items = []
    stages: dict[str, Decimal] = {}
    for code, value in items:
        where = f"stages.{code}"
        if not isinstance(code, str) or not _STAGE_CODE.fullmatch(code):
            errors.append(
                FieldError(
                    where,
                    f"Kode tahap tidak valid: {code}. Gunakan 1–40 huruf, angka, _ atau -.",
                    f"Invalid stage code: {code}. Use 1–40 letters, digits, _ or -.",
                )
            )
            continue
        weight = _stage_weight(value)
        if weight is None:
            errors.append(
                FieldError(where, f"Bobot harus berupa angka: {value}.", f"Weight must be a number: {value}.")
            )
            continue
        if not 0 < weight <= STAGE_WEIGHT_MAX:
            errors.append(
                FieldError(
                    where,
                    f"Bobot harus lebih dari 0 dan paling banyak {STAGE_WEIGHT_MAX}.",
                    f"Weight must be greater than 0 and at most {STAGE_WEIGHT_MAX}.",
                )
            )
            continue
        if weight != weight.quantize(Decimal(1).scaleb(-STAGE_WEIGHT_PLACES)):
            errors.append(
                FieldError(
                    where,
                    f"Bobot paling banyak {STAGE_WEIGHT_PLACES} angka desimal.",
                    f"Weight has at most {STAGE_WEIGHT_PLACES} decimal places.",
                )
            )
            continue
        stages[code] = weight
    return stages


def ruleset_to_dict(ruleset: Ruleset) -> dict[str, Any]:
    """The ruleset as plain data (Decimals kept as Decimal)."""
    data: dict[str, Any] = {
        "rules": [{"rule": ref.rule, "params": dict(ref.params)} for ref in ruleset.rules],
        "tie_break": list(ruleset.tie_break),
    }
    if ruleset.stages:
        # Only when set: rulesets without stages keep exactly their earlier JSON.
        data["stages"] = dict(ruleset.stages)
    return data


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
