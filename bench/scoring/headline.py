"""The scoring benchmark's headline figures alone, in a few seconds: for comparing two checkouts on a
busy machine by running this in each, alternating, many times (see docs/performance.md).

    .venv/bin/python -m bench.scoring.headline [--team-order]

Prints one line of CPU times (``time.process_time``): the plain per-team sum (the baseline, the best
of 15 over the table and the structs), ``evaluate(default_ruleset)`` from scratch (best of 7) and
again on the same facts (best of 21), and ``evaluate_team`` of the 2,000-activity team from a table
(best of 100).
"""

from __future__ import annotations

import argparse

from bench.scoring.gen import generate, single_team
from bench.scoring.run import baseline, baseline_structs, fresh, timed
from scoring import default_ruleset, evaluate, evaluate_team
from scoring.facts import Facts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--team-order", action="store_true", help="rows in the loader's order")
    args = parser.parse_args()
    facts = generate(team_order=args.team_order)
    structs = Facts(facts.competition, facts.teams, tuple(facts.activities), facts.adjustments)
    ruleset = default_ruleset()
    base = [timed(lambda: baseline(facts.activities), 5)[1], timed(lambda: baseline_structs(structs), 5)[1]]
    cold = timed(lambda: evaluate(ruleset, fresh(facts)), 7)[1]
    base.append(timed(lambda: baseline(facts.activities), 5)[1])
    evaluate(ruleset, facts)
    warm = timed(lambda: evaluate(ruleset, facts), 21)[1]
    code, alone = single_team(facts)
    team = timed(lambda: evaluate_team(ruleset, alone, code), 100)[1]
    best = min(base)
    print(
        f"{'loader order' if args.team_order else 'random order'}: baseline {best * 1000:.1f} ms, "
        f"from scratch {cold * 1000:.1f} ms ({cold / best:.2f}x), again {warm * 1000:.1f} ms "
        f"({warm / best:.2f}x), evaluate_team {team * 1000:.2f} ms (CPU)"
    )


if __name__ == "__main__":
    main()
