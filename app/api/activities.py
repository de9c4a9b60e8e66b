"""Activities through the API: submit (idempotent), list, read, add a photo, review."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, HeaderParameter, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from app import i18n
from app.accounts.auth import CurrentUser, judge_only, participant_only, signed_in
from app.activities import attestation, forms, policy
from app.activities import photos as photo_service
from app.activities import services as activity_service
from app.api import schemas as s
from app.api import services as reads
from app.api.attestations import attestation_out
from app.api.common import (
    BEARER,
    ActivityId,
    Cursor,
    Invalid,
    Limit,
    decimal_text,
    decode_cursor,
    iso,
    page_of,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.competitions.services import CompetitionInfo
from app.judging import reviews
from app.judging.scores import check_scores
from app.settings import Settings
from app.tables import Review, Team

KEY_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


def _activity_out(
    row: dict[str, Any],
    reviews: list[dict[str, Any]] | None = None,
    photos: list[dict[str, Any]] | None = None,
    *,
    blind: bool = False,
    attested: dict[str, Any] | None = None,
) -> s.ActivityOut:
    """`row` as the policy shaped it (redacted under blind judging: no team, desa or names)."""
    return s.ActivityOut(
        id=row["id"],
        blind=blind,
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
        attestation=attestation_out(attested, blind=blind),
    )


async def activity_page(rows: list[dict[str, Any]], size: int, *, blind: bool) -> s.ActivityPage:
    """One page of activities as the API shows them: redacted under blind judging, with the officer's
    confirmation, and the cursor of the next page."""
    rows, next_cursor = page_of(rows, size)
    if blind:
        rows = [policy.redact(r) for r in rows]
    attested = await attestation.summaries([r["id"] for r in rows])
    return s.ActivityPage(
        items=[_activity_out(r, blind=blind, attested=attested.get(r["id"])) for r in rows],
        next_cursor=next_cursor,
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


@dataclass
class PhotoUpload:
    file: UploadFile


async def _checked_review(activity_id: int, data: s.ReviewIn) -> tuple[CompetitionInfo, str, dict[str, str]]:
    """The review's fields checked as the judge's form checks them (422 naming each), and its activity's
    competition (404 for an unknown activity)."""
    errors: dict[str, str] = {}
    if data.decision not in reviews.DECISIONS:
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
        scores, score_errors = await check_scores(competition.id, data.scores)
        errors.update(score_errors)
    if errors:
        raise Invalid(errors)
    return competition, reason, scores


async def _own_review_out(
    activity_id: int,
    user: CurrentUser,
    data: s.ReviewIn,
    reason: str,
    scores: dict[str, Any],
    status: str,
) -> s.ReviewCreated:
    """The judge's current review of the activity, as written just now (a decision or a revision)."""
    own = await (
        Review.select(Review.id, Review.created_at)
        .where((Review.activity == activity_id) & (Review.judge == user.id) & Review.is_current.eq(True))
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
        user: NamedDependency[CurrentUser],
    ) -> Response[s.ActivityOut]:
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
            _activity_out(
                row,
                [],
                await photo_service.photos_of(activity_id),
                attested=(await attestation.summaries([activity_id]))[activity_id],
            ),
            status_code=HTTP_201_CREATED,
            headers={"Idempotent-Replayed": "false" if created else "true"},
        )

    @get(
        "/competitions/{slug:str}/activities",
        guards=[signed_in],
        operation_id="listActivities",
        summary="Activities, oldest first (a participant sees their own team's only)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def list_activities(
        self,
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        status: Annotated[Literal["submitted", "verified", "rejected"] | None, QueryParameter()] = None,
        team: Annotated[str | None, QueryParameter(max_length=16, description="Team code")] = None,
        type: Annotated[str | None, QueryParameter(max_length=32, description="Activity type code")] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.ActivityPage:
        competition = await visible_competition(slug, user)
        blind = user.role == "judge" and await policy.blind_judging(competition.id)
        if blind and team:
            raise PermissionDeniedException(
                detail=i18n._("Blind judging is on: activities cannot be filtered by team.")
            )
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
        return await activity_page(rows, size, blind=blind)

    @get(
        "/activities/{activity_id:int}",
        guards=[signed_in],
        operation_id="getActivity",
        summary="One activity with its reviews and photos",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def detail(
        self, request: Request[Any, Any, Any], activity_id: ActivityId, user: NamedDependency[CurrentUser]
    ) -> s.ActivityOut:
        # What this viewer may see (own team, own regency, conflict, blind judging, independence) is the
        # policy's to decide, as on the pages and the photo route.
        view = await policy.activity_view(user, activity_id)
        return _activity_out(
            view.row,
            await policy.visible_reviews(user, view),
            await photo_service.photos_of(activity_id),
            blind=view.blind,
            attested=(await attestation.summaries([activity_id]))[activity_id],
        )

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
        user: NamedDependency[CurrentUser],
    ) -> s.PhotoOut:
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
        self,
        request: Request[Any, Any, Any],
        activity_id: ActivityId,
        data: JSONBody[s.ReviewIn],
        user: NamedDependency[CurrentUser],
    ) -> s.ReviewCreated:
        competition, reason, scores = await _checked_review(activity_id, data)
        status = await reviews.decide(competition, user, activity_id, data.decision, reason, scores)
        return await _own_review_out(activity_id, user, data, reason, scores, status)

    @put(
        "/activities/{activity_id:int}/reviews/mine",
        guards=[judge_only],
        status_code=HTTP_200_OK,
        operation_id="reviseReview",
        summary="Revise the judge's own review (a new version) while the verification stage is open, as "
        "/juri/ulasan/{id}",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def revise(
        self,
        request: Request[Any, Any, Any],
        activity_id: ActivityId,
        data: JSONBody[s.ReviewIn],
        user: NamedDependency[CurrentUser],
    ) -> s.ReviewCreated:
        competition, reason, scores = await _checked_review(activity_id, data)
        status = await reviews.revise(competition, user, activity_id, data.decision, reason, scores or None)
        return await _own_review_out(activity_id, user, data, reason, scores, status)
