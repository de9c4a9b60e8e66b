"""The participant's pages: record a joint activity, and the team's activities with their status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from app import i18n, regions
from app.accounts.auth import CurrentUser, participant_only, signed_in
from app.activities import forms, kept_photos, officer_pages, photos, policy, services
from app.competitions.services import CompetitionInfo, activity_types, current_competition
from app.competitions.stages import stage_closed_for_activity
from app.settings import Settings
from app.web import Pager, page, page_number

# The form carries up to 5 photos of at most 8 MB; a 20 MB photo or a 10 MB title must still reach our
# validation (and come back with a clear message), not die in the framework's size check.
FORM_PHOTOS = 5
FORM_MAX_BODY = FORM_PHOTOS * photos.MAX_BYTES + 16 * 1024 * 1024


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("No competition is running yet."))
    return competition


async def _checked_photos(form: Any, errors: dict[str, str]) -> list[photos.CleanPhoto]:
    """Every photo of the form checked by content before anything is stored; the first problem is shown."""
    uploads = [
        u for u in (form.getall("photos", []) if hasattr(form, "getall") else []) if isinstance(u, UploadFile)
    ]
    uploads = [u for u in uploads if u.filename]
    if len(uploads) > FORM_PHOTOS:
        errors["photos"] = i18n._("At most %(n)s photos per activity.", n=FORM_PHOTOS)
        return []
    checked: list[photos.CleanPhoto] = []
    for upload in uploads:
        try:
            photos.check_filename(upload.filename)
            raw = await upload.read(photos.MAX_BYTES + 1)
            checked.append(await photos.check_upload(raw))
        except photos.PhotoError as exc:
            errors["photos"] = f"{upload.filename[:80]}: {exc.message}"
            return []
    return checked


async def _no_change_reason(row: dict[str, Any], *, withdraw: bool) -> str:
    return await services.why_unchangeable(row, withdraw=withdraw) or ""


def closed_message() -> str:
    return i18n._(
        "Activity verification is closed for this season: new activities can no longer be sent. "
        "Your entry is kept as a draft."
    )


class ActivityController(Controller):
    path = "/kegiatan"
    guards = [participant_only]

    async def _form_page(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        competition: CompetitionInfo,
        data: forms.ActivityInput,
        errors: dict[str, str],
        status_code: int = 200,
        restored: bool = False,
        mode: str = "new",
        target: int | None = None,
        kept: list[str] | None = None,
    ) -> Template:
        assert user.team_code is not None
        types = await activity_types(competition.id)
        clusters: dict[str, list[dict[str, Any]]] = {}
        for t in types:
            clusters.setdefault(t["cluster"], []).append(t)
        districts = regions.districts_of(user.team_code)
        chosen = regions.district(data.district_code) if data.district_code else None
        if chosen is not None and chosen.regency_code == user.team_code:
            # With a kecamatan chosen, only its desa/kelurahan; without (no JavaScript yet), all of them.
            villages = [(chosen, regions.villages_of(chosen.code))]
        else:
            villages = [(d, regions.villages_of(d.code)) for d in districts]
        officers = list(data.officers) + [{"name": "", "rank": "", "nrp": "", "polres": ""}] * max(
            0, forms.OFFICER_SLOTS - len(data.officers)
        )
        return page(
            request,
            "activities/form.html",
            status_code=status_code,
            competition=competition,
            data=data,
            officers=officers,
            senkom_text="\n".join(m["name"] for m in data.senkom_members),
            errors=errors,
            clusters=clusters,
            districts=districts,
            villages=villages,
            polres=regions.polres_list(),
            max_photos=FORM_PHOTOS,
            restored=restored,
            max_mb=photos.MAX_BYTES // (1024 * 1024),
            mode=mode,
            kept=kept or [],
            submissions_closed=mode != "edit" and await stage_closed_for_activity(competition.id),
            form_action={
                "edit": f"/kegiatan/{target}/ubah",
                "resubmit": f"/kegiatan/{target}/kirim-ulang",
            }.get(mode, "/kegiatan/baru"),
        )

    @get("/baru")
    async def new(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        competition = await _competition()
        assert user.team_id is not None
        draft = await services.latest_draft(user.id, user.team_id)
        data = forms.from_draft(draft["fields"]) if draft else None
        if data is not None and draft is not None:
            # What was typed on this or another device comes back, under the same idempotency key.
            data.idempotency_key = draft["form_key"]
        else:
            now_local = (
                datetime.now(UTC).astimezone(ZoneInfo(competition.timezone)).strftime("%Y-%m-%dT%H:%M")
            )
            data = forms.ActivityInput(occurred_at_local=now_local, idempotency_key=forms.new_key())
        return await self._form_page(
            request, user, competition, data, {}, restored=data is not None and draft is not None
        )

    @post("/baru", request_max_body_size=FORM_MAX_BODY)
    async def create(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
    ) -> Template | Redirect:
        competition = await _competition()
        data, errors, clean, checked = await self._clean(user, competition, await request.form(), settings)
        if not checked and "photos" not in errors:
            # Evidence is part of a joint activity: a new one needs at least one photo (edits keep theirs).
            errors["photos"] = i18n._(
                "Add at least one photo of the activity (at most %(n)s).", n=FORM_PHOTOS
            )
            clean = None
        if clean is None:
            if "form" in errors:
                data.idempotency_key = forms.new_key()
            kept = await self._keep(settings, user.id, data.idempotency_key, errors, checked)
            return await self._form_page(request, user, competition, data, errors, status_code=422, kept=kept)
        try:
            activity_id, _created = await services.submit(competition.id, user, clean)
        except services.IdempotencyConflict:
            data.idempotency_key = forms.new_key()
            errors["form"] = i18n._(
                "This form was already sent with different data. Check the fields and send it again."
            )
            return await self._form_page(request, user, competition, data, errors, status_code=409)
        except services.SubmissionsClosed:
            errors["form"] = closed_message()
            kept = await self._keep(settings, user.id, data.idempotency_key, errors, checked)
            return await self._form_page(request, user, competition, data, errors, status_code=409, kept=kept)
        # A retry of the same form finds its activity and adds only what is missing (same content, one photo).
        await self._store_photos(settings, activity_id, user, checked)
        await services.drop_draft(user.id, clean.idempotency_key)
        await anyio.to_thread.run_sync(
            kept_photos.drop_pending, settings.var_dir, user.id, clean.idempotency_key
        )
        return Redirect(f"/kegiatan/{activity_id}?terkirim=1")

    @post("/draf", status_code=200)
    async def save_draft(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Response[dict[str, Any]]:
        """Called by capture.js as the participant types: keeps the draft and checks the fields so far."""
        competition = await _competition()
        assert user.team_code is not None
        form = await request.form()
        data, errors = forms.from_form(form)
        try:
            key = str(uuid.UUID(data.idempotency_key))
        except ValueError:
            return Response({"saved": False, "errors": {}}, status_code=422)
        assert user.team_id is not None
        # Checked before it is kept: a time the checks refuse never goes into the draft (forms.to_draft).
        forms.validate(
            data,
            errors=errors,
            type_codes={t["code"] for t in await activity_types(competition.id)},
            team_code=user.team_code,
            starts_on=competition.starts_on,
            ends_on=competition.ends_on,
            timezone=competition.timezone,
        )
        errors.pop("form", None)
        saved = await services.save_draft(user.id, user.team_id, key, forms.to_draft(data))
        return Response({"saved": saved, "errors": errors})

    @post("/draf/buang")
    async def discard_draft(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Redirect:
        form = await request.form()
        key = form.get("idempotency_key")
        if isinstance(key, str) and key:
            await services.drop_draft(user.id, key[:64])
        return Redirect("/kegiatan/baru")

    @get("/desa")
    async def villages(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        district_code: FromQuery[str | None] = None,
    ) -> Template:
        """The desa/kelurahan options of one kecamatan of the team's regency (htmx swaps them in)."""
        assert user.team_code is not None
        chosen = regions.district(district_code or "")
        if chosen is not None and chosen.regency_code == user.team_code:
            groups = [(chosen, regions.villages_of(chosen.code))]
        else:
            groups = [(d, regions.villages_of(d.code)) for d in regions.districts_of(user.team_code)]
        return page(request, "activities/_villages.html", villages=groups, selected="")

    @get("/")
    async def list(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        halaman: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        ditarik: FromQuery[str | None] = None,
    ) -> Template:
        assert user.team_id is not None
        number = page_number(halaman)
        chosen = status if status in services.LIST_STATUSES else None
        rows, total, counts = await services.team_activities_by_status(user.team_id, number, chosen)
        competition = await current_competition()
        caps = (
            await services.period_caps(competition.id, competition.timezone, user.team_id)
            if competition
            else []
        )
        return page(
            request,
            "activities/list.html",
            activities=rows,
            pager=Pager(number, services.PAGE_SIZE, total),
            competition=competition,
            caps=caps,
            counts=counts,
            status=chosen,
            withdrawn=bool(ditarik),
        )

    async def _own(self, user: CurrentUser, activity_id: int) -> dict[str, Any]:
        # Another team's activity is reported as missing, not forbidden (app.activities.policy).
        return (await policy.activity_view(user, activity_id)).row

    async def _clean(
        self, user: CurrentUser, competition: CompetitionInfo, form: Any, settings: Settings
    ) -> tuple[forms.ActivityInput, dict[str, str], forms.CleanActivity | None, list[photos.CleanPhoto]]:
        assert user.team_code is not None
        data, errors = forms.from_form(form)
        checked = await _checked_photos(form, errors)
        hashes = [
            h
            for h in (form.getall("kept_photos", []) if hasattr(form, "getall") else [])
            if isinstance(h, str)
        ]
        if hashes and "photos" not in errors:
            kept = await anyio.to_thread.run_sync(
                kept_photos.load_pending,
                settings.var_dir,
                user.id,
                data.idempotency_key,
                hashes[:FORM_PHOTOS],
            )
            unique = {p.sha256: p for p in kept + checked}
            checked = list(unique.values())
            if len(checked) > FORM_PHOTOS:
                errors["photos"] = i18n._("At most %(n)s photos per activity.", n=FORM_PHOTOS)
                checked = []
        clean = forms.validate(
            data,
            errors=errors,
            type_codes={t["code"] for t in await activity_types(competition.id)},
            team_code=user.team_code,
            starts_on=competition.starts_on,
            ends_on=competition.ends_on,
            timezone=competition.timezone,
        )
        return data, errors, clean, checked

    async def _keep(
        self,
        settings: Settings,
        account_id: int,
        key: str,
        errors: dict[str, str],
        checked: list[photos.CleanPhoto],
    ) -> list[str]:
        """Valid photos of a refused form wait on the server, so nobody has to choose them again."""
        if "photos" in errors or not checked:
            return []
        return await anyio.to_thread.run_sync(
            kept_photos.save_pending, settings.var_dir, account_id, key, checked
        )

    async def _store_photos(
        self,
        settings: Settings,
        activity_id: int,
        user: CurrentUser,
        checked: list[photos.CleanPhoto],
    ) -> None:
        for photo in checked:
            try:
                await photos.store_photo(settings.var_dir, activity_id, user, photo, max_photos=FORM_PHOTOS)
            except photos.PhotoError:
                break

    @get("/{activity_id:int}/ubah")
    async def edit_form(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        competition = await _competition()
        row = await self._own(user, activity_id)
        if not await services.may_change(row):
            raise HTTPException(status_code=409, detail=await _no_change_reason(row, withdraw=False))
        data = forms.from_row(row, competition.timezone, forms.new_key())
        return await self._form_page(request, user, competition, data, {}, mode="edit", target=activity_id)

    @post("/{activity_id:int}/ubah", request_max_body_size=FORM_MAX_BODY)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        activity_id: FromPath[int],
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
    ) -> Template | Redirect:
        competition = await _competition()
        await self._own(user, activity_id)
        data, errors, clean, checked = await self._clean(user, competition, await request.form(), settings)
        present = {p["sha256"] for p in await photos.photos_of(activity_id)}
        if len(present | {p.sha256 for p in checked}) > FORM_PHOTOS:
            errors["photos"] = i18n._("At most %(n)s photos per activity.", n=FORM_PHOTOS)
            checked, clean = [], None
        if clean is None:
            data.idempotency_key = forms.new_key()
            kept = await self._keep(settings, user.id, data.idempotency_key, errors, checked)
            return await self._form_page(
                request, user, competition, data, errors, 422, mode="edit", target=activity_id, kept=kept
            )
        # NotFound / NotEditable (a Conflict saying why) reach the page through app.web's translation.
        await services.update_activity(competition.id, user, activity_id, clean)
        await self._store_photos(settings, activity_id, user, checked)
        await anyio.to_thread.run_sync(
            kept_photos.drop_pending, settings.var_dir, user.id, data.idempotency_key
        )
        return Redirect(f"/kegiatan/{activity_id}?diubah=1")

    @get("/{activity_id:int}/tarik")
    async def withdraw_confirm(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        row = await self._own(user, activity_id)
        if not await services.may_change(row):
            raise HTTPException(status_code=409, detail=await _no_change_reason(row, withdraw=True))
        return page(request, "activities/withdraw.html", activity=row)

    @post("/{activity_id:int}/tarik")
    async def withdraw(
        self,
        activity_id: FromPath[int],
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
    ) -> Redirect:
        competition = await _competition()
        await self._own(user, activity_id)
        files = await services.withdraw(competition.id, user, activity_id)
        await anyio.to_thread.run_sync(_remove_files, Path(settings.var_dir), files)
        return Redirect("/kegiatan?ditarik=1")

    @get("/{activity_id:int}/kirim-ulang")
    async def resubmit_form(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        row = await self._own(user, activity_id)
        assert user.team_id is not None
        again = await services.resubmission_of(user.team_id, activity_id)
        if again is not None:
            return Redirect(f"/kegiatan/{again}")
        if row["status"] != "rejected" or await services.is_resubmission(activity_id):
            raise HTTPException(
                status_code=409, detail=i18n._("Only a rejected activity can be corrected and sent again.")
            )
        data = forms.from_row(row, competition.timezone, forms.new_key())
        return await self._form_page(
            request, user, competition, data, {}, mode="resubmit", target=activity_id
        )

    @post("/{activity_id:int}/kirim-ulang", request_max_body_size=FORM_MAX_BODY)
    async def resubmit(
        self,
        request: Request[Any, Any, Any],
        activity_id: FromPath[int],
        settings: NamedDependency[Settings],
        user: NamedDependency[CurrentUser],
    ) -> Template | Redirect:
        competition = await _competition()
        await self._own(user, activity_id)
        data, errors, clean, checked = await self._clean(user, competition, await request.form(), settings)
        if clean is None:
            data.idempotency_key = forms.new_key()
            kept = await self._keep(settings, user.id, data.idempotency_key, errors, checked)
            return await self._form_page(
                request, user, competition, data, errors, 422, mode="resubmit", target=activity_id, kept=kept
            )
        try:
            new_id, _created = await services.resubmit(competition.id, user, activity_id, clean)
        except services.NotEditable:
            raise HTTPException(
                status_code=409,
                detail=i18n._("Only a rejected activity can be corrected and sent again, and only once."),
            ) from None
        except services.SubmissionsClosed:
            errors["form"] = closed_message()
            kept = await self._keep(settings, user.id, data.idempotency_key, errors, checked)
            return await self._form_page(
                request, user, competition, data, errors, 409, mode="resubmit", target=activity_id, kept=kept
            )
        await self._store_photos(settings, new_id, user, checked)
        await anyio.to_thread.run_sync(
            kept_photos.drop_pending, settings.var_dir, user.id, data.idempotency_key
        )
        return Redirect(f"/kegiatan/{new_id}?terkirim=1")

    @get("/{activity_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        activity_id: FromPath[int],
        user: NamedDependency[CurrentUser],
        terkirim: FromQuery[str | None] = None,
        diubah: FromQuery[str | None] = None,
    ) -> Template:
        assert user.team_id is not None
        row = await self._own(user, activity_id)
        return page(
            request,
            "activities/detail.html",
            activity=row,
            sent=bool(terkirim),
            village=regions.village(row["village_code"] or ""),
            district=regions.district(row["district_code"] or ""),
            competition=await current_competition(),
            photos=await photos.photos_of(activity_id),
            max_photos=FORM_PHOTOS,
            edited=bool(diubah),
            changeable=await services.may_change(row),
            verification_closed=row["status"] == "submitted"
            and await services.verification_closed(activity_id),
            timeline=await services.timeline(row),
            resubmitted=await services.resubmission_of(user.team_id, activity_id),
            officer_panel=await officer_pages.participant_panel(request, row),
        )


def _remove_files(var_dir: Path, relatives: list[str]) -> None:
    for relative in relatives:
        target = photos.locate(var_dir, relative)
        if target is not None:
            target.unlink(missing_ok=True)


class PhotoController(Controller):
    """The stored copies of activity photos (no EXIF) for the team that sent them, judges and organisers."""

    path = "/foto"
    guards = [signed_in]

    async def _file(self, user: CurrentUser, settings: Settings, photo_id: int, thumbnail: bool) -> File:
        # Whoever may see the activity may see its photos, and nobody else (photos.stored_copy, the policy).
        copy = await photos.stored_copy(settings.var_dir, user, photo_id, thumbnail=thumbnail)
        return File(
            path=copy.path,
            media_type=copy.content_type,
            content_disposition_type="inline",
            headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    @get("/{photo_id:int}")
    async def full(
        self, photo_id: FromPath[int], settings: NamedDependency[Settings], user: NamedDependency[CurrentUser]
    ) -> File:
        return await self._file(user, settings, photo_id, thumbnail=False)

    @get("/{photo_id:int}/kecil")
    async def small(
        self, photo_id: FromPath[int], settings: NamedDependency[Settings], user: NamedDependency[CurrentUser]
    ) -> File:
        return await self._file(user, settings, photo_id, thumbnail=True)
