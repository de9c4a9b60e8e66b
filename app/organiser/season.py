"""Season set-up (name, dates, time zone, privacy, review policy), the activity catalogue, and the
organisers' bonuses and penalties. Each change is audited in its own transaction and rescored at once."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from app import i18n
from app.accounts.auth import organiser_only
from app.audit import services as audit
from app.competitions import services as competitions
from app.competitions.services import CompetitionConflict, CompetitionInfo, current_competition
from app.db import write_transaction
from app.organiser import results
from app.tables import CLUSTERS, Adjustment, Competition
from app.web import Pager, current_user, page, page_number

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
MAX_REVIEWS = 5
MAX_POINTS = Decimal(100_000)
TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
PAGE_SIZE = 50
RUBRIC_FIELDS = ("code", "name", "name_en", "weight", "min", "max")
CRITERION_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
MAX_CRITERIA = 30
BLANK_CRITERIA = 3
MAX_WEIGHT = Decimal(1000)
MAX_SCORE = Decimal(1_000_000)


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


def season_values(c: CompetitionInfo) -> dict[str, str]:
    return {
        "name": c.name,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "timezone": c.timezone,
        "is_private": "1" if c.is_private else "",
        "reviews_required": str(c.reviews_required),
    }


def validate_season(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = values.get("name", "").strip()
    if not name:
        errors["name"] = i18n._("This field is required.")
    dates: dict[str, date] = {}
    for key in ("starts_on", "ends_on"):
        try:
            dates[key] = date.fromisoformat(values.get(key, "").strip())
        except ValueError:
            errors[key] = i18n._("Enter a date such as 2024-02-14.")
    if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
        errors["ends_on"] = i18n._("The season cannot end before it starts.")
    timezone = values.get("timezone", "")
    if timezone not in TIMEZONES:
        errors["timezone"] = i18n._("Choose WIB, WITA or WIT.")
    try:
        reviews = int(values.get("reviews_required", ""))
    except ValueError:
        reviews = 0
    if not 1 <= reviews <= MAX_REVIEWS:
        errors["reviews_required"] = i18n._("Between 1 and %(n)s reviews.") % {"n": MAX_REVIEWS}
    cleaned = {
        "name": name[:200],
        "starts_on": dates.get("starts_on"),
        "ends_on": dates.get("ends_on"),
        "timezone": timezone,
        "is_private": values.get("is_private") == "1",
        "reviews_required": reviews,
    }
    return cleaned, errors


async def update_season(
    competition: CompetitionInfo, cleaned: dict[str, Any], *, actor_id: int, actor_name: str
) -> None:
    """Stores the season's settings with one audit event (before and after); the standings are recomputed
    because weeks, months and local days depend on the dates and the time zone."""
    from app.leaderboard.services import recompute

    async with write_transaction(lock=f"competition:{competition.id}"):
        before = {k: v for k, v in season_values(competition).items() if k != "is_private"} | {
            "is_private": competition.is_private
        }
        await Competition.update(
            {
                Competition.name: cleaned["name"],
                Competition.starts_on: cleaned["starts_on"],
                Competition.ends_on: cleaned["ends_on"],
                Competition.timezone: cleaned["timezone"],
                Competition.is_private: cleaned["is_private"],
                Competition.reviews_required: cleaned["reviews_required"],
            }
        ).where(Competition.id == competition.id)
        after = {**cleaned, "starts_on": str(cleaned["starts_on"]), "ends_on": str(cleaned["ends_on"])}
        before["reviews_required"] = competition.reviews_required
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="competition.update",
            object_type="competition",
            object_id=competition.id,
            before=before,
            after=after,
            competition_id=competition.id,
        )
        fresh = await competitions.competition_by_id(competition.id)
        assert fresh is not None
        await recompute(fresh)


def parse_points(raw: str) -> Decimal | None:
    cleaned = raw.strip().replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.quantize(Decimal("0.001")):
        return None
    return number


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
        rows = [{k: str(c[k]) for k in RUBRIC_FIELDS} for c in criteria]
        rows += [dict.fromkeys(RUBRIC_FIELDS, "") for _ in range(BLANK_CRITERIA)]
        if rubric_values is not None:
            rows = [
                {k: str(rubric_values.get(f"{k}_{i}") or "") for k in RUBRIC_FIELDS}
                for i in range(min(MAX_CRITERIA, len(rows)))
            ]
        return page(
            request,
            "organiser/season.html",
            status_code=status_code,
            competition=competition,
            values=values or season_values(competition),
            errors=errors or {},
            timezones=TIMEZONES,
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
    async def save(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
        competition = await _competition()
        form = await request.form()
        values = {
            k: str(form.get(k) or "")[:200]
            for k in ("name", "starts_on", "ends_on", "timezone", "is_private", "reviews_required")
        }
        cleaned, errors = validate_season(values)
        if errors:
            return await self._page(request, values=values, errors=errors, status_code=422)
        await update_season(competition, cleaned, actor_id=user.id, actor_name=user.username)
        return Redirect("/panitia/musim?disimpan=1")

    @post("/jenis")
    async def add_type(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
        competition = await _competition()
        form = await request.form()
        values = {k: str(form.get(k) or "").strip()[:200] for k in ("code", "name", "name_en", "cluster")}
        values["code"] = values["code"].upper()
        errors: dict[str, str] = {}
        if not TYPE_CODE.match(values["code"]):
            errors["code"] = i18n._(
                "2–32 characters: capital letters, digits and underscores, e.g. RONDA_MALAM."
            )
        if not values["name"]:
            errors["name"] = i18n._("This field is required.")
        if values["cluster"] not in CLUSTERS:
            errors["cluster"] = i18n._("Choose a cluster.")
        if not errors:
            try:
                await competitions.add_activity_type(
                    competition.id,
                    code=values["code"],
                    name=values["name"],
                    name_en=values["name_en"] or values["name"],
                    cluster=values["cluster"],
                    actor_id=user.id,
                    actor_name=user.username,
                )
            except CompetitionConflict as exc:
                errors[exc.field] = exc.message
        if errors:
            return await self._page(request, type_values=values, type_errors=errors, status_code=422)
        return Redirect("/panitia/musim?jenis=1#katalog")

    @post("/rubrik")
    async def save_rubric(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
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
            criteria.append({"code": code, "name": raw["name"], "name_en": raw["name_en"], **numbers})
        if errors:
            return await self._page(request, rubric_errors=errors, rubric_values=form, status_code=422)
        await competitions.replace_rubric(competition, criteria, actor_id=user.id, actor_name=user.username)
        return Redirect("/panitia/musim?rubrik=1#rubrik")

    async def _final_page(
        self, request: Request[Any, Any, Any], error: str | None = None, status_code: int = 200
    ) -> Template:
        from app.leaderboard.services import leaderboard

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
        )

    @get("/hasil-akhir")
    async def final_form(self, request: Request[Any, Any, Any]) -> Template:
        return await self._final_page(request)

    @post("/hasil-akhir")
    async def final_publish(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
        competition = await _competition()
        form = await request.form()
        if form.get("confirm") != "1":
            return await self._final_page(
                request, i18n._("Tick the box to confirm that the results become final."), status_code=422
            )
        note = str(form.get("note") or "").strip()[:200]
        try:
            await results.publish_final(competition, actor_id=user.id, actor_name=user.username, note=note)
        except results.ResultsFinal as exc:
            return await self._final_page(request, str(exc), status_code=409)
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
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], halaman: FromQuery[str | None] = None) -> Template:
        return await self._page(request, page_number(halaman))

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        user = current_user(request)
        assert user is not None
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
        try:
            await results.ensure_open(competition.id)
        except results.ResultsFinal as exc:
            errors["points"] = str(exc)
        if errors or team is None or points is None:
            return await self._page(request, values=values, errors=errors, status_code=422)
        await competitions.add_adjustment(
            competition, team["id"], points, values["reason"], actor_id=user.id, actor_name=user.username
        )
        return Redirect("/panitia/penyesuaian?disimpan=1")
