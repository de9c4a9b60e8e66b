"""Field capture on a 360×740 phone: a lost connection loses nothing and counts nothing twice."""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path

from demo_accounts import PARTICIPANT, PASSWORD, SURABAYA
from pages import ActivityDetailPage, ActivityDraft, ActivityListPage, CaptureFormPage, LoginPage, NewContext
from PIL import Image
from playwright.sync_api import Page, Route, expect


def signed_in(new_context: NewContext) -> Page:
    page = new_context(phone=True).new_page()
    LoginPage(page).goto().sign_in(PARTICIPANT, PASSWORD)
    return page


def phone_photo(path: Path, seed: int) -> Path:
    """A JPEG as a phone writes it: camera make, capture time and GPS position in its EXIF."""
    rng = random.Random(seed)
    small = Image.new("RGB", (16, 12))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8769)[0x9003] = "2024:02:14 07:30:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (7.0, 15.0, 30.0), "E", (112.0, 45.0, 0.0)
    small.resize((640, 480)).save(path, format="JPEG", exif=exif)
    return path


def draft_for(form: CaptureFormPage, title: str) -> ActivityDraft:
    villages = form.village_codes()
    assert villages and all(code.startswith(f"{SURABAYA}.") for code in villages)
    return ActivityDraft(title=title, village_code=villages[len(title) % len(villages)], photos=0)


def test_two_photos_through_a_lost_connection_make_one_activity(
    new_context: NewContext, tmp_path: Path
) -> None:
    page = signed_in(new_context)
    assert page.viewport_size == {"width": 360, "height": 740}
    form = CaptureFormPage(page).goto()
    title = f"Ronda pos kamling E2E {uuid.uuid4().hex[:10]}"
    form.fill(draft_for(form, title))
    form.photos.set_input_files([phone_photo(tmp_path / "satu.jpg", 1), phone_photo(tmp_path / "dua.jpg", 2)])

    posts: list[int] = []  # the POST attempts the browser made

    def flaky(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(1)
        if len(posts) == 1:
            route.fetch()  # the server receives everything and records the activity...
            route.abort("connectionreset")  # ...but the answer is lost on the way back
        else:
            route.continue_()

    page.route("**/kegiatan/baru", flaky)
    form.submit.click()
    expect(form.net_error).to_be_visible()
    # Nothing typed or chosen is lost: the same form, the same key, the same two photos.
    expect(form.title).to_have_value(title)
    assert form.photos.evaluate("input => input.files.length") == 2
    form.submit.click()
    activity_id = form.wait_for_sent()
    assert len(posts) == 2

    detail = ActivityDetailPage(page)
    expect(detail.photos).to_have_count(2)
    expect(page.get_by_test_id("timeline-event")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert ActivityListPage(page).goto().count_titled(title) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The copy anyone can open carries no EXIF (no camera, no time, no position).
    page.goto(f"/kegiatan/{activity_id}")
    for url in detail.photo_urls():
        response = page.request.get(url)
        assert response.ok and response.headers["content-type"].startswith("image/jpeg")
        with Image.open(io.BytesIO(response.body())) as image:
            assert not image.getexif() and "exif" not in image.info
            assert image.size == (640, 480)


def test_fields_are_checked_as_they_are_left_and_the_draft_survives_a_reload(new_context: NewContext) -> None:
    page = signed_in(new_context)
    form = CaptureFormPage(page).goto()
    form.title.focus()
    form.description.focus()  # the empty title is left
    expect(form.field_error("title")).to_be_visible()
    title = f"Draf tersimpan E2E {uuid.uuid4().hex[:10]}"
    form.title.fill(title)
    form.description.focus()
    expect(form.field_error("title")).to_have_count(0)
    # The kecamatan narrows the desa/kelurahan list (htmx asks the server).
    everything = len(form.village_codes())
    form.district.select_option(index=1)
    expect(form.village.locator("optgroup")).to_have_count(1)
    assert 0 < len(form.village_codes()) < everything

    with page.expect_response(lambda r: r.url.endswith("/kegiatan/draf") and r.ok):
        form.description.fill("Tersimpan di server sebelum dimuat ulang.")
    page.reload()
    expect(form.draft_restored).to_be_visible()
    expect(form.title).to_have_value(title)
    expect(form.description).to_have_value("Tersimpan di server sebelum dimuat ulang.")
    form.discard_draft.click()
    expect(form.title).to_have_value("")


def test_a_refused_form_keeps_its_photos(new_context: NewContext, tmp_path: Path) -> None:
    page = signed_in(new_context)
    form = CaptureFormPage(page).goto()
    title = f"Foto tetap ada E2E {uuid.uuid4().hex[:10]}"
    draft = draft_for(form, title)
    draft.title = ""
    form.fill(draft)
    form.photos.set_input_files([phone_photo(tmp_path / "satu.jpg", 3)])
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/kegiatan/baru")
    ) as answer:
        form.submit.click()
    assert answer.value.status == 422
    expect(form.field_error("title")).to_be_visible()
    expect(page.get_by_test_id("kept-photos")).to_be_visible()
    assert form.photos.evaluate("input => input.files.length") == 1  # still chosen in this browser
    form.title.fill(title)
    form.send()
    expect(ActivityDetailPage(page).photos).to_have_count(1)
