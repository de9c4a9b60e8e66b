"""The team page's people on a 360×740 phone: the Senkom members and officers of the demo season's verified
activities, each with a count in Indonesian ("1.234 kegiatan"), fitting the screen."""

from __future__ import annotations

import re

from demo_accounts import SURABAYA
from playwright.sync_api import Browser, ViewportSize, expect
from test_public_face import check_page


def test_the_team_page_lists_its_people_on_a_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        base_url=base_url,
        viewport=ViewportSize(width=360, height=740),
        locale="id-ID",
        timezone_id="Asia/Jakarta",
    )
    try:
        page = context.new_page()
        page.goto(f"/tim/{SURABAYA}")
        people = page.get_by_test_id("team-people")
        expect(people).to_be_visible()
        expect(people.get_by_role("heading", name="Orang-orang tim")).to_be_visible()
        for side in ("people-senkom", "people-officers"):
            persons = people.get_by_test_id(side).get_by_test_id("person")
            assert persons.count() >= 1, side
            counts = people.get_by_test_id(side).get_by_test_id("person-count").all_inner_texts()
            assert all(re.match(r"^\d{1,3}(\.\d{3})* kegiatan", text) for text in counts), counts
            box = persons.first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        check_page(page, f"/tim/{SURABAYA} (people)")
    finally:
        context.close()
