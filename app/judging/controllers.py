"""The judge's queue: submitted activities of other regencies, to verify or reject with a reason."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts.auth import judge_only
from app.activities import photos as photo_service
from app.competitions.services import current_competition
from app.judging import services
from app.web import Pager, current_user, page, page_number


class JudgeController(Controller):
    path = "/juri"
    guards = [judge_only]

    @get("/")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        halaman: FromQuery[str | None] = None,
        selesai: FromQuery[str | None] = None,
    ) -> Template:
        user = current_user(request)
        assert user is not None
        competition = await current_competition()
        number = page_number(halaman)
        rows: list[dict[str, Any]] = []
        total = 0
        if competition is not None:
            rows, total = await services.queue(competition.id, user, number)
        return page(
            request,
            "judging/queue.html",
            activities=rows,
            pager=Pager(number, services.PAGE_SIZE, total),
            competition=competition,
            done=selesai,
            photo_summary=await photo_service.photo_summaries(rows),
            village=regions.village,
            district=regions.district,
            errors={},
            reasons={},
        )

    @post("/kegiatan/{activity_id:int}/keputusan")
    async def decide(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int]
    ) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
        competition = await current_competition()
        if competition is None:
            raise NotFoundException()
        form = await request.form()
        decision = str(form.get("decision") or "")
        reason = str(form.get("reason") or "")[:2000]
        try:
            status = await services.decide(competition, user, activity_id, decision, reason)
        except services.DecisionError as exc:
            if exc.status == 422:
                rows, total = await services.queue(competition.id, user, 1)
                return page(
                    request,
                    "judging/queue.html",
                    status_code=422,
                    activities=rows,
                    pager=Pager(1, services.PAGE_SIZE, total),
                    competition=competition,
                    done=None,
                    village=regions.village,
                    district=regions.district,
                    errors={activity_id: exc.message},
                    reasons={activity_id: reason},
                )
            raise HTTPException(status_code=exc.status, detail=exc.message) from None
        del status
        return Redirect(f"/juri?selesai={activity_id}")

    @get("/kegiatan/{activity_id:int}")
    async def detail(self, request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Template:
        user = current_user(request)
        assert user is not None
        row = await services.activity_for_judge(activity_id)
        if row is None:
            raise NotFoundException()
        if user.region_code and row["team.code"] == user.region_code:
            raise HTTPException(
                status_code=403, detail=i18n._("You may not judge an activity of your own regency/city.")
            )
        return page(
            request,
            "judging/detail.html",
            activity=row,
            village=regions.village(row["village_code"] or ""),
            district=regions.district(row["district_code"] or ""),
            competition=await current_competition(),
            errors={},
            reasons={},
            photos=await photo_service.photos_with_flags(activity_id, row["occurred_at"]),
        )
