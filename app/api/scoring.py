"""Scoring through the API: the registered rules, the ruleset in force, publishing and previewing a
ruleset, bonuses and penalties."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotFoundException,
)
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only, public
from app.api import schemas as s
from app.api.common import (
    BEARER,
    Cursor,
    Invalid,
    Limit,
    decimal_text,
    decode_cursor,
    iso,
    page_of,
    parse_decimal,
    responses,
    visible_competition,
)
from app.api.season_schemas import AdjustmentPage
from app.competitions import services as competitions
from app.leaderboard.services import load_facts
from app.tables import Adjustment, RulesetVersion
from scoring.engine import compare
from scoring.registry import all_rules
from scoring.ruleset import RulesetInvalid, parse_ruleset

MAX_POINTS = Decimal(100_000)


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
    async def ruleset(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
    ) -> s.RulesetOut:
        competition = await visible_competition(slug, viewer)
        return await _ruleset_out(competition.id)

    @put(
        "/competitions/{slug:str}/ruleset",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="putRuleset",
        summary="Publish a new ruleset version, in force at once",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def put_ruleset(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.RulesetIn],
        user: NamedDependency[CurrentUser],
    ) -> s.RulesetOut:
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
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.RulesetIn],
        user: NamedDependency[CurrentUser],
    ) -> list[s.PreviewRow]:
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

    @get(
        "/competitions/{slug:str}/adjustments",
        guards=[organiser_only],
        operation_id="listAdjustments",
        summary="The organisers' bonuses and penalties, oldest first (the console's adjustments page)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def adjustments(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> AdjustmentPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await (
            Adjustment.select(
                Adjustment.id,
                Adjustment.team.code,
                Adjustment.points,
                Adjustment.reason,
                Adjustment.created_at,
            )
            .where((Adjustment.competition == competition.id) & (Adjustment.id > decode_cursor(cursor)))
            .order_by(Adjustment.id)
            .limit(size + 1)
        )
        rows, next_cursor = page_of(rows, size)
        return AdjustmentPage(
            items=[
                s.AdjustmentOut(
                    id=r["id"],
                    team_code=r["team.code"],
                    points=decimal_text(r["points"]),
                    reason=r["reason"],
                    created_at=iso(r["created_at"]),
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )

    @post(
        "/competitions/{slug:str}/adjustments",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createAdjustment",
        summary="An organisers' bonus (positive points) or penalty (negative), with its reason",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def adjustment(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.AdjustmentIn],
        user: NamedDependency[CurrentUser],
    ) -> s.AdjustmentOut:
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
