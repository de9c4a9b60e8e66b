"""The participant's pages: record a joint activity, and the team's activities with their status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts.auth import participant_only
from app.activities import forms, services
from app.competitions.services import CompetitionInfo, activity_types, current_competition
from app.web import Pager, current_user, page, page_number

# A form with a 10 MB title must reach our validation, not die in the framework's size check.
FORM_MAX_BODY = 16 * 1024 * 1024


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("No competition is running yet."))
    return competition


class ActivityController(Controller):
    path = "/kegiatan"
    guards = [participant_only]

    async def _form_page(
        self,
        request: Request[Any, Any, Any],
        competition: CompetitionInfo,
        data: forms.ActivityInput,
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        user = current_user(request)
        assert user is not None and user.team_code is not None
        types = await activity_types(competition.id)
        clusters: dict[str, list[dict[str, Any]]] = {}
        for t in types:
            clusters.setdefault(t["cluster"], []).append(t)
        districts = [(d, regions.villages_of(d.code)) for d in regions.districts_of(user.team_code)]
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
            polres=regions.polres_list(),
        )

    @get("/baru")
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        competition = await _competition()
        now_local = datetime.now(UTC).astimezone(ZoneInfo(competition.timezone)).strftime("%Y-%m-%dT%H:%M")
        data = forms.ActivityInput(occurred_at_local=now_local, idempotency_key=forms.new_key())
        return await self._form_page(request, competition, data, {})

    @post("/baru", request_max_body_size=FORM_MAX_BODY)
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        competition = await _competition()
        user = current_user(request)
        assert user is not None and user.team_code is not None
        form = await request.form()
        data, errors = forms.from_form(form)
        types = {t["code"] for t in await activity_types(competition.id)}
        clean = forms.validate(
            data,
            errors=errors,
            type_codes=types,
            team_code=user.team_code,
            starts_on=competition.starts_on,
            ends_on=competition.ends_on,
            timezone=competition.timezone,
        )
        if clean is None:
            if "form" in errors:
                data.idempotency_key = forms.new_key()
            return await self._form_page(request, competition, data, errors, status_code=422)
        try:
            activity_id, _created = await services.submit(competition.id, user, clean)
        except services.IdempotencyConflict:
            data.idempotency_key = forms.new_key()
            errors["form"] = i18n._(
                "This form was already sent with different data. Check the fields and send it again."
            )
            return await self._form_page(request, competition, data, errors, status_code=409)
        return Redirect(f"/kegiatan/{activity_id}?terkirim=1")

    @get("/")
    async def list(self, request: Request[Any, Any, Any], halaman: FromQuery[str | None] = None) -> Template:
        user = current_user(request)
        assert user is not None and user.team_id is not None
        number = page_number(halaman)
        rows, total = await services.team_activities(user.team_id, number)
        return page(
            request,
            "activities/list.html",
            activities=rows,
            pager=Pager(number, services.PAGE_SIZE, total),
            competition=await current_competition(),
        )

    @get("/{activity_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        activity_id: FromPath[int],
        terkirim: FromQuery[str | None] = None,
    ) -> Template:
        user = current_user(request)
        assert user is not None
        row = await services.activity(activity_id)
        # Another team's activity is reported as missing, not forbidden, so ids reveal nothing.
        if row is None or row["team.id"] != user.team_id:
            raise NotFoundException()
        return page(
            request,
            "activities/detail.html",
            activity=row,
            sent=bool(terkirim),
            village=regions.village(row["village_code"] or ""),
            district=regions.district(row["district_code"] or ""),
            competition=await current_competition(),
        )
