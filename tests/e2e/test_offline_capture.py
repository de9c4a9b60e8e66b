"""Capture without signal on a 360×740 phone: the form opens from the service worker, activities wait in
the outbox (IndexedDB) with their photos, and each reaches the server exactly once when the signal returns."""

from __future__ import annotations

import io
import random
import time
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path

from demo_accounts import PARTICIPANT, PASSWORD, SURABAYA
from pages import ActivityDetailPage, ActivityDraft, ActivityListPage, CaptureFormPage, LoginPage, NewContext
from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

TAKEN = "2024:02:14 07:30:00"


def phone_photo(path: Path, seed: int, size: tuple[int, int] = (640, 480)) -> Path:
    """A JPEG as a phone writes it: camera make, capture time and GPS position in its EXIF."""
    rng = random.Random(seed)
    small = Image.new("RGB", (16, 12))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = TAKEN
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (7.0, 15.0, 30.0), "E", (112.0, 45.0, 0.0)
    small.resize(size).save(path, format="JPEG", exif=exif, quality=80)
    return path


class OfflineCapture(CaptureFormPage):
    """The capture form with its outbox."""

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.outbox = page.get_by_test_id("outbox")
        self.outbox_count = page.get_by_test_id("outbox-count")
        self.outbox_items = page.get_by_test_id("outbox-item")
        self.queued = page.get_by_test_id("queued")
        self.editing = page.get_by_test_id("editing")

    def goto(self) -> OfflineCapture:
        super().goto()
        return self

    def wait_until_kept_for_offline(self) -> OfflineCapture:
        # The service worker is active and has kept the page, its scripts and the desa list.
        expect(self.page.locator("html[data-offline=ready]")).to_be_attached(timeout=15_000)
        return self

    def record(self, title: str, photos: list[Path]) -> None:
        villages = self.village_codes()
        assert villages and all(code.startswith(f"{SURABAYA}.") for code in villages)
        self.fill(ActivityDraft(title=title, village_code=villages[len(title) % len(villages)], photos=0))
        if photos:
            self.photos.set_input_files(photos)
        self.submit.click()

    def item(self, title: str) -> Locator:
        titled = self.page.get_by_test_id("outbox-title").get_by_text(title, exact=True)
        return self.outbox_items.filter(has=titled)

    def waiting_photo(self, index: int) -> bytes:
        """The bytes of a photo as it waits in IndexedDB (the first item's photo `index`)."""
        data = self.page.evaluate(
            """async (i) => {
                const items = await window.SinergiOutbox.all();
                const blob = items[0].photos[i].blob;
                return Array.from(new Uint8Array(await blob.arrayBuffer()));
            }""",
            index,
        )
        return bytes(data)


def signed_in_phone(new_context: NewContext) -> tuple[BrowserContext, Page]:
    context = new_context(phone=True)
    page = context.new_page()
    LoginPage(page).goto().sign_in(PARTICIPANT, PASSWORD)
    expect(page.get_by_test_id("whoami")).to_be_visible()
    return context, page


def sent_activity(page: Page, title: str) -> int:
    """The activity with this title on the team's list: exactly one, whose id is returned."""
    listing = ActivityListPage(page).goto()
    assert listing.count_titled(title) == 1
    listing.goto()
    href = listing.items_titled(title).get_by_role("link", name=title, exact=True).get_attribute("href") or ""
    return int(href.rsplit("/", 1)[1])


def test_two_activities_recorded_without_signal_wait_and_reach_the_server_once(
    new_context: NewContext, tmp_path: Path
) -> None:
    context, page = signed_in_phone(new_context)
    form = OfflineCapture(page).goto().wait_until_kept_for_offline()
    context.set_offline(True)
    went_offline = time.time()

    tag = uuid.uuid4().hex[:8]
    titles = [f"Patroli tanpa sinyal {tag} satu", f"Patroli tanpa sinyal {tag} dua"]
    big = phone_photo(tmp_path / "besar.jpg", 7, size=(3200, 2400))  # reduced on the phone
    form.record(titles[0], [phone_photo(tmp_path / "a.jpg", 1), big])
    expect(form.queued).to_be_visible()
    expect(form.outbox_count).to_have_text("1 kegiatan menunggu sinyal")
    # The form is free for the next activity, under a new key.
    expect(form.title).to_have_value("")
    # The large photo waits reduced (long side 2,000 px), with the capture time and position the server reads.
    with Image.open(io.BytesIO(form.waiting_photo(1))) as reduced:
        assert reduced.format == "JPEG" and max(reduced.size) == 2000
        exif = reduced.getexif()
        assert exif.get_ifd(0x8769)[0x9003] == TAKEN
        assert exif.get_ifd(0x8825)[1] == "S"
    assert len(form.waiting_photo(0)) == (tmp_path / "a.jpg").stat().st_size  # small enough: kept as it is

    form.record(titles[1], [phone_photo(tmp_path / "b.jpg", 2)])
    expect(form.outbox_count).to_have_text("2 kegiatan menunggu sinyal")
    expect(form.outbox_items).to_have_count(2)
    page.close()

    # The tab was closed; opened again without signal, the service worker serves the form and its outbox.
    page = context.new_page()
    response = page.goto("/kegiatan/baru")
    assert response is not None and response.from_service_worker
    # The kept copy, not a fresh answer: the server wrote it before the signal went.
    assert parsedate_to_datetime(response.headers["date"]).timestamp() <= went_offline
    form = OfflineCapture(page)
    expect(form.form).to_be_visible()
    expect(form.outbox_count).to_have_text("2 kegiatan menunggu sinyal")
    for title in titles:
        expect(form.item(title)).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Choosing a kecamatan still narrows the desa/kelurahan list: cut from the regency's kept list.
    districts = [v for v in form.district.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    assert len(districts) > 1
    everywhere = len(form.village_codes())
    form.district.select_option(districts[-1])
    expect(form.village.locator("optgroup")).to_have_count(1)
    narrowed = form.village_codes()
    assert narrowed and len(narrowed) < everywhere
    assert all(code.startswith(f"{districts[-1]}.") for code in narrowed)

    context.set_offline(False)
    expect(form.outbox).to_be_hidden(timeout=20_000)
    sent = page.get_by_test_id("outbox-sent")
    expect(sent).to_contain_text("2 kegiatan yang menunggu sinyal sudah terkirim")
    for title, photos in zip(titles, (2, 1), strict=True):
        activity_id = sent_activity(page, title)
        page.goto(f"/kegiatan/{activity_id}")
        expect(ActivityDetailPage(page).photos).to_have_count(photos)
    # The reduced photo is what the server stored (its own limit is 2,560 px).
    page.goto(f"/kegiatan/{sent_activity(page, titles[0])}")
    sizes = []
    for url in ActivityDetailPage(page).photo_urls():
        with Image.open(io.BytesIO(page.request.get(url).body())) as stored:
            sizes.append(stored.size)
    assert sorted(sizes) == [(640, 480), (2000, 1500)]


def test_a_send_cut_after_the_server_acted_is_sent_again_and_counted_once(
    new_context: NewContext, tmp_path: Path
) -> None:
    context, page = signed_in_phone(new_context)
    form = OfflineCapture(page).goto().wait_until_kept_for_offline()
    posts: list[str] = []

    def cut(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.url)
        if len(posts) == 1:
            route.fetch()  # the server receives everything and records the activity...
            route.abort("connectionreset")  # ...but the answer is lost on the way back
        else:
            route.continue_()

    context.route("**/kegiatan/baru", cut)
    title = f"Sambang terputus {uuid.uuid4().hex[:8]}"
    form.record(title, [phone_photo(tmp_path / "a.jpg", 3), phone_photo(tmp_path / "b.jpg", 4)])
    expect(form.net_error).to_be_visible()
    expect(form.outbox_count).to_have_text("1 kegiatan menunggu sinyal")
    page.close()

    # Opened again: the outbox sends it under the same key, and the server answers with the first activity.
    page = context.new_page()
    form = OfflineCapture(page).goto()
    expect(form.outbox).to_be_hidden(timeout=20_000)
    assert len(posts) == 2
    activity_id = sent_activity(page, title)
    page.goto(f"/kegiatan/{activity_id}")
    expect(ActivityDetailPage(page).photos).to_have_count(2)
    expect(page.get_by_test_id("timeline-event")).to_have_count(1)


def test_a_waiting_activity_is_edited_deleted_and_a_refused_one_shows_why(
    new_context: NewContext, tmp_path: Path
) -> None:
    context, page = signed_in_phone(new_context)
    form = OfflineCapture(page).goto().wait_until_kept_for_offline()
    context.set_offline(True)
    tag = uuid.uuid4().hex[:8]
    first, second, third = (f"Siskamling {tag} {n}" for n in ("satu", "dua", "tiga"))
    for title, photos in (
        (first, [phone_photo(tmp_path / "a.jpg", 5)]),
        (second, [phone_photo(tmp_path / "b.jpg", 6)]),
    ):
        form.record(title, photos)
        expect(form.item(title)).to_have_count(1)
        expect(form.title).to_have_value("")  # emptied for the next one
    form.record(third, [])  # no photo: the server will refuse it
    expect(form.item(third)).to_have_count(1)
    expect(form.outbox_count).to_have_text("3 kegiatan menunggu sinyal")

    # Edit: back in the form under its key, with its photo; saved again it replaces the waiting one.
    form.item(first).get_by_test_id("outbox-edit").click()
    expect(form.editing).to_be_visible()
    expect(form.title).to_have_value(first)
    assert form.photos.evaluate("input => input.files.length") == 1
    changed = f"{first} diubah"
    form.title.fill(changed)
    form.submit.click()
    expect(form.item(changed)).to_have_count(1)
    expect(form.title).to_have_value("")
    expect(form.item(first)).to_have_count(0)
    expect(form.outbox_count).to_have_text("3 kegiatan menunggu sinyal")

    # Delete asks first: dismissed, it stays; accepted, it is gone.
    page.once("dialog", lambda dialog: dialog.dismiss())
    form.item(second).get_by_test_id("outbox-delete").click()
    expect(form.item(second)).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    form.item(second).get_by_test_id("outbox-delete").click()
    expect(form.item(second)).to_have_count(0)
    expect(form.outbox_count).to_have_text("2 kegiatan menunggu sinyal")

    # Signal: the edited one is sent; the one without a photo stays with the server's Indonesian reason.
    context.set_offline(False)
    expect(form.outbox_count).to_have_text("1 kegiatan menunggu sinyal", timeout=20_000)
    refused = form.item(third)
    expect(refused.get_by_test_id("outbox-invalid")).to_be_visible()
    expect(refused.get_by_test_id("outbox-error")).to_contain_text("foto")

    # Corrected (a photo added) and sent with signal: it leaves the outbox once the server confirmed it.
    refused.get_by_test_id("outbox-edit").click()
    expect(form.title).to_have_value(third)
    form.photos.set_input_files([phone_photo(tmp_path / "c.jpg", 8)])
    form.submit.click()
    form.wait_for_sent()

    assert sent_activity(page, changed)
    assert sent_activity(page, third)
    listing = ActivityListPage(page).goto()
    assert listing.count_titled(first) == 0
    assert ActivityListPage(page).goto().count_titled(second) == 0
    form = OfflineCapture(page).goto()
    expect(form.outbox).to_be_hidden()


def test_with_the_tab_closed_background_sync_sends_what_waits(
    new_context: NewContext, tmp_path: Path
) -> None:
    context, page = signed_in_phone(new_context)
    form = OfflineCapture(page).goto().wait_until_kept_for_offline()
    context.set_offline(True)
    title = f"Ronda malam {uuid.uuid4().hex[:8]}"
    form.record(title, [phone_photo(tmp_path / "a.jpg", 9)])
    expect(form.outbox_count).to_have_text("1 kegiatan menunggu sinyal")
    page.close()  # no capture page open any more: only the service worker can send it

    context.set_offline(False)
    page = context.new_page()
    listing = ActivityListPage(page)
    deadline = time.monotonic() + 30
    while listing.goto().count_titled(title) == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(1_000)
    activity_id = sent_activity(page, title)
    page.goto(f"/kegiatan/{activity_id}")
    expect(ActivityDetailPage(page).photos).to_have_count(1)
    assert page.evaluate("async () => (await window.SinergiOutbox?.all?.())?.length ?? 'no outbox here'") == (
        "no outbox here"
    )


def test_a_draft_typed_with_signal_and_sent_without_does_not_come_back_as_unsent(
    new_context: NewContext, tmp_path: Path
) -> None:
    context, page = signed_in_phone(new_context)
    form = OfflineCapture(page).goto().wait_until_kept_for_offline()
    title = f"Penyuluhan {uuid.uuid4().hex[:8]}"
    # Typed with signal: the server keeps a draft under the form's key as it is typed.
    with page.expect_response(lambda r: r.url.endswith("/kegiatan/draf") and r.ok):
        form.title.fill(title)
        form.description.click()
    context.set_offline(True)
    form.record(title, [phone_photo(tmp_path / "a.jpg", 10)])
    expect(form.outbox_count).to_have_text("1 kegiatan menunggu sinyal")
    page.close()

    # Opened again with signal: the server still offers that draft, but its key waits in the outbox, so
    # the form starts empty, and the outbox sends the activity once.
    context.set_offline(False)
    page = context.new_page()
    form = OfflineCapture(page).goto()
    expect(form.outbox).to_be_hidden(timeout=20_000)
    expect(form.title).to_have_value("")
    expect(form.draft_restored).to_have_count(0)
    assert sent_activity(page, title)
