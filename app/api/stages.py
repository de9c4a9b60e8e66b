"""A competition's stages through the API: list, set up, close (answering with its Berita Acara), and the
Berita Acara's list and PDF with its SHA-256. Doors over `competitions.stage_setup` and `judging.stages`,
the services of the console's stage pages, with their roles and verdicts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only, requires
from app.api import season_schemas as s
from app.api.common import (
    BEARER,
    Cursor,
    Limit,
    decimal_text,
    iso,
    page_in_order,
    responses,
    visible_competition,
)
from app.competitions import stage_setup
from app.competitions.services import CompetitionInfo, ruleset_in_force
from app.competitions.stages import stage_by_id
from app.competitions.stages import stages as all_stages_of
from app.errors import Invalid, NotFound
from app.inputs import MAX_ID
from app.judging import stages as judging_stages

API_PREFIX = "/api/v1"
StageId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def _number_text(value: Any) -> str:
    """A JSON number or numeric string as the console's form field would carry it."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else format(Decimal(str(value)), "f")


def _record_out(slug: str, r: dict[str, Any]) -> s.BeritaAcaraOut:
    return s.BeritaAcaraOut(
        id=r["id"],
        stage_id=r["stage"],
        stage_code=r["stage.code"],
        sha256=r["sha256"],
        created_at=iso(r["created_at"]),
        created_by=r.get("created_by.username"),
        url=f"{API_PREFIX}/competitions/{slug}/stages/{r['stage']}/berita-acara.pdf",
    )


async def _stages_out(competition: CompetitionInfo) -> list[s.StageOut]:
    _, ruleset = await ruleset_in_force(competition.id)
    weights = dict(ruleset.stages)
    records: dict[int, dict[str, Any]] = {}
    for r in await judging_stages.records(competition.id):
        records.setdefault(r["stage"], r)
    return [
        s.StageOut(
            id=st["id"],
            code=st["code"],
            name=st["name"],
            name_en=st["name_en"] or "",
            kind=st["kind"],
            top_n=st["top_n"],
            position=st["position"],
            status=st["status"],
            weight=decimal_text(weights[st["code"]]) if st["code"] in weights else None,
            closed_at=iso(st["closed_at"]),
            berita_acara=_record_out(competition.slug, records[st["id"]]) if st["id"] in records else None,
        )
        for st in await all_stages_of(competition.id)
    ]


async def _stage_out(competition: CompetitionInfo, stage_id: int) -> s.StageOut:
    found = next((st for st in await _stages_out(competition) if st.id == stage_id), None)
    if found is None:
        raise NotFound(i18n._("Stage not found."))
    return found


def _form(data: s.StageIn) -> dict[str, str]:
    """The body as the console's stage form sends it: both doors run the same checks on the same text."""
    return {
        "code": data.code.strip()[:200],
        "name": data.name.strip(),
        "name_en": data.name_en.strip(),
        "kind": data.kind.strip(),
        "top_n": str(data.top_n),
        "weight": _number_text(data.weight),
    }


async def _save(
    competition: CompetitionInfo, stage_id: int | None, data: s.StageIn, user: CurrentUser
) -> s.StageOut:
    stage = None
    if stage_id is not None:
        stage = await stage_by_id(competition.id, stage_id)
        if stage is None:
            raise NotFound(i18n._("Stage not found."))
    others = [st for st in await all_stages_of(competition.id) if st["id"] != stage_id]
    cleaned, errors = stage_setup.validate_stage(_form(data), stage, others)
    if errors:
        raise Invalid(fields=errors)
    saved = await stage_setup.save_stage(competition, stage_id, cleaned, user)
    return await _stage_out(competition, saved)


class StageController(Controller):
    """The stages of one competition and their Berita Acara."""

    path = "/competitions/{slug:str}"
    tags = ["stages"]

    @get(
        "/stages",
        guards=[organiser_only],
        operation_id="listStages",
        summary="The stages in order: status, weight, and the Berita Acara of each closed one",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def list_stages(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.StagePage:
        stages = await _stages_out(await visible_competition(slug, user))
        items, next_cursor = page_in_order(stages, limit or 50, cursor)
        return s.StagePage(items=items, next_cursor=next_cursor)

    @post(
        "/stages",
        guards=[organiser_only],
        status_code=201,
        operation_id="createStage",
        summary="Add a stage (a weight publishes a new ruleset version)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def create_stage(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.StageIn],
        user: NamedDependency[CurrentUser],
    ) -> s.StageOut:
        return await _save(await visible_competition(slug, user), None, data, user)

    @get(
        "/stages/{stage_id:int}",
        guards=[organiser_only],
        operation_id="getStage",
        summary="One stage, with what closing it would do while it is open",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def stage(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        stage_id: StageId,
        user: NamedDependency[CurrentUser],
    ) -> s.StageDetail:
        competition = await visible_competition(slug, user)
        out = await _stage_out(competition, stage_id)
        plan = None
        if out.status == "open":
            stage = await stage_by_id(competition.id, stage_id)
            assert stage is not None
            found = await judging_stages.close_plan(competition, stage)
            plan = s.ClosePlanOut(
                next_stage=found["next"]["code"] if found["next"] else None,
                unjudged_activities=found["unjudged"],
                rubric_missing=bool(found["rubric_missing"]),
                earlier_open=[st["code"] for st in found["earlier_open"]],
                qualifiers=[
                    s.QualifierOut(rank=t["rank"], team_code=t["team_code"], score=decimal_text(t["score"]))
                    for t in found["teams"]
                ],
            )
        return s.StageDetail(stage=out, close_plan=plan)

    @put(
        "/stages/{stage_id:int}",
        guards=[organiser_only],
        operation_id="updateStage",
        summary="Change a stage (a closed stage keeps its code and kind)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def update_stage(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        stage_id: StageId,
        data: JSONBody[s.StageIn],
        user: NamedDependency[CurrentUser],
    ) -> s.StageOut:
        return await _save(await visible_competition(slug, user), stage_id, data, user)

    @post(
        "/stages/{stage_id:int}/close",
        guards=[organiser_only],
        status_code=200,
        operation_id="closeStage",
        summary="Close an open stage: opens the next, assigns its judges, and writes the Berita Acara",
        security=BEARER,
        response_headers=[
            ResponseHeader(
                name="Link",
                description='The Berita Acara\'s PDF: `<url>; rel="related"; type="application/pdf"`.',
                value="",  # documents its type (a string); the handler sets the value
                documentation_only=True,
            )
        ],
        responses=responses(401, 403, 404, 409),
    )
    async def close(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        stage_id: StageId,
        user: NamedDependency[CurrentUser],
    ) -> Response[s.StageClosedOut]:
        competition = await visible_competition(slug, user)
        await judging_stages.close_stage(competition, stage_id, user)
        stage = await _stage_out(competition, stage_id)
        assert stage.berita_acara is not None
        return Response(
            s.StageClosedOut(stage=stage, berita_acara=stage.berita_acara),
            status_code=200,
            headers={"Link": f'<{stage.berita_acara.url}>; rel="related"; type="application/pdf"'},
        )

    @get(
        "/berita-acara",
        guards=[requires("organiser", "judge")],
        operation_id="listBeritaAcara",
        summary="The Berita Acara of every closed stage, with its SHA-256",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def records(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.BeritaAcaraPage:
        competition = await visible_competition(slug, user)
        records = [_record_out(competition.slug, r) for r in await judging_stages.records(competition.id)]
        items, next_cursor = page_in_order(records, limit or 50, cursor)
        return s.BeritaAcaraPage(items=items, next_cursor=next_cursor)

    @get(
        "/stages/{stage_id:int}/berita-acara.pdf",
        guards=[requires("organiser", "judge")],
        operation_id="downloadBeritaAcara",
        summary="The stage's Berita Acara as stored (PDF); its SHA-256 in the X-Content-SHA256 header",
        security=BEARER,
        media_type="application/pdf",
        response_headers=[
            ResponseHeader(
                name="X-Content-SHA256",
                description="The SHA-256 stored when the stage closed (hex), as the console shows it.",
                value="",  # documents its type (a string); the handler sets the value
                documentation_only=True,
            )
        ],
        responses=responses(401, 403, 404),
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        stage_id: StageId,
        user: NamedDependency[CurrentUser],
    ) -> Response[bytes]:
        competition = await visible_competition(slug, user)
        record = await judging_stages.record_for_stage(competition.id, stage_id)
        if record is None:
            raise NotFound(i18n._("This stage has no Berita Acara yet."))
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
