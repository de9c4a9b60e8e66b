"""The rule reference in Markdown, generated from the registry (the docs and the organisers' page
never write a rule's documentation twice)."""

from __future__ import annotations

from collections.abc import Iterable

from scoring.registry import all_rules
from scoring.rules.base import Rule

__all__ = ["rules_reference"]

_KIND = {
    "eligibility": ("kelayakan", "eligibility"),
    "activity": ("per kegiatan", "per activity"),
    "team": ("per tim", "per team"),
}


def rules_reference(rules: Iterable[Rule] | None = None) -> str:
    """Markdown for every rule: id, titles, kind, whether it has a columnar kernel, the module that holds
    it, and its documentation in Indonesian and English."""
    parts: list[str] = []
    for rule in all_rules() if rules is None else rules:
        kind_id, kind_en = _KIND.get(rule.kind, (rule.kind, rule.kind))
        parts.append(
            f"### `{rule.id}` — {rule.title['id']} / {rule.title['en']}\n\n"
            f"Jenis / kind: {kind_id} / {kind_en}. "
            f"Lokal tim / team-local: {'ya / yes' if rule.team_local else 'tidak / no'}. "
            f"Jalur cepat / fast path: {'ya / yes' if rule.has_kernel() else 'tidak / no'}. "
            f"Modul / module: `{type(rule).__module__}`.\n\n"
            f"#### Bahasa Indonesia\n\n{rule.doc['id'].strip()}\n\n"
            f"#### English\n\n{rule.doc['en'].strip()}\n"
        )
    return "\n".join(parts)
