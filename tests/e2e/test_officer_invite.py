"""An officer named without an account, at 360×740: the participant makes the one-time link, the officer's
phone opens it, chooses the desa of duty by name (the team's regency is offered, its desa swapped in by
kecamatan), creates the account and lands on the confirm page; the link then refuses a second use. Nothing
scrolls sideways and axe-core finds nothing serious."""

from __future__ import annotations

import re
import uuid

from axe_playwright_python.sync_playwright import Axe
from demo_accounts import PARTICIPANT, PASSWORD
from pages import ActivityDraft, CaptureFormPage, LoginPage, NewContext
from playwright.sync_api import Page, expect

AXE = Axe()


def fits_and_passes_axe(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    serious = [
        v["id"] for v in AXE.run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


def test_an_invited_officer_chooses_the_desa_by_name_and_confirms(new_context: NewContext) -> None:
    participant = new_context(phone=True).new_page()
    LoginPage(participant).goto().sign_in(PARTICIPANT, PASSWORD)
    form = CaptureFormPage(participant).goto()
    title = f"Patroli bersama {uuid.uuid4().hex[:8]}"
    nrp = "9" + str(uuid.uuid4().int)[:7]
    form.fill(ActivityDraft(title=title, village_code=form.village_codes()[0], officer_name="Slamet Riyadi"))
    participant.get_by_test_id("officer").first.locator('input[name="officer_nrp"]').fill(nrp)
    activity_id = form.send()
    participant.get_by_test_id("invite-officer").click()
    link = participant.locator('input[value*="/undangan-petugas/"]').first.get_attribute("value")
    assert link and "wa.me" in participant.content()

    officer = new_context(phone=True).new_page()
    officer.goto(link)
    expect(officer.get_by_role("heading", level=1)).to_be_visible()
    expect(officer.locator("label[for=rank]")).to_have_text("Pangkat")
    fits_and_passes_axe(officer)
    # The team's regency is offered first, with its desa by name (the code is only the value sent).
    regency = officer.get_by_test_id("village-regency")
    assert regency.locator("option:checked").inner_text() == "Kota Surabaya"
    village = officer.get_by_test_id("village")
    assert village.locator("optgroup").count() > 5
    # Another regency: its desa are swapped in.
    regency.select_option(label="Kabupaten Malang")
    expect(village.locator('optgroup[label="Kecamatan Singosari"]')).to_have_count(1)
    village.select_option(label="Ardimulyo")
    assert re.fullmatch(r"35\.07\.\d\d\.\d{4}", village.input_value())
    officer.fill("#username", f"slamet{uuid.uuid4().hex[:4]}")
    officer.fill("#password", "rahasia-panjang-1")
    officer.select_option("#rank", "Aipda")
    officer.select_option("#polres", index=1)
    officer.get_by_role("button", name="Buat akun dan konfirmasi").click()
    officer.wait_for_url(re.compile(rf"/petugas/kegiatan/{activity_id}$"))
    expect(officer.get_by_role("heading", name=title)).to_be_visible()
    officer.get_by_test_id("confirm").click()
    expect(officer.get_by_test_id("attestation-state")).to_have_attribute("data-state", "confirmed")
    # The link is used up.
    again = new_context(phone=True).new_page()
    response = again.goto(link)
    assert response is not None and response.status == 409
    expect(again.locator("main")).to_contain_text("sudah dipakai")
