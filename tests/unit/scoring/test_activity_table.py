"""Activities as columns (scoring.facts.ActivityTable): the same facts as a tuple of Activity structs,
read by the columnar kernels without a Python object per activity. Whatever the form of the facts,
the standings are the reference engine's, to the last digit and the last explanation line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring_factories import COMPETITION, RUBRIC, act, at
from scoring_factories import facts as build_facts
from scoring_strategies import facts, periods, views
from test_columnar import PROPERTY, assert_same, crowded_facts, fast, kernel_rulesets, reference

from scoring import Competition, Criterion, Facts, JudgeScore, default_ruleset, evaluate, evaluate_team
from scoring.arrays import in_order, radix_order
from scoring.columnar import Columns
from scoring.engine import evaluate_reference
from scoring.facts import Activity, ActivityTable, encode, microseconds


def as_table(data: Facts, competition: Competition | None = None) -> Facts:
    return Facts(
        competition or data.competition,
        data.teams,
        ActivityTable.from_activities(data.activities),
        data.adjustments,
    )


@PROPERTY
@given(facts(), st.randoms(use_true_random=False))
def test_a_table_reads_back_as_the_same_activities(data: Facts, rnd: Any) -> None:
    table = ActivityTable.from_activities(data.activities)
    assert len(table) == len(data.activities)
    assert list(table) == list(data.activities)  # times compare as instants (the table gives UTC)
    assert all(a.occurred_at.tzinfo is UTC for a in table)
    if data.activities:
        i = rnd.randrange(len(table))
        assert table[i] == data.activities[i] and table[i - len(table)] == data.activities[i]
        assert table[1:3] == list(data.activities[1:3])
        assert table.moment(i) == data.activities[i].occurred_at
        rows = rnd.sample(range(len(table)), rnd.randint(0, len(table)))
        assert list(table.take(rows)) == [data.activities[r] for r in rows]
        code = data.activities[i].team
        assert list(table.of_team(code)) == [a for a in data.activities if a.team == code]
        moment = data.activities[i].occurred_at
        assert list(table.before(moment)) == [a for a in data.activities if a.occurred_at < moment]


@PROPERTY
@given(facts() | crowded_facts(), kernel_rulesets(), periods, views)
def test_the_kernels_read_a_table_like_the_structs(data: Facts, ruleset: Any, period: str, view: str) -> None:
    expected = reference(ruleset, data, period, view)
    table = as_table(data)
    assert_same(fast(ruleset, table, period, view), expected)
    assert_same(evaluate_reference(ruleset, table, *_period(period), view), expected)


@PROPERTY
@given(crowded_facts(), kernel_rulesets(), st.randoms(use_true_random=False))
def test_a_table_in_any_row_order_gives_the_same_standings(data: Facts, ruleset: Any, rnd: Any) -> None:
    table = ActivityTable.from_activities(data.activities)
    rows = list(range(len(table)))
    rnd.shuffle(rows)
    shuffled = Facts(data.competition, data.teams, table.take(rows), data.adjustments)
    assert_same(fast(ruleset, shuffled), reference(ruleset, data))


@PROPERTY
@given(crowded_facts(), kernel_rulesets(), periods)
def test_a_table_in_a_zone_whose_days_change_length(data: Facts, ruleset: Any, period: str) -> None:
    # Europe/Amsterdam moves its clocks on 31 March 2024: not every local day lasts 24 hours, so days
    # are found by bisecting the local midnights.
    competition = Competition(date(2024, 2, 12), date(2024, 3, 31), "Europe/Amsterdam", RUBRIC)
    structs = Facts(competition, data.teams, data.activities, data.adjustments)
    assert not Columns(structs).calendar.uniform
    assert_same(fast(ruleset, as_table(structs), period), reference(ruleset, structs, period))


def _period(period: str) -> tuple[Any]:
    from scoring import parse_period

    return (None if period == "season" else parse_period(period),)


def test_judges_q_from_the_table_columns_equals_the_per_activity_computation() -> None:
    # Mean, median and trimmed mean over 1 to 5 judges, with unknown criteria, repeats, clamped
    # scores, a judge with no usable score and activities without any.
    scores = [
        (JudgeScore("A", (("kemitraan", Decimal(70)), ("dampak", Decimal("7.5")))),),
        (
            JudgeScore("A", (("kemitraan", Decimal(110)),)),
            JudgeScore("B", (("unknown", Decimal(3)),)),
            JudgeScore("C", (("dampak", Decimal(-2)), ("dampak", Decimal(4)))),
        ),
        tuple(JudgeScore(j, (("kemitraan", Decimal(k * 17)),)) for k, j in enumerate("ABCD")),
        tuple(JudgeScore(j, (("dampak", Decimal(k * 2 + 1)),)) for k, j in enumerate("ABCDE")),
        (),
        (JudgeScore("A", ()),),
    ]
    structs = build_facts(*[act(i + 1, judges=s, when=at(13 + i)) for i, s in enumerate(scores)])
    table = as_table(structs)
    for method in ("mean", "median", "trimmed_mean"):
        for trim in (0, 1, 2):
            positions = np.flatnonzero(Columns(structs).flags("judge_scores")).astype(np.int64)
            assert positions.tolist() == [0, 1, 2, 3, 5]
            from_table = Columns(table).qualities(positions, method, trim)
            one_by_one = Columns(structs).qualities(positions, method, trim)
            assert from_table.tolist() == one_by_one.tolist(), (method, trim)
    assert Columns(table).quality == {}  # nothing computed before it is asked for


def test_weights_beyond_int64_compute_q_one_activity_at_a_time() -> None:
    heavy = (Criterion("kemitraan", Decimal(70_000), Decimal(0), Decimal(100)),)
    competition = Competition(COMPETITION.starts_on, COMPETITION.ends_on, COMPETITION.timezone, heavy)
    scores = (JudgeScore("A", (("kemitraan", Decimal(33)),)), JudgeScore("B", (("kemitraan", Decimal(90)),)))
    structs = build_facts(act(1, judges=scores), act(2, judges=scores[:1], when=at(14)))
    structs = Facts(competition, structs.teams, structs.activities)
    ruleset = default_ruleset()
    assert_same(fast(ruleset, as_table(structs)), reference(ruleset, structs))


def test_evaluate_and_evaluate_team_accept_a_table() -> None:
    from bench.scoring.gen import generate, single_team

    data = generate(teams=12, activities=12_000, seed=7)
    assert isinstance(data.activities, ActivityTable)
    structs = Facts(data.competition, data.teams, tuple(data.activities), data.adjustments)
    ruleset = default_ruleset()
    assert_same(evaluate(ruleset, data), reference(ruleset, structs))
    code, alone = single_team(data)
    assert evaluate_team(ruleset, alone, code).lines == evaluate(ruleset, structs).row(code).lines


def test_rows_in_loader_order_are_recognised_and_others_sorted() -> None:
    owner = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    assert in_order(owner, np.array([1, 2, 2, 0, 5]), np.array([9, 3, 4, 1, 2]))
    assert not in_order(owner, np.array([1, 2, 2, 0, 5]), np.array([9, 4, 3, 1, 2]))  # tie, ids down
    assert not in_order(owner, np.array([3, 2, 2, 0, 5]), np.array([1, 3, 4, 1, 2]))
    assert not in_order(owner[::-1].copy(), np.arange(5), np.arange(5))


def test_a_table_refuses_inconsistent_columns() -> None:
    base: dict[str, Any] = {
        "id": [1, 2],
        "team": ([0, 0], ["35.01"]),
        "type": ([0, 0], ["DDS"]),
        "cluster": ([0, 0], ["kamtibmas"]),
        "occurred_at": [microseconds(at(13)), microseconds(at(14))],
        "desa_code": ([-1, 0], ["d1"]),
        "senkom_count": [1, 2],
        "officer_count": [1, 1],
        "residents_reached": [10, 20],
        "preemptive": [True, False],
        "status": ([0, 0], ["verified"]),
    }
    assert len(ActivityTable(**base)) == 2
    bad = [
        {"senkom_count": [1]},  # too short
        {"team": ([0, 1], ["35.01"])},  # a code without a name
        {"type": ([-2, 0], ["DDS"])},  # -1 is the only code without a name
        {"cluster": ([0, 1], ["bencana", "bencana"])},  # names repeat
        {"residents_reached": [1, 2**70]},  # beyond int64
        {"residents_reached": np.array([1, 2**63 + 5], dtype=np.uint64)},  # beyond int64, unsigned
        {"residents_reached": [1.5, 2.0]},  # not integers
        {"senkom_count": ["1", "2"]},  # text
        {"preemptive": [0.5, 1.0]},  # not booleans
        {"occurred_at": [0, 2**62]},  # no such datetime
        {"judge_scores": {5: (JudgeScore("A", ()),)}},  # no such row
        {"officer_confirmed": [True]},  # too short
        {"officer_confirmed": [0.5, 1.0]},  # not booleans
    ]
    for change in bad:
        with pytest.raises(ValueError):
            ActivityTable(**{**base, **change})
    frozen = ActivityTable(**{**base, "judge_scores": {0: (JudgeScore("A", ()),)}})
    with pytest.raises(ValueError):
        frozen.senkom_count[0] = 5  # read-only, like the facts
    with pytest.raises(AttributeError):
        frozen.senkom_count = np.array([5, 5])
    with pytest.raises(TypeError):
        frozen.judge_scores[1] = (JudgeScore("B", ()),)  # type: ignore[index]
    with pytest.raises(AttributeError):
        frozen.take([0]).id = np.array([9])


def test_rows_without_a_team_or_a_type_count_as_the_structs_do() -> None:
    # The app's join gives None for a missing team or type; a table codes None as -1 in any column.
    structs = build_facts(
        act(1, when=at(13)),
        act(2, team=None, when=at(14)),  # type: ignore[arg-type]
        act(3, type=None, cluster=None, when=at(15)),  # type: ignore[arg-type]
        act(4, desa=None, when=at(16)),
    )
    table = as_table(structs)
    assert isinstance(table.activities, ActivityTable)
    assert list(table.activities) == list(structs.activities)
    ruleset = default_ruleset()
    assert_same(fast(ruleset, table), reference(ruleset, structs))
    assert_same(evaluate(ruleset, table), reference(ruleset, structs))


def test_encode_codes_in_order_of_first_appearance() -> None:
    assert encode(["b", None, "a", "b"]) == ([0, -1, 1, 0], ("b", "a"))
    assert encode([]) == ([], ())
    moment = datetime(2024, 2, 12, 7, 30, tzinfo=UTC) + timedelta(microseconds=5)
    assert microseconds(moment) == 1_707_723_000_000_005


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.integers(0, 600),
            # any microsecond (wide enough for owner and time to need two keys), or whole minutes
            st.integers(-(2**59), 2**59) | st.integers(-(10**6), 10**6).map(lambda m: m * 60_000_000),
            st.integers(-(2**63), 2**63 - 1),  # any id: steps between them must not wrap around
        ),
        max_size=60,
    ),
    st.booleans(),
)
def test_the_radix_order_is_lexsort(keys: list[tuple[int, int, int]], ascending_ids: bool) -> None:
    owner, instant, ids = (np.array([key[k] for key in keys], dtype=np.int64) for k in range(3))
    if ascending_ids:
        ids = np.arange(len(owner), dtype=np.int64) * 3 - 7
    assert in_order(owner, instant, ids) == (
        radix_order(owner, instant, ids).tolist() == list(range(len(owner)))
        and len(set(zip(owner.tolist(), instant.tolist(), ids.tolist(), strict=True))) == len(owner)
    )
    assert radix_order(owner, instant, ids).tolist() == np.lexsort((ids, instant, owner)).tolist()


def test_the_officer_confirmation_is_a_column_that_defaults_to_unconfirmed() -> None:
    confirmed, unconfirmed = act(1, confirmed=True), act(2, when=at(14))
    table = ActivityTable.from_activities((confirmed, unconfirmed))
    assert table.officer_confirmed.tolist() == [True, False]
    assert [a.officer_confirmed for a in table] == [True, False]
    assert table.take([1, 0]).officer_confirmed.tolist() == [False, True]
    assert table.of_team(confirmed.team)[0] == confirmed
    with pytest.raises(ValueError):
        table.officer_confirmed[0] = False  # read-only, like the other columns
    # A loader that does not read the column (an older one, a plug-in's) gets unconfirmed activities.
    fields = {
        name: [getattr(a, name) for a in (confirmed, unconfirmed)] for name in Activity.__struct_fields__
    }
    del fields["officer_confirmed"], fields["judge_scores"]
    assert ActivityTable.from_values(fields).officer_confirmed.tolist() == [False, False]
    assert Activity(**{**fields_of(confirmed), "officer_confirmed": False}) == act(1)


def fields_of(activity: Activity) -> dict[str, Any]:
    return {name: getattr(activity, name) for name in Activity.__struct_fields__}
