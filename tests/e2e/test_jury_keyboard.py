"""A judge works through a queue of three activities with the keyboard only, and all three are decided.

Set-up through the organiser's JSON API: a new judge (no home regency, no open assignment: the next
activities go to them, fewest open first) and a two-criterion rubric on a 1–5 scale, removed again at the end.
The judge then only presses keys: digits score the current criterion, K goes back, S skips, R and typing
write a rejection's reason, Ctrl+Enter rejects, V verifies, ? opens the list of shortcuts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from demo_accounts import JUDGE, PASSWORD
from jury_pages import (
    JuryQueuePage,
    MyReviewsPage,
    OrganiserApi,
    progress_numbers,
    record_activity,
    sign_in,
)
from pages import NewContext
from playwright.sync_api import Playwright, expect

ORGANISER = "panitia"
# Not Surabaya: the other browser tests count Surabaya's activities against the weekly cap of one type.
PARTICIPANT = "peserta.banyuwangi"
RUBRIC: list[dict[str, object]] = [
    {"code": "kerja_sama", "name": "Kerja sama", "name_en": "Partnership", "weight": 50, "min": 1, "max": 5},
    {"code": "dampak", "name": "Dampak", "name_en": "Impact", "weight": 50, "min": 1, "max": 5},
]


@pytest.fixture
def organiser(playwright: Playwright, base_url: str) -> Iterator[OrganiserApi]:
    api = OrganiserApi(playwright, base_url, ORGANISER, PASSWORD)
    api.put_rubric(RUBRIC)
    yield api
    # The demo season has no rubric: leave the shared server as the other tests expect it.
    api.put_rubric([])
    api.close()


def test_a_judge_works_through_three_activities_with_the_keyboard(
    new_context: NewContext, organiser: OrganiserApi
) -> None:
    tag = uuid.uuid4().hex[:8]
    judge_name = f"juri.kb{tag}"
    judge_password = f"kunci-{tag}-rahasia"
    organiser.create_judge(judge_name, judge_password, f"Juri Keyboard {tag}")

    participant = sign_in(new_context(phone=True).new_page(), PARTICIPANT, PASSWORD)
    titles = [f"Keyboard {n} E2E {tag}" for n in range(3)]
    ids = [record_activity(participant, title) for title in titles]

    judge = sign_in(new_context().new_page(), judge_name, judge_password)
    queue = JuryQueuePage(judge).goto()
    queue.wait_for_keyboard()
    assert queue.activity_id() == ids[0]
    assert progress_numbers(queue.progress.inner_text()) == (0, 3)
    expect(queue.progress).to_have_text("0 dari 3 selesai")
    expect(queue.criteria).to_have_count(2)

    # 1st: "4" scores Kerja sama and moves on, "5" scores Dampak, V verifies.
    queue.press("4", "5")
    assert (queue.checked_score(0), queue.checked_score(1)) == ("4", "5")
    queue.press("v")
    queue.wait_for_next(ids[0], queue.decided_notice)
    assert queue.activity_id() == ids[1]
    expect(queue.progress).to_have_text("1 dari 3 selesai")

    # 2nd: S skips it to the end of the queue.
    queue.wait_for_keyboard()
    queue.press("s")
    queue.wait_for_next(ids[1], queue.skipped_notice)
    assert queue.activity_id() == ids[2]

    # 3rd: "2", K back to the first criterion, "3" then "1"; R, the reason typed, Ctrl+Enter rejects.
    queue.wait_for_keyboard()
    queue.press("2", "k", "3", "1")
    assert (queue.checked_score(0), queue.checked_score(1)) == ("3", "1")
    queue.press("r")
    expect(queue.reason).to_be_focused()
    judge.keyboard.type("Foto tidak menunjukkan kegiatan bersama")
    queue.press("Control+Enter")
    queue.wait_for_next(ids[2], queue.decided_notice)

    # The skipped one is back; ? shows the shortcuts and hides them again; then J, "3", "2", V.
    assert queue.activity_id() == ids[1]
    queue.wait_for_keyboard()
    queue.press("?")
    expect(queue.shortcuts).to_have_attribute("open", "")
    queue.press("?")
    expect(queue.shortcuts).not_to_have_attribute("open", "")
    queue.press("j", "3", "2")
    assert (queue.checked_score(0), queue.checked_score(1)) == ("3", "2")
    queue.press("v")
    queue.wait_for_next(ids[1], queue.decided_notice)
    expect(queue.empty).to_be_visible()
    expect(queue.progress).to_have_text("3 dari 3 selesai")

    # All three are decided, with the scores and the reason typed.
    reviews = MyReviewsPage(judge).goto()
    expected = {
        ids[0]: ("verified", "4", "5"),
        ids[1]: ("verified", "3", "2"),
        ids[2]: ("rejected", "3", "1"),
    }
    for activity_id, (status, first, second) in expected.items():
        expect(reviews.status_of(activity_id)).to_have_class(re.compile(rf"\b{status}\b"))
        expect(reviews.current_version(activity_id).get_by_test_id("version-scores")).to_have_text(
            f"Kerja sama {first} · Dampak {second}"
        )
    expect(reviews.current_version(ids[2])).to_contain_text("Foto tidak menunjukkan kegiatan bersama")
    for activity_id, (status, _first, _second) in expected.items():
        participant.goto(f"/kegiatan/{activity_id}")
        expect(participant.get_by_test_id("status").first).to_have_class(re.compile(rf"\b{status}\b"))


WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .slice(0, 8)
    .map((e) => `${e.tagName.toLowerCase()}[${e.getAttribute("data-testid") || e.className}]`);
}"""


@pytest.mark.parametrize("phone", [True, False], ids=["360px", "desktop"])
def test_the_judging_pages_fit_the_screen(
    new_context: NewContext, organiser: OrganiserApi, phone: bool
) -> None:
    """No judging page scrolls sideways, on a 360 px phone or a desktop (with a rubric in the form)."""
    judge = sign_in(new_context(phone=phone).new_page(), JUDGE, PASSWORD)
    queue = JuryQueuePage(judge).goto()
    expect(queue.criteria).to_have_count(len(RUBRIC))
    for path in (
        "/juri",
        "/juri/daftar",
        "/juri/ulasan",
        "/juri/konflik",
        f"/juri/kegiatan/{queue.activity_id()}",
    ):
        judge.goto(path)
        expect(judge.get_by_test_id("judge-nav")).to_be_visible()
        wider = judge.evaluate(WIDER_THAN_THE_SCREEN)
        assert not wider, f"{path} is wider than the {'phone' if phone else 'desktop'} screen: {wider}"
