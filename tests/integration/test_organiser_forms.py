"""The parameter forms are generated from each registered rule's JSON Schema (third-party rules included):
the form of a rule's defaults, sent back unchanged, gives back exactly those parameters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import i18n
from app.competitions.catalogue import DEFAULT_CATALOGUE
from app.organiser import rulesets
from scoring.registry import all_rules
from scoring.ruleset import parse_ruleset

TYPES = [{"code": e.code, "name": e.name, "name_en": e.name_en} for e in DEFAULT_CATALOGUE]


def submitted(fields: list[rulesets.Field]) -> dict[str, str]:
    form: dict[str, str] = {}
    for f in fields:
        if f.kind == "mapping":
            form.update({name: value for name, _code, _label, value in f.entries})
        else:
            form[f.name] = f.value
    return form


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_defaults_round_trip_through_the_form(rule):
    defaults = dict(parse_ruleset({"rules": [{"rule": rule.id}]}).rules[0].params)
    fields = rulesets.param_fields(rule.id, defaults, TYPES)
    assert {f.param for f in fields} == set(rule.params_schema()["properties"])
    params, errors = rulesets.params_from_form(rule.id, submitted(fields))
    assert errors == {}
    validated, errors = rulesets.validate_params(rule.id, params)
    assert errors == {} and validated == defaults


def test_field_kinds_follow_the_schema():
    by_name = {f.param: f for f in rulesets.param_fields("cap_per_period", {}, TYPES)}
    assert by_name["period"].kind == "enum" and [v for v, _ in by_name["period"].options] == ["month", "week"]
    assert by_name["max"].kind == "integer" and by_name["max"].minimum == 1
    mapping = rulesets.param_fields("points_per_activity", {"points": {"DDS": Decimal(2)}}, TYPES)[0]
    assert mapping.kind == "mapping" and len(mapping.entries) == len(TYPES)
    assert ("p.points.DDS", "DDS", TYPES[0]["name"], "2") == mapping.entries[0]


def test_indonesian_messages_per_parameter():
    token = i18n.set_locale("id")
    try:
        params, errors = rulesets.params_from_form(
            "reach_bonus", {"p.step": "0", "p.per": "1,25", "p.max": "x"}
        )
        assert errors == {"p.max": "Isi angka, misalnya 1,5."}
        _validated, errors = rulesets.validate_params("reach_bonus", params)
        assert errors == {"p.step": "Harus bilangan bulat paling sedikit 1."}
        assert params["per"] == Decimal("1.25")
    finally:
        i18n._locale.reset(token)
