"""The public face in a real browser: every public page at 360×740, 768×1024 and 1366×800 fits the screen
(nothing scrolls sideways, every leaderboard row shows its rank, team and score), and axe-core finds no
serious or critical accessibility violation; a freeze and an unfreeze reach an open page within 2 s;
in a season's first week a team that moves up shows ▲ on the overall board and on its cluster's board.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import REPO_ROOT, _free_port, _server_env, _wait_until_healthy
from demo_accounts import SURABAYA
from pages import LeaderboardPage, LoginPage, NewContext
from playwright.sync_api import Browser, Page, ViewportSize, expect

VIEWPORTS = {
    "phone": ViewportSize(width=360, height=740),
    "tablet": ViewportSize(width=768, height=1024),
    "desktop": ViewportSize(width=1366, height=800),
}
PUBLIC_PAGES = (
    "/",
    "/?tampilan=cluster:kamtibmas",
    f"/tim/{SURABAYA}",
    "/peta",
    "/layar",
    "/aturan",
    "/papan/tahap",
    "/papan/tahap/verifikasi",
    "/masuk",
)
PUSH_TIMEOUT = 2_000  # ms: a freeze or an unfreeze reaches an open page at once, not at the next poll
AXE = Axe()


def check_page(page: Page, path: str) -> None:
    """No sideways scrolling, every leaderboard row's rank, team and score on the screen, no serious or
    critical axe-core violation."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} scrolls sideways: {scroll_width} px on a {width} px screen"
    outside = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=board-row]')].flatMap(row =>
            ['[data-testid=rank]', '.team', '[data-testid=score]'].map(part => {
                const el = row.querySelector(part);
                const box = el && el.getBoundingClientRect();
                return box && box.width > 0 && box.left >= 0 && box.right <= innerWidth
                    ? null : `${row.dataset.team} ${part}`;
            })).filter(Boolean)"""
    )
    assert not outside, f"{path}: not on the screen: {outside[:5]}"
    results = AXE.run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{path}: {results.generate_report()}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_public_page_fits_the_screen_and_passes_axe(
    browser: Browser, base_url: str, viewport: str
) -> None:
    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORTS[viewport], locale="id-ID", timezone_id="Asia/Jakarta"
    )
    try:
        page = context.new_page()
        for path in PUBLIC_PAGES:
            page.goto(path)
            page.wait_for_load_state("load")
            if path.startswith("/?") or path == "/":
                expect(page.get_by_test_id("board-row").first).to_be_visible()
                assert page.get_by_test_id("board-row").count() == 38
            check_page(page, path)
        # A row opened on tap shows the team's details and its page.
        page.goto("/")
        page.get_by_test_id("board-row").first.locator("summary").click()
        expect(page.get_by_test_id("board-row").first.get_by_test_id("team-link")).to_be_visible()
        check_page(page, "/ (a row opened)")
    finally:
        context.close()


def test_filters_apply_on_change_without_a_button(new_context: NewContext) -> None:
    page = new_context(phone=True).new_page()
    board = LeaderboardPage(page).goto()
    expect(page.get_by_test_id("view-submit")).to_be_hidden()
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("view-select").select_option("cluster:kamtibmas")
    expect(board.board).to_have_attribute("data-view", "cluster:kamtibmas")
    expect(page.get_by_test_id("board-title")).to_contain_text("Klaster Kamtibmas")
    assert page.url.endswith("/?tampilan=cluster%3Akamtibmas&periode=season")
    page.get_by_test_id("period-select").select_option(index=2)
    expect(page.get_by_test_id("board-title")).to_contain_text("Pekan")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_a_freeze_and_an_unfreeze_reach_an_open_page_at_once(new_context: NewContext) -> None:
    public_page = new_context().new_page()
    LeaderboardPage(public_page).goto()
    team_page = new_context(phone=True).new_page()
    team_page.goto(f"/tim/{SURABAYA}")
    for page in (public_page, team_page):
        expect(page.locator("html[data-live='1']")).to_have_count(1)
        expect(page.get_by_test_id("frozen-notice")).to_have_count(0)
    organiser = new_context().new_page()
    LoginPage(organiser).goto().sign_in("panitia", "sinergi2024")
    organiser.goto("/panitia/beku")
    try:
        organiser.once("dialog", lambda dialog: dialog.accept())
        organiser.get_by_test_id("freeze").click()
        expect(organiser.get_by_test_id("unfreeze")).to_be_visible()
        for page in (public_page, team_page):
            expect(page.get_by_test_id("frozen-notice")).to_be_visible(timeout=PUSH_TIMEOUT)
    finally:
        organiser.goto("/panitia/beku")
        if organiser.get_by_test_id("unfreeze").count():
            organiser.once("dialog", lambda dialog: dialog.accept())
            organiser.get_by_test_id("unfreeze").click()
            expect(organiser.get_by_test_id("freeze")).to_be_visible()
    for page in (public_page, team_page):
        expect(page.get_by_test_id("frozen-notice")).to_have_count(0, timeout=PUSH_TIMEOUT)


# --- a season in its first week, on a server of its own ------------------------------------------------


@pytest.fixture(scope="module")
def first_week() -> Iterator[tuple[str, list[int]]]:
    """A server whose only season began this Monday (tests/e2e/fresh_season.py): its address and the ids
    of the two activities of Kabupaten Malang waiting for the judge."""
    tmp = Path(tempfile.mkdtemp(prefix="sinergi-e2e-week-"))
    env = _server_env(tmp)
    server = None
    try:
        for command in (["-m", "app.cli", "migrate"], [str(Path(__file__).with_name("fresh_season.py"))]):
            done = subprocess.run(
                [sys.executable, *command],
                cwd=REPO_ROOT,
                env={**env, "PYTHONPATH": str(REPO_ROOT)},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        waiting = [int(word) for word in done.stdout.split()]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_until_healthy(url, server, log)
        yield url, waiting
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_team_that_moves_up_in_the_first_week_shows_it_on_every_board(
    browser: Browser, first_week: tuple[str, list[int]]
) -> None:
    url, waiting = first_week
    visitor = browser.new_context(base_url=url, viewport=VIEWPORTS["phone"], locale="id-ID")
    judge = browser.new_context(base_url=url, viewport=VIEWPORTS["desktop"], locale="id-ID")
    try:
        boards = {}
        for name, path in (("overall", "/"), ("cluster", "/?tampilan=cluster:kamtibmas")):
            page = visitor.new_page()
            page.goto(path)
            expect(page.locator("html[data-live='1']")).to_have_count(1)
            malang = page.locator('[data-testid=board-row][data-team="35.07"]')
            expect(malang).to_have_attribute("data-rank", "2")
            expect(malang.get_by_test_id("move")).to_have_attribute("data-move", "")
            boards[name] = malang
        reviewer = judge.new_page()
        LoginPage(reviewer).goto().sign_in("juri.baru", "sinergi2024")
        for activity_id in waiting:
            reviewer.goto(f"/juri/kegiatan/{activity_id}")
            reviewer.get_by_test_id("verify").click()
            reviewer.wait_for_load_state("load")
        for name, malang in boards.items():
            expect(malang, name).to_have_attribute("data-rank", "1", timeout=8_000)
            expect(malang.get_by_test_id("move"), name).to_have_attribute("data-move", "1")
            expect(malang.locator(".up"), name).to_have_text("▲1")
            check_page(malang.page, f"first week, {name}")
    finally:
        visitor.close()
        judge.close()


def test_published_final_results_fit_and_mark_shared_places(
    browser: Browser, first_week: tuple[str, list[int]]
) -> None:
    url, _ = first_week
    organiser = browser.new_context(base_url=url, viewport=VIEWPORTS["desktop"], locale="id-ID")
    try:
        page = organiser.new_page()
        LoginPage(page).goto().sign_in("panitia.baru", "sinergi2024")
        page.goto("/panitia/musim/hasil-akhir")
        waiting = page.get_by_test_id("final-waiting-confirm")
        if waiting.count():  # activities still waiting are named before the results become final
            waiting.check()
        page.get_by_test_id("final-confirm").check()
        page.get_by_test_id("final-submit").click()
        page.wait_for_url("**/hasil-akhir")
    finally:
        organiser.close()
    for viewport in VIEWPORTS.values():
        context = browser.new_context(base_url=url, viewport=viewport, locale="id-ID")
        try:
            page = context.new_page()
            page.goto("/hasil-akhir")
            rows = page.get_by_test_id("final-row")
            expect(rows).to_have_count(38)
            expect(rows.first).to_contain_text("Juara I")
            expect(rows.nth(5).locator(".tie")).to_have_text("=")  # 36 teams share the third place
            check_page(page, "/hasil-akhir")
        finally:
            context.close()
