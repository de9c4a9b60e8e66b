"""Season set-up (name, dates, time zone, privacy, review policy and the jury's settings), the activity
catalogue, the rubric, and the organisers' bonuses and penalties. Each change is audited in its own
transaction and rescored at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only
from app.competitions import services as competitions
from app.competitions.catalogue import validate_activity_type
from app.competitions.services import CompetitionConflict, CompetitionInfo, current_competition
from app.errors import Conflict
from app.leaderboard.services import leaderboard
from app.organiser import results
from app.organiser.season_settings import (
    BLANK_CRITERIA,
    BLANK_EXTRA,
    CRITERION_RE,
    DESCRIPTION_MAX,
    JURY_FIELDS,
    MAX_CRITERIA,
    MAX_POINTS,
    MAX_REVIEWS,
    MAX_SCORE,
    MAX_WEIGHT,
    PAGE_SIZE,
    RUBRIC_EXTRA,
    RUBRIC_FIELDS,
    RUBRIC_SCOPES,
    TIMEZONES,
    _count,
    active_judges,
    jury_settings,
    jury_values,
    levels_text,
    parse_levels,
    parse_points,
    season_values,
    update_season,
    validate_jury,
    validate_season,
)
from app.tables import CLUSTERS, Adjustment
from app.web import Pager, page, page_number

TYPE_FIELDS = ("code", "name", "name_en", "cluster")


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


class SeasonController(Controller):
    path = "/panitia/musim"
    guards = [organiser_only]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        type_values: dict[str, str] | None = None,
        type_errors: dict[str, str] | None = None,
        rubric_errors: dict[str, str] | None = None,
        rubric_values: Any = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        criteria = await competitions.rubric(competition.id)
        rows = [
            {
                **{k: str(c[k]) for k in RUBRIC_FIELDS},
                "scope": c["scope"],
                "description": c["description"] or "",
                "levels": levels_text(c["levels"]),
            }
            for c in criteria
        ]
        rows += [{**dict.fromkeys(RUBRIC_FIELDS, ""), **BLANK_EXTRA} for _ in range(BLANK_CRITERIA)]
        if rubric_values is not None:
            rows = [
                {k: str(rubric_values.get(f"{k}_{i}") or "") for k in (*RUBRIC_FIELDS, *RUBRIC_EXTRA)}
                for i in range(min(MAX_CRITERIA, len(rows)))
            ]
        return page(
            request,
            "organiser/season.html",
            status_code=status_code,
            competition=competition,
            values={
                **season_values(competition),
                **jury_values(await jury_settings(competition.id)),
                **(values or {}),
            },
            errors=errors or {},
            timezones=TIMEZONES,
            max_reviews=MAX_REVIEWS,
            judges=await active_judges(),
            saved=request.query_params.get("disimpan") == "1",
            assigned=_count(request.query_params.get("ditugaskan")),
            types=await competitions.activity_types(competition.id),
            clusters=CLUSTERS,
            type_values=type_values or {},
            type_errors=type_errors or {},
            rubric=criteria,
            rubric_rows=rows[:MAX_CRITERIA],
            rubric_errors=rubric_errors or {},
        )

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        return await self._page(request)

    @post("/")
    async def save(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        values = {
            k: str(form.get(k) or "")[:200]
            for k in ("name", "starts_on", "ends_on", "timezone", "is_private", "reviews_required")
        }
        cleaned, errors = validate_season(values)
        # The jury's settings are part of the same form; a client that sends none of them (an older
        # form) leaves them as they are.
        jury: dict[str, Any] | None = None
        if any(k in form for k in ("q_tolerance", "tolerance_action", "place")):
            jury_form = {k: str(form.get(k) or "")[:200] for k in JURY_FIELDS}
            values.update(jury_form)
            judge_ids = {j["id"] for j in await active_judges()}
            jury, jury_errors = validate_jury(jury_form, judge_ids)
            errors.update(jury_errors)
        if errors:
            return await self._page(request, values=values, errors=errors, status_code=422)
        assigned = await update_season(
            competition, cleaned, actor_id=user.id, actor_name=user.username, jury=jury
        )
        return Redirect(f"/panitia/musim?disimpan=1&ditugaskan={assigned}")

    @post("/jenis")
    async def add_type(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        values, errors = validate_activity_type({k: str(form.get(k) or "") for k in TYPE_FIELDS})
        status = 422
        if not errors:
            try:
                await competitions.add_activity_type(
                    competition.id,
                    code=values["code"],
                    name=values["name"],
                    name_en=values["name_en"],
                    cluster=values["cluster"],
                    actor_id=user.id,
                    actor_name=user.username,
                )
            except CompetitionConflict as exc:
                # A code already taken: a conflict, with the API's status.
                errors[exc.field] = exc.message
                status = 409
        if errors:
            return await self._page(request, type_values=values, type_errors=errors, status_code=status)
        return Redirect("/panitia/musim?jenis=1#katalog")

    @post("/rubrik")
    async def save_rubric(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        errors: dict[str, str] = {}
        criteria: list[dict[str, Any]] = []
        raw_rows: list[dict[str, str]] = []
        seen: set[str] = set()
        for i in range(MAX_CRITERIA):
            raw = {k: str(form.get(f"{k}_{i}") or "").strip()[:200] for k in RUBRIC_FIELDS}
            if not any(raw.values()):
                continue
            raw_rows.append(raw)
            extra = {
                "scope": str(form.get(f"scope_{i}") or "activity").strip(),
                "description": str(form.get(f"description_{i}") or "").strip()[:DESCRIPTION_MAX],
                "levels": str(form.get(f"levels_{i}") or "")[: DESCRIPTION_MAX * 4],
            }
            where = str(i)
            code = raw["code"]
            if not CRITERION_RE.match(code):
                errors[f"code_{where}"] = i18n._(
                    "1–32 characters: lowercase letters, digits and underscores."
                )
            elif code in seen:
                errors[f"code_{where}"] = i18n._("Each criterion code may appear once.")
            seen.add(code)
            if not raw["name"]:
                errors[f"name_{where}"] = i18n._("This field is required.")
            numbers = {}
            for key, low, high in (
                ("weight", Decimal("0.001"), MAX_WEIGHT),
                ("min", -MAX_SCORE, MAX_SCORE),
                ("max", -MAX_SCORE, MAX_SCORE),
            ):
                number = parse_points(raw[key])
                if number is None or not low <= number <= high:
                    errors[f"{key}_{where}"] = i18n._("Enter a number between %(low)s and %(high)s.") % {
                        "low": i18n.format_number(low, 3),
                        "high": i18n.format_number(high, 3),
                    }
                numbers[key] = number
            if numbers["min"] is not None and numbers["max"] is not None and numbers["max"] <= numbers["min"]:
                errors[f"max_{where}"] = i18n._("The maximum must be greater than the minimum.")
            if extra["scope"] not in RUBRIC_SCOPES:
                errors[f"scope_{where}"] = i18n._("Choose activity or team.")
            levels, level_error = parse_levels(extra["levels"], numbers["min"], numbers["max"])
            if level_error:
                errors[f"levels_{where}"] = level_error
            criteria.append(
                {
                    "code": code,
                    "name": raw["name"],
                    "name_en": raw["name_en"],
                    **numbers,
                    "scope": extra["scope"],
                    "description": extra["description"],
                    "levels": levels,
                }
            )
        if errors:
            return await self._page(request, rubric_errors=errors, rubric_values=form, status_code=422)
        await competitions.replace_rubric(competition, criteria, actor_id=user.id, actor_name=user.username)
        return Redirect("/panitia/musim?rubrik=1#rubrik")

    async def _final_page(
        self, request: Request[Any, Any, Any], error: str | None = None, status_code: int = 200
    ) -> Template:
        competition = await _competition()
        rows, version = await leaderboard(competition.id)
        return page(
            request,
            "organiser/final.html",
            status_code=status_code,
            competition=competition,
            final=await results.final_result(competition.id),
            rows=rows,
            version=version,
            error=error,
            waiting=await results.waiting_activities(competition.id),
        )

    @get("/hasil-akhir")
    async def final_form(self, request: Request[Any, Any, Any]) -> Template:
        return await self._final_page(request)

    @post("/hasil-akhir")
    async def final_publish(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        if form.get("confirm") != "1":
            return await self._final_page(
                request, i18n._("Tick the box to confirm that the results become final."), status_code=422
            )
        note = str(form.get("note") or "").strip()[:200]
        seen = str(form.get("waiting_seen") or "0")
        try:
            await results.publish_final(
                competition,
                actor_id=user.id,
                actor_name=user.username,
                note=note,
                waiting_seen=int(seen) if seen.isdigit() and len(seen) < 10 else 0,
            )
        except Conflict as exc:  # published already, or activities waiting that were not acknowledged
            return await self._final_page(request, exc.message, status_code=409)
        return Redirect("/hasil-akhir")


class AdjustmentController(Controller):
    path = "/panitia/penyesuaian"
    guards = [organiser_only]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        number: int = 1,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        rows = await (
            Adjustment.select(
                Adjustment.id,
                Adjustment.team.code,
                Adjustment.team.name,
                Adjustment.points,
                Adjustment.reason,
                Adjustment.created_at,
                Adjustment.created_by.username,
            )
            .where(Adjustment.competition == competition.id)
            .order_by(Adjustment.id, ascending=False)
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        for row in rows:
            row["points"] = Decimal(row["points"])
        total = await Adjustment.count().where(Adjustment.competition == competition.id)
        return page(
            request,
            "organiser/adjustments.html",
            status_code=status_code,
            competition=competition,
            adjustments=rows,
            pager=Pager(number, PAGE_SIZE, total),
            teams=await competitions.teams(competition.id),
            values=values or {},
            errors=errors or {},
            locked=await results.final_lock(competition.id),
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], halaman: FromQuery[str | None] = None) -> Template:
        return await self._page(request, page_number(halaman))

    @post("/")
    async def create(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        competition = await _competition()
        form = await request.form()
        values = {k: str(form.get(k) or "").strip()[:500] for k in ("team", "points", "reason")}
        errors: dict[str, str] = {}
        team = await competitions.team_by_code(competition.id, values["team"]) if values["team"] else None
        if team is None:
            errors["team"] = i18n._("Choose a team.")
        points = parse_points(values["points"])
        if points is None or points == 0 or abs(points) > MAX_POINTS:
            errors["points"] = i18n._(
                "Enter the points: positive for a bonus, negative for a penalty (at most 3 decimals)."
            )
        if not values["reason"]:
            errors["reason"] = i18n._("A reason is required: it is shown on the team's breakdown.")
        if errors or team is None or points is None:
            return await self._page(request, values=values, errors=errors, status_code=422)
        try:
            await competitions.add_adjustment(
                competition, team["id"], points, values["reason"], actor_id=user.id, actor_name=user.username
            )
        except Conflict as exc:
            # The final-results lock (the service's): shown on the form, with the API's status.
            errors["points"] = exc.message
            return await self._page(request, values=values, errors=errors, status_code=409)
        return Redirect("/panitia/penyesuaian?disimpan=1")
