"""The contexts depend on each other in one direction (docs/architecture.md, "Layers").

Every module of app/ and scoring/ is parsed (nothing is imported) and its imports of app/scoring modules are
mapped to contexts. A context may import itself and the contexts below it; a lower context that needs a
higher one to act emits a domain event (app/events.py) that app/subscribers.py wires. The test fails when a
lower context imports a higher one, when an import circle spans two contexts, and when an import inside a
function reaches another context without an entry in ALLOWED_LOCAL saying why (such imports hide a
dependency from the reader and from this test's first check).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first: a context may import the contexts before it, never one after it.
LAYERS = (
    "scoring",  # the pure scoring library: imports nothing of app/
    "base",  # settings, database, tables, translations, errors, events, the shared helpers below
    "audit",
    "accounts",
    "competitions",
    "activities",
    "judging",
    "leaderboard",
    "webhooks",  # tells other systems: reads every lower context's events, asks the board policy
    "organiser",  # the organisers' console: a door
    "api",  # the JSON API: a door
    "site",  # the home page and brand pages: a door
    "subscribers",  # wires the reactions of higher contexts to the events of lower ones
    "backup",  # backup and restore: a tool
    "demo",  # the demo season: a tool that seeds through every context
    "main",  # the application
    "cli",  # the command line
)

# Modules directly under app/ that are not a context of their own.
BASE = {
    "brand",
    "db",
    "errors",
    "events",
    "i18n",
    "inputs",
    "observability",
    "piccolo_app",
    "piccolo_conf",
    "ratelimit",
    "regions",
    "security",
    "settings",
    "spreadsheet",
    "standings",
    "tables",
    "web",
}
TOOLS = {"demo_photos": "demo"}

# Function-local imports of another context that are allowed, by importing module, with the reason.
ALLOWED_LOCAL = {
    "app.cli": "the command line imports the application only once the command and its settings are known: "
    "Piccolo binds the database engine when app.tables is imported, and `sinergi --help` stays fast",
}


def context_of(module: str) -> str | None:
    """The context of a dotted module name of app/ or scoring/; None for anything else (libraries)."""
    parts = module.split(".")
    if parts[0] == "scoring":
        return "scoring"
    if parts[0] != "app":
        return None
    if len(parts) == 1:
        return "base"
    name = parts[1]
    if name in BASE:
        return "base"
    if name in TOOLS:
        return TOOLS[name]
    return name


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or package)
    where: str  # file:line
    local: bool  # inside a function


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[Import]:
    source = module_name(path, root)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            where = f"{path.relative_to(root)}:{getattr(child, 'lineno', 0)}"
            if isinstance(child, ast.Import):
                found.extend(Import(source, a.name, where, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from app import regions` imports the module app.regions.
                targets = [f"{base}.{a.name}" for a in child.names] if base in ("app", "scoring") else [base]
                found.extend(Import(source, t, where, in_function) for t in targets)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def all_imports(root: Path = ROOT) -> list[Import]:
    files = sorted([*(root / "app").rglob("*.py"), *(root / "scoring").rglob("*.py")])
    return [i for f in files for i in imports_of(f, root)]


def cross_context(imports: list[Import]) -> list[tuple[str, str, Import]]:
    result = []
    for i in imports:
        a, b = context_of(i.source), context_of(i.target)
        if a is not None and b is not None and a != b:
            result.append((a, b, i))
    return result


def upward(imports: list[Import]) -> list[str]:
    unknown = sorted({c for a, b, _ in cross_context(imports) for c in (a, b) if c not in LAYERS})
    assert not unknown, f"modules of no declared layer (add them to LAYERS or BASE): {unknown}"
    return [
        f"{i.where}: {a} imports {i.target} ({b} is above {a})"
        for a, b, i in cross_context(imports)
        if LAYERS.index(a) < LAYERS.index(b)
    ]


def circles(imports: list[Import]) -> list[str]:
    """Pairs of contexts that reach each other through imports (each such pair lies on a circle)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in cross_context(imports):
        graph[a].add(b)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {c: reach(c) for c in list(graph)}
    return sorted(f"{a} <-> {b}" for a in reached for b in reached[a] if a < b and a in reached.get(b, set()))


def hidden(imports: list[Import]) -> list[str]:
    return [
        f"{i.where}: {i.target} imported inside a function ({a} -> {b})"
        for a, b, i in cross_context(imports)
        if i.local and i.source not in ALLOWED_LOCAL
    ]


def test_no_context_imports_a_higher_one() -> None:
    assert upward(all_imports()) == []


def test_no_import_circle_spans_two_contexts() -> None:
    assert circles(all_imports()) == []


def test_no_function_local_import_hides_another_context() -> None:
    assert hidden(all_imports()) == []


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The three checks find an upward import, a circle and a hidden import in a made-up tree."""
    (tmp_path / "app" / "judging").mkdir(parents=True)
    (tmp_path / "app" / "leaderboard").mkdir()
    (tmp_path / "scoring").mkdir()
    (tmp_path / "app" / "judging" / "reviews.py").write_text(
        "from app.leaderboard import services\n\n\ndef f():\n    from app.leaderboard.live import announce\n"
    )
    (tmp_path / "app" / "leaderboard" / "services.py").write_text("from app.judging import reviews\n")
    found = all_imports(tmp_path)
    assert upward(found) == [
        "app/judging/reviews.py:1: judging imports app.leaderboard (leaderboard is above judging)",
        "app/judging/reviews.py:5: judging imports app.leaderboard.live (leaderboard is above judging)",
    ]
    assert circles(found) == ["judging <-> leaderboard"]
    assert hidden(found) == [
        "app/judging/reviews.py:5: app.leaderboard.live imported inside a function (judging -> leaderboard)"
    ]
