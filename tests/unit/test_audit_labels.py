"""The audit trail's readable difference: a published ruleset reads as rule titles and parameters."""

from __future__ import annotations

from app.audit.labels import difference


def test_a_ruleset_reads_as_rule_titles_with_their_parameters() -> None:
    before = {"version": 1, "rules": [{"rule": "joint_only", "params": {"min_officers": 1}}]}
    after = {
        "version": 2,
        "rules": [
            {"rule": "joint_only", "params": {"min_officers": 2}},
            {"rule": "not_registered", "params": {}},
        ],
    }
    changes = {c.field: c for c in difference(before, after)}
    rules = changes["Aturan"]
    assert rules.before == "Hanya kegiatan bersama (min_officers 1)"
    # An unknown (uninstalled plugin) rule keeps its id rather than failing the page.
    assert rules.after == "Hanya kegiatan bersama (min_officers 2); not_registered"
    assert "{" not in (rules.before or "") + (rules.after or "")
