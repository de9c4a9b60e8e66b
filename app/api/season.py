"""Running a season through the API: its settings, the board's freeze and the final results. Each route is a
door over the service the console's page calls (`organiser.season_settings`, `leaderboard.freeze`,
`organiser.results`), with the same role and the same verdicts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from app.accounts.auth import CurrentUser, organiser_only, public
from app.accounts.services import account_by_id
from app.api import season_schemas as s
from app.api.common import BEARER, decimal_text, iso, responses, visible_competition
from app.competitions.services import CompetitionInfo, competition_by_id
from app.errors import Conflict, Invalid
from app.leaderboard import freeze as board_freeze
from app.leaderboard import policy
from app.organiser import results
from app.organiser import season_settings as settings_service


async def _settings_out(competition: CompetitionInfo) -> s.SettingsOut:
    jury = await settings_service.jury_settings(competition.id)
    account = await account_by_id(jury["head_judge"]) if jury["head_judge"] is not None else None
    return s.SettingsOut(
        slug=competition.slug,
        name=competition.name,
        starts_on=competition.starts_on,
        ends_on=competition.ends_on,
        timezone=competition.timezone,
        is_private=competition.is_private,
        reviews_required=competition.reviews_required,
        blind_judging=bool(jury["blind_judging"]),
        q_tolerance=decimal_text(Decimal(str(jury["q_tolerance"] or "0"))),
        tolerance_action=jury["tolerance_action"],
        head_judge=account["username"] if account else None,
        judge_normalisation=bool(jury["judge_normalisation"]),
        place=jury["place"] or "",
    )


def _flag(value: bool) -> str:
    return "1" if value else ""


async def _freeze_out(user: CurrentUser, competition: CompetitionInfo, changed: bool) -> s.FreezeOut:
    state = await policy.board_of(user, competition)
    return s.FreezeOut(
        frozen=state.frozen_at is not None,
        frozen_at=iso(state.frozen_at),
        frozen_version=state.frozen_version,
        standings_version=state.version,
        changed=changed,
    )


class SeasonController(Controller):
    """The season's settings, the freeze and the final results of one competition."""

    path = "/competitions/{slug:str}"
    tags = ["season"]

    @get(
        "/settings",
        guards=[organiser_only],
        operation_id="getSeasonSettings",
        summary="The season's settings (privacy, reviews per activity, the jury's settings)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def settings(
        self, request: Request[Any, Any, Any], slug: FromPath[str], user: NamedDependency[CurrentUser]
    ) -> s.SettingsOut:
        return await _settings_out(await visible_competition(slug, user))

    @patch(
        "/settings",
        guards=[organiser_only],
        operation_id="updateSeasonSettings",
        summary="Change the season's settings (fields left out keep their value); rescored at once",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def update_settings(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.SettingsIn],
        user: NamedDependency[CurrentUser],
    ) -> s.SettingsSaved:
        competition = await visible_competition(slug, user)
        now = await _settings_out(competition)

        def pick(name: str) -> Any:
            value = getattr(data, name)
            return getattr(now, name) if value is None else value

        season = {
            "name": str(pick("name")),
            "starts_on": pick("starts_on").isoformat(),
            "ends_on": pick("ends_on").isoformat(),
            "timezone": str(pick("timezone")),
            "is_private": _flag(pick("is_private")),
            "reviews_required": str(pick("reviews_required")),
        }
        judges = await settings_service.active_judges()
        head = now.head_judge if data.head_judge is None else data.head_judge.strip().lower()
        head_id = ""
        if head:
            head_id = str(next((j["id"] for j in judges if j["username"] == head), -1))
        tolerance = pick("q_tolerance")
        jury_values = {
            "blind_judging": _flag(pick("blind_judging")),
            "q_tolerance": tolerance if isinstance(tolerance, str) else str(Decimal(str(tolerance))),
            "tolerance_action": str(pick("tolerance_action")),
            "head_judge": head_id,
            "judge_normalisation": _flag(pick("judge_normalisation")),
            "place": str(pick("place")),
        }
        # The console's checks, word for word: the same fields, the same messages.
        cleaned, errors = settings_service.validate_season(season)
        jury, jury_errors = settings_service.validate_jury(jury_values, {j["id"] for j in judges})
        errors.update(jury_errors)
        if errors:
            raise Invalid(fields=errors)
        assigned = await settings_service.update_season(
            competition, cleaned, actor_id=user.id, actor_name=user.username, jury=jury
        )
        fresh = await competition_by_id(competition.id)
        assert fresh is not None
        return s.SettingsSaved(settings=await _settings_out(fresh), judges_assigned=assigned)

    @get(
        "/freeze",
        guards=[organiser_only],
        operation_id="getFreeze",
        summary="Whether the public board is frozen, since when and at which version",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def freeze_state(
        self, request: Request[Any, Any, Any], slug: FromPath[str], user: NamedDependency[CurrentUser]
    ) -> s.FreezeOut:
        return await _freeze_out(user, await visible_competition(slug, user), False)

    @post(
        "/freeze",
        guards=[organiser_only],
        status_code=200,
        operation_id="freezeBoard",
        summary="Freeze the public board (participants and the public see the standings as they are now)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def freeze(
        self, request: Request[Any, Any, Any], slug: FromPath[str], user: NamedDependency[CurrentUser]
    ) -> s.FreezeOut:
        competition = await visible_competition(slug, user)
        changed = await board_freeze.freeze(competition.id, user)
        return await _freeze_out(user, competition, changed)

    @post(
        "/unfreeze",
        guards=[organiser_only],
        status_code=200,
        operation_id="unfreezeBoard",
        summary="Show the live standings to everyone again",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def unfreeze(
        self, request: Request[Any, Any, Any], slug: FromPath[str], user: NamedDependency[CurrentUser]
    ) -> s.FreezeOut:
        competition = await visible_competition(slug, user)
        changed = await board_freeze.unfreeze(competition.id, user)
        return await _freeze_out(user, competition, changed)

    @get(
        "/final-results",
        guards=[public],
        operation_id="getFinalResults",
        summary="The published final results (published: false until the organisers publish them)",
        responses=responses(401, 404),
    )
    async def final_results(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
    ) -> s.FinalResultsOut:
        competition = await visible_competition(slug, viewer)
        return await _final_out(competition, viewer)

    @post(
        "/final-results",
        guards=[organiser_only],
        status_code=201,
        operation_id="publishFinalResults",
        summary="Publish the final results (once; nothing that changes the scores can change afterwards)",
        security=BEARER,
        responses={
            **responses(401, 403, 404),
            409: ResponseSpec(
                data_container=s.WaitingConflict,
                description="Published already (waiting 0), or activities still wait for the judges: send "
                "their count as waiting_acknowledged to publish anyway.",
                generate_examples=False,
            ),
        },
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.FinalResultsIn],
        user: NamedDependency[CurrentUser],
    ) -> Response[s.FinalResultsOut]:
        competition = await visible_competition(slug, user)
        try:
            await results.publish_final(
                competition,
                actor_id=user.id,
                actor_name=user.username,
                note=data.note.strip(),
                waiting_seen=data.waiting_acknowledged,
            )
        except results.ActivitiesWaiting as exc:
            return _waiting(exc.message, exc.count)
        except Conflict as exc:  # published already
            return _waiting(exc.message, 0)
        out = await _final_out(competition, user)
        return Response(out, status_code=201, media_type=MediaType.JSON)


def _waiting(detail: str, count: int) -> Response[Any]:
    body = s.WaitingConflict(status_code=409, detail=detail, waiting=count)
    return Response(body, status_code=409, media_type=MediaType.JSON)


async def _final_out(competition: CompetitionInfo, viewer: CurrentUser | None) -> s.FinalResultsOut:
    final = await results.final_result(competition.id)
    waiting = (
        await results.waiting_activities(competition.id)
        if viewer is not None and viewer.role == "organiser"
        else None
    )
    if final is None:
        return s.FinalResultsOut(
            competition=competition.slug,
            published=False,
            published_at=None,
            published_by=None,
            ruleset_version=None,
            note="",
            rows=[],
            waiting_activities=waiting,
        )
    return s.FinalResultsOut(
        competition=competition.slug,
        published=True,
        published_at=iso(final["published_at"]),
        published_by=final["published_by.username"],
        ruleset_version=final["ruleset_version"],
        note=final["note"] or "",
        rows=[
            s.FinalRow(
                rank=r["rank"],
                team_code=r["team_code"],
                team_name=r["team_name"],
                score=decimal_text(r["score"]),
                counted_activities=int(r.get("counted") or 0),
                shared=bool(r.get("shared")),
            )
            for r in final["standings"]
        ],
        waiting_activities=waiting,
    )
