"""Scoring benchmark: prints the figures recorded in docs/performance.md ("Scoring engine").

    .venv/bin/python -m bench.scoring.run [--scored-share 0.10] [--repeat 5]

Measured in one process on the same facts: a plain-Python per-team sum (the baseline); a full
evaluation of the default ruleset by the columnar kernels, with the facts' columns already built
(``evaluate`` keeps them for the facts object) and from scratch (building the columns included); the
reference per-team path; building every explanation line; and re-evaluating one team of 2,000
activities. Each figure is the best of ``--repeat`` runs, on the wall clock and in CPU time of this
process (``time.process_time``: steadier when other work shares the machine).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from bench.scoring.gen import generate, single_team
from scoring import default_ruleset, evaluate, evaluate_team, rank
from scoring.columnar import Columns, columns_of
from scoring.engine import evaluate_reference
from scoring.facts import Facts

BASELINE_POINTS = {"DDS": 2, "DETEKSI_DINI": 3, "PROBLEM_SOLVING": 5, "BINLUH": 3, "FKPM": 4}


def baseline(facts: Facts) -> dict[str, int]:
    """A plain-Python per-team sum: points by type of each verified activity, per team."""
    totals = dict.fromkeys((team.code for team in facts.teams), 0)
    points = BASELINE_POINTS.get
    for a in facts.activities:
        if a.status == "verified":
            totals[a.team] += points(a.type, 1)
    return totals


def read_inputs(facts: Facts) -> dict[str, list[tuple[Any, ...]]]:
    """Not a scoring: only reading, per team, the ten fields the default ruleset's rules look at for
    each verified activity. It shows what touching the inputs alone costs in Python."""
    rows: dict[str, list[tuple[Any, ...]]] = {team.code: [] for team in facts.teams}
    get = rows.get
    for a in facts.activities:
        if a.status == "verified" and (team := get(a.team)) is not None:
            team.append(
                (
                    a.occurred_at,
                    a.type,
                    a.senkom_count,
                    a.officer_count,
                    a.residents_reached,
                    a.preemptive,
                    a.judge_scores,
                    a.desa_code,
                    a.cluster,
                    a.id,
                )
            )
    return rows


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(best wall-clock, best CPU) seconds over ``repeat`` runs, and the last result. The cycle
    collector stays on as in production; a collection between runs keeps one run's garbage out of the
    next."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - start)
    return min(walls), min(cpus), result


def fresh(facts: Facts) -> Facts:
    """The same facts in a new object: its columns are not built yet."""
    return Facts(facts.competition, facts.teams, facts.activities, facts.adjustments)


def line(label: str, wall: float, cpu: float, base: tuple[float, float] | None = None) -> str:
    text = f"{label:52s} wall {wall * 1000:8.1f} ms  cpu {cpu * 1000:8.1f} ms"
    if base is not None:
        text += f"  ratio {wall / base[0]:5.2f}x wall, {cpu / base[1]:5.2f}x cpu"
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scored-share", type=float, default=0.10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--team-order", action="store_true", help="activities grouped by team")
    parser.add_argument("--no-lines", action="store_true", help="skip building every explanation line")
    args = parser.parse_args()

    start = time.perf_counter()
    facts = generate(scored_share=args.scored_share, team_order=args.team_order)
    order = "grouped by team" if args.team_order else "in random team order"
    print(
        f"generated {len(facts.teams)} teams, {len(facts.activities):,} activities {order} "
        f"({args.scored_share:.0%} with rubric scores) in {time.perf_counter() - start:.1f} s"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    ruleset = default_ruleset()

    base_wall, base_cpu, _ = timed(lambda: baseline(facts), args.repeat)
    base = (base_wall, base_cpu)
    read_wall, read_cpu, _ = timed(lambda: read_inputs(facts), args.repeat)
    build_wall, build_cpu, _ = timed(lambda: Columns(facts), max(args.repeat // 2, 1))
    cold_wall, cold_cpu, _ = timed(lambda: evaluate(ruleset, fresh(facts)), max(args.repeat // 2, 1))
    columns_of(facts)
    evaluate(ruleset, facts)  # the first evaluation also computes each scored activity's q, once
    warm_wall, warm_cpu, standings = timed(lambda: evaluate(ruleset, facts), args.repeat)
    ref_wall, ref_cpu, reference = timed(lambda: evaluate_reference(ruleset, facts), max(args.repeat // 2, 1))
    assert [(r.team, r.rank, r.score) for r in standings.rows] == [
        (r.team, r.rank, r.score) for r in reference.rows
    ], "the columnar kernels disagree with the reference path"
    base2_wall, base2_cpu, _ = timed(lambda: baseline(facts), args.repeat)
    base = (min(base_wall, base2_wall), min(base_cpu, base2_cpu))
    lines_wall, lines_cpu, count = 0.0, 0.0, 0
    ref_lines_wall, ref_lines_cpu = 0.0, 0.0
    if not args.no_lines:
        lines_wall, lines_cpu, count = timed(
            lambda: sum(len(row.lines) for row in evaluate(ruleset, fresh(facts)).rows), 1
        )
        ref_lines_wall, ref_lines_cpu, _ = timed(
            lambda: sum(len(row.lines) for row in evaluate_reference(ruleset, facts).rows), 1
        )
    code, alone = single_team(facts)
    team_wall, team_cpu, result = timed(lambda: evaluate_team(ruleset, alone, code), args.repeat * 20)
    scan_wall, scan_cpu, _ = timed(lambda: evaluate_team(ruleset, facts, code), args.repeat)
    rows = [result if row.team == code else row for row in standings.rows]
    rerank_wall, rerank_cpu, reranked = timed(lambda: rank(rows, ruleset.tie_break), args.repeat * 20)
    assert reranked.rows == standings.rows, "incremental result differs from the full evaluation"

    print(line("baseline per-team sum", *base))
    print(line("reading the inputs only (no scoring)", read_wall, read_cpu, base))
    print(line("evaluate(default_ruleset), columns built", warm_wall, warm_cpu, base))
    print(line("building the columns (once per facts object)", build_wall, build_cpu, base))
    print(line("evaluate from scratch (columns included)", cold_wall, cold_cpu, base))
    print(line("evaluate_reference (per-team path)", ref_wall, ref_cpu, base))
    if count:
        print(line(f"evaluate from scratch + all {count:,} lines", lines_wall, lines_cpu))
        print(line("evaluate_reference + all lines", ref_lines_wall, ref_lines_cpu))
    print(line(f"evaluate_team, {len(alone.activities):,} activities", team_wall, team_cpu))
    print(line("evaluate_team scanning all facts", scan_wall, scan_cpu))
    print(line("rank() after replacing one team", rerank_wall, rerank_cpu))


if __name__ == "__main__":
    main()
