"""Scoring benchmark: prints the figures recorded in docs/performance.md ("Scoring engine").

    .venv/bin/python -m bench.scoring.run [--scored-share 0.10] [--repeat 5]

Measured in one process on the same facts: a plain-Python per-team sum (the baseline), a full
evaluation of the default ruleset, building every explanation line, and re-evaluating one team of
2,000 activities.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable
from statistics import median
from typing import Any

from bench.scoring.gen import generate, single_team
from scoring import default_ruleset, evaluate, evaluate_team, rank
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
    """(best, median) seconds over ``repeat`` runs, and the last result. The cycle collector stays on
    as in production; a collection between runs keeps one run's garbage out of the next."""
    times = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), median(times), result


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

    base_best, base_median, _ = timed(lambda: baseline(facts), args.repeat)
    read_best, _, _ = timed(lambda: read_inputs(facts), args.repeat)
    full_best, full_median, standings = timed(lambda: evaluate(ruleset, facts), args.repeat)
    lines_best, count = 0.0, 0
    if not args.no_lines:
        lines_best, _, count = timed(lambda: sum(len(row.lines) for row in evaluate(ruleset, facts).rows), 1)
    code, alone = single_team(facts)
    team_best, team_median, result = timed(lambda: evaluate_team(ruleset, alone, code), args.repeat * 20)
    scan_best, _, _ = timed(lambda: evaluate_team(ruleset, facts, code), args.repeat)
    rows = [result if row.team == code else row for row in standings.rows]
    rerank_best, _, reranked = timed(lambda: rank(rows, ruleset.tie_break), args.repeat * 20)
    assert reranked.rows == standings.rows, "incremental result differs from the full evaluation"

    print(f"baseline per-team sum      best {base_best * 1000:8.1f} ms  median {base_median * 1000:8.1f} ms")
    print(
        f"evaluate(default_ruleset)  best {full_best * 1000:8.1f} ms  median {full_median * 1000:8.1f} ms"
        f"  ratio {full_best / base_best:.2f}x (medians {full_median / base_median:.2f}x)"
    )
    print(f"reading the inputs only     best {read_best * 1000:8.1f} ms  ratio {read_best / base_best:.2f}x")
    if count:
        print(f"evaluate + build all {count:,} lines {lines_best * 1000:8.1f} ms")
    print(
        f"evaluate_team, {len(alone.activities):,} activities   best {team_best * 1000:8.2f} ms  "
        f"median {team_median * 1000:8.2f} ms"
    )
    print(f"evaluate_team scanning all facts best {scan_best * 1000:8.1f} ms")
    print(f"rank() after replacing one team  best {rerank_best * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
