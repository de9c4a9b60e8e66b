"""Page objects of the jury's screens (templates/judging), found by data-testid, and the organiser's set-up
the jury tests need, done through the JSON API."""

from __future__ import annotations

import re
import zlib

from pages import ActivityDraft, ActivityFormPage, LoginPage
from playwright.sync_api import APIRequestContext, Locator, Page, Playwright, expect

from app.demo import DEMO_SLUG


class JuryQueuePage:
    """/juri: the judge's next assignment, one at a time, with the rubric and the keyboard shortcuts."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.item = page.get_by_test_id("queue-item")
        self.progress = page.get_by_test_id("progress-text")
        self.criteria = page.get_by_test_id("criterion")
        self.reason = page.get_by_test_id("reason")
        self.verify_button = page.get_by_test_id("verify")
        self.reject_button = page.get_by_test_id("reject")
        self.decided_notice = page.get_by_test_id("decided-notice")
        self.skipped_notice = page.get_by_test_id("skipped-notice")
        self.empty = page.get_by_test_id("queue-empty")
        self.shortcuts = page.get_by_test_id("shortcuts")

    def goto(self) -> JuryQueuePage:
        self.page.goto("/juri")
        expect(self.page.get_by_test_id("judge-nav")).to_be_visible()
        return self

    def activity_id(self) -> int:
        expect(self.item).to_have_count(1)
        return int(self.item.get_attribute("data-activity-id") or "0")

    def title(self) -> str:
        return self.item.get_by_test_id("item-title").inner_text().strip()

    def wait_for_keyboard(self) -> None:
        """judge.js marks the page (class "js" on <html>) once its shortcuts listen."""
        expect(self.page.locator("html.js")).to_have_count(1)

    def checked_score(self, index: int) -> str | None:
        checked = self.criteria.nth(index).locator("input[type=radio]:checked")
        return checked.get_attribute("value") if checked.count() else None

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def wait_for_next(self, previous_id: int, notice: Locator) -> None:
        """After a keyboard decision or skip: the POST-redirect-GET shows the notice and another item."""
        expect(notice).to_be_visible()
        if self.item.count():
            expect(self.item).not_to_have_attribute("data-activity-id", str(previous_id))


class MyReviewsPage:
    """/juri/ulasan: the judge's own reviews, each with its versions."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.reviews = page.get_by_test_id("my-review")

    def goto(self) -> MyReviewsPage:
        self.page.goto("/juri/ulasan")
        expect(self.page.get_by_test_id("my-reviews")).to_be_visible()
        return self

    def review(self, activity_id: int) -> Locator:
        return self.page.locator(f'[data-testid="my-review"][data-activity-id="{activity_id}"]')

    def status_of(self, activity_id: int) -> Locator:
        return self.review(activity_id).get_by_test_id("status")

    def current_version(self, activity_id: int) -> Locator:
        return self.review(activity_id).locator('[data-testid="review-version"][data-current="1"]')


class OrganiserApi:
    """The organiser's set-up through the JSON API (docs/api.md): stable, and no page of the jury's own."""

    def __init__(self, playwright: Playwright, base_url: str, username: str, password: str) -> None:
        self.request: APIRequestContext = playwright.request.new_context(base_url=base_url)
        answer = self.request.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert answer.ok, answer.text()
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}
        self.slug = DEMO_SLUG

    def create_judge(self, username: str, password: str, full_name: str) -> None:
        answer = self.request.post(
            "/api/v1/users",
            headers=self.headers,
            data={"username": username, "password": password, "full_name": full_name, "role": "judge"},
        )
        assert answer.status == 201, answer.text()

    def put_rubric(self, criteria: list[dict[str, object]]) -> None:
        answer = self.request.put(
            f"/api/v1/competitions/{self.slug}/rubric", headers=self.headers, data={"criteria": criteria}
        )
        assert answer.ok, answer.text()

    def close(self) -> None:
        self.request.dispose()


def sign_in(page: Page, username: str, password: str) -> Page:
    LoginPage(page).goto().sign_in(username, password)
    return page


def record_activity(page: Page, title: str) -> int:
    """The signed-in participant records a DDS (one photo) in a desa of their regency (the form's select)."""
    form = ActivityFormPage(page).goto()
    villages = form.village_codes()
    assert villages, "the desa/kelurahan select offers nothing"
    village = villages[zlib.crc32(title.encode()) % len(villages)]
    form.fill(ActivityDraft(title=title, type_code="DDS", village_code=village))
    return form.send()


def progress_numbers(text: str) -> tuple[int, int]:
    """(done, total) from "1 dari 3 selesai" / "1 of 3 assignments done"."""
    match = re.search(r"(\d+)\D+(\d+)", text)
    assert match, f"no progress in {text!r}"
    return int(match.group(1)), int(match.group(2))
