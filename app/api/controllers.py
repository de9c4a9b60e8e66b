"""JSON API v1: thin handlers over the same services as the pages (same checks, audit events, standings)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, HeaderParameter, JSONBody, MultipartBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app import i18n, regions
from app.accounts import services as accounts
from app.accounts.auth import judge_only, organiser_only, participant_only, public, signed_in
from app.activities import forms
from app.activities import photos as photo_service
from app.activities import services as activity_service
from app.api import schemas as s
from app.api import services as reads
from app.api.common import (
    Invalid,
    decimal_text,
    decode_cursor,
    encode_cursor,
    iso,
    parse_decimal,
    responses,
    user_of,
    visible_competition,
)
from app.competitions import services as competitions
from app.db import write_transaction
from app.inputs import MAX_ID
from app.judging import services as judging
from app.leaderboard import views as leaderboard_views
from app.leaderboard.services import load_facts
from app.ratelimit import Limiter
from app.settings import Settings
from app.tables import CLUSTERS, Account, Adjustment, Review, RulesetVersion, Team
from scoring.engine import compare
from scoring.registry import all_rules
from scoring.ruleset import RulesetInvalid, parse_ruleset

BEARER = [{"bearer": []}]
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
TYPE_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
CRITERION_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
KEY_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
MAX_POINTS = Decimal(100_000)
MAX_WEIGHT = Decimal(1000)
MAX_SCORE = Decimal(1_000_000)

# Ids beyond 32 bits cannot exist (and SQLite refuses them): 422 rather than a server error.
ActivityId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Limit = Annotated[int | None, QueryParameter(ge=1, le=200, description="Page size (default 50).")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=64, description="`next_cursor` of the previous page.")
]


def _user(request: Request[Any, Any, Any]) -> Any:
    user = user_of(request)
    if user is None:
        raise NotAuthorizedException(detail=i18n._("Please sign in first."))
    return user


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1]["id"])
    return rows, None


def _competition_out(c: Any) -> s.CompetitionOut:
    get_ = c.get if isinstance(c, dict) else lambda k: getattr(c, k, None)
    return s.CompetitionOut(
        slug=get_("slug"),
        name=get_("name"),
        starts_on=get_("starts_on"),
        ends_on=get_("ends_on"),
        timezone=get_("timezone"),
        is_private=bool(get_("is_private")),
        reviews_required=get_("reviews_required"),
        ruleset_version=get_("ruleset_version"),
        standings_version=get_("standings_version"),
        created_at=iso(get_("created_at")),
    )


def _activity_out(
    row: dict[str, Any],
    reviews: list[dict[str, Any]] | None = None,
    photos: list[dict[str, Any]] | None = None,
) -> s.ActivityOut:
    return s.ActivityOut(
        id=row["id"],
        status=row["status"],
        team_code=row["team.code"],
        team_name=row["team.name"],
        type=row["activity_type.code"],
        cluster=row["activity_type.cluster"],
        occurred_at=iso(row["occurred_at"]),
        submitted_at=iso(row["submitted_at"]),
        title=row["title"],
        description=row["description"],
        desa_code=row["village_code"],
        kecamatan_code=row["district_code"],
        rw=row["rw"],
        senkom_members=[s.PersonOut(name=m.get("name", "")) for m in row["senkom_members"] or []],
        officers=[
            s.OfficerOut(
                name=o.get("name", ""),
                rank=o.get("rank", ""),
                nrp=o.get("nrp", ""),
                polres=o.get("polres", ""),
            )
            for o in row["officers"] or []
        ],
        residents_reached=row["residents_reached"],
        preemptive=bool(row["preemptive"]),
        reviews=[
            s.ReviewOut(
                id=r["id"],
                decision=r["decision"],
                reason=r["reason"],
                scores={k: decimal_text(v) for k, v in (r["scores"] or {}).items()},
                created_at=iso(r["created_at"]),
            )
            for r in reviews or []
        ],
        photos=[_photo_out(p) for p in photos or []],
    )


def _photo_out(p: dict[str, Any]) -> s.PhotoOut:
    return s.PhotoOut(
        id=p["id"],
        activity_id=p["activity"],
        sha256=p["sha256"],
        content_type=p["content_type"],
        width=p["width"],
        height=p["height"],
        size=p["size"],
        created_at=iso(p["created_at"]),
    )


class TokenController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/token",
        guards=[public],
        status_code=HTTP_200_OK,
        operation_id="createToken",
        summary="Exchange a username and password for an API token",
        responses=responses(401, 429),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.TokenIn],
        settings: NamedDependency[Settings],
        login_limiter: NamedDependency[Limiter],
    ) -> s.TokenOut:
        username = data.username.strip().lower()
        client = request.client.host if request.client else "?"
        key = f"{client}:{username}"
        if await login_limiter.blocked(key):
            raise HTTPException(
                status_code=429,
                detail=i18n._("Too many failed attempts. Please wait a few minutes and try again."),
            )
        account = await accounts.authenticate(username, data.password) if username and data.password else None
        if account is None:
            await login_limiter.hit(key)
            raise NotAuthorizedException(
                detail=i18n._("Wrong username or password, or the account is disabled.")
            )
        await login_limiter.reset(key)
        token, expires_at = await accounts.open_session(account["id"], "api", settings.session_days)
        return s.TokenOut(token=token, role=account["role"], expires_at=iso(expires_at) or "")

    @delete(
        "/token",
        guards=[signed_in],
        status_code=HTTP_204_NO_CONTENT,
        operation_id="revokeToken",
        summary="Revoke the token this request carries",
        security=BEARER,
        responses=responses(401),
    )
    async def revoke_token(self, request: Request[Any, Any, Any]) -> None:
        _user(request)
        authorization = request.headers.get("authorization", "")
        await accounts.close_session(authorization[7:].strip())


class CompetitionController(Controller):
    path = "/competitions"
    tags = ["competitions"]

    @post(
        "/",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createCompetition",
        summary="Create a competition (with the 38 teams of Jawa Timur when teams is jatim)",
        security=BEARER,
        responses=responses(401, 403, 409),
    )
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[s.CompetitionIn]
    ) -> s.CompetitionOut:
        user = _user(request)
        errors: dict[str, str] = {}
        slug = data.slug.strip()
        if not SLUG_RE.match(slug):
            errors["slug"] = i18n._("2–64 characters: lowercase letters, digits and dashes.")
        name = data.name.strip()
        if not name:
            errors["name"] = i18n._("This field is required.")
        if data.ends_on < data.starts_on:
            errors["ends_on"] = i18n._("The season cannot end before it starts.")
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            errors["timezone"] = i18n._("Unknown time zone, e.g. Asia/Jakarta.")
        if errors:
            raise Invalid(errors)
        async with write_transaction(lock="competitions"):
            if await competitions.competition_by_slug(slug) is not None:
                raise HTTPException(status_code=409, detail=i18n._("That slug is already taken."))
            info = await competitions.create_competition(
                slug=slug,
                name=name,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                timezone=data.timezone,
                jatim_teams=data.teams == "jatim",
                actor_id=user.id,
                actor_name=user.username,
            )
            if data.is_private or data.reviews_required != 1:
                await competitions.configure_competition(
                    info.id,
                    is_private=data.is_private,
                    reviews_required=data.reviews_required,
                    actor_id=user.id,
                    actor_name=user.username,
                )
        created = await competitions.competition_by_slug(slug)
        return _competition_out(created)

    @get(
        "/",
        guards=[public],
        operation_id="listCompetitions",
        summary="Competitions (private ones only with a token)",
        responses=responses(),
    )
    async def list_all(
        self, request: Request[Any, Any, Any], limit: Limit = None, cursor: Cursor = None
    ) -> s.CompetitionPage:
        size = limit or 50
        rows = await reads.competitions_page(decode_cursor(cursor), size, user_of(request) is not None)
        rows, next_cursor = _page(rows, size)
        return s.CompetitionPage(items=[_competition_out(r) for r in rows], next_cursor=next_cursor)

    @get(
        "/{slug:str}",
        guards=[public],
        operation_id="getCompetition",
        summary="One competition",
        responses=responses(401, 404),
    )
    async def detail(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> s.CompetitionOut:
        return _competition_out(await visible_competition(slug, user_of(request)))


class CompetitionPartsController(Controller):
    """Teams, activity types and the rubric of one competition."""

    path = "/competitions/{slug:str}"
    tags = ["competitions"]

    @get(
        "/teams",
        guards=[public],
        operation_id="listTeams",
        summary="The competition's teams",
        responses=responses(401, 404),
    )
    async def teams(
        self, request: Request[Any, Any, Any], slug: FromPath[str], limit: Limit = None, cursor: Cursor = None
    ) -> s.TeamPage:
        competition = await visible_competition(slug, user_of(request))
        size = limit or 50
        rows, next_cursor = _page(await reads.teams_page(competition.id, decode_cursor(cursor), size), size)
        return s.TeamPage(
            items=[s.TeamOut(code=r["code"], name=r["name"]) for r in rows], next_cursor=next_cursor
        )

    @post(
        "/teams",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createTeam",
        summary="Register a team by its Kemendagri regency/city code",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def add_team(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.TeamIn]
    ) -> s.TeamOut:
        user = _user(request)
        competition = await visible_competition(slug, user)
        code = data.code.strip()
        regency = regions.regency(code)
        if regency is None:
            raise Invalid({"code": i18n._("Unknown regency/city code.")})
        name = data.name.strip() or regency.name
        try:
            await competitions.add_team(competition, code, name, actor_id=user.id, actor_name=user.username)
        except competitions.CompetitionConflict as exc:
            raise HTTPException(status_code=409, detail=exc.message) from None
        return s.TeamOut(code=code, name=name)

    @get(
        "/activity-types",
        guards=[public],
        operation_id="listActivityTypes",
        summary="The competition's activity catalogue",
        responses=responses(401, 404),
    )
    async def activity_types(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> list[s.ActivityTypeOut]:
        competition = await visible_competition(slug, user_of(request))
        return [
            s.ActivityTypeOut(code=t["code"], name=t["name"], name_en=t["name_en"], cluster=t["cluster"])
            for t in await competitions.activity_types(competition.id)
        ]

    @post(
        "/activity-types",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createActivityType",
        summary="Add an activity type to the catalogue",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def add_activity_type(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.ActivityTypeIn]
    ) -> s.ActivityTypeOut:
        user = _user(request)
        competition = await visible_competition(slug, user)
        errors: dict[str, str] = {}
        code, name, name_en = data.code.strip(), data.name.strip(), data.name_en.strip()
        if not TYPE_CODE_RE.match(code):
            errors["code"] = i18n._(
                "2–32 characters: capital letters, digits and underscores, e.g. RONDA_MALAM."
            )
        if not name:
            errors["name"] = i18n._("This field is required.")
        if data.cluster not in CLUSTERS:
            errors["cluster"] = i18n._("Choose a cluster: kamtibmas, bencana or bela_negara.")
        if errors:
            raise Invalid(errors)
        try:
            await competitions.add_activity_type(
                competition.id,
                code=code,
                name=name,
                name_en=name_en or name,
                cluster=data.cluster,
                actor_id=user.id,
                actor_name=user.username,
            )
        except competitions.CompetitionConflict as exc:
            raise HTTPException(status_code=409, detail=exc.message) from None
        return s.ActivityTypeOut(code=code, name=name, name_en=name_en or name, cluster=data.cluster)

    @get(
        "/rubric",
        guards=[public],
        operation_id="getRubric",
        summary="The judges' rubric: weighted criteria and their score ranges",
        responses=responses(401, 404),
    )
    async def rubric(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> s.RubricOut:
        competition = await visible_competition(slug, user_of(request))
        return _rubric_out(await competitions.rubric(competition.id))

    @put(
        "/rubric",
        guards=[organiser_only],
        operation_id="putRubric",
        summary="Replace the rubric (judge quality is rescored at once)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def put_rubric(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.RubricIn]
    ) -> s.RubricOut:
        user = _user(request)
        competition = await visible_competition(slug, user)
        errors: dict[str, str] = {}
        criteria: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, c in enumerate(data.criteria):
            where = f"criteria[{i}]"
            code = c.code.strip()
            if not CRITERION_RE.match(code):
                errors[f"{where}.code"] = i18n._(
                    "1–32 characters: lowercase letters, digits and underscores."
                )
            elif code in seen:
                errors[f"{where}.code"] = i18n._("Each criterion code may appear once.")
            seen.add(code)
            if not c.name.strip():
                errors[f"{where}.name"] = i18n._("This field is required.")
            weight = parse_decimal(c.weight, f"{where}.weight", errors, Decimal("0.001"), MAX_WEIGHT)
            low = parse_decimal(c.min, f"{where}.min", errors, -MAX_SCORE, MAX_SCORE)
            high = parse_decimal(c.max, f"{where}.max", errors, -MAX_SCORE, MAX_SCORE)
            if low is not None and high is not None and high <= low:
                errors[f"{where}.max"] = i18n._("The maximum must be greater than the minimum.")
            levels: list[dict[str, str]] = []
            scores_seen: set[Decimal] = set()
            for j, level in enumerate(c.levels):
                at = f"{where}.levels[{j}]"
                score = parse_decimal(
                    level.score, f"{at}.score", errors, low or -MAX_SCORE, high or MAX_SCORE
                )
                if score is not None and score in scores_seen:
                    errors[f"{at}.score"] = i18n._("Each score may have one description.")
                if not level.id.strip():
                    errors[f"{at}.id"] = i18n._("This field is required.")
                if score is not None:
                    scores_seen.add(score)
                    levels.append(
                        {"score": decimal_text(score), "id": level.id.strip(), "en": level.en.strip()}
                    )
            criteria.append(
                {
                    "code": code,
                    "name": c.name.strip(),
                    "name_en": c.name_en.strip(),
                    "weight": weight,
                    "min": low,
                    "max": high,
                    "scope": c.scope,
                    "description": c.description.strip(),
                    "levels": sorted(levels, key=lambda item: Decimal(item["score"])),
                }
            )
        if errors:
            raise Invalid(errors)
        await competitions.replace_rubric(competition, criteria, actor_id=user.id, actor_name=user.username)
        return _rubric_out(await competitions.rubric(competition.id))


def _levels(stored: Any) -> list[dict[str, Any]]:
    try:
        levels = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return []
    return [v for v in levels or [] if isinstance(v, dict)]


def _rubric_out(rows: list[dict[str, Any]]) -> s.RubricOut:
    return s.RubricOut(
        criteria=[
            s.CriterionOut(
                code=r["code"],
                name=r["name"],
                name_en=r["name_en"],
                weight=decimal_text(r["weight"]),
                min=decimal_text(r["min"]),
                max=decimal_text(r["max"]),
                scope=r.get("scope") or "activity",
                description=r.get("description") or "",
                levels=[
                    s.LevelOut(
                        score=str(v.get("score", "")), id=str(v.get("id", "")), en=str(v.get("en", ""))
                    )
                    for v in _levels(r.get("levels"))
                ],
            )
            for r in rows
        ]
    )


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post(
        "/",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createUser",
        summary="Create an account (a participant needs a team; a judge's region_code is their home regency)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[s.UserIn]) -> s.UserOut:
        user = _user(request)
        team_id: int | None = None
        team_code = (data.team_code or "").strip() or None
        if team_code:
            if data.competition:
                competition = await visible_competition(data.competition, user)
            else:
                competition = await competitions.current_competition()
            found = await competitions.team_by_code(competition.id, team_code) if competition else None
            if found is None:
                raise Invalid({"team_code": i18n._("Unknown team.")})
            team_id = found["id"]
        username = data.username.strip().lower()
        if await Account.exists().where(Account.username == username):
            raise HTTPException(status_code=409, detail=i18n._("That username is already taken."))
        try:
            account_id = await accounts.create_account(
                username=username,
                password=data.password,
                role=data.role,
                full_name=data.full_name,
                team_id=team_id,
                region_code=(data.region_code or "").strip() or None,
                actor_id=user.id,
                actor_name=user.username,
            )
        except accounts.AccountError as exc:
            names = {"team": "team_code", "region": "region_code"}
            raise Invalid({names.get(k, k): v for k, v in exc.errors.items()}) from None
        row = await accounts.account_by_id(account_id)
        assert row is not None
        return s.UserOut(
            id=account_id,
            username=row["username"],
            full_name=row["full_name"],
            role=row["role"],
            team_code=team_code if team_id else None,
            region_code=row["region_code"],
            is_active=row["is_active"],
        )


@dataclass
class PhotoUpload:
    file: UploadFile


class ActivityController(Controller):
    tags = ["activities"]
    path = "/"

    @post(
        "/competitions/{slug:str}/activities",
        guards=[participant_only],
        status_code=HTTP_201_CREATED,
        operation_id="submitActivity",
        summary="Record a joint activity of the participant's own team (idempotent by Idempotency-Key)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.ActivityIn],
        idempotency_key: Annotated[
            str,
            HeaderParameter(
                name="Idempotency-Key",
                max_length=64,
                description="Any 1–64 printable ASCII characters; a UUID is a good choice.",
            ),
        ],
    ) -> Response[s.ActivityOut]:
        user = _user(request)
        competition = await visible_competition(slug, user)
        team = await Team.select(Team.competition).where(Team.id == (user.team_id or 0)).first()
        if team is None or team["competition"] != competition.id or user.team_code is None:
            raise PermissionDeniedException(
                detail=i18n._("Your team does not take part in this competition.")
            )
        if not KEY_RE.match(idempotency_key):
            raise Invalid({"Idempotency-Key": i18n._("1–64 printable characters, e.g. a UUID.")})
        try:
            key = str(uuid.UUID(idempotency_key))
        except ValueError:
            # Any client key is mapped to a UUID, one for one, so the form's key column fits it too.
            key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sinergi-api:{idempotency_key}"))
        occurred = data.occurred_at
        entry = forms.ActivityInput(
            type_code=data.type.strip(),
            occurred_at_local=occurred.isoformat(),
            village_code=(data.desa_code or "").strip(),
            rw=data.rw.strip(),
            title=data.title.strip(),
            description=data.description.strip(),
            senkom_members=[{"name": m.name.strip()} for m in data.senkom_members if m.name.strip()],
            officers=[
                {
                    "name": o.name.strip(),
                    "rank": o.rank.strip(),
                    "nrp": o.nrp.strip(),
                    "polres": o.polres.strip(),
                }
                for o in data.officers
            ],
            residents_reached=str(data.residents_reached),
            preemptive=data.preemptive,
            idempotency_key=key,
        )
        errors: dict[str, str] = {}
        types = {t["code"] for t in await competitions.activity_types(competition.id)}
        clean = forms.validate(
            entry,
            errors=errors,
            type_codes=types,
            team_code=user.team_code,
            starts_on=competition.starts_on,
            ends_on=competition.ends_on,
            timezone=competition.timezone,
            require_village=False,
        )
        if clean is None:
            names = {"activity_type": "type", "village_code": "desa_code", "form": "Idempotency-Key"}
            raise Invalid({names.get(k, k): v for k, v in errors.items()})
        try:
            activity_id, created = await activity_service.submit(competition.id, user, clean)
        except activity_service.IdempotencyConflict:
            raise HTTPException(
                status_code=409,
                detail=i18n._("This Idempotency-Key was already used for a different activity."),
            ) from None
        except activity_service.SubmissionsClosed:
            raise HTTPException(
                status_code=409,
                detail=i18n._(
                    "Activity verification is closed for this season: new activities can no longer be sent."
                ),
            ) from None
        row = await reads.activity(activity_id)
        assert row is not None
        return Response(
            _activity_out(row, [], await photo_service.photos_of(activity_id)),
            status_code=HTTP_201_CREATED,
            headers={"Idempotent-Replayed": "false" if created else "true"},
        )

    @get(
        "/competitions/{slug:str}/activities",
        guards=[signed_in],
        operation_id="listActivities",
        summary="Activities, oldest first (a participant sees their own team's only)",
        security=BEARER,
        responses=responses(401, 404),
    )
    async def list_activities(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        status: Annotated[Literal["submitted", "verified", "rejected"] | None, QueryParameter()] = None,
        team: Annotated[str | None, QueryParameter(max_length=16, description="Team code")] = None,
        type: Annotated[str | None, QueryParameter(max_length=32, description="Activity type code")] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.ActivityPage:
        user = _user(request)
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await reads.activities_page(
            competition.id,
            user,
            after_id=decode_cursor(cursor),
            limit=size,
            status=status,
            team=team,
            type_code=type,
        )
        rows, next_cursor = _page(rows, size)
        return s.ActivityPage(items=[_activity_out(r) for r in rows], next_cursor=next_cursor)

    @get(
        "/activities/{activity_id:int}",
        guards=[signed_in],
        operation_id="getActivity",
        summary="One activity with its reviews and photos",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def detail(self, request: Request[Any, Any, Any], activity_id: ActivityId) -> s.ActivityOut:
        user = _user(request)
        row = await self._readable(user, activity_id)
        return _activity_out(
            row, await reads.reviews_of(activity_id), await photo_service.photos_of(activity_id)
        )

    async def _readable(self, user: Any, activity_id: int) -> dict[str, Any]:
        row = await reads.activity(activity_id)
        # Another team's activity is reported as missing to a participant, as on the pages.
        if row is None or (user.role == "participant" and row["team.id"] != user.team_id):
            raise NotFoundException(detail=i18n._("Activity not found."))
        if user.role == "judge" and user.region_code and row["team.code"] == user.region_code:
            raise PermissionDeniedException(
                detail=i18n._("You may not judge an activity of your own regency/city.")
            )
        return row

    @post(
        "/activities/{activity_id:int}/photos",
        guards=[participant_only],
        status_code=HTTP_201_CREATED,
        operation_id="addPhoto",
        summary="Add a photo (JPEG, PNG or WebP, at most 8 MB) to the team's own undecided activity",
        security=BEARER,
        request_max_body_size=photo_service.MAX_BYTES + 256 * 1024,
        responses=responses(401, 403, 404, 409, 413),
    )
    async def add_photo(
        self,
        request: Request[Any, Any, Any],
        activity_id: ActivityId,
        data: MultipartBody[PhotoUpload],
        settings: NamedDependency[Settings],
    ) -> s.PhotoOut:
        user = _user(request)
        upload = data.file
        if not isinstance(upload, UploadFile):
            raise Invalid({"file": i18n._("Attach the photo as the multipart field 'file'.")})
        raw = await upload.read(photo_service.MAX_BYTES + 1)
        try:
            photo, _created = await photo_service.add_photo(settings.var_dir, activity_id, user, raw)
        except photo_service.PhotoError as exc:
            if exc.status == 422:
                raise Invalid({"file": exc.message}) from None
            raise HTTPException(status_code=exc.status, detail=exc.message) from None
        return _photo_out(photo)

    @post(
        "/activities/{activity_id:int}/reviews",
        guards=[judge_only],
        status_code=HTTP_201_CREATED,
        operation_id="reviewActivity",
        summary="Verify or reject an activity, optionally with rubric scores",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def review(
        self, request: Request[Any, Any, Any], activity_id: ActivityId, data: JSONBody[s.ReviewIn]
    ) -> s.ReviewCreated:
        user = _user(request)
        errors: dict[str, str] = {}
        if data.decision not in judging.DECISIONS:
            errors["decision"] = i18n._("Choose verified or rejected.")
        reason = data.reason.strip()
        if data.decision == "rejected" and not reason:
            errors["reason"] = i18n._("A rejection needs a reason.")
        row = await reads.activity(activity_id)
        if row is None:
            raise NotFoundException(detail=i18n._("Activity not found."))
        competition = await competitions.competition_by_id(row["competition"])
        assert competition is not None
        scores: dict[str, str] = {}
        if data.scores:
            scores, score_errors = await judging.check_scores(competition.id, data.scores)
            errors.update(score_errors)
        if errors:
            raise Invalid(errors)
        try:
            status = await judging.decide(competition, user, activity_id, data.decision, reason, scores)
        except judging.DecisionError as exc:
            if exc.status == 422:
                raise Invalid({"decision": exc.message}) from None
            raise HTTPException(status_code=exc.status, detail=exc.message) from None
        own = await (
            Review.select(Review.id, Review.created_at)
            .where((Review.activity == activity_id) & (Review.judge == user.id))
            .first()
        )
        assert own is not None
        return s.ReviewCreated(
            id=own["id"],
            activity_id=activity_id,
            decision=data.decision,
            reason=reason,
            scores={k: decimal_text(v) for k, v in scores.items()},
            activity_status=status,
            created_at=iso(own["created_at"]),
        )


class ScoringController(Controller):
    path = "/"
    tags = ["scoring"]

    @get(
        "/scoring/rules",
        guards=[public],
        operation_id="listRules",
        summary="Every registered scoring rule, with the JSON Schema of its parameters",
        responses=responses(),
    )
    async def rules(self) -> list[s.RuleOut]:
        return [
            s.RuleOut(
                id=rule.id,
                kind=rule.kind,
                title=s.LocalText(id=rule.title["id"], en=rule.title["en"]),
                doc=s.LocalText(id=rule.doc["id"], en=rule.doc["en"]),
                params_schema=rule.params_schema(),
            )
            for rule in all_rules()
        ]

    @get(
        "/competitions/{slug:str}/ruleset",
        guards=[public],
        operation_id="getRuleset",
        summary="The ruleset in force",
        responses=responses(401, 404),
    )
    async def ruleset(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> s.RulesetOut:
        competition = await visible_competition(slug, user_of(request))
        return await _ruleset_out(competition.id)

    @put(
        "/competitions/{slug:str}/ruleset",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="putRuleset",
        summary="Publish a new ruleset version, in force at once",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def put_ruleset(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.RulesetIn]
    ) -> s.RulesetOut:
        user = _user(request)
        competition = await visible_competition(slug, user)
        ruleset = await _parse_ruleset(request)
        await competitions.publish_ruleset(competition, ruleset, actor_id=user.id, actor_name=user.username)
        return await _ruleset_out(competition.id)

    @post(
        "/competitions/{slug:str}/ruleset/preview",
        guards=[organiser_only],
        status_code=HTTP_200_OK,
        operation_id="previewRuleset",
        summary="Every team's rank and score now and under the given ruleset; changes nothing",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def preview(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.RulesetIn]
    ) -> list[s.PreviewRow]:
        user = _user(request)
        competition = await visible_competition(slug, user)
        ruleset = await _parse_ruleset(request)
        _version, current = await competitions.ruleset_in_force(competition.id)
        facts = await load_facts(competition)
        return [
            s.PreviewRow(
                team_code=c.team_code,
                rank_now=c.rank_a,
                score_now=decimal_text(c.score_a),
                rank_preview=c.rank_b,
                score_preview=decimal_text(c.score_b),
            )
            for c in compare(current, ruleset, facts)
        ]

    @post(
        "/competitions/{slug:str}/adjustments",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createAdjustment",
        summary="An organisers' bonus (positive points) or penalty (negative), with its reason",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def adjustment(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[s.AdjustmentIn]
    ) -> s.AdjustmentOut:
        user = _user(request)
        competition = await visible_competition(slug, user)
        errors: dict[str, str] = {}
        team = await competitions.team_by_code(competition.id, data.team_code.strip())
        if team is None:
            errors["team_code"] = i18n._("Unknown team.")
        points = parse_decimal(data.points, "points", errors, -MAX_POINTS, MAX_POINTS)
        reason = data.reason.strip()
        if not reason:
            errors["reason"] = i18n._("This field is required.")
        if errors or team is None or points is None:
            raise Invalid(errors)
        adjustment_id = await competitions.add_adjustment(
            competition, team["id"], points, reason, actor_id=user.id, actor_name=user.username
        )
        row = await Adjustment.select(Adjustment.created_at).where(Adjustment.id == adjustment_id).first()
        return s.AdjustmentOut(
            id=adjustment_id,
            team_code=team["code"],
            points=decimal_text(points),
            reason=reason,
            created_at=iso(row["created_at"]) if row else None,
        )


async def _parse_ruleset(request: Request[Any, Any, Any]) -> Any:
    # Read again from the raw body: JSON numbers become exact decimals, never floats.
    try:
        return parse_ruleset(await request.body())
    except RulesetInvalid as exc:
        english = i18n.get_locale() == "en"
        raise Invalid([(e.path, e.message_en if english else e.message_id) for e in exc.errors]) from None


async def _ruleset_out(competition_id: int) -> s.RulesetOut:
    row = await (
        RulesetVersion.select(RulesetVersion.version, RulesetVersion.body, RulesetVersion.created_at)
        .where(RulesetVersion.competition == competition_id)
        .order_by(RulesetVersion.version, ascending=False)
        .first()
    )
    if row is None:
        raise NotFoundException(detail=i18n._("No ruleset has been published yet."))
    body = row["body"]
    body = msgspec.json.decode(body) if isinstance(body, str | bytes) else body
    return s.RulesetOut(
        version=row["version"],
        rules=[s.RuleRefOut(rule=r["rule"], params=r.get("params") or {}) for r in body.get("rules", [])],
        tie_break=list(body.get("tie_break", [])),
        created_at=iso(row["created_at"]),
    )


async def _frozen_for(competition_id: int, request: Request[Any, Any, Any]) -> bool:
    """A frozen leaderboard shows the public (and participants) the snapshot; organisers and judges not."""
    state = await leaderboard_views.competition_state(competition_id)
    return bool(state and state.frozen_for(leaderboard_views.audience_of(user_of(request))))


class LeaderboardController(Controller):
    path = "/competitions/{slug:str}"
    tags = ["leaderboard"]

    async def _board(self, competition: Any, view: str, period: str, lines_for: str | None = None) -> Any:
        types = (
            {t["code"] for t in await competitions.activity_types(competition.id)}
            if view.startswith("type:")
            else set()
        )
        choice = leaderboard_views.choose(view, period, types)
        return await reads.board(competition, choice.view, choice.period, lines_for)

    @get(
        "/leaderboard",
        guards=[public],
        operation_id="getLeaderboard",
        summary="Every team, best first, for a view and a period (no token needed unless private)",
        responses=responses(401, 404),
    )
    async def leaderboard(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        view: Annotated[
            str, QueryParameter(max_length=48, description="overall, cluster:<cluster> or type:<CODE>")
        ] = "overall",
        period: Annotated[
            str, QueryParameter(max_length=16, description="season, week:YYYY-Www or month:YYYY-MM")
        ] = "season",
    ) -> s.LeaderboardOut:
        competition = await visible_competition(slug, user_of(request))
        board = await self._board(competition, view, period)
        frozen = await _frozen_for(competition.id, request)
        if frozen:
            # The public sees the snapshot of the freeze: the overall season only.
            board = await leaderboard_views.frozen_api_board(competition.id)
            if view != "overall" or period != "season":
                board.rows.clear()
        return s.LeaderboardOut(
            competition=competition.slug,
            view=view,
            period=period,
            ruleset_version=board.ruleset_version or competition.ruleset_version,
            frozen=frozen,
            generated_at=datetime.now(UTC).isoformat(),
            rows=[
                s.LeaderboardRow(
                    rank=r.rank,
                    team_code=r.team_code,
                    team_name=r.team_name,
                    score=decimal_text(r.score),
                    counted_activities=r.counted,
                    breakdown={k: decimal_text(v) for k, v in r.breakdown.items()},
                )
                for r in board.rows
            ],
        )

    @get(
        "/teams/{code:str}/explanation",
        guards=[public],
        operation_id="getExplanation",
        summary="Why a team has its score: every line (rule, activity or period, points, reason)",
        responses=responses(401, 404),
    )
    async def explanation(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        code: FromPath[str],
        period: Annotated[
            str, QueryParameter(max_length=16, description="season, week:YYYY-Www or month:YYYY-MM")
        ] = "season",
    ) -> s.ExplanationOut:
        competition = await visible_competition(slug, user_of(request))
        team = await competitions.team_by_code(competition.id, code)
        if team is None:
            raise NotFoundException(detail=i18n._("Team not found."))
        board = await self._board(competition, "overall", period, lines_for=code)
        if await _frozen_for(competition.id, request):
            board = await leaderboard_views.frozen_api_board(competition.id, lines_for=code)
            if period != "season":
                board.rows.clear()
        row = next((r for r in board.rows if r.team_code == code), None)
        english = i18n.get_locale() == "en"
        return s.ExplanationOut(
            competition=competition.slug,
            team_code=code,
            team_name=team["name"],
            period=period,
            ruleset_version=board.ruleset_version or competition.ruleset_version,
            rank=row.rank if row else 0,
            score=decimal_text(row.score) if row else "0",
            lines=[
                s.LineOut(
                    rule=line["rule"],
                    activity_id=line.get("activity_id"),
                    period=line.get("period"),
                    points=decimal_text(line["points"]),
                    reason=line["reason_en"] if english else line["reason_id"],
                )
                for line in (row.lines if row else [])
            ],
        )


CONTROLLERS = (
    TokenController,
    CompetitionController,
    CompetitionPartsController,
    UserController,
    ActivityController,
    ScoringController,
    LeaderboardController,
)
