"""docs/scoring.md carries the rule reference generated from the registry, never a hand-written copy."""

from __future__ import annotations

import os
from pathlib import Path

from scoring.docs import rules_reference
from scoring.rules import BUILTIN_RULES

DOC = Path(__file__).resolve().parents[3] / "docs" / "scoring.md"
START, END = "<!-- rules:start -->\n", "<!-- rules:end -->\n"


def test_the_rule_reference_in_the_docs_is_generated() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    expected = f"{head}{START}{rules_reference(BUILTIN_RULES)}{END}{tail}"
    if os.environ.get("SINERGI_WRITE_DOCS") == "1" and text != expected:
        DOC.write_text(expected, encoding="utf-8")
        return
    assert text == expected, "docs/scoring.md is out of date: run this test with SINERGI_WRITE_DOCS=1"
