"""Issue 8 in a real browser: an organiser composes a ruleset from three rules, sees the what-if preview,
publishes it, an open public leaderboard changes without a reload, and the previous version is restored."""

from __future__ import annotations

import pytest
from demo_accounts import PASSWORD, SURABAYA
from pages import LeaderboardPage, LoginPage, NewContext, RulesEditorPage
from playwright.sync_api import Page, expect
from test_walkthrough import too_wide

BOARD_REFRESH_TIMEOUT = 20_000  # ms: the open board follows published standings by itself
ORGANISER = "panitia"


def signed_in(new_context: NewContext, username: str) -> Page:
    page = new_context().new_page()
    LoginPage(page).goto().sign_in(username, PASSWORD)
    return page


def test_compose_preview_publish_board_changes_then_restore(new_context: NewContext) -> None:
    visitor = new_context().new_page()
    board = LeaderboardPage(visitor).goto()
    expect(board.row(SURABAYA)).to_have_count(1)
    score_before = board.score_cell(SURABAYA).inner_text()

    organiser = signed_in(new_context, ORGANISER)
    editor = RulesEditorPage(organiser).goto()
    previous = editor.in_force_version()
    assert previous >= 1

    # Compose from three rules (htmx swaps the editor in place).
    editor.clear()
    for rule_id in ("joint_only", "points_per_activity", "coverage"):
        editor.add(rule_id)
    expect(editor.rules).to_have_count(3)
    # The parameter form is generated from the schema: one input per activity type; a bad value is refused.
    editor.set_param("points_per_activity", "p.points.DDS", "abc")
    editor.save_params("points_per_activity")
    expect(organiser.get_by_test_id("params-invalid")).to_be_visible()
    expect(organiser.get_by_test_id("error-p.points.DDS")).to_be_visible()
    editor.set_param("points_per_activity", "p.points.DDS", "50")
    editor.set_param("points_per_activity", "p.default", "7,5")
    editor.save_params("points_per_activity")
    expect(organiser.get_by_test_id("params-invalid")).to_have_count(0)
    expect(editor.rule("points_per_activity").get_by_test_id("param-p.default")).to_have_value("7.5")
    # Reorder: coverage up above points_per_activity, then back down.
    editor.rule("coverage").get_by_test_id("rule-up").click()
    expect(editor.rules.nth(1)).to_have_attribute("data-rule", "coverage")
    editor.rule("coverage").get_by_test_id("rule-down").click()
    expect(editor.rules.nth(2)).to_have_attribute("data-rule", "coverage")

    # The what-if preview: current and draft rankings side by side.
    editor.preview_link.click()
    table = organiser.get_by_test_id("preview-table")
    expect(table).to_be_visible()
    surabaya = table.locator(f'[data-testid="preview-row"][data-team="{SURABAYA}"]')
    expect(surabaya).to_have_count(1)
    assert (
        surabaya.get_by_test_id("score-now").inner_text()
        != surabaya.get_by_test_id("score-draft").inner_text()
    )

    # Publishing asks for confirmation.
    organiser.get_by_test_id("publish").click()
    organiser.get_by_test_id("publish-submit").click()
    expect(organiser.get_by_test_id("publish-error")).to_be_visible()
    organiser.get_by_test_id("publish-note").fill("Uji E2E: tiga aturan")
    organiser.get_by_test_id("publish-confirm").check()
    organiser.get_by_test_id("publish-submit").click()
    organiser.wait_for_url(lambda url: "/panitia/aturan" in url and "terbit=" in url)
    editor = RulesEditorPage(organiser)
    assert editor.in_force_version() == previous + 1

    # The visitor's board, never reloaded, shows the new standings.
    expect(board.score_cell(SURABAYA)).not_to_have_text(score_before, timeout=BOARD_REFRESH_TIMEOUT)
    score_published = board.score_cell(SURABAYA).inner_text()

    # The public rules page reads the published ruleset.
    reader = new_context().new_page()
    reader.goto("/aturan")
    expect(reader.get_by_test_id("reference-rule")).to_have_count(3)

    # Restore the previous version the same way: confirm, and it is in force at once.
    organiser.get_by_test_id(f"restore-{previous}").click()
    expect(organiser.get_by_test_id("preview-table")).to_be_visible()
    organiser.get_by_test_id("restore-confirm").check()
    organiser.get_by_test_id("restore-submit").click()
    organiser.wait_for_url(lambda url: "terbit=" in url)
    assert RulesEditorPage(organiser).in_force_version() == previous + 2
    expect(board.score_cell(SURABAYA)).to_have_text(score_before, timeout=BOARD_REFRESH_TIMEOUT)
    assert board.score_cell(SURABAYA).inner_text() != score_published


@pytest.mark.parametrize(
    "path",
    [
        "/panitia/aturan",
        "/panitia/aturan/pratinjau",
        "/panitia/aturan/terbitkan",
        "/panitia/audit",
        "/panitia/akun/impor",
        "/panitia/musim",
        "/panitia/penyesuaian",
        "/aturan",
    ],
)
def test_console_pages_fit_a_360_px_phone(new_context: NewContext, path: str) -> None:
    page = new_context(phone=True).new_page()
    LoginPage(page).goto().sign_in(ORGANISER, PASSWORD)
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide on a 360 px screen: {too_wide(page)}"
