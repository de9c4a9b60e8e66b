"""The organisers' side of the jury (dewan juri): each judge's work and the panel's agreement, the open
assignments with override and top-up, the flagged activities, and an activity's review history with
annulment.

Reads here; every change goes through app.judging (assignment, corrections), which audits it in the same
transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts.auth import CurrentUser, organiser_only
from app.activities import attestation
from app.activities import photos as photo_service
from app.activities import services as activity_service
from app.competitions.services import CompetitionInfo, current_competition, rubric, scoring_rubric, teams
from app.competitions.stages import stage_closed_for_activity, stage_label
from app.errors import DomainError, NotFound
from app.inputs import parse_id
from app.judging import assignment as assignments
from app.judging import corrections, reviews
from app.judging.scores import judge_q
from app.organiser.jury_reads import (
    FLAGS,
    PAGE_SIZE,
    REASON_MAX,
    activity_assignments,
    age_text,
    assignment_by_id,
    console,
    eligible_judges,
    flag_reason,
    flagged_activities,
    fraction_text,
    open_assignment_list,
    origin_label,
    percent_text,
    q_text,
)
from app.organiser.season import jury_settings
from app.tables import (
    Account,
    Activity,
    Review,
)
from app.web import Pager, page, page_number, status_of


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


# --- Numbers as the organisers read them ----------------------------------------------------------


class JuryController(Controller):
    """/panitia/juri: the judges and the panel's agreement; the open assignments."""

    path = "/panitia/juri"
    guards = [organiser_only]

    @get("/")
    async def judges(self, request: Request[Any, Any, Any]) -> Template:
        competition = await _competition()
        tolerance = await _tolerance_text(competition.id)
        judges, agreed = await console(competition.id)
        return page(
            request,
            "organiser/jury.html",
            competition=competition,
            judges=judges,
            agreement=agreed,
            q_text=q_text,
            percent_text=percent_text,
            fraction_text=fraction_text,
            tolerance=tolerance,
            attested=await attestation.counts(competition.id),
        )

    async def _assignments_page(
        self,
        request: Request[Any, Any, Any],
        *,
        juri: str | None,
        tim: str | None,
        tanda: str | None,
        halaman: str | None,
        setelah: str | None = None,
        sebelum: str | None = None,
    ) -> Template:
        competition = await _competition()
        judge_id = parse_id(juri) if juri else None
        team_code = (tim or "").strip()[:16]
        flag = (tanda or "").strip()
        number = page_number(halaman)
        after = parse_id(setelah) if setelah else None
        before = parse_id(sebelum) if sebelum else None
        rows, total = await open_assignment_list(
            competition.id,
            judge_id=judge_id,
            team_code=team_code,
            flag=flag,
            number=number,
            after=after,
            before=before,
        )
        query = {k: v for k, v in (("juri", juri or ""), ("tim", team_code), ("tanda", flag)) if v}
        base = "/panitia/juri/tugas?" + (urlencode(query) + "&" if query else "")
        judges = await (
            Account.select(Account.id, Account.username, Account.full_name)
            .where(Account.role == "judge")
            .order_by(Account.full_name)
            .order_by(Account.username)
        )
        now = datetime.now(UTC)
        for row in rows:
            row["age"] = age_text(row["created_at"], now)
            row["origin_label"] = origin_label(row["origin"])
        return page(
            request,
            "organiser/jury_assignments.html",
            competition=competition,
            assignments=rows,
            pager=Pager(number, PAGE_SIZE, total),
            cursors=(rows[0]["id"], rows[-1]["id"]) if rows else None,
            total=total,
            base=base,
            judges=judges,
            teams=await teams(competition.id),
            filters={"juri": judge_id, "tim": team_code, "tanda": flag},
            flags=FLAGS,
            flagged=await flagged_activities(competition.id),
            assigned=request.query_params.get("ditugaskan"),
            moved=request.query_params.get("dialihkan"),
            stage_label=stage_label,
        )

    @get("/tugas")
    async def assignments(
        self,
        request: Request[Any, Any, Any],
        juri: FromQuery[str | None] = None,
        tim: FromQuery[str | None] = None,
        tanda: FromQuery[str | None] = None,
        halaman: FromQuery[str | None] = None,
        setelah: FromQuery[str | None] = None,
        sebelum: FromQuery[str | None] = None,
    ) -> Template:
        return await self._assignments_page(
            request, juri=juri, tim=tim, tanda=tanda, halaman=halaman, setelah=setelah, sebelum=sebelum
        )

    @post("/tugas/lengkapi")
    async def top_up(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Redirect:
        """ "Tugaskan yang belum mendapat juri": every submitted activity gets its missing judges."""
        competition = await _competition()
        count = await assignments.assign_unassigned(competition, user)
        return Redirect(f"/panitia/juri/tugas?ditugaskan={count}")

    async def _override_page(
        self,
        request: Request[Any, Any, Any],
        competition: CompetitionInfo,
        assignment_id: int | None,
        *,
        values: dict[str, Any] | None = None,
        error: str = "",
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        row = await assignment_by_id(competition.id, assignment_id) if assignment_id is not None else None
        if row is None:
            raise NotFoundException(detail=i18n._("Assignment not found."))
        row["age"] = age_text(row["created_at"])
        row["origin_label"] = origin_label(row["origin"])
        return page(
            request,
            "organiser/jury_override.html",
            status_code=status_code,
            competition=competition,
            assignment=row,
            candidates=await eligible_judges(competition.id, row) if row["status"] == "open" else [],
            values=values or {},
            error=error,
            errors=errors or {},
            stage_label=stage_label,
        )

    @get("/alihkan")
    async def override_form(
        self, request: Request[Any, Any, Any], tugas: FromQuery[str | None] = None
    ) -> Template:
        competition = await _competition()
        return await self._override_page(request, competition, parse_id(tugas))

    @post("/alihkan")
    async def override(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        assignment_id = parse_id(form.get("tugas"))
        judge_id = parse_id(form.get("judge"))
        confirmed = form.get("confirm") == "1"
        values = {"judge": judge_id, "confirm": confirmed}
        errors: dict[str, str] = {}
        if judge_id is None:
            errors["judge"] = i18n._("Choose the judge who takes it over.")
        if not confirmed:
            errors["confirm"] = i18n._("Tick the box to confirm.")
        if errors:
            return await self._override_page(
                request, competition, assignment_id, values=values, errors=errors, status_code=422
            )
        assert assignment_id is not None and judge_id is not None
        try:
            await assignments.override_assignment(competition, assignment_id, judge_id, user)
        except NotFound:
            raise
        except DomainError as exc:
            return await self._override_page(
                request,
                competition,
                assignment_id,
                values=values,
                error=exc.message,
                status_code=status_of(exc),
            )
        return Redirect(f"/panitia/juri/tugas?dialihkan={assignment_id}")


class JuryActivityController(Controller):
    """/panitia/kegiatan/{id}: an activity as the organisers see it, every review version, annulment."""

    path = "/panitia/kegiatan"
    guards = [organiser_only]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        activity_id: int,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        error: str = "",
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        row = await Activity.select(Activity.competition).where(Activity.id == activity_id).first()
        activity = await activity_service.activity(activity_id) if row else None
        if activity is None or row is None or row["competition"] != competition.id:
            raise NotFoundException(detail=i18n._("Activity not found."))
        flag = await Activity.select(Activity.jury_flag).where(Activity.id == activity_id).first()
        history = await reviews.review_history(activity_id)
        weighed = await scoring_rubric(competition.id, "activity")
        criteria = await rubric(competition.id, "activity")
        for h in history:
            h["q"] = q_text(judge_q(weighed, h["judge"], h["scores"]))
            h["annullable"] = h["is_current"] and h["annulled_at"] is None
        assignments = await activity_assignments(activity_id)
        for a in assignments:
            a["origin_label"] = origin_label(a["origin"])
        stage_closed = await stage_closed_for_activity(competition.id)
        return page(
            request,
            "organiser/jury_activity.html",
            status_code=status_code,
            competition=competition,
            activity=activity,
            jury_flag=flag["jury_flag"] if flag else "",
            flag_reason=flag_reason(flag["jury_flag"]) if flag else "",
            village=regions.village(activity["village_code"] or ""),
            district=regions.district(activity["district_code"] or ""),
            photos=await photo_service.photos_of(activity_id),
            history=history,
            criteria=criteria,
            assignments=assignments,
            stage_closed=stage_closed,
            values=values or {},
            errors=errors or {},
            error=error,
            annulled=request.query_params.get("dibatalkan"),
        )

    @get("/{activity_id:int}")
    async def detail(self, request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Template:
        return await self._page(request, activity_id)

    @post("/{activity_id:int}/batalkan")
    async def annul(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        """ "Batalkan ulasan": corrections.annul_review with a mandatory reason and a confirmation."""
        competition = await _competition()
        form = await request.form()
        review_id = parse_id(form.get("review"))
        reason = str(form.get("reason") or "")[:REASON_MAX]
        confirmed = form.get("confirm") == "1"
        values = {"review": review_id, "reason": reason, "confirm": confirmed}
        if await stage_closed_for_activity(competition.id):
            return await self._page(
                request,
                activity_id,
                values=values,
                error=i18n._("The verification stage is closed: its reviews can no longer change."),
                status_code=409,
            )
        errors: dict[str, str] = {}
        belongs = review_id is not None and await Review.exists().where(
            (Review.id == review_id) & (Review.activity == activity_id)
        )
        if not belongs:
            errors["review"] = i18n._("Choose a review of this activity.")
        if not reason.strip():
            errors["reason"] = i18n._("Annulling a review needs a reason.")
        if not confirmed:
            errors["confirm"] = i18n._("Tick the box to confirm.")
        if errors:
            return await self._page(request, activity_id, values=values, errors=errors, status_code=422)
        assert review_id is not None
        try:
            status = await corrections.annul_review(competition, user, review_id, reason)
        except NotFound:
            raise
        except DomainError as exc:
            return await self._page(
                request, activity_id, values=values, error=exc.message, status_code=status_of(exc)
            )
        return Redirect(f"/panitia/kegiatan/{activity_id}?dibatalkan={status}")


async def _tolerance_text(competition_id: int) -> str:
    settings = await jury_settings(competition_id)
    try:
        return i18n.format_number(Decimal(settings["q_tolerance"]), 6)
    except (InvalidOperation, TypeError):
        return str(settings["q_tolerance"])
