"""Photo evidence of an activity: checked by content, re-encoded without EXIF, stored under the var dir."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from PIL import Image, ImageOps, UnidentifiedImageError

from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.db import write_transaction
from app.i18n import _
from app.tables import Activity, Photo

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PHOTOS = 10
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

# A decompression bomb (a tiny file that unpacks to gigapixels) is refused before it is decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


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


def clean_image(raw: bytes) -> CleanPhoto:
    """The public copy of an uploaded image: JPEG, PNG or WebP only, re-encoded so no metadata survives."""
    if not raw:
        raise PhotoError(422, _("The photo is empty."))
    if len(raw) > MAX_BYTES:
        raise PhotoError(413, _("The photo is too large: at most %(n)s MB.", n=MAX_BYTES // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format or ""
            if kind not in FORMATS:
                raise PhotoError(422, _("Only JPEG, PNG or WebP photos are accepted."))
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(422, _("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(raw)) as opened:
            # Phones record the orientation in EXIF, which is about to go: turn the pixels instead.
            image = ImageOps.exif_transpose(opened) or opened
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert(
                    "RGBA" if "transparency" in image.info or "A" in image.getbands() else "RGB"
                )
            # A new image from the pixels alone: EXIF (GPS, device), XMP and text chunks stay behind.
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            save: dict[str, Any] = {"format": kind}
            if kind == "JPEG":
                if clean.mode not in ("RGB", "L"):
                    clean = clean.convert("RGB")
                save["quality"] = 88
            clean.save(out, **save)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(422, _("That file is not a readable JPEG, PNG or WebP photo.")) from None
    except (OSError, ValueError, SyntaxError):
        raise PhotoError(422, _("That file is not a readable JPEG, PNG or WebP photo.")) from None
    content = out.getvalue()
    content_type, extension = FORMATS[kind]
    return CleanPhoto(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


async def add_photo(
    var_dir: Path, activity_id: int, user: CurrentUser, raw: bytes
) -> tuple[dict[str, Any], bool]:
    """Stores the photo of the participant's own, still undecided activity; (photo row, created)."""
    row = (
        await Activity.select(Activity.id, Activity.team, Activity.status, Activity.competition)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or row["team"] != user.team_id:
        raise PhotoError(404, _("Activity not found."))
    if row["status"] != "submitted":
        raise PhotoError(409, _("Photos can only be added while the activity awaits judging."))
    photo = await anyio.to_thread.run_sync(clean_image, raw)
    relative = (
        Path("uploads") / str(row["competition"]) / str(activity_id) / f"{photo.sha256}.{photo.extension}"
    )
    target = var_dir / relative

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            temporary = target.with_suffix(".part")
            temporary.write_bytes(photo.content)
            temporary.replace(target)

    async with write_transaction(lock=f"activity-photo:{activity_id}"):
        existing = (
            await Photo.select()
            .where((Photo.activity == activity_id) & (Photo.sha256 == photo.sha256))
            .first()
        )
        if existing is not None:
            return existing, False
        if await Photo.count().where(Photo.activity == activity_id) >= MAX_PHOTOS:
            raise PhotoError(409, _("An activity has at most %(n)s photos.", n=MAX_PHOTOS))
        await anyio.to_thread.run_sync(write)
        saved = Photo(
            activity=activity_id,
            path=relative.as_posix(),
            sha256=photo.sha256,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            size=len(photo.content),
            uploaded_by=user.id,
        )
        await saved.save()
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action="photo.add",
            object_type="activity",
            object_id=activity_id,
            after={"photo": saved.id, "sha256": photo.sha256, "width": photo.width, "height": photo.height},
            competition_id=row["competition"],
        )
    created = await Photo.select().where(Photo.id == saved.id).first()
    assert created is not None
    return created, True


async def photos_of(activity_id: int) -> list[dict[str, Any]]:
    return await Photo.select().where(Photo.activity == activity_id).order_by(Photo.id)
