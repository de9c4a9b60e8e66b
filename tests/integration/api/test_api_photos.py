"""Photo evidence over the API: checked by content, stored without EXIF, only by the team's participant."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from app.tables import Photo
from tests.integration.api.helpers import activity_body

BASE = "/api/v1/competitions/uji"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def _activity(api) -> int:
    response = await api.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": "foto-1"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_photo_is_stored_without_exif(season, api_factory, settings):
    participant = await api_factory("peserta.sby")
    activity_id = await _activity(participant)
    raw = jpeg_with_exif()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x010F) == "PhoneMaker"
    response = await participant.post(
        f"/api/v1/activities/{activity_id}/photos", files={"file": ("foto.jpg", raw, "image/jpeg")}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/jpeg" and (body["width"], body["height"]) == (64, 48)
    row = await Photo.select().where(Photo.id == body["id"]).first()
    stored = Path(settings.var_dir) / row["path"]
    assert row["path"].startswith("uploads/") and stored.exists()
    with Image.open(stored) as image:
        assert not image.getexif()
        assert "exif" not in image.info
    again = await participant.post(
        f"/api/v1/activities/{activity_id}/photos", files={"file": ("lagi.jpg", raw, "image/jpeg")}
    )
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    detail = (await participant.get(f"/api/v1/activities/{activity_id}")).json()
    assert [p["id"] for p in detail["photos"]] == [body["id"]]


async def test_bad_photos_are_refused(season, api_factory):
    participant = await api_factory("peserta.sby")
    activity_id = await _activity(participant)
    url = f"/api/v1/activities/{activity_id}/photos"
    text = await participant.post(url, files={"file": ("foto.jpg", b"not an image at all", "image/jpeg")})
    assert text.status_code == 422 and text.json()["errors"][0]["field"] == "file"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    assert (
        await participant.post(url, files={"file": ("a.gif", gif.getvalue(), "image/gif")})
    ).status_code == 422
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, format="PNG")
    refused = await participant.post(url, files={"file": ("bom.png", bomb.getvalue(), "image/png")})
    assert refused.status_code == 422
    big = await participant.post(
        url, files={"file": ("besar.jpg", b"\xff" * (9 * 1024 * 1024), "image/jpeg")}
    )
    assert big.status_code == 413
    assert (await participant.post(url, files={"other": ("a.txt", b"x", "text/plain")})).status_code in (
        400,
        422,
    )
    other_team = await api_factory("peserta.mlg")
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    assert (
        await other_team.post(url, files={"file": ("a.png", png.getvalue(), "image/png")})
    ).status_code == 404
    judge = await api_factory("juri.mlg")
    assert (await judge.post(url, files={"file": ("a.png", png.getvalue(), "image/png")})).status_code == 403
    assert await Photo.count() == 0


async def test_stored_copy_and_thumbnail_for_whoever_may_see_them(season, api_factory, browser_factory):
    participant = await api_factory("peserta.sby")
    activity_id = await _activity(participant)
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(png, format="PNG")
    added = await participant.post(
        f"/api/v1/activities/{activity_id}/photos", files={"file": ("foto.png", png.getvalue(), "image/png")}
    )
    assert added.status_code == 201, added.text
    photo_id = added.json()["id"]
    url = f"/api/v1/photos/{photo_id}"
    full = await participant.get(url)
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert full.headers["cache-control"].startswith("private")
    with Image.open(io.BytesIO(full.content)) as image:
        assert image.size == (640, 480) and not image.getexif()
    small = await participant.get(f"{url}/thumbnail")
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(small.content)) as image:
        assert image.format == "JPEG" and max(image.size) < 640
    # The same bytes as the /foto route gives the same viewer.
    page = await browser_factory("peserta.sby")
    assert (await page.get(f"/foto/{photo_id}")).content == full.content
    assert (await page.get(f"/foto/{photo_id}/kecil")).content == small.content
    # The same refusals: another team is told nothing, a judge of the regency is refused, the public signs in.
    for username, status in (("peserta.mlg", 404), ("juri.sby", 403), ("juri.mlg", 200), ("panitia", 200)):
        viewer = await api_factory(username)
        assert (await viewer.get(url)).status_code == status, username
        assert (await viewer.get(f"{url}/thumbnail")).status_code == status, username
    anonymous = await api_factory()
    refused = await anonymous.get(url)
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/json")
    missing = await participant.get("/api/v1/photos/999999", lang="en")
    assert missing.status_code == 404 and missing.json()["detail"] == "Photo not found."
    # Told nothing means the same answer as for a photo that does not exist (not "Activity not found.").
    other_team = await api_factory("peserta.mlg")
    for path in ("", "/thumbnail"):
        hidden = await other_team.get(f"{url}{path}", lang="en")
        assert hidden.json() == (await other_team.get(f"/api/v1/photos/999999{path}", lang="en")).json()
    assert (await participant.get("/api/v1/photos/0")).status_code == 422
