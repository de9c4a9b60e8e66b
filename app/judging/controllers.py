"""The judge's pages: the queue (one assignment at a time: an activity, or a team in a team-level stage),
the decision with the rubric, skip, the judge's own reviews and their revision, conflicts of interest.

Every page works as plain HTML forms (POST, then a redirect to the next GET); app/static/judge.js only adds
keyboard shortcuts.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts.auth import CurrentUser, judge_only
from app.activities import photos as photo_service
from app.activities import policy
from app.competitions.services import CompetitionInfo, current_competition
from app.competitions.stages import stage_closed_for_activity
from app.errors import Conflict, DomainError, Invalid
from app.inputs import parse_id
from app.judging import assignment as assignments
from app.judging import corrections, queue_views, reviews, scores
from app.web import Pager, page, page_number

REASON_MAX = 2000
NOTE_MAX = 2000


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException()
    return competition


def _berita_acara_url(request: Request[Any, Any, Any]) -> str | None:
    """The judges' Berita Acara list, when that page exists in this build."""
    for route in request.app.routes:
        if route.path in ("/juri/berita-acara", "/berita-acara"):
            return route.path
    return None


async def _base_context(
    request: Request[Any, Any, Any], user: CurrentUser, competition: CompetitionInfo | None
) -> dict[str, Any]:
    done, total = (0, 0)
    if competition is not None:
        done, total = await assignments.progress(competition.id, user)
    return {
        "competition": competition,
        "progress_done": done,
        "progress_total": total,
        "berita_acara_url": _berita_acara_url(request),
    }


# --- An activity in front of the judge ------------------------------------------------------------


async def _activity_context(
    competition: CompetitionInfo, user: CurrentUser, activity_id: int
) -> dict[str, Any]:
    """The activity as this judge may see it (app.activities.policy: NotFound / Forbidden, blind judging
    applied to the row itself), its photos with flags, place and rubric."""
    view = await policy.activity_view(user, activity_id, competition_id=competition.id)
    row = view.row
    photos = await photo_service.photos_with_flags(activity_id, row["occurred_at"])
    if view.blind:
        photos = queue_views.blind_flags(photos, i18n._("hidden"))
    return {
        "activity": row,
        "blind": view.blind,
        "village": None if view.blind else regions.village(row["village_code"] or ""),
        "district": None if view.blind else regions.district(row["district_code"] or ""),
        "photos": photos,
        "rubric": await queue_views.criteria(competition.id, "activity"),
    }


async def _team_assignment(
    competition: CompetitionInfo, user: CurrentUser, assignment_id: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The judge's team-stage assignment (its row and queue item), or 404."""
    row = await queue_views.team_assignment(competition.id, user.id, assignment_id) if assignment_id else None
    if row is None:
        raise NotFoundException(detail=i18n._("Assignment not found."))
    assignment = _as_queue_item(row)
    assert assignment is not None
    return row, assignment


async def _form_errors(action: Awaitable[Any]) -> dict[str, str]:
    """Runs a judge's form action: invalid input becomes the form's error, any other refusal the answer."""
    try:
        await action
    except Invalid as exc:
        return {"decision": exc.message}
    return {}


def _check_activity_form(
    decision: str,
    reason: str,
    rubric: list[dict[str, Any]],
    scores: dict[str, str],
    score_errors: dict[str, str],
) -> dict[str, str]:
    """Everything wrong with a decision form at once (field -> Indonesian message)."""
    errors: dict[str, str] = {}
    if decision not in reviews.DECISIONS:
        errors["decision"] = i18n._("Choose verify or reject.")
    elif decision == "rejected" and not reason.strip():
        errors["reason"] = i18n._("A rejection needs a reason.")
    by_code = {c["code"]: c for c in rubric}
    for key, message in score_errors.items():
        code = key.removeprefix("scores.")
        errors[by_code[code]["field"] if code in by_code else key] = message
    if decision == "verified" and scores:
        # Scores are optional, but a verification scored on some criteria only is a slip of the hand.
        for criterion in queue_views.missing_scores(rubric, scores):
            errors[criterion["field"]] = i18n._(
                "Give a score for this criterion too (or leave them all empty)."
            )
    return errors


async def _read_decision(
    request: Request[Any, Any, Any], competition: CompetitionInfo, rubric: list[dict[str, Any]]
) -> tuple[str, str, dict[str, str], dict[str, str], dict[str, str]]:
    """(decision, reason, clean scores, typed scores, errors) of a posted decision form."""
    form = await request.form()
    decision = str(form.get("decision") or "")
    reason = str(form.get("reason") or "")[:REASON_MAX]
    typed = queue_views.form_scores(form, rubric)
    clean: dict[str, str] = {}
    score_errors: dict[str, str] = {}
    if typed:
        clean, score_errors = await scores.check_scores(competition.id, typed, localised=True)
    errors = _check_activity_form(decision, reason, rubric, typed, score_errors)
    return decision, reason, clean, typed, errors


def _form_values(
    reason: str, typed: dict[str, str], rubric: list[dict[str, Any]], decision: str = ""
) -> dict[str, Any]:
    return {
        "reason": reason,
        "decision": decision,
        **{c["field"]: typed.get(c["code"], "") for c in rubric},
    }


def _as_queue_item(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """An Assignment row in the shape of assignment.next_assignment (None stays None)."""
    if row is None:
        return None
    return {
        "id": row["id"],
        "kind": "activity" if row["activity"] else "team",
        "activity_id": row["activity"],
        "team_id": row["team"],
        "stage_id": row["stage"],
        "origin": row["origin"],
        "status": row["status"],
    }


def _summary(errors: dict[str, str]) -> str:
    if list(errors) == ["decision"]:
        return errors["decision"]
    return i18n._("The decision was not saved: please correct what is marked below.")


def _day(moment: datetime | None, competition: CompetitionInfo | None) -> str:
    """The day the activity took place, in the season's time zone ("5 Des 2026")."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(competition.timezone if competition else "Asia/Jakarta")).date()
    return f"{i18n.format_short_date(local)} {local.year}"


class JudgeController(Controller):
    path = "/juri"
    guards = [judge_only]

    @get("/")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        selesai: FromQuery[str | None] = None,
        dilewati: FromQuery[str | None] = None,
    ) -> Template:
        """The judge's next assignment, one at a time."""
        competition = await current_competition()
        context = await _base_context(request, user, competition)
        assignment = None
        if competition is not None:
            # The same next assignment the API's queue gives (queue_views.next_in_queue).
            assignment, _view = await queue_views.next_in_queue(competition.id, user)
        context.update(
            assignment=assignment,
            done=selesai,
            skipped=dilewati,
            errors={},
            values={},
            error_summary="",
        )
        if assignment is not None and assignment["kind"] == "activity" and competition is not None:
            try:
                context.update(await _activity_context(competition, user, assignment["activity_id"]))
            except DomainError:
                context["assignment"] = None
        elif assignment is not None and competition is not None:
            context.update(await _team_context(competition, user, assignment))
        return page(request, "judging/queue.html", **context)

    @get("/daftar")
    async def waiting(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        halaman: FromQuery[str | None] = None,
        petugas: FromQuery[str | None] = None,
    ) -> Template:
        """Every submitted activity the judge may review, a page at a time (assigned ones marked), optionally
        only those whose officer confirmation is in one state (`petugas`)."""
        competition = await current_competition()
        number = page_number(halaman)
        rows: list[dict[str, Any]] = []
        total = 0
        mine: set[int] = set()
        blind = False
        closed = competition is not None and await stage_closed_for_activity(competition.id)
        if competition is not None and not closed:
            rows, total, mine = await queue_views.waiting(competition.id, user, number, petugas)
            blind = await queue_views.blind_judging(competition.id)
            if blind:
                rows = [policy.redact(row) for row in rows]
        return page(
            request,
            "judging/waiting.html",
            verification_closed=closed,
            **await _base_context(request, user, competition),
            activities=rows,
            mine=mine,
            blind=blind,
            pager=Pager(number, queue_views.LIST_PAGE_SIZE, total),
            attested=petugas or "",
            photo_summary=await photo_service.photo_summaries(rows),
            days={r["id"]: _day(r["occurred_at"], competition) for r in rows},
        )

    @post("/kegiatan/{activity_id:int}/keputusan")
    async def decide(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], activity_id: FromPath[int]
    ) -> Template | Redirect:
        competition = await _competition()
        found = await _activity_context(competition, user, activity_id)
        decision, reason, clean, typed, errors = await _read_decision(request, competition, found["rubric"])
        if not errors:
            errors = await _form_errors(
                reviews.decide(competition, user, activity_id, decision, reason, clean or None)
            )
            if not errors:
                return Redirect(f"/juri?selesai={activity_id}")
        context = await _base_context(request, user, competition)
        context.update(found)
        context.update(
            assignment=_as_queue_item(
                await queue_views.open_assignment(competition.id, user.id, activity_id)
            ),
            current_activity_id=activity_id,
            done=None,
            skipped=None,
            errors=errors,
            error_summary=_summary(errors),
            values=_form_values(reason, typed, found["rubric"], decision),
        )
        return page(request, "judging/queue.html", status_code=422, **context)

    @post("/lewati")
    async def skip(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Redirect:
        """ "Lewati": the assignment goes to the end of the judge's queue."""
        competition = await _competition()
        form = await request.form()
        assignment_id = parse_id(form.get("assignment"))
        if assignment_id is None:
            raise HTTPException(status_code=422, detail=i18n._("Choose what to skip."))
        await assignments.skip(competition.id, user, assignment_id)
        return Redirect(f"/juri?dilewati={assignment_id}")

    @get("/kegiatan/{activity_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        competition = await _competition()
        found = await _activity_context(competition, user, activity_id)
        mine = await queue_views.my_review_of(activity_id, user.id)
        assignment = _as_queue_item(await queue_views.open_assignment(competition.id, user.id, activity_id))
        return page(
            request,
            "judging/detail.html",
            **await _base_context(request, user, competition),
            **found,
            assignment=assignment,
            mine=mine,
            errors={},
            values={},
            error_summary="",
        )

    # --- The judge's own reviews ---------------------------------------------------------------------

    @get("/ulasan")
    async def my_reviews(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        diperbarui: FromQuery[str | None] = None,
    ) -> Template:
        competition = await current_competition()
        reviews: list[dict[str, Any]] = []
        team_reviews: list[dict[str, Any]] = []
        closed = False
        rubric: list[dict[str, Any]] = []
        team_rubric: list[dict[str, Any]] = []
        blind = False
        if competition is not None:
            reviews = await queue_views.my_reviews(competition.id, user.id)
            team_reviews = await queue_views.my_team_reviews(competition.id, user.id)
            closed = await stage_closed_for_activity(competition.id)
            rubric = await queue_views.criteria(competition.id, "activity")
            team_rubric = await queue_views.criteria(competition.id, "team")
            blind = await queue_views.blind_judging(competition.id)
        return page(
            request,
            "judging/my_reviews.html",
            **await _base_context(request, user, competition),
            reviews=reviews,
            team_reviews=team_reviews,
            stage_closed=closed,
            rubric=rubric,
            team_rubric=team_rubric,
            revised=diperbarui,
            blind=blind,
        )

    @get("/ulasan/{activity_id:int}")
    async def revise_form(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        competition = await _competition()
        return await self._revise_page(request, competition, user, activity_id, {}, None)

    @post("/ulasan/{activity_id:int}")
    async def revise(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], activity_id: FromPath[int]
    ) -> Template | Redirect:
        """A new version of the judge's own review (reviews.revise), until the stage closes (then 409)."""
        competition = await _competition()
        if await stage_closed_for_activity(competition.id):
            raise HTTPException(
                status_code=409,
                detail=i18n._("The verification stage is closed: your review can no longer be revised."),
            )
        found = await _activity_context(competition, user, activity_id)
        mine = await queue_views.my_review_of(activity_id, user.id)
        if mine is None:
            raise NotFoundException(detail=i18n._("You have not reviewed this activity."))
        decision, reason, clean, typed, errors = await _read_decision(request, competition, found["rubric"])
        if not errors:
            errors = await _form_errors(
                reviews.revise(competition, user, activity_id, decision, reason, clean or None)
            )
            if not errors:
                return Redirect(f"/juri/ulasan?diperbarui={activity_id}")
        values = _form_values(reason, typed, found["rubric"], decision)
        return await self._revise_page(
            request, competition, user, activity_id, errors, values, status_code=422
        )

    async def _revise_page(
        self,
        request: Request[Any, Any, Any],
        competition: CompetitionInfo,
        user: CurrentUser,
        activity_id: int,
        errors: dict[str, str],
        values: dict[str, Any] | None,
        status_code: int = 200,
    ) -> Template:
        found = await _activity_context(competition, user, activity_id)
        mine = await queue_views.my_review_of(activity_id, user.id)
        if mine is None:
            raise NotFoundException(detail=i18n._("You have not reviewed this activity."))
        if values is None:
            current = mine["current"]
            values = {
                "reason": current["reason"],
                "decision": current["decision"],
                **{c["field"]: current["scores"].get(c["code"], "") for c in found["rubric"]},
            }
        return page(
            request,
            "judging/revise.html",
            status_code=status_code,
            **await _base_context(request, user, competition),
            **found,
            mine=mine,
            stage_closed=await stage_closed_for_activity(competition.id),
            errors=errors,
            error_summary=_summary(errors) if errors else "",
            values=values,
        )

    # --- Team-level stage ------------------------------------------------------------------------------

    @get("/tim")
    async def team_form(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        tugas: FromQuery[str | None] = None,
    ) -> Template:
        """A team the judge scored (or is to score) in a team-level stage: the team rubric, prefilled."""
        competition = await _competition()
        _row, assignment = await _team_assignment(competition, user, parse_id(tugas))
        context = await _base_context(request, user, competition)
        context.update(assignment=assignment, done=None, skipped=None, errors={}, error_summary="")
        context.update(await _team_context(competition, user, assignment))
        return page(request, "judging/queue.html", **context)

    @post("/tim/nilai")
    async def score_team(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        """The team-level rubric of a team assigned to the judge (reviews.score_team)."""
        competition = await _competition()
        form = await request.form()
        row, assignment = await _team_assignment(competition, user, parse_id(form.get("assignment")))
        rubric = await queue_views.criteria(competition.id, "team")
        typed = queue_views.form_scores(form, rubric)
        note = str(form.get("note") or "")[:NOTE_MAX]
        # The scores' rule (every criterion, within its bounds) is the service's, as through the API.
        try:
            await reviews.score_team(
                competition, user, row["stage"], row["team"], typed, note, localised=True
            )
        except Invalid as exc:
            errors = {
                (f"score_{k.removeprefix('scores.')}" if k.startswith("scores.") else "decision"): v
                for k, v in exc.fields.items()
            } or {"decision": exc.message}
        else:
            return Redirect(f"/juri?selesai=tim-{row['team']}")
        context = await _base_context(request, user, competition)
        context.update(await _team_context(competition, user, assignment))
        context.update(
            assignment=assignment,
            done=None,
            skipped=None,
            errors=errors,
            error_summary=_summary(errors),
            values={"note": note, **{c["field"]: typed.get(c["code"], "") for c in rubric}},
        )
        return page(request, "judging/queue.html", status_code=422, **context)

    # --- Conflicts of interest -------------------------------------------------------------------------

    @get("/konflik")
    async def conflicts(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        tersimpan: FromQuery[str | None] = None,
    ) -> Template:
        competition = await current_competition()
        return await _conflict_page(request, competition, user, {}, {}, saved=bool(tersimpan))

    @post("/konflik")
    async def declare_conflict(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        team_id = parse_id(form.get("team"))
        reason = str(form.get("reason") or "")[:REASON_MAX]
        confirmed = form.get("confirm") == "1"
        values = {"team": team_id, "reason": reason, "confirm": confirmed}
        errors: dict[str, str] = {}
        status_code = 422
        # Which teams and reasons are acceptable is the service's rule (corrections.declare_conflict);
        # the page only reads its form and asks for the confirmation.
        if team_id is None:
            errors["team"] = i18n._("Choose a team.")
        if not reason.strip():
            errors["reason"] = i18n._("Say briefly why (e.g. family, former member of the team).")
        if not confirmed:
            errors["confirm"] = i18n._("Tick the box to confirm the declaration.")
        if not errors and team_id is not None:
            try:
                await corrections.declare_conflict(competition, user, team_id, reason)
            except Invalid as exc:
                errors.update(exc.fields)
            except Conflict as exc:
                errors["team"] = exc.message
                status_code = 409
            else:
                return Redirect("/juri/konflik?tersimpan=1")
        return await _conflict_page(request, competition, user, errors, values, status_code=status_code)


async def _team_context(
    competition: CompetitionInfo, user: CurrentUser, assignment: dict[str, Any]
) -> dict[str, Any]:
    team = await queue_views.team(competition.id, assignment["team_id"])
    if team is None:
        raise NotFoundException()
    blind = await queue_views.blind_judging(competition.id)
    stage = await queue_views.stage(competition.id, assignment.get("stage_id"))
    previous = (
        await queue_views.current_team_review(stage["id"], team["id"], user.id) if stage is not None else None
    )
    rubric = await queue_views.criteria(competition.id, "team")
    values: dict[str, Any] = {}
    if previous is not None:
        values = {
            "note": previous["note"],
            **{c["field"]: previous["scores"].get(c["code"], "") for c in rubric},
        }
    return {
        "team": team,
        "blind": blind,
        "stage": stage,
        "summary": await queue_views.team_summary(competition.id, team["id"]),
        "team_rubric": rubric,
        "previous_team_review": previous,
        "values": values,
    }


async def _conflict_page(
    request: Request[Any, Any, Any],
    competition: CompetitionInfo | None,
    user: CurrentUser,
    errors: dict[str, str],
    values: dict[str, Any],
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Template:
    teams: list[dict[str, Any]] = []
    if competition is not None:
        teams = await queue_views.teams_for_conflict(competition.id, user)
    return page(
        request,
        "judging/conflicts.html",
        status_code=status_code,
        **await _base_context(request, user, competition),
        conflicts=await corrections.conflicts(user.id),
        teams=teams,
        errors=errors,
        values=values,
        saved=saved,
    )
