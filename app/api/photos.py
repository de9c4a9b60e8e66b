"""A photo's stored copy (EXIF removed) and its thumbnail through the API, for whoever may see its activity:
the /foto route's rule (app.activities.photos.stored_copy, app.activities.policy)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import File

from app.accounts.auth import CurrentUser, signed_in
from app.activities import photos
from app.api.common import BEARER, responses
from app.inputs import MAX_ID
from app.settings import Settings

PhotoId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
HEADERS = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}


async def _file(settings: Settings, user: CurrentUser, photo_id: int, *, thumbnail: bool) -> File:
    copy = await photos.stored_copy(settings.var_dir, user, photo_id, thumbnail=thumbnail)
    return File(
        path=copy.path, media_type=copy.content_type, content_disposition_type="inline", headers=HEADERS
    )


class PhotoController(Controller):
    tags = ["photos"]
    path = "/photos"

    @get(
        "/{photo_id:int}",
        guards=[signed_in],
        operation_id="getPhoto",
        summary="A photo's stored copy (JPEG, PNG or WebP, without EXIF) for whoever may see its activity",
        media_type="image/*",
        content_media_type="image/*",
        response_description="The image (Content-Type image/jpeg, image/png or image/webp).",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def full(
        self, photo_id: PhotoId, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser]
    ) -> File:
        return await _file(settings, user, photo_id, thumbnail=False)

    @get(
        "/{photo_id:int}/thumbnail",
        guards=[signed_in],
        operation_id="getPhotoThumbnail",
        summary="A photo's thumbnail (a small JPEG) for whoever may see its activity",
        media_type="image/jpeg",
        content_media_type="image/jpeg",
        response_description="The thumbnail as a JPEG image.",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def thumbnail(
        self, photo_id: PhotoId, settings: NamedDependency[Settings], user: NamedDependency[CurrentUser]
    ) -> File:
        return await _file(settings, user, photo_id, thumbnail=True)
