"""The issue's walkthrough in real browsers: record on a phone, verify as a judge, watch the board move."""

from __future__ import annotations

import re
import uuid
import zlib

import pytest
from demo_accounts import JUDGE, JUDGE_OF_SURABAYA, PARTICIPANT, PASSWORD, SURABAYA
from pages import (
    ActivityDraft,
    ActivityFormPage,
    ActivityListPage,
    JudgeQueuePage,
    LeaderboardPage,
    LoginPage,
    NewContext,
    TeamPage,
    give_to_judge,
)
from playwright.sync_api import Page, expect

from app.demo import DEMO_ACCOUNTS

ORGANISER = "panitia"
JUDGE_NAME = next(a.full_name for a in DEMO_ACCOUNTS if a.username == JUDGE)

BOARD_REFRESH_TIMEOUT = 20_000  # ms: the board polls every 5 s


def unique_title(what: str) -> str:
    return f"{what} E2E {uuid.uuid4().hex[:10]}"


def signed_in(new_context: NewContext, username: str, *, phone: bool = False) -> Page:
    page = new_context(phone=phone).new_page()
    LoginPage(page).goto().sign_in(username, PASSWORD)
    return page


def surabaya_draft(form: ActivityFormPage, title: str) -> ActivityDraft:
    """A DDS in a desa of Surabaya taken from the form's own select (a different one for each title)."""
    villages = form.village_codes()
    assert villages, "the desa/kelurahan select offers nothing"
    assert all(code.startswith(f"{SURABAYA}.") for code in villages), (
        "the select offers desa outside Surabaya"
    )
    village = villages[zlib.crc32(title.encode()) % len(villages)]
    return ActivityDraft(
        title=title, type_code="DDS", village_code=village, residents_reached=30, preemptive=True
    )


def record_activity(page: Page, title: str) -> int:
    form = ActivityFormPage(page).goto()
    form.fill(surabaya_draft(form, title))
    return form.send()


def test_participant_records_judge_verifies_and_the_open_board_follows(new_context: NewContext) -> None:
    title = unique_title("Sambang warga")

    # A: an anonymous visitor keeps the leaderboard open.
    visitor = new_context().new_page()
    board = LeaderboardPage(visitor).goto()
    expect(board.row(SURABAYA)).to_have_count(1)
    counted_before = board.counted(SURABAYA)
    score_before = board.score(SURABAYA)
    score_text_before = board.score_cell(SURABAYA).inner_text()
    visitor.evaluate("window.__sameDocument = true")

    # B: the Surabaya participant records a joint activity from a phone.
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    participant.get_by_test_id("nav-new-activity").click()
    form = ActivityFormPage(participant)
    expect(form.form).to_be_visible()
    form.fill(surabaya_draft(form, title))
    activity_id = form.send()

    participant.get_by_test_id("nav-activities").click()
    activities = ActivityListPage(participant)
    expect(activities.list).to_be_visible()
    mine = activities.item_for(activity_id)
    expect(mine).to_have_count(1)
    expect(mine.get_by_role("link")).to_have_text(title)
    expect(mine.get_by_test_id("status")).to_have_class(re.compile(r"\bsubmitted\b"))

    # C: the organisers give it to a judge without a home region (only the assigned judges review), who
    # finds it in the queue (on whatever page) and verifies it.
    give_to_judge(signed_in(new_context, ORGANISER), activity_id, JUDGE_NAME)
    judge = signed_in(new_context, JUDGE)
    queue = JudgeQueuePage(judge)
    expect(queue.count).to_be_visible()
    item = queue.find(title)
    assert item is not None, f"{title!r} is not in {JUDGE}'s queue"
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-activity-id", str(activity_id))
    queue.verify(item)
    assert JudgeQueuePage(judge).goto().find(title) is None, "a verified activity is still queued"

    # A again, never reloaded: the polling board picks up the new standings.
    expect(board.counted_cell(SURABAYA)).to_have_text(str(counted_before + 1), timeout=BOARD_REFRESH_TIMEOUT)
    expect(board.score_cell(SURABAYA)).not_to_have_text(score_text_before)
    assert board.score(SURABAYA) > score_before
    assert visitor.evaluate("window.__sameDocument === true"), "the leaderboard page was reloaded"
    score_after = board.score_cell(SURABAYA).inner_text()

    # The team page explains the new points by the activity's id.
    team = TeamPage(new_context().new_page()).goto(SURABAYA)
    expect(team.counted).to_have_text(str(counted_before + 1))
    expect(team.score).to_have_text(score_after)
    expect(team.lines_about(activity_id)).not_to_have_count(0)

    # And the participant now sees it verified.
    activities.goto()
    expect(activities.item_for(activity_id).get_by_test_id("status")).to_have_class(
        re.compile(r"\bverified\b")
    )


def test_judge_never_sees_activities_of_their_own_regency(new_context: NewContext) -> None:
    title = unique_title("Deteksi dini")
    activity_id = record_activity(signed_in(new_context, PARTICIPANT, phone=True), title)

    home_judge = signed_in(new_context, JUDGE_OF_SURABAYA)
    queue = JudgeQueuePage(home_judge).goto()
    expect(queue.items).not_to_have_count(0)
    assert queue.find(title) is None, f"{JUDGE_OF_SURABAYA} (home region {SURABAYA}) sees {title!r}"
    response = home_judge.goto(f"/juri/kegiatan/{activity_id}")
    assert response is not None and response.status == 403

    # The same activity is in the queue of a judge from elsewhere: the filter, not the data, hid it.
    give_to_judge(signed_in(new_context, ORGANISER), activity_id, JUDGE_NAME)
    assert JudgeQueuePage(signed_in(new_context, JUDGE)).goto().find(title) is not None


def test_a_double_send_of_one_form_makes_one_activity(new_context: NewContext) -> None:
    title = unique_title("Kirim ganda")
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    form = ActivityFormPage(participant).goto()
    form.fill(surabaya_draft(form, title))
    key = form.idempotency_key.input_value()
    assert key

    # A flaky connection delivers the same filled form twice at once (same idempotency key)...
    landed = participant.evaluate(
        """async () => {
            const form = document.querySelector('[data-testid="activity-form"]');
            const send = () => fetch(form.action, {
                method: 'POST', body: new FormData(form), credentials: 'same-origin'});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.status + ' ' + new URL(a.url).pathname);
        }"""
    )
    # ...and the impatient user double-taps Send as well.
    form.submit.dblclick()
    activity_id = form.wait_for_sent()

    assert landed == [f"200 /kegiatan/{activity_id}"] * 2
    assert ActivityListPage(participant).goto().count_titled(title) == 1


def test_going_back_and_sending_again_makes_no_second_activity(new_context: NewContext) -> None:
    title = unique_title("Kirim ulang")
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    form = ActivityFormPage(participant).goto()
    draft = surabaya_draft(form, title)
    form.fill(draft)
    activity_id = form.send()

    participant.go_back()
    expect(form.title).to_have_value(title)
    # A browser never restores a chosen file: the user picks the same photo again.
    form.attach_photos(draft)
    form.submit.click()
    assert form.wait_for_sent() == activity_id
    assert ActivityListPage(participant).goto().count_titled(title) == 1


def test_an_invalid_form_comes_back_in_indonesian_with_what_was_typed(new_context: NewContext) -> None:
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    form = ActivityFormPage(participant).goto()
    title = unique_title("Judul diisi belakangan")
    draft = surabaya_draft(form, title)
    draft.title = ""
    form.fill(draft)
    occurred_at = form.occurred_at.input_value()
    key = form.idempotency_key.input_value()

    with participant.expect_response(lambda r: r.request.method == "POST") as answer:
        form.submit.click()
    assert answer.value.status == 422
    expect(participant.locator("html")).to_have_attribute("lang", "id")
    expect(form.form_errors).to_be_visible()
    expect(form.field_error("title")).to_be_visible()
    for name in (
        "activity_type",
        "occurred_at",
        "village_code",
        "senkom_members",
        "officers",
        "residents_reached",
    ):
        expect(form.field_error(name)).to_have_count(0)

    # Everything typed is still there, including the key that makes a corrected resend safe.
    expect(form.activity_type).to_have_value(draft.type_code)
    expect(form.occurred_at).to_have_value(occurred_at)
    expect(form.village).to_have_value(draft.village_code)
    expect(form.title).to_have_value("")
    expect(form.description).to_have_value(draft.description)
    expect(form.senkom_members).to_have_value("\n".join(draft.senkom_members))
    expect(form.first_officer_name).to_have_value(draft.officer_name)
    expect(form.residents_reached).to_have_value(str(draft.residents_reached))
    expect(form.preemptive).to_be_checked()
    expect(form.idempotency_key).to_have_value(key)

    # The messages are the Indonesian ones: the same mistake in English reads differently.
    title_error_id = form.field_error("title").inner_text()
    banner_id = form.form_errors.inner_text()
    participant.context.add_cookies([{"name": "sinergi_lang", "value": "en", "url": participant.url}])
    form.submit.click()
    expect(participant.locator("html")).to_have_attribute("lang", "en")
    expect(form.field_error("title")).to_be_visible()
    assert form.field_error("title").inner_text() != title_error_id
    assert form.form_errors.inner_text() != banner_id
    participant.context.clear_cookies(name="sinergi_lang")

    # Correcting the title is enough to send it.
    form.title.fill(title)
    form.send()
    assert ActivityListPage(participant).goto().count_titled(title) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/kegiatan/baru",
    ],
)
def test_no_horizontal_scroll_on_a_360_px_phone(new_context: NewContext, path: str) -> None:
    page = signed_in(new_context, PARTICIPANT, phone=True)
    page.goto(path)
    page.wait_for_load_state("load")
    screen = page.viewport_size
    assert screen is not None and screen["width"] == 360
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide on a 360 px screen; too wide: {too_wide(page)}"


def too_wide(page: Page) -> list[str]:
    """The innermost elements that stick out past the right edge of a 360 px screen (for the message)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > 360.5)
            .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > 360.5))
            .slice(0, 5)
            .map(el => `<${el.tagName.toLowerCase()} class="${el.className}"> ends at `
                + `${Math.round(el.getBoundingClientRect().right)} px`)"""
    )
    return found
