"""The organisers' webhooks page on a phone (360×740): register an endpoint pointing at a real receiver on
loopback, read its secret once, see the delivery the server sent (with its attempt), and delete the
endpoint only after confirming. Each page fits the screen with no serious axe-core finding."""

from __future__ import annotations

import re
import time

from demo_accounts import PASSWORD
from pages import LoginPage, NewContext
from playwright.sync_api import expect
from test_public_face import check_page

from tests.integration.webhooks.receiver import Receiver, verify

EVENT_OF = {"freeze": "board.frozen", "unfreeze": "board.unfrozen"}


def test_register_read_the_secret_once_see_deliveries_and_delete_on_a_phone(new_context: NewContext) -> None:
    receiver = Receiver().start()
    try:
        page = new_context(phone=True).new_page()
        LoginPage(page).goto().sign_in("panitia", PASSWORD)
        page.get_by_test_id("console-nav").get_by_test_id("console-webhooks").click()
        page.wait_for_url(re.compile(r"/panitia/webhook/?$"))
        check_page(page, "/panitia/webhook")
        page.get_by_test_id("webhook-url").fill("ftp://salah")
        page.get_by_test_id("webhook-save").click()
        expect(page.get_by_test_id("error-url")).to_contain_text("http://")
        page.get_by_test_id("webhook-url").fill(receiver.url("/e2e"))
        for event in ("activity.submitted", "activity.verified", "activity.rejected", "standings.changed"):
            page.get_by_test_id(f"webhook-event-{event}").uncheck()
        page.get_by_test_id("webhook-save").click()
        secret = page.get_by_test_id("webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        check_page(page, "/panitia/webhook (registered)")
        page.get_by_test_id("webhook-created").get_by_role("link").click()
        assert secret not in page.content()

        # Freezing and unfreezing the board (in whichever order its state asks) sends two deliveries,
        # signed with that secret.
        page.goto("/panitia/beku")
        first, second = (
            ("unfreeze", "freeze") if page.get_by_test_id("unfreeze").count() else ("freeze", "unfreeze")
        )
        page.on("dialog", lambda dialog: dialog.accept())  # the page asks before it freezes or unfreezes
        page.get_by_test_id(first).click()
        page.get_by_test_id(second).click()
        expect(page.get_by_test_id(first)).to_be_visible()
        deadline = time.monotonic() + 20
        while len(receiver.accepted("/e2e")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        got = receiver.accepted("/e2e")
        assert [r.event for r in got] == [EVENT_OF[first], EVENT_OF[second]]
        assert all(verify(secret, r.headers["sinergi-signature"], r.body) for r in got)
        page.goto("/panitia/webhook")
        page.get_by_test_id("webhook-row").first.get_by_role("link").click()
        expect(page.get_by_test_id("delivery")).to_have_count(2)
        expect(page.get_by_test_id("attempts").first).to_contain_text("200")
        check_page(page, "/panitia/webhook/{id}")

        page.get_by_test_id("webhook-delete").click()
        check_page(page, "/panitia/webhook/{id}/hapus")
        page.get_by_test_id("webhook-delete-submit").click()
        expect(page.get_by_test_id("error-confirm")).to_be_visible()
        page.get_by_test_id("webhook-delete-confirm").check()
        page.get_by_test_id("webhook-delete-submit").click()
        expect(page.get_by_test_id("webhook-deleted")).to_be_visible()
        expect(page.get_by_test_id("webhooks-empty")).to_be_visible()
    finally:
        receiver.stop()
