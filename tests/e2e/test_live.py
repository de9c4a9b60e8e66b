"""Live leaderboards against the real server: the SSE stream itself (a bounded number of events), two
browsers where one verifies and the other's board and team page follow without a reload, and a freeze
that hides the change from the public but not from the organiser."""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from demo_accounts import JUDGE, PARTICIPANT, SURABAYA
from pages import JudgeQueuePage, LeaderboardPage, MapPage, NewContext, RevealPage, give_to_judge
from playwright.sync_api import Page, expect
from test_walkthrough import JUDGE_NAME, record_activity, signed_in, too_wide, unique_title

LIVE_TIMEOUT = 8_000  # ms: well under the 30 s poll a live page falls back to


def read_events(url: str, cookies: dict[str, str] | None = None) -> tuple[queue.Queue, threading.Event]:
    """Reads `event`/`data` pairs of the SSE stream in a thread into a queue until told to stop."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            read()
        except httpx.HTTPError as error:  # the server stops at the end of the session
            events.put(("closed", str(error)))

    def read() -> None:
        with (
            httpx.Client(cookies=cookies, timeout=httpx.Timeout(30, read=30)) as client,
            client.stream("GET", url) as response,
        ):
            events.put(("status", response.status_code, response.headers.get("content-type", "")))
            name = None
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    events.put((name, line[6:]))
                    name = None
                elif line.startswith(":"):
                    events.put(("comment", line))

    threading.Thread(target=run, daemon=True).start()
    return events, stop


def next_event(events: queue.Queue, name: str, timeout: float = 10) -> tuple:
    while True:
        item = events.get(timeout=timeout)
        if item[0] == name:
            return item


def verify_new_activity(new_context: NewContext) -> int:
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    title = unique_title("Live")
    activity_id = record_activity(participant, title)
    give_to_judge(signed_in(new_context, "panitia"), activity_id, JUDGE_NAME)
    judge = signed_in(new_context, JUDGE)
    queue_page = JudgeQueuePage(judge).goto()
    item = queue_page.find(title)
    assert item is not None
    queue_page.verify(item)
    return activity_id


@pytest.fixture
def organiser(new_context: NewContext) -> Iterator[Page]:
    page = signed_in(new_context, "panitia")
    yield page
    # Leave the shared server unfrozen for the other tests.
    page.goto("/panitia/beku")
    if page.get_by_test_id("unfreeze").count():
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("unfreeze").click()
        expect(page.get_by_test_id("freeze")).to_be_visible()


def test_the_sse_stream_announces_each_new_version(base_url: str, new_context: NewContext) -> None:
    events, stop = read_events(f"{base_url}/papan/sse")
    try:
        status = next_event(events, "status")
        assert status[1] == 200 and status[2].startswith("text/event-stream")
        first = int(next_event(events, "changed")[1])
        verify_new_activity(new_context)
        newer = int(next_event(events, "changed")[1])
        assert newer > first
        page = httpx.get(f"{base_url}/papan/baris?versi={newer}")
        assert page.status_code == 204
    finally:
        stop.set()


def test_one_browser_verifies_and_the_others_board_and_team_page_follow(new_context: NewContext) -> None:
    visitor = new_context()
    board_page = visitor.new_page()
    board = LeaderboardPage(board_page).goto()
    team_page = visitor.new_page()
    team_page.goto(f"/tim/{SURABAYA}")
    map_page = visitor.new_page()
    tile_map = MapPage(map_page).goto()
    map_version = tile_map.version()
    for page in (board_page, team_page, map_page):
        expect(page.locator("html[data-live='1']")).to_have_count(1)
        page.evaluate("window.__sameDocument = true")
    counted_before = board.counted(SURABAYA)
    team_counted_before = int(team_page.get_by_test_id("team-counted").inner_text())

    activity_id = verify_new_activity(new_context)

    expect(board.counted_cell(SURABAYA)).to_have_text(str(counted_before + 1), timeout=LIVE_TIMEOUT)
    expect(team_page.get_by_test_id("team-counted")).to_have_text(
        str(team_counted_before + 1), timeout=LIVE_TIMEOUT
    )
    expect(
        team_page.locator(f'[data-testid="recent-activities"] [data-activity-id="{activity_id}"]')
    ).to_have_count(1)
    expect(tile_map.map).not_to_have_attribute("data-version", map_version, timeout=LIVE_TIMEOUT)
    expect(tile_map.tile(SURABAYA)).to_have_attribute(
        "data-rank", board.row(SURABAYA).get_attribute("data-rank") or ""
    )
    for page in (board_page, team_page, map_page):
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_a_freeze_hides_changes_from_the_public_but_not_the_organiser(
    new_context: NewContext, organiser: Page, base_url: str
) -> None:
    organiser.goto("/panitia/beku")
    organiser.once("dialog", lambda dialog: dialog.accept())
    organiser.get_by_test_id("freeze").click()
    expect(organiser.get_by_test_id("unfreeze")).to_be_visible()

    public_page = new_context().new_page()
    public_board = LeaderboardPage(public_page).goto()
    expect(public_page.get_by_test_id("frozen-notice")).to_contain_text("Papan peringkat dibekukan")
    staff_board = LeaderboardPage(organiser).goto()
    expect(organiser.get_by_test_id("frozen-staff-notice")).to_be_visible()
    for page in (public_page, organiser):
        expect(page.locator("html[data-live='1']")).to_have_count(1)
    public_before = public_board.counted(SURABAYA)
    staff_before = staff_board.counted(SURABAYA)
    public_events, stop = read_events(f"{base_url}/papan/sse")
    try:
        next_event(public_events, "changed")
        verify_new_activity(new_context)
        expect(staff_board.counted_cell(SURABAYA)).to_have_text(str(staff_before + 1), timeout=LIVE_TIMEOUT)
        # The public stream says nothing and the public board stays as it was.
        with pytest.raises(queue.Empty):
            next_event(public_events, "changed", timeout=2)
        assert public_board.counted(SURABAYA) == public_before
        assert re.search(r"\d", public_board.version())

        organiser.goto("/panitia/beku")
        organiser.once("dialog", lambda dialog: dialog.accept())
        organiser.get_by_test_id("unfreeze").click()
        expect(organiser.get_by_test_id("freeze")).to_be_visible()
        next_event(public_events, "changed")
        expect(public_board.counted_cell(SURABAYA)).to_have_text(str(staff_before + 1), timeout=LIVE_TIMEOUT)
        expect(public_page.get_by_test_id("frozen-notice")).to_have_count(0)
    finally:
        stop.set()


def test_the_reveal_uncovers_the_places_from_the_last_to_juara_one(organiser: Page) -> None:
    """A full-screen presentation of every place, from the last one to Juara I."""
    reveal = RevealPage(organiser).goto()
    total = reveal.total()
    assert total >= 3 and reveal.step() == 0
    expect(reveal.rows).to_have_count(0)
    shown_ranks: list[int] = []
    for step in range(1, total + 1):
        organiser.keyboard.press("ArrowRight" if step % 2 else " ")
        expect(reveal.list).to_have_attribute("data-step", str(step))
        expect(reveal.rows).to_have_count(step)
        latest = organiser.locator("[data-testid=reveal-row].latest")
        shown_ranks.append(int(latest.get_attribute("data-rank") or "0"))
    assert shown_ranks == sorted(shown_ranks, reverse=True) and shown_ranks[-1] == 1
    # Every place, from the last one: as many steps as teams, the first uncovered the lowest rank.
    assert total == 38 and shown_ranks[0] == max(shown_ranks) > 10
    expect(organiser.get_by_test_id("reveal-current")).to_contain_text("Juara I")
    expect(reveal.done).to_be_visible()
    expect(reveal.rows.first).to_contain_text("Juara I")
    organiser.keyboard.press("ArrowLeft")
    expect(reveal.list).to_have_attribute("data-step", str(total - 1))


@pytest.mark.parametrize("path", ["/?tampilan=type:DDS", "/peta", f"/tim/{SURABAYA}", "/layar"])
def test_leaderboard_pages_fit_a_360_px_phone(new_context: NewContext, path: str) -> None:
    page = new_context(phone=True).new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide on a 360 px screen; too wide: {too_wide(page)}"
