"""The demo's activities carry photo evidence stored as uploads are (clean JPEGs, no EXIF, thumbnails, the
EXIF facts on the row), the judges see them, a few deliberately show each photo flag, and seeding twice
adds nothing."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.activities.photos import outside_regency, photos_with_flags
from app.competitions.services import competition_by_slug
from app.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from app.tables import Account, Activity, Photo
from tests.integration.conftest import wipe

ACTIVITIES = 80


@pytest.fixture(scope="module")
async def demo(app, settings) -> AsyncIterator[dict[str, Any]]:
    await wipe()
    assert await seed_demo(Path(settings.var_dir), activities=ACTIVITIES)
    competition = await competition_by_slug(DEMO_SLUG)
    assert competition is not None
    activities = await Activity.select(
        Activity.id,
        Activity.status,
        Activity.occurred_at,
        Activity.submitted_by,
        Activity.team.code.as_alias("team_code"),
    ).order_by(Activity.id)
    flags: dict[int, list[str]] = {}
    for a in activities:
        for photo in await photos_with_flags(a["id"], a["occurred_at"]):
            flags.setdefault(a["id"], []).extend(f["kind"] for f in photo["flags"])
    yield {"competition": competition, "activities": activities, "flags": flags}
    shutil.rmtree(Path(settings.var_dir) / "uploads" / str(competition.id), ignore_errors=True)


async def test_every_activity_has_one_or_two_clean_photos(demo, settings):
    photos = await Photo.select().order_by(Photo.id)
    per_activity = Counter(p["activity"] for p in photos)
    assert set(per_activity) == {a["id"] for a in demo["activities"]}
    assert set(per_activity.values()) <= {1, 2}
    var = Path(settings.var_dir)
    for photo in photos:
        assert photo["path"].startswith(f"uploads/{demo['competition'].id}/{photo['activity']}/")
        for relative in (photo["path"], photo["thumb_path"]):
            with Image.open(io.BytesIO((var / relative).read_bytes())) as image:
                assert image.format == "JPEG"
                assert not image.getexif() and "exif" not in image.info
        assert photo["content_type"] == "image/jpeg" and len(photo["phash"]) == 16
        assert photo["taken_at"] is not None
    # The EXIF facts came from the pictures: the capture time is the activity's time and the GPS position
    # lies in the team's regency, except where a flag is meant to show.
    activity = {a["id"]: a for a in demo["activities"]}
    on_time = [p for p in photos if p["taken_at"] == activity[p["activity"]]["occurred_at"].astimezone(UTC)]
    assert len(on_time) >= len(photos) - 2
    located = [p for p in photos if p["gps_lat"] is not None]
    assert len(located) > len(photos) // 2
    outside = [
        p
        for p in located
        if outside_regency(activity[p["activity"]]["team_code"], p["gps_lat"], p["gps_lon"])
    ]
    assert len(outside) == 1
    # The demo participants' teams sent their own activities.
    members = {
        r["team.code"]: r["id"]
        for r in await Account.select(Account.id, Account.team.code).where(Account.role == "participant")
    }
    for a in demo["activities"]:
        assert a["submitted_by"] == members.get(a["team_code"])
    assert any(a["submitted_by"] for a in demo["activities"])
    assert {p["uploaded_by"] for p in photos} <= {None, *members.values()}


async def test_each_photo_flag_is_shown_on_purpose_and_nowhere_else(demo, browser_factory):
    flagged = {i: kinds for i, kinds in demo["flags"].items() if kinds}
    by_kind: dict[str, list[int]] = {}
    for activity_id, kinds in flagged.items():
        for kind in kinds:
            by_kind.setdefault(kind, []).append(activity_id)
    reused = set(by_kind["reused"])
    assert len(reused) == 2  # the picture and its copy point at each other
    # The copy carries its source's capture time: days away too, when no activity was near in date.
    assert len(set(by_kind["date"]) - reused) == 1 and len(by_kind["region"]) == 1
    assert len(flagged) == 4
    status = {a["id"]: a["status"] for a in demo["activities"]}
    assert {status[i] for i in flagged} == {"submitted"}
    judge = await browser_factory()
    await judge.login("juri3", DEMO_PASSWORD)
    for kind, ids in by_kind.items():
        for activity_id in ids:
            page = await judge.get(f"/juri/kegiatan/{activity_id}")
            assert page.status_code == 200
            assert 'data-testid="judge-photo"' in page.text
            assert f'data-testid="photo-flag" data-kind="{kind}"' in page.text


async def test_a_judge_sees_the_photos_of_the_activity_in_front_of_them(demo, browser_factory):
    judge = await browser_factory()
    await judge.login("juri1", DEMO_PASSWORD)
    page = await judge.get("/juri")
    assert page.status_code == 200
    assert 'data-testid="judge-photo"' in page.text and 'data-testid="judge-no-photos"' not in page.text
    photo_id = page.text.split('src="/foto/', 1)[1].split("/kecil", 1)[0]
    thumbnail = await judge.get(f"/foto/{photo_id}/kecil")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    full = await judge.get(f"/foto/{photo_id}")
    with Image.open(io.BytesIO(full.content)) as image:
        assert image.format == "JPEG" and not image.getexif()
    waiting = await judge.get("/juri/daftar")
    assert 'data-testid="queue-photos"' in waiting.text


async def test_seeding_again_adds_no_photo(demo, settings):
    photos = await Photo.count()
    root = Path(settings.var_dir) / "uploads" / str(demo["competition"].id)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert not await seed_demo(Path(settings.var_dir), activities=ACTIVITIES)
    assert await Photo.count() == photos
    assert sorted(p for p in root.rglob("*") if p.is_file()) == files
