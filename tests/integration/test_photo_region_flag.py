"""A photo whose EXIF GPS position lies outside the team's regency/city is flagged to the judges (and only
that one): on the activity's page and in the photo flag count of the judges' lists."""

from __future__ import annotations

import re

from PIL import Image

from app.activities import photos as photo_service
from app.tables import Activity, Photo
from tests.integration.conftest import activity_form, form_key
from tests.integration.test_capture import picture
from tests.integration.test_participant import indonesian


def gps_exif(lat: float, lon: float) -> Image.Exif:
    """EXIF with only a GPS position (degrees, minutes, seconds), as a phone writes it."""

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = ("S" if lat < 0 else "N"), dms(lat)
    gps[3], gps[4] = ("W" if lon < 0 else "E"), dms(lon)
    return exif


SURABAYA = (-7.2575, 112.7521)
BANYUWANGI = (-8.22, 114.37)
KOTA_MALANG = (-7.98, 112.63)


async def _send(browser, photos: list[tuple[str, bytes]], **overrides) -> int:
    key = form_key((await browser.get("/kegiatan/baru")).text)
    files = [("photos", (name, content, "image/jpeg")) for name, content in photos]
    response = await browser.post("/kegiatan/baru", data=activity_form(key, **overrides), files=files)
    assert response.status_code in (302, 303), response.text[:500]
    return (await Activity.select(Activity.id).order_by(Activity.id, ascending=False).first())["id"]


def photo_items(html: str) -> list[str]:
    return re.findall(r'<li data-testid="judge-photo">.*?</li>', html, re.S)


async def test_only_the_photo_taken_outside_the_regency_is_flagged(season, browser_factory):
    sby = await browser_factory("peserta.sby")
    inside = picture(71, exif=gps_exif(*SURABAYA))
    outside = picture(72, exif=gps_exif(*BANYUWANGI))
    activity_id = await _send(sby, [("dalam.jpg", inside), ("luar.jpg", outside)])
    rows = await Photo.select(Photo.id, Photo.gps_lat, Photo.gps_lon).order_by(Photo.id)
    assert [(r["gps_lat"], r["gps_lon"]) for r in rows] == [
        ("-7.257500", "112.752100"),
        ("-8.220000", "114.370000"),
    ]

    flagged = await photo_service.photos_with_flags(activity_id, None)
    assert [p["flags"] for p in flagged] == [
        [],
        [{"kind": "region", "region": "Kota Surabaya", "code": "35.78"}],
    ]

    # A judge of another regency sees the flag on the second photo only, in Indonesian.
    judge = await browser_factory("juri.mlg")
    page = await judge.get(f"/juri/kegiatan/{activity_id}")
    assert page.status_code == 200
    first, second = photo_items(page.text)
    assert 'data-testid="photo-flag"' not in first
    assert second.count('data-testid="photo-flag"') == 1 and 'data-kind="region"' in second
    message = indonesian("Taken outside the area of %(region)s (GPS in the photo)", region="Kota Surabaya")
    assert message in second and "Diambil di luar wilayah Kota Surabaya" in second
    assert page.text.count('data-kind="region"') == 1

    # The judges' lists count it: one flagged photo of two.
    summary = await photo_service.photo_summaries([{"id": activity_id, "occurred_at": None}])
    assert summary == {activity_id: {"photos": 2, "flags": 1}}


async def test_a_photo_inside_the_regency_is_not_flagged(season, browser_factory):
    # Kota Malang lies inside Kabupaten Malang (35.07): the team's photo there is not flagged.
    mlg = await browser_factory("peserta.mlg")
    activity_id = await _send(
        mlg, [("kota.jpg", picture(73, exif=gps_exif(*KOTA_MALANG)))], village_code="35.07.01.2001"
    )
    judge = await browser_factory("juri.sby")
    page = await judge.get(f"/juri/kegiatan/{activity_id}")
    assert page.status_code == 200
    (item,) = photo_items(page.text)
    assert "-7.980000" in item and 'data-testid="photo-flag"' not in item
    summary = await photo_service.photo_summaries([{"id": activity_id, "occurred_at": None}])
    assert summary == {activity_id: {"photos": 1, "flags": 0}}
