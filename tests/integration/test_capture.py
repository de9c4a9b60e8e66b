"""Field capture: the form with photos, upload abuse, one activity per key under concurrency, the server-side
draft, the photo copies (no EXIF) and what the judges are told about a photo."""

from __future__ import annotations

import asyncio
import io
import random
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app.activities import kept_photos
from app.activities import photos as photo_service
from app.tables import Account, Activity, ActivityDraft, Photo
from tests.integration.conftest import activity_form, form_key
from tests.integration.test_participant import indonesian


def picture(
    seed: int, size: tuple[int, int] = (96, 72), fmt: str = "JPEG", exif: Image.Exif | None = None
) -> bytes:
    """A noisy picture (so its perceptual hash is its own), optionally with EXIF."""
    rng = random.Random(seed)
    small = Image.new("RGB", (12, 9))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12 * 9)])
    image = small.resize(size, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    if exif is not None:
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def phone_exif(taken: str = "2024:02:14 07:30:00") -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8769)[0x9003] = taken
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (7.0, 15.0, 30.0), "E", (112.0, 45.0, 0.0)
    return exif


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG of a few hundred bytes that claims 900 megapixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def with_photos(key: str, files: list[tuple[str, bytes, str]], **overrides) -> tuple[dict, list]:
    return activity_form(key, **overrides), [("photos", f) for f in files]


def uploads(settings) -> list[Path]:
    root = Path(settings.var_dir) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def _send(b, files, **overrides):
    key = form_key((await b.get("/kegiatan/baru")).text)
    data, parts = with_photos(key, files, **overrides)
    return key, await b.post("/kegiatan/baru", data=data, files=parts)


async def test_an_activity_with_two_photos(season, browser_factory, settings):
    b = await browser_factory("peserta.sby")
    original = picture(1, exif=phone_exif())
    _key, response = await _send(
        b, [("a.jpg", original, "image/jpeg"), ("b.png", picture(2, fmt="PNG"), "image/png")]
    )
    assert response.status_code in (302, 303), response.text[:800]
    activity = await Activity.select().first()
    rows = await Photo.select().where(Photo.activity == activity["id"]).order_by(Photo.id)
    assert [r["content_type"] for r in rows] == ["image/jpeg", "image/png"]
    first = rows[0]
    # The judges keep what the original's EXIF said...
    assert first["taken_at"] == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)
    assert first["gps_lat"] == "-7.258333" and first["gps_lon"] == "112.750000"
    assert len(first["phash"]) == 16 and first["phash"] != rows[1]["phash"]
    # ...but every copy anybody can fetch carries none.
    detail = await b.get(response.headers["location"])
    assert detail.text.count('data-testid="photo"') == 2
    for path in (f"/foto/{first['id']}", f"/foto/{first['id']}/kecil"):
        served = await b.get(path)
        assert served.status_code == 200
        with Image.open(io.BytesIO(served.content)) as image:
            assert not image.getexif() and "exif" not in image.info
    with Image.open(io.BytesIO((await b.get(f"/foto/{first['id']}/kecil")).content)) as thumb:
        assert max(thumb.size) <= photo_service.THUMB_SIZE


async def test_photos_are_seen_by_the_team_and_judges_only(season, browser_factory):
    b = await browser_factory("peserta.sby")
    await _send(b, [("a.jpg", picture(3), "image/jpeg")])
    photo = await Photo.select().first()
    other_team = await browser_factory("peserta.mlg")
    assert (await other_team.get(f"/foto/{photo['id']}")).status_code == 404
    judge = await browser_factory("juri.mlg")
    assert (await judge.get(f"/foto/{photo['id']}")).status_code == 200
    # The judge of the team's own regency sees none of its activities, their photos included: refused
    # as the activity's page refuses it (app.activities.policy).
    own_region = await browser_factory("juri.sby")
    assert (await own_region.get(f"/foto/{photo['id']}")).status_code == 403
    anonymous = await browser_factory()
    assert (await anonymous.get(f"/foto/{photo['id']}")).status_code in (302, 303, 401)
    assert (await b.get("/foto/999999")).status_code == 404


ABUSE = [
    (
        "surat.jpg",
        b"Bukan foto, hanya teks biasa.\n" * 50,
        "That file is not a readable JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "potong.jpg",
        picture(4, size=(400, 300))[:900],
        "That file is not a readable JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "besar.jpg",
        b"\xff\xd8\xff\xe0" + b"\x00" * (20 * 1024 * 1024),
        "The photo is too large: at most %(n)s MB.",
    ),
    ("bom.png", bomb_png(), "The photo has too many pixels."),
    ("../../etc/passwd.jpg", picture(5), "The file name must not contain a folder path."),
    (
        "animasi.jpg",
        picture(6, fmt="GIF"),
        "Only JPEG, PNG, WebP or HEIC/HEIF photos are accepted, not %(kind)s.",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), ABUSE, ids=[a[0] for a in ABUSE])
async def test_upload_abuse_is_refused_and_nothing_is_stored(
    season, browser_factory, settings, name, content, message
):
    b = await browser_factory("peserta.sby")
    before = uploads(settings)
    good = ("baik.jpg", picture(7), "image/jpeg")
    key, response = await _send(b, [good, (name, content, "image/jpeg")], title="Ronda dengan foto aneh")
    assert response.status_code == 422, response.text[:500]
    expected = indonesian(message, n=photo_service.MAX_BYTES // (1024 * 1024), kind="GIF")
    assert 'data-testid="error-photos"' in response.text and expected in response.text
    # Everything typed comes back, under the same key, so the corrected form is still one activity.
    assert 'value="Ronda dengan foto aneh"' in response.text and form_key(response.text) == key
    assert "Ahmad Santoso\nSiti Lestari" in response.text
    assert await Activity.count() == 0 and await Photo.count() == 0
    assert uploads(settings) == before


async def test_too_many_photos(season, browser_factory):
    b = await browser_factory("peserta.sby")
    files = [(f"{i}.jpg", picture(10 + i), "image/jpeg") for i in range(6)]
    _key, response = await _send(b, files)
    assert response.status_code == 422
    assert indonesian("At most %(n)s photos per activity.", n=5) in response.text
    assert await Activity.count() == 0


async def test_concurrent_duplicate_submits_with_photos_make_one_activity(season, browser_factory):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    files = [("a.jpg", picture(20), "image/jpeg"), ("b.jpg", picture(21), "image/jpeg")]
    data, parts = with_photos(key, files, title="Patroli malam serentak")
    answers = await asyncio.gather(*[b.post("/kegiatan/baru", data=data, files=parts) for _ in range(6)])
    assert {r.status_code for r in answers} <= {302, 303}, [r.status_code for r in answers]
    assert len({r.headers["location"] for r in answers}) == 1
    assert await Activity.count() == 1
    assert await Photo.count() == 2
    # A retry after a time-out (the answer never arrived) is the same activity too.
    again = await b.post("/kegiatan/baru", data=data, files=parts)
    assert again.headers["location"] == answers[0].headers["location"]
    assert await Activity.count() == 1 and await Photo.count() == 2


async def test_draft_is_kept_on_the_server_and_restored_on_another_device(season, browser_factory):
    phone = await browser_factory("peserta.sby")
    key = form_key((await phone.get("/kegiatan/baru")).text)
    typed = activity_form(key, title="Sambang pos kamling", description="")
    typed.pop("officer_name")
    answer = await phone.post("/kegiatan/draf", data=typed)
    assert answer.status_code == 200
    body = answer.json()
    assert body["saved"] is True
    assert body["errors"]["officers"] == indonesian(
        "Name at least one Bhabinkamtibmas / Polisi RW officer who took part."
    ).replace("&#39;", "'")
    assert "title" not in body["errors"]
    # Typed again a moment later: still one draft.
    await phone.post("/kegiatan/draf", data={**typed, "title": "Sambang pos kamling RW 05"})
    assert await ActivityDraft.count() == 1

    laptop = await browser_factory("peserta.sby")
    form = await laptop.get("/kegiatan/baru")
    assert 'value="Sambang pos kamling RW 05"' in form.text and form_key(form.text) == key
    assert 'data-testid="draft-restored"' in form.text
    sent = await laptop.send_activity(activity_form(key, title="Sambang pos kamling RW 05"))
    assert sent.status_code in (302, 303)
    assert await ActivityDraft.count() == 0
    # A late autosave of the sent form does not bring it back as a draft.
    late = await phone.post("/kegiatan/draf", data={**typed, "title": "Sambang pos kamling RW 05"})
    assert late.json()["saved"] is False
    fresh = await phone.get("/kegiatan/baru")
    assert form_key(fresh.text) != key and "Sambang pos kamling" not in fresh.text


async def test_draft_can_be_discarded_and_bad_keys_are_refused(season, browser_factory):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    await b.post("/kegiatan/draf", data=activity_form(key, title="Dibuang saja"))
    assert "Dibuang saja" in (await b.get("/kegiatan/baru")).text
    await b.post("/kegiatan/draf/buang", data={"idempotency_key": key})
    assert "Dibuang saja" not in (await b.get("/kegiatan/baru")).text
    refused = await b.post("/kegiatan/draf", data=activity_form("bukan-kunci"))
    assert refused.status_code == 422 and await ActivityDraft.count() == 0


async def test_kecamatan_narrows_the_desa_choice(season, browser_factory):
    b = await browser_factory("peserta.sby")
    narrowed = await b.get("/kegiatan/desa", params={"district_code": "35.78.01"})
    assert narrowed.status_code == 200
    assert 'value="35.78.01.1001"' in narrowed.text and "35.78.02." not in narrowed.text
    # Another regency's kecamatan is not offered; the whole regency comes back instead.
    foreign = await b.get("/kegiatan/desa", params={"district_code": "35.07.01"})
    assert "35.07.01." not in foreign.text and "35.78.02." in foreign.text
    full = await b.get("/kegiatan/baru")
    assert "35.78.02." in full.text  # without JavaScript every desa/kelurahan is on the page


async def test_judges_see_reused_photos_and_far_dates(season, browser_factory):
    sby = await browser_factory("peserta.sby")
    await _send(sby, [("a.jpg", picture(30, exif=phone_exif("2019:05:01 10:00:00")), "image/jpeg")])
    mlg = await browser_factory("peserta.mlg")
    # The same picture, resized and re-encoded, sent by another team for its own activity.
    resized = picture(30, size=(192, 144), fmt="PNG")
    _key, response = await _send(mlg, [("b.png", resized, "image/png")], village_code="35.07.01.2001")
    assert response.status_code in (302, 303), response.text[:500]
    first, second = await Activity.select(Activity.id, Activity.occurred_at).order_by(Activity.id)
    flagged = await photo_service.photos_with_flags(second["id"], second["occurred_at"])
    assert [f["kind"] for f in flagged[0]["flags"]] == ["reused"]
    assert flagged[0]["flags"][0]["activity"] == first["id"] and flagged[0]["flags"][0]["team"] == "35.78"
    original = await photo_service.photos_with_flags(first["id"], first["occurred_at"])
    assert {f["kind"] for f in original[0]["flags"]} == {"date", "reused"}
    # The judge of another regency sees the photo strip with the flag on the activity's page.
    judge = await browser_factory("juri.sby")
    page = await judge.get(f"/juri/kegiatan/{second['id']}")
    assert page.status_code == 200 and page.text.count('data-testid="judge-photo"') == 1
    assert 'data-kind="reused"' in page.text and f"#{first['id']}" in page.text
    queue = await judge.get("/juri/daftar")
    item = re.search(rf'data-activity-id="{second["id"]}".*?</p>', queue.text, re.S).group(0)
    assert 'data-testid="queue-photos"' in item and 'data-testid="queue-flags"' in item


async def test_a_photo_near_the_activity_date_is_not_flagged(season, browser_factory):
    b = await browser_factory("peserta.sby")
    when = datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1)
    exif = phone_exif(when.strftime("%Y:%m:%d %H:%M:%S"))
    await _send(
        b, [("a.jpg", picture(40, exif=exif), "image/jpeg")], occurred_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    activity = await Activity.select(Activity.id, Activity.occurred_at).first()
    flagged = await photo_service.photos_with_flags(activity["id"], activity["occurred_at"])
    assert flagged[0]["flags"] == []


async def test_a_signed_in_account_gets_its_language_on_a_new_device(season, browser_factory):
    first = await browser_factory("peserta.sby")
    await first.get("/bahasa/en?next=/kegiatan")
    assert await Account.select(Account.locale).where(Account.username == "peserta.sby").first() == {
        "locale": "en"
    }
    other = await browser_factory("peserta.sby")
    page = await other.get("/kegiatan/baru")
    assert '<html lang="en">' in page.text and "Record a joint activity" in page.text


async def test_photos_of_a_refused_form_are_kept_for_the_corrected_one(season, browser_factory, settings):
    b = await browser_factory("peserta.sby")
    photo = picture(60, exif=phone_exif())
    key, refused = await _send(b, [("a.jpg", photo, "image/jpeg")], title="")
    assert refused.status_code == 422 and 'data-testid="kept-photos"' in refused.text
    kept = re.findall(r'name="kept_photos" value="([0-9a-f]{64})"', refused.text)
    assert len(kept) == 1 and form_key(refused.text) == key
    assert await Activity.count() == 0 and await Photo.count() == 0
    # The corrected form is sent without choosing the photo again (a browser without JavaScript forgets it).
    forged = "0" * 64
    sent = await b.post(
        "/kegiatan/baru",
        data={**activity_form(key, title="Judul sudah diisi"), "kept_photos": [kept[0], forged]},
    )
    assert sent.status_code in (302, 303), sent.text[:500]
    rows = await Photo.select()
    assert len(rows) == 1 and rows[0]["sha256"] == kept[0]
    assert rows[0]["taken_at"] == datetime(2024, 2, 14, 0, 30, tzinfo=UTC)  # the EXIF facts came along
    # This form's pending copies are gone (other tests' forms may still have theirs in the shared var dir).
    mine = kept_photos._pending_dir(Path(settings.var_dir), season.accounts["peserta.sby"], key)
    assert mine is not None and not (mine.exists() and any(p.is_file() for p in mine.rglob("*")))
    # Another account cannot claim the kept photo of someone else's form.
    other = await browser_factory("peserta.mlg")
    key2 = form_key((await other.get("/kegiatan/baru")).text)
    await other.post(
        "/kegiatan/baru",
        data={**activity_form(key2, village_code="35.07.01.2001"), "kept_photos": kept[0]},
    )
    assert await Photo.count() == 1


def test_photos_of_forms_abandoned_for_days_are_forgotten(tmp_path):
    import os
    import time
    import uuid

    clean = photo_service.clean_image(picture(80))
    old_key, new_key = str(uuid.uuid4()), str(uuid.uuid4())
    kept_photos.save_pending(tmp_path, 7, old_key, [clean])
    old = tmp_path / "uploads" / "pending" / "7" / old_key
    stale = time.time() - 3 * 86400
    os.utime(old, (stale, stale))
    assert kept_photos.save_pending(tmp_path, 7, new_key, [clean]) == [clean.sha256]
    assert not old.exists()
    assert [p.sha256 for p in kept_photos.load_pending(tmp_path, 7, new_key, [clean.sha256])] == [
        clean.sha256
    ]
    assert kept_photos.load_pending(tmp_path, 8, new_key, [clean.sha256]) == []
    assert kept_photos.save_pending(tmp_path, 7, "../../etc", [clean]) == []
