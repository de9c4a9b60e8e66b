"""Leaderboard views on a hand-computed season: periods (ISO weeks from Monday, months, the season),
clusters and types, shared ranks, movement arrows; and nothing after a freeze reaching the public."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.db import write_transaction
from app.leaderboard import live, periods, views
from app.leaderboard.services import recompute
from app.tables import Activity, ActivityType
from tests.integration.conftest import PASSWORD
from tests.integration.test_judge import submit

A, B = "35.78", "35.07"  # Kota Surabaya, Kabupaten Malang


def _weekday(day: date, weekday: int) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(days=weekday)


async def _verified(season: Any, team: str, day: date, n: int = 1) -> None:
    dds = await ActivityType.select(ActivityType.id).where(ActivityType.code == "DDS").first()
    for i in range(n):
        await Activity.insert(
            Activity(
                competition=season.competition.id,
                team=season.team_ids[team],
                activity_type=dds["id"],
                # 10:00 WIB on that day
                occurred_at=datetime(day.year, day.month, day.day, 3, i, tzinfo=UTC),
                village_code=f"{team}.01.1001" if team == A else f"{team}.01.2001",
                title=f"Kegiatan {team} {day} {i}",
                senkom_count=2,
                officer_count=1,
                residents_reached=40,
                preemptive=True,
                status="verified",
            )
        )


def _rows(html: str) -> list[tuple[str, int, str]]:
    """(team, rank, movement) of every row."""
    return [
        (team, int(rank), move)
        for team, rank, move in re.findall(
            r'data-testid="board-row" data-team="([\d.]+)" data-rank="(\d+)">.*?data-move="(-?\d*)"',
            html,
            re.S,
        )
    ]


@pytest.fixture
async def weeks(season: Any) -> tuple[date, date]:
    """A: 2 activities in week 1; B: 1 in week 1 and 3 in week 2 (both weeks before this one)."""
    today = datetime.now(UTC).date()
    week1 = _weekday(today - timedelta(days=21), 2)  # a Wednesday three weeks ago
    week2 = week1 + timedelta(days=7)
    async with write_transaction():
        await _verified(season, A, week1, 2)
        await _verified(season, B, week1, 1)
        await _verified(season, B, week2, 3)
        await recompute(season.competition)
    return week1, week2


def _label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"week:{year:04d}-W{week:02d}"


async def test_week_views_rank_share_and_move(weeks, browser_factory):
    week1, week2 = weeks
    public = await browser_factory()
    first = _rows((await public.get(f"/papan/baris?periode={_label(week1)}")).text)
    assert first[0][:2] == (A, 1) and first[1][:2] == (B, 2)
    assert {rank for _, rank, _ in first[2:]} == {3} and len(first) == 38
    second_html = (await public.get(f"/papan/baris?periode={_label(week2)}")).text
    second = dict((team, (rank, move)) for team, rank, move in _rows(second_html))
    # Week 2: B alone scores (1st, was 2nd: ▲1); A drops to the shared 2nd place (was 1st: ▼1);
    # the 36 others move from the shared 3rd to the shared 2nd (▲1).
    assert second[B] == (1, "1") and second[A] == (2, "-1") and second["35.01"] == (2, "1")
    assert "▲1" in second_html and "▼1" in second_html
    assert second_html.count('class="tie"') == 37


async def test_season_month_cluster_and_type_views(weeks, browser_factory):
    week1, _ = weeks
    public = await browser_factory()
    season_rows = _rows((await public.get("/papan/baris")).text)
    assert [r[:2] for r in season_rows[:2]] == [(B, 1), (A, 2)] and season_rows[2][1] == 3
    # Stored standings: the week's baseline was taken before this week's first change, when every team
    # shared the first place: no arrows against that.
    assert {m for _, _, m in season_rows} == {""}
    for view in ("cluster:kamtibmas", "type:DDS"):
        rows = _rows((await public.get(f"/papan/baris?tampilan={view}")).text)
        assert [r[:2] for r in rows[:2]] == [(B, 1), (A, 2)], view
    empty = _rows((await public.get("/papan/baris?tampilan=cluster:bencana")).text)
    assert {rank for _, rank, _ in empty} == {1}
    month = f"month:{week1.year:04d}-{week1.month:02d}"
    assert _rows((await public.get(f"/papan/baris?periode={month}")).text)
    page = (await public.get(f"/?tampilan=type:DDS&periode={_label(week1)}")).text
    assert 'data-view="type:DDS"' in page and 'value="type:DDS" selected' in page
    for bad in ("tampilan=cluster:x", "tampilan=type:NOPE", "periode=week:2024-W99", "periode=kemarin"):
        response = await public.get(f"/papan/baris?{bad}")
        assert response.status_code == 400, bad
        assert (await public.get(f"/?{bad}")).status_code == 400


async def test_scores_are_shown_in_indonesian_format(weeks, browser_factory):
    html = (await (await browser_factory()).get("/papan/baris")).text
    score = re.search(r'data-testid="score">([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*(,\d+)?", score), score


async def test_fragment_bytes_are_cached_per_version_and_gzipped(app, weeks, browser_factory):
    public = await browser_factory()
    one = await public.get("/papan/baris", headers={"accept-encoding": "gzip"})
    assert one.headers["content-encoding"] == "gzip"
    key = next(
        k
        for k in app.state["board_caches"].fragments.entries
        if k[1] == "overall" and k[3] == views.PUBLIC and k[4] > 1
    )
    cached = app.state["board_caches"].fragments.entries[key]
    two = await public.get("/papan/baris", headers={"accept-encoding": "gzip"})
    assert two.text == one.text and app.state["board_caches"].fragments.entries[key] is cached


class _Recorder:
    def __init__(self) -> None:
        self.published: list[tuple[str, list[str]]] = []

    def publish(self, data: Any, channels: list[str]) -> None:
        self.published.append((data, list(channels)))


async def test_a_commit_announces_the_new_version(season, browser_factory, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(live, "_started", [recorder])
    activity_id = await submit(browser_factory)
    assert recorder.published == []  # submitting does not change the standings
    judge = await browser_factory("juri.mlg")
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    state = await views.competition_state(season.competition.id)
    cid = season.competition.id
    assert recorder.published == [
        (str(state.version), [live.channel(cid, "staff")]),
        (str(state.version), [live.channel(cid, "public")]),
    ]


async def test_a_rolled_back_transaction_announces_nothing(season, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(live, "_started", [recorder])
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await recompute(season.competition)
            raise RuntimeError("undo")
    assert recorder.published == []


async def test_nothing_after_the_freeze_reaches_the_public(season, browser_factory, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(live, "_started", [recorder])
    organiser = await browser_factory("panitia")
    public = await browser_factory()
    participant = await browser_factory("peserta.mlg")
    judge = await browser_factory("juri.mlg")
    form = await organiser.get("/panitia/beku")
    assert 'data-testid="freeze"' in form.text
    assert (await public.get("/panitia/beku")).status_code in (302, 303, 401)
    assert (await participant.post("/panitia/beku", data={"action": "freeze"})).status_code == 403
    before = int(re.search(r'data-version="(\d+)"', (await public.get("/")).text).group(1))
    response = await organiser.post("/panitia/beku", data={"action": "freeze"})
    assert response.status_code in (302, 303)
    # The freeze is a version of its own: open public pages re-fetch and show the notice.
    assert (await public.get(f"/papan/baris?versi={before}")).status_code == 200
    frozen_version = before + 1
    assert 'data-testid="unfreeze"' in (await organiser.get("/panitia/beku")).text
    cid = season.competition.id
    # The freeze itself reaches the public channel at once, with the frozen version.
    assert (str(frozen_version), [live.channel(cid, "public")]) in recorder.published
    recorder.published.clear()

    activity_id = await submit(browser_factory)
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    # SSE: only the staff channel hears of the new version.
    assert recorder.published and all(ch == [live.channel(cid, "staff")] for _, ch in recorder.published)

    for viewer in (public, participant):
        page = (await viewer.get("/")).text
        assert "Papan peringkat dibekukan" in page and 'data-testid="frozen-notice"' in page
        assert f'data-version="{frozen_version}"' in page
        assert re.findall(r'data-testid="rank">(\d+)', page) == ["1"] * 38
        assert (await viewer.get(f"/papan/baris?versi={frozen_version}")).status_code == 204
        fragment = (await viewer.get("/papan/baris")).text
        assert re.findall(r'data-testid="rank">(\d+)', fragment) == ["1"] * 38
        restricted = (await viewer.get("/papan/baris?periode=" + _label(datetime.now(UTC).date()))).text
        assert 'data-testid="frozen-restricted"' in restricted and "board-row" not in restricted
        team = (await viewer.get("/tim/35.78")).text
        assert f'data-activity-id="{activity_id}"' not in team and f"#{activity_id}" not in team
        assert 'data-testid="team-chart"' not in team
        team_fragment = await viewer.get(f"/tim/35.78/ringkas?versi={frozen_version}")
        assert team_fragment.status_code == 204
        api = (await viewer.get("/api/v1/competitions/uji/leaderboard")).json()
        assert api["frozen"] is True and {r["score"] for r in api["rows"]} == {"0"}
        week = (
            await viewer.get("/api/v1/competitions/uji/leaderboard?period=" + _label(date.today()))
        ).json()
        assert week["frozen"] is True and week["rows"] == []
        explanation = (await viewer.get("/api/v1/competitions/uji/teams/35.78/explanation")).json()
        assert explanation["score"] == "0" and explanation["lines"] == []

    organiser.username, judge.username = "panitia", "juri.mlg"
    for staff in (organiser, judge):
        page = (await staff.get("/")).text
        assert 'data-testid="frozen-staff-notice"' in page
        assert re.search(r'data-team="35.78" data-rank="1"', page)
        assert re.findall(r'data-testid="rank">(\d+)', page).count("1") == 1
        assert f"#{activity_id}" in (await staff.get("/tim/35.78")).text
        token = (
            await staff.client.post(
                "/api/v1/auth/token", json={"username": staff.username, "password": PASSWORD}
            )
        ).json()["token"]
        api = (
            await staff.client.get(
                "/api/v1/competitions/uji/leaderboard", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        assert api["frozen"] is False and api["rows"][0]["team_code"] == "35.78"

    recorder.published.clear()
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})
    assert (await public.get(f"/papan/baris?versi={frozen_version}")).status_code == 200
    assert any(ch == [live.channel(cid, "public")] for _, ch in recorder.published)
    page = (await public.get("/")).text
    assert "frozen-notice" not in page and re.search(r'data-team="35.78" data-rank="1"', page)


async def test_weeks_start_on_monday_in_the_competitions_time_zone(season, browser_factory):
    """Monday 00:30 WIB is Sunday 17:30 UTC: it belongs to the new week, not to the one ending."""
    today = datetime.now(UTC).date()
    monday = _weekday(today - timedelta(days=14), 0)
    sunday = monday - timedelta(days=1)
    dds = await ActivityType.select(ActivityType.id).where(ActivityType.code == "DDS").first()
    async with write_transaction():
        await Activity.insert(
            Activity(
                competition=season.competition.id,
                team=season.team_ids[A],
                activity_type=dds["id"],
                occurred_at=datetime(sunday.year, sunday.month, sunday.day, 17, 30, tzinfo=UTC),
                village_code=f"{A}.01.1001",
                title="Senin dini hari",
                senkom_count=2,
                officer_count=1,
                residents_reached=40,
                preemptive=True,
                status="verified",
            )
        )
        await recompute(season.competition)
    public = await browser_factory()
    new_week = dict(
        (t, r) for t, r, _ in _rows((await public.get(f"/papan/baris?periode={_label(monday)}")).text)
    )
    old_week = dict(
        (t, r) for t, r, _ in _rows((await public.get(f"/papan/baris?periode={_label(sunday)}")).text)
    )
    assert new_week[A] == 1 and new_week["35.01"] == 2
    assert old_week[A] == 1 and old_week["35.01"] == 1  # nobody scored in the week that ended on Sunday


async def test_a_commit_in_another_process_is_not_answered_with_204(season, browser_factory):
    """Another worker's commit reaches this one only through the database: an "unchanged" answer is
    decided on a state at most a quarter of a second old."""
    import asyncio

    from app.tables import Competition

    public = await browser_factory()
    version = int(re.search(r'data-version="(\d+)"', (await public.get("/")).text).group(1))
    assert (await public.get(f"/papan/baris?versi={version}")).status_code == 204
    # As another process would: no announcement reaches this one.
    await Competition.update({Competition.standings_version: version + 1}).where(
        Competition.id == season.competition.id
    )
    await asyncio.sleep(0.3)
    response = await public.get(f"/papan/baris?versi={version}")
    assert response.status_code == 200 and f'data-version="{version + 1}"' in response.text


async def test_freeze_and_unfreeze_without_changes_still_refresh_public_pages(season, browser_factory):
    organiser = await browser_factory("panitia")
    public = await browser_factory()
    version = int(re.search(r'data-version="(\d+)"', (await public.get("/")).text).group(1))
    await organiser.post("/panitia/beku", data={"action": "freeze"})
    frozen = await public.get(f"/papan/baris?versi={version}")
    assert frozen.status_code == 200 and 'data-testid="frozen-notice"' in frozen.text
    frozen_version = int(re.search(r'data-version="(\d+)"', frozen.text).group(1))
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})
    live = await public.get(f"/papan/baris?versi={frozen_version}")
    assert live.status_code == 200 and "frozen-notice" not in live.text
    assert (await organiser.post("/panitia/beku", data={"action": "unfreeze"})).status_code in (302, 303)
    wrong = await organiser.post("/panitia/beku", data={"action": "lelehkan"})
    assert wrong.status_code == 422 and "Pilih bekukan atau buka kembali." in wrong.text


async def test_season_arrows_compare_with_the_ranks_when_the_week_began(
    season, weeks, browser_factory, monkeypatch
):
    next_week = datetime.now(UTC) + timedelta(days=7)
    monkeypatch.setattr(periods, "clock", lambda: next_week)
    # The first change of next week keeps the ranks as they were (B 1st, A 2nd, the others 3rd),
    # then A overtakes B.
    async with write_transaction():
        await _verified(season, A, next_week.date() - timedelta(days=1), 5)
        await recompute(season.competition, A)
    rows = {team: (rank, move) for team, rank, move in _rows((await (await browser_factory()).get("/")).text)}
    assert rows[A] == (1, "1") and rows[B] == (2, "-1") and rows["35.01"] == (3, "0")


async def test_arrows_work_in_the_first_week_of_a_season_in_every_view(season, browser_factory, monkeypatch):
    """A season that starts today: the first verification leaves every team but one tied (no arrows
    against a board where everyone shared first place); the next one moves B up, and B shows ▲ on the
    overall board, on its cluster's board and on this week's board."""
    today = datetime.now(UTC).date()
    from app.tables import Competition

    await Competition.update({Competition.starts_on: views.week_start(today)}).where(
        Competition.id == season.competition.id
    )
    views.invalidate()
    now = (datetime.now(UTC) + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")
    public = await browser_factory()
    judge = await browser_factory("juri.sby")
    first = await submit(browser_factory, "peserta.mlg", occurred_at=now)
    await judge.post(f"/juri/kegiatan/{first}/keputusan", data={"decision": "verified"})
    rows = {team: (rank, move) for team, rank, move in _rows((await public.get("/papan/baris")).text)}
    assert rows[B] == (1, "") and rows[A][0] == 2
    second = await submit(browser_factory, "peserta.sby", occurred_at=now)
    third = await submit(browser_factory, "peserta.sby", occurred_at=now, title="Sambang kedua")
    other_judge = await browser_factory("juri.mlg")
    for activity_id in (second, third):
        await other_judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    for query in ("", "?tampilan=cluster:kamtibmas", f"?periode={_label(today)}"):
        html = (await public.get(f"/papan/baris{query}")).text
        rows = {team: (rank, move) for team, rank, move in _rows(html)}
        assert rows[A] == (1, "1"), query
        assert rows[B] == (2, "-1"), query
        assert "▲1" in html and "▼1" in html, query
        assert "sejak awal pekan ini" in html, query


def test_periods_are_written_as_people_say_them():
    from app import i18n
    from scoring.periods import parse_period

    token = i18n.set_locale("id")
    try:
        assert views.period_label(parse_period("week:2026-W48")) == "Pekan 23–29 Nov 2026"
        assert views.period_label(parse_period("week:2026-W49")) == "Pekan 30 Nov – 6 Des 2026"
        assert views.period_label(parse_period("week:2026-W53")) == "Pekan 28 Des 2026 – 3 Jan 2027"
        assert views.period_label(parse_period("month:2026-12")) == "Desember 2026"
        assert views.period_label(parse_period("season")) == "Seluruh musim"
        assert i18n.format_score(Decimal("45.3")) == "45,30" and i18n.format_score(1234.5) == "1.234,50"
        i18n.set_locale("en")
        assert views.period_label(parse_period("week:2026-W49")) == "Week 30 Nov – 6 Dec 2026"
        assert views.period_label(parse_period("month:2026-12")) == "December 2026"
        assert i18n.format_score(Decimal("1234.5")) == "1,234.50"
    finally:
        i18n._locale.reset(token)
