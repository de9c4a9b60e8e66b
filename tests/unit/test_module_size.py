"""One home for each job: no module of app/ or scoring/ grows past MAX_LINES unless its opening docstring
says why ("... is long because ...")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600


def oversized(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted([*(root / "app").rglob("*.py"), *(root / "scoring").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        if lines <= MAX_LINES:
            continue
        reason = ast.get_docstring(ast.parse(text)) or ""
        if "is long because" not in reason:
            found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_module_is_long_without_a_reason() -> None:
    assert oversized() == []


def test_a_long_module_is_found_and_its_reason_heard(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "scoring").mkdir()
    body = "x = 1\n" * MAX_LINES
    (tmp_path / "app" / "big.py").write_text('"""Many jobs."""\n' + body)
    (tmp_path / "scoring" / "table.py").write_text('"""A table: it is long because it is data."""\n' + body)
    assert oversized(tmp_path) == [f"app/big.py: {MAX_LINES + 2} lines"]
