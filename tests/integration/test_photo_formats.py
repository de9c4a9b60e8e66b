"""What a phone sends: multi-picture JPEGs (MPO) and iPhones' HEIC/HEIF accepted, large pictures stored at
STORED_LONG_SIDE with their EXIF facts, and decodes bounded per process whatever the burst."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from app.activities import photos as photo_service
from app.tables import Activity, Photo
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import activity_form, form_key
from tests.integration.test_capture import phone_exif
from tests.integration.test_participant import indonesian

__all__ = ["api_factory"]
RED, BLUE = (220, 20, 20), (20, 20, 220)


def mpo(first=RED, second=BLUE, exif: Image.Exif | None = None) -> bytes:
    """Two pictures in one file, as a phone camera's multi-picture JPEG."""
    out = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new("RGB", (160, 120), first).save(
        out, format="MPO", save_all=True, append_images=[Image.new("RGB", (160, 120), second)], **extra
    )
    return out.getvalue()


def heic(colour=RED, size=(160, 120), exif: Image.Exif | None = None) -> bytes:
    """An iPhone's HEIC, written by pillow-heif."""
    out = io.BytesIO()
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, colour).save(out, format="HEIF", quality=90, **extra)
    return out.getvalue()


def centre(content: bytes) -> tuple[int, ...]:
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def close(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def test_an_mpo_keeps_its_first_picture_as_a_jpeg():
    raw = mpo(exif=phone_exif())
    with Image.open(io.BytesIO(raw)) as opened:
        assert opened.format == "MPO" and opened.n_frames == 2
    clean = photo_service.clean_image(raw)
    assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
    assert (clean.width, clean.height) == (160, 120) and close(centre(clean.content), RED)
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1 and not stored.getexif()
    assert clean.taken_at == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)
    assert clean.gps_lat == pytest.approx(-7.258333, abs=1e-5)


def test_a_heic_from_an_iphone_is_stored_as_a_jpeg_with_its_exif_facts():
    raw = heic(exif=phone_exif())
    assert raw[4:12] in (b"ftypheic", b"ftypmif1")
    clean = photo_service.clean_image(raw)
    assert clean.content_type == "image/jpeg" and (clean.width, clean.height) == (160, 120)
    assert close(centre(clean.content), RED)
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
    assert clean.taken_at == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)
    assert clean.gps_lon == pytest.approx(112.75, abs=1e-5)


def test_other_formats_are_refused_naming_theirs():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="TIFF")
    with pytest.raises(photo_service.PhotoError) as refused:
        photo_service.clean_image(out.getvalue())
    assert refused.value.status == 422 and "TIFF" in refused.value.message


def test_a_large_picture_is_stored_at_the_stored_size_turned_upright():
    exif = phone_exif()
    exif[0x0112] = 6  # the camera was held upright: the pixels lie on their side
    image = Image.new("RGB", (6000, 4000), (40, 160, 40))
    image.paste(RED, (0, 0, 600, 4000))  # a red band on the left of the sensor = on top once turned
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    clean = photo_service.clean_image(out.getvalue())
    long_side = photo_service.STORED_LONG_SIDE
    assert (clean.width, clean.height) == (round(4000 * long_side / 6000), long_side)
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.size == (clean.width, clean.height)
        assert close(stored.convert("RGB").getpixel((clean.width // 2, 20)), RED)
        assert close(stored.convert("RGB").getpixel((clean.width // 2, clean.height - 20)), (40, 160, 40))
    assert clean.taken_at == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)
    small = photo_service.clean_image(mpo())
    assert (small.width, small.height) == (160, 120)  # never enlarged


async def test_a_burst_of_uploads_decodes_one_at_a_time(monkeypatch):
    running = peak = 0
    guard = threading.Lock()
    decode = photo_service._clean

    def counted(raw: bytes) -> photo_service.CleanPhoto:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        try:
            return decode(raw)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(photo_service, "_clean", counted)
    pictures = [heic((i * 40, 90, 200 - i * 30), size=(1200, 900)) for i in range(6)]
    cleaned = await asyncio.gather(*(photo_service.check_upload(raw) for raw in pictures))
    assert len({c.sha256 for c in cleaned}) == 6
    assert peak == photo_service.DECODE_SLOTS == 1


async def test_the_capture_form_takes_an_mpo_and_a_heic(season, browser_factory, settings):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    sent = await b.post(
        "/kegiatan/baru",
        data=activity_form(key),
        files=[
            ("photos", ("kamera.jpg", mpo(exif=phone_exif()), "image/jpeg")),
            ("photos", ("IMG_0001.HEIC", heic(BLUE), "image/heic")),
        ],
    )
    assert sent.status_code in (302, 303), sent.text[:500]
    rows = await Photo.select().order_by(Photo.id)
    assert [r["content_type"] for r in rows] == ["image/jpeg", "image/jpeg"]
    assert rows[0]["taken_at"] == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)
    stored = [(Path(settings.var_dir) / r["path"]).read_bytes() for r in rows]
    assert close(centre(stored[0]), RED) and close(centre(stored[1]), BLUE)


async def test_the_api_takes_a_heic_and_refuses_a_gif_naming_it(season, api_factory):
    participant = await api_factory("peserta.sby")
    created = await participant.post(
        "/api/v1/competitions/uji/activities", activity_body(), headers={"Idempotency-Key": "heic-1"}
    )
    url = f"/api/v1/activities/{created.json()['id']}/photos"
    taken = await participant.post(url, files={"file": ("IMG_0002.HEIC", heic(), "image/heic")})
    assert taken.status_code == 201, taken.text
    assert taken.json()["content_type"] == "image/jpeg"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    refused = await participant.post(url, files={"file": ("a.gif", gif.getvalue(), "image/gif")})
    message = indonesian("Only JPEG, PNG, WebP or HEIC/HEIF photos are accepted, not %(kind)s.", kind="GIF")
    assert refused.status_code == 422 and refused.json()["errors"] == [{"field": "file", "message": message}]
    assert await Activity.count() == 1
