"""The jury through the API: judges' assignments (list, override, assign the unassigned), conflicts of
interest (declared by a judge, listed for organisers) and a judge's queue (the list and the next one).

Thin doors over the services the console's pages call (app.judging.assignment, corrections, queue_views;
app.organiser.jury_reads), with the same roles and the same refusals."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from app.accounts.auth import CurrentUser, judge_only, organiser_only, requires
from app.activities import policy
from app.api import schemas as s
from app.api.activities import _activity_out, activity_page
from app.api.common import (
    BEARER,
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
from app.errors import Invalid as InvalidInput
from app.errors import NotFound
from app.i18n import _
from app.inputs import MAX_ID
from app.judging import assignment as assignments
from app.judging import corrections, queue_views, reviews
from app.organiser import jury_reads

AssignmentId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
ReviewId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


# --- Shapes -------------------------------------------------------------------------------------------


class AssignmentOut(msgspec.Struct):
    """A judge asked to review an activity (or, in a team-level stage, a team)."""

    id: int
    kind: Literal["activity", "team"]
    status: str
    origin: str
    judge_id: int
    judge_username: str
    judge_name: str
    activity_id: int | None
    team_code: str
    team_name: str
    stage_id: int | None
    jury_flag: str
    skipped: int
    created_at: str | None


class AssignmentPage(msgspec.Struct):
    items: list[AssignmentOut]
    next_cursor: str | None


class OverrideIn(msgspec.Struct):
    judge_id: Annotated[int, Meta(ge=1, le=MAX_ID)]


class AssignedOut(msgspec.Struct):
    assigned: int


class AnnulIn(msgspec.Struct):
    """Why the review is annulled (required, as on the console's form)."""

    reason: Annotated[str, Meta(max_length=2000)]


class AnnulledOut(msgspec.Struct):
    review_id: int
    activity_id: int
    status: str


class MyReviewOut(msgspec.Struct):
    """One version of the judge's own review (`is_current`: the one that counts; annulled ones say so)."""

    id: int
    activity_id: int
    activity_title: str
    activity_status: str
    decision: str
    reason: str
    scores: dict[str, str]
    version: int
    is_current: bool
    created_at: str | None
    annulled_at: str | None
    annul_reason: str


class MyReviewPage(msgspec.Struct):
    items: list[MyReviewOut]
    next_cursor: str | None


class ConflictIn(msgspec.Struct):
    team_code: Annotated[str, Meta(max_length=16)]
    reason: Annotated[str, Meta(max_length=2000)]


class ConflictOut(msgspec.Struct):
    id: int
    judge_id: int
    judge_username: str
    team_code: str
    team_name: str
    reason: str
    created_at: str | None


class ConflictPage(msgspec.Struct):
    items: list[ConflictOut]
    next_cursor: str | None


class TeamReviewIn(msgspec.Struct):
    """Scores for every criterion of the team rubric (criterion code -> number), and an optional note."""

    scores: Annotated[dict[Annotated[str, Meta(max_length=32)], s.Number], Meta(max_length=50)]
    note: Annotated[str, Meta(max_length=2000)] = ""


class TeamReviewOut(msgspec.Struct):
    """The judge's current team review; `team_code` null under blind judging."""

    assignment_id: int
    stage_id: int
    team_code: str | None
    scores: dict[str, str]
    note: str


class QueueTeam(msgspec.Struct):
    """The team of a team-level stage's assignment; code and name are null under blind judging."""

    code: str | None
    name: str | None


class QueueAssignment(msgspec.Struct):
    id: int
    kind: Literal["activity", "team"]
    origin: str
    stage_id: int | None


class QueueNext(msgspec.Struct):
    """The judge's next assignment as the queue page gives it: an activity (shaped by blind judging) or a
    team; `assignment` null when there is nothing to judge. `done`/`total`: progress in the open stages."""

    assignment: QueueAssignment | None
    activity: s.ActivityOut | None
    team: QueueTeam | None
    done: int
    total: int


# --- Conversions --------------------------------------------------------------------------------------


def _assignment_out(row: dict[str, Any]) -> AssignmentOut:
    return AssignmentOut(
        id=row["id"],
        kind="activity" if row["activity"] else "team",
        status=row["status"],
        origin=row["origin"],
        judge_id=row["judge"],
        judge_username=row["judge.username"] or "",
        judge_name=row["judge.full_name"] or "",
        activity_id=row["activity"],
        team_code=row["team_code"],
        team_name=row["team_name"],
        stage_id=row["stage"],
        jury_flag=row["activity.jury_flag"] or "",
        skipped=row["skipped"] or 0,
        created_at=iso(row["created_at"]),
    )


def _conflict_out(row: dict[str, Any]) -> ConflictOut:
    return ConflictOut(
        id=row["id"],
        judge_id=row["judge"],
        judge_username=row.get("judge.username") or "",
        team_code=row["team.code"],
        team_name=row["team.name"],
        reason=row["reason"],
        created_at=iso(row["created_at"]),
    )


class JuryController(Controller):
    tags = ["jury"]
    path = "/competitions/{slug:str}"

    # --- Assignments (organisers: /panitia/juri/tugas, /panitia/juri/alihkan) -----------------------

    @get(
        "/assignments",
        guards=[organiser_only],
        operation_id="listAssignments",
        summary="Judges' assignments, by id (filter by judge, status, team, activity or jury flag)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def list_assignments(
        self,
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        judge_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        status: Annotated[
            Literal["open", "done", "moved", "cancelled"] | None, QueryParameter(description="State")
        ] = None,
        team: Annotated[str | None, QueryParameter(max_length=16, description="Team code")] = None,
        activity_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        flag: Annotated[Literal["tie", "spread", "head"] | None, QueryParameter()] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> AssignmentPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await jury_reads.assignments_after(
            competition.id,
            status=status,
            judge_id=judge_id,
            team_code=(team or "").strip(),
            flag=flag or "",
            activity_id=activity_id,
            after_id=decode_cursor(cursor),
            limit=size,
        )
        rows, next_cursor = page_of(rows, size)
        return AssignmentPage(items=[_assignment_out(r) for r in rows], next_cursor=next_cursor)

    @post(
        "/assignments/{assignment_id:int}/override",
        guards=[organiser_only],
        status_code=HTTP_200_OK,
        operation_id="overrideAssignment",
        summary="Give an open assignment to another eligible judge (the new assignment is returned)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def override(
        self,
        slug: FromPath[str],
        assignment_id: AssignmentId,
        data: JSONBody[OverrideIn],
        user: NamedDependency[CurrentUser],
    ) -> AssignmentOut:
        competition = await visible_competition(slug, user)
        try:
            new_id = await assignments.override_assignment(competition, assignment_id, data.judge_id, user)
        except InvalidInput as exc:
            raise Invalid({"judge_id": exc.message}) from None
        row = await jury_reads.assignment_by_id(competition.id, new_id)
        assert row is not None
        return _assignment_out(row)

    @post(
        "/assignments/assign-unassigned",
        guards=[organiser_only],
        status_code=HTTP_200_OK,
        operation_id="assignUnassigned",
        summary="Give every submitted activity still short of judges its missing judges",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def assign_unassigned(self, slug: FromPath[str], user: NamedDependency[CurrentUser]) -> AssignedOut:
        competition = await visible_competition(slug, user)
        return AssignedOut(assigned=await assignments.assign_unassigned(competition, user))

    @post(
        "/reviews/{review_id:int}/annul",
        guards=[organiser_only],
        status_code=HTTP_200_OK,
        operation_id="annulReview",
        summary="Annul a judge's current review with a reason (another judge is asked, the activity is "
        "settled again), as the console's Batalkan ulasan",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def annul_review(
        self,
        slug: FromPath[str],
        review_id: ReviewId,
        data: JSONBody[AnnulIn],
        user: NamedDependency[CurrentUser],
    ) -> AnnulledOut:
        competition = await visible_competition(slug, user)
        status = await corrections.annul_review(competition, user, review_id, data.reason)
        activity_id = await corrections.activity_of_review(review_id)
        return AnnulledOut(review_id=review_id, activity_id=activity_id, status=status)

    # --- Conflicts of interest (judges: /juri/konflik; organisers see them on /panitia/juri) -----------

    @get(
        "/conflicts",
        guards=[requires("organiser", "judge")],
        operation_id="listConflicts",
        summary="Conflicts of interest declared with the competition's teams (a judge: their own)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def list_conflicts(
        self,
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        judge_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ConflictPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await corrections.conflicts_page(
            competition.id, user, judge_id=judge_id, after_id=decode_cursor(cursor), limit=size
        )
        rows, next_cursor = page_of(rows, size)
        return ConflictPage(items=[_conflict_out(r) for r in rows], next_cursor=next_cursor)

    @post(
        "/conflicts",
        guards=[judge_only],
        status_code=HTTP_201_CREATED,
        operation_id="declareConflict",
        summary="Declare a conflict of interest with a team (open assignments move to other judges; "
        "reviews of its activities are annulled while verification is open)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def declare_conflict(
        self, slug: FromPath[str], data: JSONBody[ConflictIn], user: NamedDependency[CurrentUser]
    ) -> ConflictOut:
        competition = await visible_competition(slug, user)
        team = await competitions.team_by_code(competition.id, data.team_code.strip())
        try:
            # An unknown code is refused by the service like an unknown id ("Choose a team.").
            await corrections.declare_conflict(competition, user, team["id"] if team else 0, data.reason)
        except InvalidInput as exc:
            raise Invalid({("team_code" if f == "team" else f): m for f, m in exc.fields.items()}) from None
        rows = await corrections.conflicts(user.id)
        assert team is not None
        row = next(r for r in reversed(rows) if r["team"] == team["id"])
        return _conflict_out({**row, "judge": user.id, "judge.username": user.username})

    # --- The judge's queue (/juri, /juri/daftar) ---------------------------------------------------------

    @get(
        "/queue",
        guards=[judge_only],
        operation_id="listQueue",
        summary="The activities waiting for the judge's verdict, by id (blind judging applied)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def queue(
        self,
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        attested: Annotated[
            Literal["confirmed", "pending", "declined", "none"] | None,
            QueryParameter(description="Only activities whose officer confirmation is in this state"),
        ] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.ActivityPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await queue_views.waiting_after(
            competition.id, user, after_id=decode_cursor(cursor), limit=size, attested=attested
        )
        return await activity_page(rows, size, blind=await policy.blind_judging(competition.id))

    @get(
        "/my-reviews",
        guards=[judge_only],
        operation_id="listMyReviews",
        summary="The judge's own reviews in the competition, every version, by id (as /juri/ulasan)",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def my_reviews(
        self,
        slug: FromPath[str],
        user: NamedDependency[CurrentUser],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> MyReviewPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        rows = await queue_views.my_reviews_after(
            competition.id, user, after_id=decode_cursor(cursor), limit=size
        )
        rows, next_cursor = page_of(rows, size)
        return MyReviewPage(
            items=[
                MyReviewOut(
                    id=r["id"],
                    activity_id=r["activity"],
                    activity_title=r["activity.title"] or "",
                    activity_status=r["activity.status"] or "",
                    decision=r["decision"],
                    reason=r["reason"] or "",
                    scores={k: decimal_text(v) for k, v in r["scores"].items()},
                    version=r["version"],
                    is_current=bool(r["is_current"]),
                    created_at=iso(r["created_at"]),
                    annulled_at=iso(r["annulled_at"]),
                    annul_reason=r["annul_reason"] or "",
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )

    @get(
        "/queue/next",
        guards=[judge_only],
        operation_id="nextAssignment",
        summary="The judge's next assignment, as the judge's queue page gives it",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def next_assignment(self, slug: FromPath[str], user: NamedDependency[CurrentUser]) -> QueueNext:
        competition = await visible_competition(slug, user)
        assignment, view = await queue_views.next_in_queue(competition.id, user)
        done, total = await assignments.progress(competition.id, user)
        if assignment is None:
            return QueueNext(assignment=None, activity=None, team=None, done=done, total=total)
        item = QueueAssignment(
            id=assignment["id"],
            kind=assignment["kind"],
            origin=assignment["origin"],
            stage_id=assignment["stage_id"],
        )
        if view is not None:
            return QueueNext(
                assignment=item,
                activity=_activity_out(view.row, blind=view.blind, attested=view.row.get("attestation")),
                team=None,
                done=done,
                total=total,
            )
        team = await queue_views.team(competition.id, assignment["team_id"])
        blind = await policy.blind_judging(competition.id)
        return QueueNext(
            assignment=item,
            activity=None,
            team=QueueTeam(
                code=None if blind or team is None else team["code"],
                name=None if blind or team is None else team["name"],
            ),
            done=done,
            total=total,
        )

    @post(
        "/queue/{assignment_id:int}/skip",
        guards=[judge_only],
        status_code=HTTP_204_NO_CONTENT,
        operation_id="skipAssignment",
        summary="Skip an assignment: it goes to the end of the judge's queue",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def skip(
        self, slug: FromPath[str], assignment_id: AssignmentId, user: NamedDependency[CurrentUser]
    ) -> None:
        competition = await visible_competition(slug, user)
        await assignments.skip(competition.id, user, assignment_id)

    @post(
        "/queue/{assignment_id:int}/team-review",
        guards=[judge_only],
        status_code=HTTP_201_CREATED,
        operation_id="reviewTeam",
        summary="Score a team of a team-level stage assigned to the judge (again: a new version)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def review_team(
        self,
        slug: FromPath[str],
        assignment_id: AssignmentId,
        data: JSONBody[TeamReviewIn],
        user: NamedDependency[CurrentUser],
    ) -> TeamReviewOut:
        competition = await visible_competition(slug, user)
        # The judge's own open or done team assignment, as the page's /juri/tim/nilai finds it.
        row = await queue_views.team_assignment(competition.id, user.id, assignment_id)
        if row is None:
            raise NotFound(_("Assignment not found."))
        await reviews.score_team(competition, user, row["stage"], row["team"], dict(data.scores), data.note)
        current = await queue_views.current_team_review(row["stage"], row["team"], user.id)
        team = await queue_views.team(competition.id, row["team"])
        assert current is not None and team is not None
        return TeamReviewOut(
            assignment_id=assignment_id,
            stage_id=row["stage"],
            team_code=None if await policy.blind_judging(competition.id) else team["code"],
            scores={k: decimal_text(v) for k, v in current["scores"].items()},
            note=current["note"],
        )
