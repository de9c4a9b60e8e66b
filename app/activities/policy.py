"""What a viewer may see of an activity, decided once for every door: the judge's and the participant's
pages, the API, the photo route, the judging services.

- A participant sees their own team's activities only; any other is reported missing (NotFound), so ids
  reveal nothing.
- A judge never sees an activity of their own regency/city nor of a team they declared a conflict of
  interest with (Forbidden, saying why).
- With blind judging on, a judge is not told what names the team, its desa, or the people: the view comes
  shaped without them (`redact`).
- Judge independence: a judge reads their own reviews only, never another judge's verdict, reason or scores.
- An officer sees only the activities that name them and ask for their confirmation (and their photos);
  any other is reported missing (app.activities.attestation.names_viewer). They read no reviews.
- An organiser sees everything.

Every function raises domain errors (app.errors); the doors translate them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities import attestation
from app.activities.services import ACTIVITY_COLUMNS, _decode
from app.errors import Forbidden, NotFound
from app.i18n import _
from app.tables import Activity, Competition, ConflictOfInterest, Photo, Review, Team
from scoring.jury import region_key

VIEW_COLUMNS = (
    *ACTIVITY_COLUMNS,
    Activity.competition,
    Activity.jury_flag,
    Activity.submitted_by.username.as_alias("submitter_username"),
    Activity.submitted_by.full_name.as_alias("submitter_name"),
)


@dataclass(frozen=True, slots=True)
class ActivityView:
    """An activity as one viewer may see it: `row` already shaped (redacted under blind judging)."""

    row: dict[str, Any]
    blind: bool
    # "all" (organisers, the team itself), "own" (a judge: independence) or "none" (a named officer).
    reviews: str


def not_found() -> NotFound:
    return NotFound(_("Activity not found."))


async def refuse_judge(judge: CurrentUser, team_id: int, team_code: str) -> None:
    """Forbidden for the judge's own regency/city or a team they declared a conflict with."""
    if judge.region_code and region_key(team_code) == region_key(judge.region_code):
        raise Forbidden(_("You may not judge an activity of your own regency/city."))
    if await ConflictOfInterest.exists().where(
        (ConflictOfInterest.judge == judge.id) & (ConflictOfInterest.team == team_id)
    ):
        raise Forbidden(_("You declared a conflict of interest with this team."))


async def check(viewer: CurrentUser, team_id: int, team_code: str, activity_id: int | None = None) -> None:
    """The rule itself, for a viewer and the team an activity (or one of its photos) belongs to."""
    if viewer.role == "organiser":
        return
    if viewer.role == "participant":
        if team_id != viewer.team_id:
            raise not_found()
        return
    if viewer.role == "judge":
        await refuse_judge(viewer, team_id, team_code)
        return
    if (
        viewer.role == "officer"
        and activity_id is not None
        and await attestation.names_viewer(viewer, activity_id)
    ):
        return
    raise not_found()


async def blind_judging(competition_id: int) -> bool:
    row = await Competition.select(Competition.blind_judging).where(Competition.id == competition_id).first()
    return bool(row and row["blind_judging"])


async def activity_view(
    viewer: CurrentUser, activity_id: int, *, competition_id: int | None = None
) -> ActivityView:
    """The activity as `viewer` may see it, or NotFound / Forbidden. `competition_id`: the door's season
    (an activity of another season is not found there)."""
    row = await Activity.select(*VIEW_COLUMNS).where(Activity.id == activity_id).first()
    if row is None or (competition_id is not None and row["competition"] != competition_id):
        raise not_found()
    await check(viewer, row["team.id"], row["team.code"], activity_id)
    row = _decode(row)
    blind = viewer.role == "judge" and await blind_judging(row["competition"])
    reviews = {"judge": "own", "officer": "none"}.get(viewer.role, "all")
    shaped = redact(row) if blind else row
    # The named officers' answer (app.activities.attestation.summary); the pages hide who under blind judging.
    shaped["attestation"] = (await attestation.summaries([activity_id]))[activity_id]
    return ActivityView(row=shaped, blind=blind, reviews=reviews)


def redact(row: dict[str, Any]) -> dict[str, Any]:
    """The activity without what names its team, desa or people (blind judging); how many people stays."""
    hidden = dict(row)
    hidden.update(
        {
            "team.id": None,
            "team.code": None,
            "team.name": None,
            "village_code": None,
            "district_code": None,
            "rw": "",
            "submitter_username": None,
            "submitter_name": None,
            "senkom_members": [{"name": ""} for _m in row.get("senkom_members") or []],
            "officers": [
                {"name": "", "rank": "", "nrp": "", "polres": ""} for _o in row.get("officers") or []
            ],
        }
    )
    return hidden


async def visible_reviews(viewer: CurrentUser, view: ActivityView) -> list[dict[str, Any]]:
    """The reviews of the activity `viewer` may read: a judge only their own (independence: never another
    judge's pending verdict, reason or scores); organisers and the team all of them."""
    if view.reviews == "none":
        return []
    where = Review.activity == view.row["id"]
    if view.reviews == "own":
        where &= Review.judge == viewer.id
    rows = await (
        Review.select(Review.id, Review.decision, Review.reason, Review.scores, Review.created_at)
        .where(where)
        .order_by(Review.id)
    )
    for row in rows:
        if isinstance(row["scores"], str):
            row["scores"] = json.loads(row["scores"])
    return rows


async def photo_for(viewer: CurrentUser, photo_id: int) -> dict[str, Any]:
    """A stored photo, for a viewer who may see its activity (the same rule, the same refusals)."""
    row = await (
        Photo.select(Photo.all_columns(), Photo.activity.team.as_alias("team_id"))
        .where(Photo.id == photo_id)
        .first()
    )
    if row is None:
        raise NotFound(_("Photo not found."))
    team = await Team.select(Team.code).where(Team.id == row["team_id"]).first()
    try:
        await check(viewer, row["team_id"], team["code"] if team else "", row["activity"])
    except NotFound:
        # Told nothing: the answer of a photo that does not exist, not that its activity is hidden.
        raise NotFound(_("Photo not found.")) from None
    return row


async def officer_activity_ids(viewer: CurrentUser) -> list[int] | None:
    """The activities an officer's lists hold (those that name them and ask them now); None for every
    other role (their lists follow the rules above)."""
    if viewer.role != "officer":
        return None
    return await attestation.activity_ids_of(viewer)


async def hidden_team_ids(viewer: CurrentUser, competition_id: int) -> list[int]:
    """The teams whose activities a judge's lists leave out (own regency/city, declared conflicts); none for
    other viewers (a participant's lists are of their own team anyway)."""
    if viewer.role != "judge":
        return []
    hidden = {
        r["team"]
        for r in await ConflictOfInterest.select(ConflictOfInterest.team).where(
            ConflictOfInterest.judge == viewer.id
        )
    }
    if viewer.region_code:
        own = region_key(viewer.region_code)
        hidden |= {
            t["id"]
            for t in await Team.select(Team.id, Team.code).where(Team.competition == competition_id)
            if region_key(t["code"]) == own
        }
    return sorted(hidden)
