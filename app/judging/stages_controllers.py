"""Pages of the stages: the organisers' stage console (set up, close with confirmation) and the Berita Acara
for organisers and judges (list with SHA-256, download). The public per-stage ranking is a leaderboard page
(`app.leaderboard.stage_board`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only, requires
from app.competitions import stage_setup
from app.competitions.services import (
    CompetitionInfo,
    current_competition,
    results_published,
    ruleset_in_force,
)
from app.competitions.stages import stage_by_id, stage_label
from app.competitions.stages import stages as all_stages_of
from app.errors import DomainError
from app.judging import stages
from app.judging.berita_acara import TITLED_PLACES, place_title
from app.tables import STAGE_KINDS
from app.web import page, status_of

STAGE_FIELDS = ("code", "name", "name_en", "kind", "top_n", "weight")


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


async def _stage(competition: CompetitionInfo, stage_id: int) -> dict[str, Any]:
    stage = await stage_by_id(competition.id, stage_id)
    if stage is None:
        raise NotFoundException(detail=i18n._("Stage not found."))
    return stage


async def _final_locked(competition: CompetitionInfo) -> str | None:
    """Why a weight can no longer change (it would publish rules after the final results), shown on the
    form before anyone tries, or None."""
    if await results_published(competition.id):
        return i18n._("The final results are published: this can no longer be changed.")
    return None


class StageConsoleController(Controller):
    """The organisers' stages: their status and weights, a form for each, and closing one."""

    path = "/panitia/tahap"
    guards = [organiser_only]

    async def _index(
        self,
        request: Request[Any, Any, Any],
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        all_stages = await all_stages_of(competition.id)
        _, ruleset = await ruleset_in_force(competition.id)
        records = {r["stage"]: r for r in await stages.records(competition.id)}
        return page(
            request,
            "organiser/stages.html",
            status_code=status_code,
            competition=competition,
            stages=all_stages,
            weights=dict(ruleset.stages),
            records=records,
            kinds=STAGE_KINDS,
            final_locked=await _final_locked(competition),
            values=values or stage_setup.stage_values(None, {}),
            errors=errors or {},
            label=stage_label,
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return await self._index(request)

    async def _form_values(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        form = await request.form()
        return {k: str(form.get(k) or "").strip()[:200] for k in STAGE_FIELDS}

    @post("/")
    async def create(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        values = await self._form_values(request)
        cleaned, errors = stage_setup.validate_stage(values, None, await all_stages_of(competition.id))
        status = 422
        if not errors:
            try:
                await stage_setup.save_stage(competition, None, cleaned, user)
            except DomainError as exc:
                # The service's refusal keeps its status (409 for a conflict, as on the API).
                errors.update(exc.fields or {"code": exc.message})
                status = status_of(exc)
        if errors:
            return await self._index(request, values=values, errors=errors, status_code=status)
        return Redirect("/panitia/tahap?disimpan=1")

    async def _edit(
        self,
        request: Request[Any, Any, Any],
        stage: dict[str, Any],
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        _, ruleset = await ruleset_in_force(competition.id)
        return page(
            request,
            "organiser/stages_edit.html",
            status_code=status_code,
            competition=competition,
            stage=stage,
            kinds=STAGE_KINDS,
            final_locked=await _final_locked(competition),
            values=values or stage_setup.stage_values(stage, dict(ruleset.stages)),
            errors=errors or {},
            label=stage_label,
        )

    @get("/{stage_id:int}")
    async def edit(self, request: Request[Any, Any, Any], stage_id: FromPath[int]) -> Template:
        competition = await _competition()
        return await self._edit(request, await _stage(competition, stage_id))

    @post("/{stage_id:int}")
    async def update(
        self, request: Request[Any, Any, Any], stage_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        stage = await _stage(competition, stage_id)
        values = await self._form_values(request)
        others = [s for s in await all_stages_of(competition.id) if s["id"] != stage_id]
        cleaned, errors = stage_setup.validate_stage(values, stage, others)
        status = 422
        if not errors:
            try:
                await stage_setup.save_stage(competition, stage_id, cleaned, user)
            except DomainError as exc:
                errors.update(exc.fields or {"code": exc.message})
                status = status_of(exc)
        if errors:
            return await self._edit(request, stage, values=values, errors=errors, status_code=status)
        return Redirect("/panitia/tahap?disimpan=1")

    async def _confirm(
        self,
        request: Request[Any, Any, Any],
        stage: dict[str, Any],
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        plan = await stages.close_plan(competition, stage)
        return page(
            request,
            "organiser/stages_close.html",
            status_code=status_code,
            competition=competition,
            stage=stage,
            plan=plan,
            reviews_required=competition.reviews_required,
            place_title=place_title,
            titled=TITLED_PLACES,
            error=error,
            label=stage_label,
        )

    @get("/{stage_id:int}/tutup")
    async def close_form(self, request: Request[Any, Any, Any], stage_id: FromPath[int]) -> Template:
        competition = await _competition()
        return await self._confirm(request, await _stage(competition, stage_id))

    @post("/{stage_id:int}/tutup")
    async def close(
        self, request: Request[Any, Any, Any], stage_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        stage = await _stage(competition, stage_id)
        form = await request.form()
        if form.get("confirm") != "1":
            return await self._confirm(
                request,
                stage,
                error=i18n._("Tick the box to confirm that the stage closes."),
                status_code=422,
            )
        try:
            await stages.close_stage(competition, stage_id, user)
        except DomainError as exc:
            return await self._confirm(request, stage, error=exc.message, status_code=status_of(exc))
        return Redirect(f"/berita-acara?tahap={stage['code']}")


class BeritaAcaraController(Controller):
    """The record of every closed stage: organisers and judges see its SHA-256 and download it."""

    path = "/berita-acara"
    guards = [requires("organiser", "judge")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        competition = await _competition()
        return page(
            request,
            "judging/berita_acara.html",
            competition=competition,
            records=await stages.records(competition.id),
            stages=await all_stages_of(competition.id),
            label=stage_label,
        )

    @get("/{stage_id:int}/unduh")
    async def download(self, stage_id: FromPath[int]) -> Response[bytes]:
        competition = await _competition()
        record = await stages.record_for_stage(competition.id, stage_id)
        if record is None:
            raise NotFoundException(detail=i18n._("This stage has no Berita Acara yet."))
        name = f"berita-acara-{competition.slug}-{record['stage.code']}.pdf"
        return Response(
            bytes(record["content"]),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-SHA256": record["sha256"],
            },
        )
