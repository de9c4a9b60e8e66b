"""The participants', judges' and organisers' pages in a real browser: a rejected activity corrected with only
a new photo becomes a new activity that keeps both photos; a withdrawn activity's number is never given
again; the organisers' home shows the season and its menu reaches every console section; and each role's
main pages at 360×740, 768×1024 and 1366×800 fit the screen with no serious or critical axe-core finding.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from demo_accounts import JUDGE, PARTICIPANT, PASSWORD
from jury_pages import record_activity
from pages import ActivityFormPage, LoginPage, NewContext, give_to_judge
from playwright.sync_api import Browser, Page, expect
from test_public_face import VIEWPORTS, check_page

from app.demo import DEMO_ACCOUNTS

ORGANISER = "panitia"
JUDGE_NAME = next(a.full_name for a in DEMO_ACCOUNTS if a.username == JUDGE)
# Every console section the menu must reach, by the data-testid of its menu entry.
SECTIONS = {
    "console-home": "/panitia",
    "console-season": "/panitia/musim",
    "console-stages": "/panitia/tahap",
    "console-jury": "/panitia/juri",
    "console-rules": "/panitia/aturan",
    "console-teams": "/panitia/tim",
    "console-accounts": "/panitia/akun",
    "console-adjustments": "/panitia/penyesuaian",
    "console-controls": "/panitia/musim/hasil-akhir",
    "console-audit": "/panitia/audit",
    "console-webhooks": "/panitia/webhook",
}


def unique_title(what: str) -> str:
    return f"{what} E2E {uuid.uuid4().hex[:8]}"


def signed_in(new_context: NewContext, username: str, *, phone: bool = False) -> Page:
    page = new_context(phone=phone).new_page()
    LoginPage(page).goto().sign_in(username, PASSWORD)
    return page


def reject(new_context: NewContext, activity_id: int, reason: str) -> None:
    """The organisers give the activity to JUDGE (only assigned judges review), who opens its review page
    from the compact list and rejects it with a reason."""
    give_to_judge(signed_in(new_context, ORGANISER), activity_id, JUDGE_NAME)
    judge = signed_in(new_context, JUDGE)
    judge.goto("/juri/daftar")
    row = judge.locator(f'[data-testid="queue-item"][data-activity-id="{activity_id}"]')
    while not row.count():
        judge.locator('nav.pager a[rel="next"]').click()
    row.get_by_test_id("open-review").click()
    judge.wait_for_url(f"**/juri/kegiatan/{activity_id}")
    judge.get_by_test_id("reason").fill(reason)
    judge.once("dialog", lambda dialog: dialog.accept())
    judge.get_by_test_id("reject").click()
    judge.wait_for_url(re.compile(r"/juri\?selesai="))


def test_a_rejected_activity_sent_again_with_only_a_new_photo_is_a_new_activity(
    new_context: NewContext,
) -> None:
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    title = unique_title("Kirim ulang")
    rejected_id = record_activity(participant, title)
    reject(new_context, rejected_id, "Foto tidak menunjukkan kegiatan")

    participant.goto(f"/kegiatan/{rejected_id}")
    participant.get_by_test_id("resubmit-activity").click()
    form = ActivityFormPage(participant)
    expect(form.title).to_have_value(title)  # every field as it was: only a new photo is added
    participant.get_by_test_id("photos").set_input_files(
        [{"name": "baru.jpg", "mimeType": "image/jpeg", "buffer": _photo(7)}]
    )
    new_id = form.send()
    assert new_id != rejected_id, "the corrected copy is the rejected original again"
    expect(participant.get_by_test_id("photo")).to_have_count(2)  # the old photo and the new one
    participant.goto(f"/kegiatan/{rejected_id}")
    expect(participant.get_by_test_id("resubmitted-as")).to_be_visible()


def test_a_withdrawn_activity_number_is_never_given_again(new_context: NewContext) -> None:
    participant = signed_in(new_context, PARTICIPANT, phone=True)
    withdrawn = record_activity(participant, unique_title("Ditarik"))
    participant.get_by_test_id("withdraw-activity").click()
    participant.get_by_test_id("confirm-withdraw").click()
    participant.wait_for_url(re.compile(r"/kegiatan\?ditarik=1"))
    following = record_activity(participant, unique_title("Sesudahnya"))
    assert following > withdrawn, f"#{withdrawn} was given again as #{following}"
    assert participant.goto(f"/kegiatan/{withdrawn}").status == 404


def test_the_organiser_home_and_its_menu_reach_every_section(new_context: NewContext) -> None:
    page = signed_in(new_context, ORGANISER, phone=True)
    page.wait_for_url(re.compile(r"/panitia$"))  # the organisers land on their home
    for part in ("stage", "waiting", "judges", "frozen", "final", "rules"):
        expect(page.get_by_test_id(f"glance-{part}")).to_be_visible()
    for testid, path in SECTIONS.items():
        page.get_by_test_id("console-nav").get_by_test_id(testid).click()
        page.wait_for_url(re.compile(re.escape(path) + r"/?$"))
        entry = page.get_by_test_id("console-nav").get_by_test_id(testid)
        expect(entry).to_have_attribute("aria-current", "page")
        check_page(page, path)


def _photo(seed: int) -> bytes:
    from pages import small_jpeg

    return small_jpeg(1000 + seed)


@pytest.fixture(scope="module")
def judged(browser: Browser, base_url: str) -> Iterator[int]:
    """One activity of the participant's team waiting for the judges: its pages are among those checked."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORTS["phone"], locale="id-ID")
    try:
        page = context.new_page()
        LoginPage(page).goto().sign_in(PARTICIPANT, PASSWORD)
        activity_id = record_activity(page, unique_title("Halaman peran"))
    finally:
        context.close()
    context = browser.new_context(base_url=base_url, viewport=VIEWPORTS["desktop"], locale="id-ID")
    try:
        organiser = context.new_page()
        LoginPage(organiser).goto().sign_in(ORGANISER, PASSWORD)
        give_to_judge(organiser, activity_id, JUDGE_NAME)  # the judge's review page is among those checked
    finally:
        context.close()
    yield activity_id


ROLE_PAGES = {
    PARTICIPANT: ("/kegiatan", "/kegiatan/baru", "/kegiatan/{id}"),
    JUDGE: ("/juri", "/juri/daftar", "/juri/kegiatan/{id}"),
    ORGANISER: (
        "/panitia",
        "/panitia/musim",
        "/panitia/tahap",
        "/panitia/juri",
        "/panitia/aturan",
        "/panitia/akun",
        "/panitia/audit",
    ),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLE_PAGES)
def test_each_role_main_pages_fit_the_screen_and_pass_axe(
    browser: Browser, base_url: str, judged: int, role: str, viewport: str
) -> None:
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORTS[viewport],
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    try:
        page = context.new_page()
        LoginPage(page).goto().sign_in(role, PASSWORD)
        for path in ROLE_PAGES[role]:
            url = path.format(id=judged)
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            page.wait_for_load_state("load")
            check_page(page, f"{url} ({role}, {viewport})")
    finally:
        context.close()
