"""The officer confirms on the spot, at 360×740: the participant records an activity naming the demo officer,
the officer's own phone (a second browser context) opens the address of the QR code on the participant's
page, signs in and confirms in one tap; the judge's list says "Dikonfirmasi oleh …"; an edit by the team
withdraws it ("Belum dikonfirmasi")."""

from __future__ import annotations

import re
import uuid

from demo_accounts import JUDGE, PARTICIPANT, PASSWORD
from pages import ActivityDraft, CaptureFormPage, JudgeQueuePage, LoginPage, NewContext, give_to_judge
from playwright.sync_api import expect

from app.demo import DEMO_OFFICER

OFFICER = "petugas.surabaya"
JUDGE_NAME = "Dra. Sri Rahayu (BPBD Jatim)"  # juri3's full name


def test_the_officer_confirms_through_the_qr_code_and_an_edit_withdraws_it(new_context: NewContext) -> None:
    participant = new_context(phone=True).new_page()
    LoginPage(participant).goto().sign_in(PARTICIPANT, PASSWORD)
    form = CaptureFormPage(participant).goto()
    title = f"Sambang bersama petugas {uuid.uuid4().hex[:8]}"
    villages = form.village_codes()
    form.fill(ActivityDraft(title=title, village_code=villages[0], officer_name="Budi Prasetyo"))
    officer_row = participant.get_by_test_id("officer").first
    officer_row.locator('input[name="officer_nrp"]').fill(DEMO_OFFICER.nrp)
    activity_id = form.send()

    # The participant's page: the QR code (inline SVG) and, beside it, the address it encodes.
    qr = participant.get_by_test_id("officer-qr")
    expect(qr.locator("svg")).to_be_visible()
    url = qr.get_by_test_id("officer-confirm-url").inner_text().strip()
    assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/petugas/kegiatan/{activity_id}", url), url
    assert participant.evaluate("document.documentElement.scrollWidth") <= 360
    expect(participant.get_by_test_id("officer-state")).to_have_text("Menunggu petugas")

    # The officer's phone: scanning opens the address; not signed in, so the sign-in page first, then back.
    officer = new_context(phone=True).new_page()
    officer.goto(url)
    assert "/masuk?next=" in officer.url
    LoginPage(officer).sign_in(OFFICER, PASSWORD)
    officer.wait_for_url(re.compile(rf"/petugas/kegiatan/{activity_id}$"))
    expect(officer.get_by_role("heading", name=title)).to_be_visible()
    expect(officer.get_by_test_id("photo")).to_have_count(1)
    assert officer.evaluate("document.documentElement.scrollWidth") <= 360
    officer.get_by_test_id("confirm").click()
    expect(officer.get_by_test_id("confirmed-notice")).to_be_visible()
    expect(officer.get_by_test_id("attestation-state")).to_have_attribute("data-state", "confirmed")

    # The judge's list: confirmed by the officer, with rank, NRP and the time in WIB.
    organiser = new_context().new_page()
    LoginPage(organiser).goto().sign_in("panitia", PASSWORD)
    give_to_judge(organiser, activity_id, JUDGE_NAME)
    judge = new_context().new_page()
    LoginPage(judge).goto().sign_in(JUDGE, PASSWORD)
    queue = JudgeQueuePage(judge)
    item = queue.find(title)
    assert item is not None
    expect(item.get_by_test_id("attestation")).to_have_text(
        re.compile(
            rf"^Dikonfirmasi oleh Bripka Budi Prasetyo \(NRP {DEMO_OFFICER.nrp}\), "
            r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}\.\d{2} WIB$"
        )
    )

    # The team changes the activity: the confirmation is withdrawn and the officer asked again.
    participant.goto(f"/kegiatan/{activity_id}/ubah")
    participant.get_by_test_id("title").fill(f"{title} (diperbaiki)")
    participant.get_by_test_id("submit").click()
    participant.wait_for_url(re.compile(rf"/kegiatan/{activity_id}\?diubah=1$"))
    expect(participant.get_by_test_id("officer-state")).to_have_text("Menunggu petugas")
    item = JudgeQueuePage(judge).goto().find(title)
    assert item is not None
    expect(item.get_by_test_id("attestation")).to_have_attribute("data-state", "pending")
    expect(item.get_by_test_id("attestation")).to_have_text("Belum dikonfirmasi")
    # The officer sees it waiting for them again.
    officer.goto("/petugas")
    expect(
        officer.locator(f'[data-testid="waiting-activity"][data-activity="{activity_id}"]')
    ).to_be_visible()
