"""Photo evidence of an activity: checked by content, scaled to a stored size and re-encoded without EXIF,
stored under the var dir; photos of a refused form kept for a while."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import anyio.to_thread
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from app import regions
from app.accounts.auth import CurrentUser
from app.activities import attestation, policy
from app.activities.services import why_unchangeable
from app.audit import services as audit
from app.db import lock_activity, write_transaction
from app.errors import NotFound
from app.i18n import _
from app.tables import Activity, Photo

log = logging.getLogger("sinergi")

MAX_BYTES = 8 * 1024 * 1024
# 50 MP: the full-resolution mode of common Android sensors and the iPhone's 48 MP "HEIF Max". A JPEG that
# large is decoded at a fraction of its size (see STORED_LONG_SIDE); other formats are decoded whole, one
# at a time, which bounds what the largest allowed picture can cost.
MAX_PIXELS = 50_000_000
MAX_PHOTOS = 10
# The stored copy's longest side. Judges read photos as evidence (faces, banners, a village sign):
# 2560 px keeps them sharp on any screen and when zoomed in, at about a sixth of a 40 MP camera's pixels.
STORED_LONG_SIDE = 2560
# Decodes running at once in one process. A decode holds the upload's pixels (a 40 MP JPEG drafted to
# 10 MP: 30 MB; a 50 MP PNG, which has no draft mode: 200 MB), so the bound is on how many run together;
# the others wait without holding a worker thread (see check_upload).
DECODE_SLOTS = 1
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# What each accepted container is stored as: a multi-picture JPEG (MPO, as many phone cameras write)
# keeps its first picture; HEIC/HEIF from iPhones becomes a JPEG, which every browser shows.
STORED_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}

# A decompression bomb (a tiny file that unpacks to gigapixels) is refused before it is decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# HEIC/HEIF support (pillow-heif): registered once, when this module is first imported.
pillow_heif.register_heif_opener()
_decode_threads = threading.BoundedSemaphore(DECODE_SLOTS)
_decode_waiting = anyio.CapacityLimiter(DECODE_SLOTS)


class PhotoError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    content: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int
    # For the judges: read from the original before its metadata is dropped.
    phash: str = ""
    thumbnail: bytes = b""
    taken_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None


THUMB_SIZE = 320
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132
# Phones write the capture time without a zone: in Jawa Timur it is WIB.
EXIF_TZ = ZoneInfo("Asia/Jakarta")


def check_filename(name: str | None) -> None:
    """A browser sends the bare file name; a folder path in it is a crafted request and is refused."""
    name = name or ""
    if "/" in name or "\\" in name or ".." in name or "\x00" in name:
        raise PhotoError(422, _("The file name must not contain a folder path."))


def dhash(image: Image.Image) -> str:
    """A 64-bit difference hash: survives re-encoding and resizing, so a photo used again is recognised."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _rational(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        numerator, denominator = value
        return float(numerator) / float(denominator)


def _exif_facts(image: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """The capture time (WIB) and GPS position of the original; anything unreadable is left out."""
    try:
        exif = image.getexif()
    except Exception:
        return None, None, None
    taken_at = None
    lat = lon = None
    try:
        raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
        if isinstance(raw, bytes):
            raw = raw.decode("ascii", "replace")
        if isinstance(raw, str) and raw.strip():
            taken_at = datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=EXIF_TZ)
            taken_at = taken_at.astimezone(UTC)
    except (ValueError, TypeError, KeyError, AttributeError):
        taken_at = None
    try:
        gps = exif.get_ifd(GPS_IFD)
        if gps.get(2) and gps.get(4):
            d, m, sec = (_rational(x) for x in gps[2])
            lat = d + m / 60 + sec / 3600
            d, m, sec = (_rational(x) for x in gps[4])
            lon = d + m / 60 + sec / 3600
            if str(gps.get(1, "N")).upper().startswith("S"):
                lat = -lat
            if str(gps.get(3, "E")).upper().startswith("W"):
                lon = -lon
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                lat = lon = None
    except (ValueError, TypeError, KeyError, AttributeError, ZeroDivisionError):
        lat = lon = None
    return taken_at, lat, lon


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=72)
    return out.getvalue()


def _load_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: its allocator keeps its own counsel


_malloc_trim = _load_malloc_trim()


# Below this a decode's memory is small enough to leave to the allocator (trimming costs a few ms).
TRIM_AFTER_PIXELS = 4_000_000


def _release_freed_memory() -> None:
    """A large decode frees hundreds of megabytes in blocks that glibc keeps in its heaps for reuse: they
    go back to the system, or one busy minute of uploads keeps the process at its peak for good."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _decoded_for_storage(opened: Image.Image) -> Image.Image:
    """The picture at its stored size, decoding no more than that needs: a JPEG is read at 1/2, 1/4 or
    1/8 scale (libjpeg's draft mode: a 40 MP photo becomes 10 MP before any pixel is in memory), the
    rest is reduced by whole factors before the final resampling."""
    width, height = opened.size
    scale = min(1.0, STORED_LONG_SIDE / max(width, height))
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if opened.format in ("JPEG", "MPO"):
        # Pillow picks the smallest DCT scale that still covers the target.
        opened.draft(None, target)
    opened.load()
    if opened.size == target:
        return opened
    if opened.mode in ("RGBA", "LA"):
        # Pillow resizes these through a premultiplied copy of the whole picture; band by band costs a
        # quarter of that (a photo's alpha, if any, is flat: nothing to premultiply for).
        bands = [
            opened.getchannel(band).resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
            for band in opened.getbands()
        ]
        return Image.merge(opened.mode, bands)
    return opened.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)


def clean_image(raw: bytes) -> CleanPhoto:
    """The public copy of an uploaded image: JPEG (multi-picture too), PNG, WebP or HEIC/HEIF, at most
    STORED_LONG_SIDE px, re-encoded so no metadata survives. At most DECODE_SLOTS run at once per
    process, whoever calls."""
    if not raw:
        raise PhotoError(422, _("The photo is empty."))
    if len(raw) > MAX_BYTES:
        raise PhotoError(413, _("The photo is too large: at most %(n)s MB.", n=MAX_BYTES // (1024 * 1024)))
    with _decode_threads:
        photo, pixels = _clean(raw)
    # After _clean returned, its pictures are freed: a large decode's memory can go back to the system.
    if pixels > TRIM_AFTER_PIXELS:
        _release_freed_memory()
    return photo


def _clean(raw: bytes) -> tuple[CleanPhoto, int]:
    """The cleaned photo and the original's pixel count."""
    unreadable = _("That file is not a readable JPEG, PNG, WebP or HEIC photo.")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format or ""
            if kind not in STORED_AS:
                raise PhotoError(
                    422,
                    _("Only JPEG, PNG, WebP or HEIC/HEIF photos are accepted, not %(kind)s.", kind=kind),
                )
            pixels = probe.width * probe.height
            if pixels > MAX_PIXELS:
                raise PhotoError(422, _("The photo has too many pixels."))
            probe.verify()
        stored = STORED_AS[kind]
        with Image.open(io.BytesIO(raw)) as opened:
            taken_at, gps_lat, gps_lon = _exif_facts(opened)
            resized = _decoded_for_storage(opened)
            # Phones record the orientation in EXIF, which is about to go: turn the pixels instead.
            image = ImageOps.exif_transpose(resized) or resized
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert(
                    "RGBA" if "transparency" in image.info or "A" in image.getbands() else "RGB"
                )
            # A new image from the pixels alone: EXIF (GPS, device), XMP and text chunks stay behind.
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            save: dict[str, Any] = {"format": stored}
            if stored == "JPEG":
                if clean.mode not in ("RGB", "L"):
                    clean = clean.convert("RGB")
                save["quality"] = 88
            clean.save(out, **save)
            phash = dhash(clean)
            thumbnail = _thumbnail(clean)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(422, _("The photo has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError(422, unreadable) from None
    content = out.getvalue()
    content_type, extension = FORMATS[stored]
    photo = CleanPhoto(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        phash=phash,
        thumbnail=thumbnail,
        taken_at=taken_at,
        gps_lat=gps_lat,
        gps_lon=gps_lon,
    )
    return photo, pixels


async def check_upload(raw: bytes) -> CleanPhoto:
    """clean_image in a worker thread, never on the event loop. Uploads beyond DECODE_SLOTS wait here,
    holding no thread, so a burst of photos does not starve the other work that needs one."""
    return await anyio.to_thread.run_sync(clean_image, raw, limiter=_decode_waiting)


async def add_photo(
    var_dir: Path, activity_id: int, user: CurrentUser, raw: bytes
) -> tuple[dict[str, Any], bool]:
    """Stores the photo of the participant's own, still undecided activity; (photo row, created)."""
    await _own_open_activity(activity_id, user)
    photo = await check_upload(raw)
    return await store_photo(var_dir, activity_id, user, photo)


async def _own_open_activity(activity_id: int, user: CurrentUser) -> dict[str, Any]:
    row = (
        await Activity.select(Activity.id, Activity.team, Activity.status, Activity.competition)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or row["team"] != user.team_id:
        raise PhotoError(404, _("Activity not found."))
    # The same rule as an edit (services.why_unchangeable): decided, looked at by a judge, or verification
    # closed — whichever door the photo comes through.
    reason = await why_unchangeable(row, withdraw=False)
    if reason is not None:
        raise PhotoError(409, reason)
    return row


async def store_photo(
    var_dir: Path, activity_id: int, user: CurrentUser, photo: CleanPhoto, *, max_photos: int = MAX_PHOTOS
) -> tuple[dict[str, Any], bool]:
    """Stores an already checked photo (see clean_image); the same content twice is one photo."""
    await _own_open_activity(activity_id, user)
    async with write_transaction(lock=f"activity-photo:{activity_id}"):
        # Checked again under the activity's lock (app.db.LOCK_ORDER): a verdict or a withdrawal that
        # committed meanwhile refuses the photo instead of adding evidence after the fact.
        await lock_activity(activity_id)
        row = await _own_open_activity(activity_id, user)
        saved, created = await write_photo(
            var_dir, row["competition"], activity_id, photo, uploaded_by=user.id, max_photos=max_photos
        )
        if not created:
            return saved, False
        # Still under the activity's lock: a photo changes the activity, so an officer's confirmation of
        # it is withdrawn and asked again (as an edit does).
        await attestation.renew_after_photo(activity_id, actor=user)
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action="photo.add",
            object_type="activity",
            object_id=activity_id,
            after={
                "photo": saved["id"],
                "sha256": photo.sha256,
                "width": photo.width,
                "height": photo.height,
            },
            competition_id=row["competition"],
        )
    stored = await Photo.select().where(Photo.id == saved["id"]).first()
    assert stored is not None
    return stored, True


async def write_photo(
    var_dir: Path,
    competition_id: int,
    activity_id: int,
    photo: CleanPhoto,
    *,
    uploaded_by: int | None,
    max_photos: int = MAX_PHOTOS,
) -> tuple[dict[str, Any], bool]:
    """Writes a checked photo's copy and thumbnail under <var>/uploads/<competition>/<activity>/ and inserts
    its Photo row: (the existing row, False) when the activity has this content already, else (the new
    row's values, True). Checks nothing about who sends it: runs inside the caller's write transaction
    (store_photo's for an upload, the demo's when it is seeded)."""
    folder = Path("uploads") / str(competition_id) / str(activity_id)
    relative = folder / f"{photo.sha256}.{photo.extension}"
    thumb_relative = folder / f"{photo.sha256}.thumb.jpg"
    target = var_dir / relative

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        for path, content in ((target, photo.content), (var_dir / thumb_relative, photo.thumbnail)):
            if content and not path.exists():
                temporary = path.with_name(path.name + ".part")
                temporary.write_bytes(content)
                temporary.replace(path)

    existing = (
        await Photo.select().where((Photo.activity == activity_id) & (Photo.sha256 == photo.sha256)).first()
    )
    if existing is not None:
        return existing, False
    if await Photo.count().where(Photo.activity == activity_id) >= max_photos:
        raise PhotoError(409, _("An activity has at most %(n)s photos.", n=max_photos))
    await anyio.to_thread.run_sync(write)
    saved = Photo(
        activity=activity_id,
        path=relative.as_posix(),
        sha256=photo.sha256,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        size=len(photo.content),
        uploaded_by=uploaded_by,
        phash=photo.phash,
        thumb_path=thumb_relative.as_posix() if photo.thumbnail else "",
        taken_at=photo.taken_at,
        gps_lat=f"{photo.gps_lat:.6f}" if photo.gps_lat is not None else None,
        gps_lon=f"{photo.gps_lon:.6f}" if photo.gps_lon is not None else None,
    )
    await saved.save()
    return saved.to_dict(), True


async def photos_of(activity_id: int) -> list[dict[str, Any]]:
    return await Photo.select().where(Photo.activity == activity_id).order_by(Photo.id)


# A photo taken more than this long before or after the activity is flagged to the judges.
DATE_TOLERANCE_HOURS = 48
# Difference hashes this close are the same picture (re-encoded, resized or lightly edited).
SAME_PICTURE_BITS = 6


@cache
def regency_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Code -> (min_lat, min_lon, max_lat, max_lon) of each regency/city of Jawa Timur, with a margin
    (app/data/jatim_regency_bbox.json, see app/data/README.md)."""
    text = (resources.files("app") / "data" / "jatim_regency_bbox.json").read_text(encoding="utf-8")
    boxes = json.loads(text)["boxes"]
    return {code: (box[0], box[1], box[2], box[3]) for code, box in boxes.items()}


def outside_regency(regency_code: str | None, lat: Any, lon: Any) -> bool:
    """Whether an EXIF GPS position lies outside the regency's box; False when either is unknown."""
    box = regency_boxes().get(regency_code or "")
    if box is None or lat is None or lon is None:
        return False
    try:
        y, x = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(y) and math.isfinite(x)):
        return False
    return not (box[0] <= y <= box[2] and box[1] <= x <= box[3])


def _region_flag(regency_code: str) -> dict[str, Any]:
    known = regions.regency(regency_code)
    return {"kind": "region", "region": known.name if known else regency_code, "code": regency_code}


async def photos_with_flags(activity_id: int, occurred_at: datetime | None) -> list[dict[str, Any]]:
    """The activity's photos with what a judge should look at: an EXIF time far from the activity's
    date, an EXIF GPS position outside the team's regency, and the same picture used in another
    activity (of any team)."""
    rows = await photos_of(activity_id)
    owner = None
    if any(r.get("gps_lat") is not None for r in rows):
        owner = (
            await Activity.select(Activity.team.code.as_alias("team_code"))
            .where(Activity.id == activity_id)
            .first()
        )
    regency_code = owner["team_code"] if owner else None
    hashes = [r["phash"] for r in rows if r.get("phash")]
    others: list[dict[str, Any]] = []
    if hashes:
        others = await (
            Photo.select(
                Photo.id, Photo.activity, Photo.phash, Photo.activity.team.code.as_alias("team_code")
            )
            .where(
                (Photo.activity != activity_id)
                & (Photo.phash != "")
                # The same season: its activities are what the judges compare.
                & (
                    Photo.activity.competition.is_in(
                        Activity.select(Activity.competition).where(Activity.id == activity_id)
                    )
                )
            )
            .order_by(Photo.id)
        )
    for row in rows:
        flags: list[dict[str, Any]] = []
        taken = row.get("taken_at")
        if taken is not None and occurred_at is not None:
            if taken.tzinfo is None:
                taken = taken.replace(tzinfo=UTC)
            when = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
            hours = abs((taken - when).total_seconds()) / 3600
            if hours > DATE_TOLERANCE_HOURS:
                flags.append({"kind": "date", "days": round(hours / 24, 1)})
        if regency_code and outside_regency(regency_code, row.get("gps_lat"), row.get("gps_lon")):
            flags.append(_region_flag(regency_code))
        if row.get("phash"):
            for other in others:
                if hamming(row["phash"], other["phash"]) <= SAME_PICTURE_BITS:
                    flags.append(
                        {"kind": "reused", "activity": other["activity"], "team": other["team_code"]}
                    )
        row["flags"] = flags
    return rows


async def photo_summaries(rows: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
    """For a page of the judges' queue: per activity, how many photos and how many flags (two queries)."""
    ids = [r["id"] for r in rows]
    if not ids:
        return {}
    mine = await Photo.select(
        Photo.activity,
        Photo.phash,
        Photo.taken_at,
        Photo.gps_lat,
        Photo.gps_lon,
        Photo.activity.team.code.as_alias("team_code"),
    ).where(Photo.activity.is_in(ids))
    hashed = [p for p in mine if p["phash"]]
    others: list[dict[str, Any]] = []
    if hashed:
        others = await Photo.select(Photo.activity, Photo.phash).where(
            (Photo.phash != "")
            & Photo.activity.competition.is_in(
                Activity.select(Activity.competition).where(Activity.id.is_in(ids))
            )
        )
    occurred = {r["id"]: r.get("occurred_at") for r in rows}
    summary = {i: {"photos": 0, "flags": 0} for i in ids}
    for p in mine:
        entry = summary[p["activity"]]
        entry["photos"] += 1
        taken, when = p["taken_at"], occurred.get(p["activity"])
        if taken is not None and when is not None:
            taken = taken if taken.tzinfo else taken.replace(tzinfo=UTC)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            if abs((taken - when).total_seconds()) > DATE_TOLERANCE_HOURS * 3600:
                entry["flags"] += 1
        if outside_regency(p["team_code"], p["gps_lat"], p["gps_lon"]):
            entry["flags"] += 1
        if p["phash"] and any(
            o["activity"] != p["activity"] and hamming(o["phash"], p["phash"]) <= SAME_PICTURE_BITS
            for o in others
        ):
            entry["flags"] += 1
    return summary


# --- The stored copy, for whoever may see it ------------------------------------------------------------


def locate(var_dir: Path, relative: str) -> Path | None:
    """The stored file under the var dir's uploads, or None (missing, or a path leading elsewhere)."""
    root = var_dir.resolve()
    target = (root / relative).resolve()
    return target if target.is_relative_to(root / "uploads") and target.is_file() else None


@dataclass(frozen=True, slots=True)
class StoredCopy:
    path: Path
    content_type: str


async def stored_copy(
    var_dir: Path | str, viewer: CurrentUser, photo_id: int, *, thumbnail: bool
) -> StoredCopy:
    """A photo's stored copy (no EXIF) or its thumbnail, for a viewer who may see its activity (the policy's
    rule and refusals); the same for the /foto route and the API."""
    row = await policy.photo_for(viewer, photo_id)
    small = thumbnail and bool(row["thumb_path"])
    relative = row["thumb_path"] if small else row["path"]
    target = await anyio.to_thread.run_sync(locate, Path(var_dir), relative)
    if target is None:
        raise NotFound(_("Photo not found."))
    return StoredCopy(target, "image/jpeg" if small else row["content_type"])
