"""Photo evidence for the demo's activities: pictures drawn with Pillow, carrying the EXIF a phone writes
(capture time, GPS in the team's regency/city), checked and stored exactly as uploads are. A few are made
to show the judges' flags: a picture reused from another activity, one taken weeks away from the
activity's date, one whose GPS lies outside the regency."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.activities.photos import (
    DATETIME_ORIGINAL,
    EXIF_IFD,
    GPS_IFD,
    SAME_PICTURE_BITS,
    CleanPhoto,
    clean_image,
    outside_regency,
    regency_boxes,
    write_photo,
)

WIDTH, HEIGHT = 480, 360
# Most phones record where a photo was taken; some have location turned off.
WITH_GPS = 0.85
FAR_DAYS = (18, 21, 25)


@dataclass(frozen=True, slots=True)
class DemoActivity:
    """What the pictures of one seeded activity need to know about it."""

    team_code: str
    occurred: datetime  # local time (WIB), as a phone's clock writes it
    village: str
    status: str


@dataclass(frozen=True, slots=True)
class PhotoPlan:
    activity: int  # index into the seeded activities
    key: str  # seeds the picture
    caption: str
    taken: datetime  # local capture time written into EXIF
    gps: tuple[float, float] | None
    reuse_of: int | None = None  # index of the plan whose very file this one is


def _inside(rng: random.Random, code: str) -> tuple[float, float]:
    """A point in the middle part of the regency's box (the box has a margin around it)."""
    lat0, lon0, lat1, lon1 = regency_boxes()[code]
    return (
        round(lat0 + (lat1 - lat0) * rng.uniform(0.25, 0.75), 5),
        round(lon0 + (lon1 - lon0) * rng.uniform(0.25, 0.75), 5),
    )


def _outside(rng: random.Random, code: str) -> tuple[float, float]:
    """The middle of another regency's box that lies outside this regency's box."""
    others = [c for c in sorted(regency_boxes()) if c != code]
    rng.shuffle(others)
    for other in others:
        lat0, lon0, lat1, lon1 = regency_boxes()[other]
        point = (round((lat0 + lat1) / 2, 5), round((lon0 + lon1) / 2, 5))
        if outside_regency(code, *point):
            return point
    raise AssertionError(f"no regency lies outside {code}")


def plan_photos(activities: Sequence[DemoActivity], seed: int, avoid: set[str]) -> list[PhotoPlan]:
    """One or two photos per activity. The deliberately flagged ones are activities still awaiting judging
    of teams outside `avoid` (the judges' own regencies), so that every judge can meet them."""
    rng = random.Random(f"{seed}-photos")
    waiting = [i for i, a in enumerate(activities) if a.status == "submitted" and a.team_code not in avoid]
    rng.shuffle(waiting)
    reused_by = reused_from = far = away = None
    if len(waiting) >= 4:
        reused_by = waiting[0]
        target = activities[reused_by]
        # The reused picture comes from another team's activity of the nearest date (so that, when it is
        # within a day or two, only its reuse gives it away).
        others = [i for i in waiting[1:] if activities[i].team_code != target.team_code] or waiting[1:2]
        reused_from = min(others, key=lambda i: abs(activities[i].occurred - target.occurred))
        far, away = [i for i in waiting[1:] if i != reused_from][:2]
    plans: list[PhotoPlan] = []
    first_of: dict[int, int] = {}
    order = list(range(len(activities)))
    if reused_by is not None and reused_from is not None:
        # The source's photos are planned first, so the reusing activity can point at its first one.
        order.remove(reused_from)
        order.insert(0, reused_from)
    for i in order:
        activity = activities[i]
        for n in range(1 if rng.random() < 0.8 else 2):
            taken = activity.occurred
            gps = _inside(rng, activity.team_code) if rng.random() < WITH_GPS else None
            if n == 0 and i == reused_from:
                gps = None  # the reusing team's regency is elsewhere: only the reuse is to give it away
            if n == 0 and i == far:
                taken = activity.occurred - timedelta(days=rng.choice(FAR_DAYS))
            if n == 0 and i == away:
                gps = _outside(rng, activity.team_code)
            if n == 0 and i == reused_by and reused_from is not None:
                j = first_of[reused_from]
                plans.append(PhotoPlan(i, plans[j].key, plans[j].caption, plans[j].taken, plans[j].gps, j))
                continue
            if n == 0:
                first_of[i] = len(plans)
            plans.append(PhotoPlan(i, f"{seed}/{i}/{n}", activity.village, taken, gps))
    return plans


def _colour(rng: random.Random, low: int = 30, high: int = 230) -> tuple[int, int, int]:
    return (rng.randrange(low, high), rng.randrange(low, high), rng.randrange(low, high))


def picture(key: str, caption: str) -> Image.Image:
    """A made-up scene (houses, a banner, people) that differs per key, with a caption band."""
    rng = random.Random(key)
    u = HEIGHT / 480  # the layout below is drawn for 640×480

    def at(value: float) -> int:
        return round(value * u)

    image = Image.new("RGB", (WIDTH, HEIGHT), _colour(rng, 150, 250))
    draw = ImageDraw.Draw(image)
    horizon = at(rng.randrange(170, 290))
    draw.rectangle((0, horizon, WIDTH, HEIGHT), fill=_colour(rng, 40, 200))
    x = -at(rng.randrange(0, 60))
    while x < WIDTH:
        width = at(rng.randrange(50, 150))
        top = horizon - at(rng.randrange(40, 150))
        draw.rectangle((x, top, x + width, horizon + at(10)), fill=_colour(rng))
        roof = top - at(rng.randrange(20, 50))
        draw.polygon([(x - at(8), top), (x + width // 2, roof), (x + width + at(8), top)], _colour(rng))
        x += width + at(rng.randrange(0, 40))
    banner = at(rng.randrange(20, 300))
    width = at(rng.randrange(160, 320))
    draw.rectangle((banner, horizon - at(90), banner + width, horizon - at(40)), fill=_colour(rng, 150, 255))
    for _ in range(rng.randint(3, 9)):
        px, py = at(rng.randrange(20, 620)), horizon + at(20) + rng.randrange(HEIGHT - at(150) - horizon)
        size = at(rng.randrange(14, 26))
        draw.rectangle((px - size, py, px + size, py + 4 * size), fill=_colour(rng))
        draw.ellipse(
            (px - size * 0.7, py - size * 1.5, px + size * 0.7, py - size * 0.1), fill=_colour(rng, 120, 230)
        )
    draw.rectangle((0, HEIGHT - at(64), WIDTH, HEIGHT), fill=(24, 24, 24))
    font = ImageFont.load_default(size=at(20))
    draw.text((at(14), HEIGHT - at(58)), "Dokumentasi kegiatan", fill=(255, 255, 255), font=font)
    draw.text((at(14), HEIGHT - at(32)), caption, fill=(225, 225, 225), font=font)
    return image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)


def phone_jpeg(image: Image.Image, taken: datetime, gps: tuple[float, float] | None) -> bytes:
    """The picture as a phone's camera saves it: JPEG with the capture time and, when known, GPS."""
    exif = Image.Exif()
    exif[0x010F] = "Demo"
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if gps is not None:
        block = exif.get_ifd(GPS_IFD)
        block[1], block[2] = ("S" if gps[0] < 0 else "N"), _dms(gps[0])
        block[3], block[4] = ("W" if gps[1] < 0 else "E"), _dms(gps[1])
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def _cleaned(plan: PhotoPlan, attempt: int) -> CleanPhoto:
    key = plan.key if attempt == 0 else f"{plan.key}/{attempt}"
    return clean_image(phone_jpeg(picture(key, plan.caption), plan.taken, plan.gps))


def make_photos(plans: Sequence[PhotoPlan]) -> list[CleanPhoto]:
    """Each plan's picture run through clean_image, as an upload is. A picture that the judges' check
    would call the same as an earlier one is drawn again, so only the deliberate reuse is flagged."""
    own = [i for i, p in enumerate(plans) if p.reuse_of is None]
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        cleaned = dict(zip(own, pool.map(lambda i: _cleaned(plans[i], 0), own), strict=True))
    seen: list[int] = []
    for i in own:
        attempt = 0
        while any((int(cleaned[i].phash, 16) ^ other).bit_count() <= SAME_PICTURE_BITS + 2 for other in seen):
            attempt += 1
            cleaned[i] = _cleaned(plans[i], attempt)
        seen.append(int(cleaned[i].phash, 16))
    return [cleaned[i if p.reuse_of is None else p.reuse_of] for i, p in enumerate(plans)]


async def store_photos(
    var_dir: Path,
    competition_id: int,
    activity_ids: Sequence[int],
    plans: Sequence[PhotoPlan],
    photos: Sequence[CleanPhoto],
    uploaded_by: Sequence[int | None],
) -> int:
    """Files and Photo rows as store_photo writes them (write_photo, inside the caller's write
    transaction); returns how many were stored."""
    stored = 0
    for plan, photo in zip(plans, photos, strict=True):
        _row, created = await write_photo(
            var_dir,
            competition_id,
            activity_ids[plan.activity],
            photo,
            uploaded_by=uploaded_by[plan.activity],
        )
        stored += created
    return stored
