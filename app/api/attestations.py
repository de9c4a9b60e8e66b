"""An officer's confirmation of the activities that name them, through the API: the list waiting for them,
confirm, decline (the rules are app.activities.attestation's, as on the officer's pages)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from app.accounts.auth import CurrentUser, officer_only
from app.activities import attestation
from app.api import schemas as s
from app.api.common import BEARER, ActivityId, iso, responses
from app.tables import Activity


def attestation_out(summary: dict[str, Any] | None, *, blind: bool = False) -> s.AttestationOut:
    """An activity's attestation summary (app.activities.attestation.summary) as the API shows it; under
    blind judging without the officer's name and NRP."""
    if not summary:
        return s.AttestationOut(state="none")
    found = summary.get("attestation")
    if found is None:
        return s.AttestationOut(state=summary["state"])
    return s.AttestationOut(
        state=summary["state"],
        officer_name=None if blind else found["name"],
        officer_nrp=None if blind else found["nrp"],
        officer_rank=found["rank"] or None,
        decided_at=iso(found["decided_at"]),
        reason=found["reason"] if summary["state"] == "declined" else "",
    )


class AttestationController(Controller):
    tags = ["attestations"]
    path = "/"

    @get(
        "/officer/attestations",
        guards=[officer_only],
        operation_id="listPendingAttestations",
        summary="The activities waiting for the signed-in officer's confirmation, newest first",
        security=BEARER,
        responses=responses(401, 403),
    )
    async def pending(self, user: NamedDependency[CurrentUser]) -> s.PendingPage:
        asked = await attestation.pending_for(user)
        ids = [a["activity"] for a in asked]
        rows = {
            r["id"]: r
            for r in await Activity.select(
                Activity.id,
                Activity.title,
                Activity.occurred_at,
                Activity.team.code,
                Activity.activity_type.code,
            ).where(Activity.id.is_in(ids or [0]))
        }
        return s.PendingPage(
            items=[
                s.PendingAttestation(
                    activity_id=a["activity"],
                    title=rows[a["activity"]]["title"],
                    occurred_at=iso(rows[a["activity"]]["occurred_at"]),
                    team_code=rows[a["activity"]]["team.code"],
                    type=rows[a["activity"]]["activity_type.code"],
                    asked_at=iso(a["created_at"]),
                )
                for a in asked
                if a["activity"] in rows
            ]
        )

    @post(
        "/activities/{activity_id:int}/attestation/confirm",
        guards=[officer_only],
        status_code=HTTP_200_OK,
        operation_id="confirmActivity",
        summary="The named officer confirms the activity (optionally with where the phone was)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def confirm(
        self,
        activity_id: ActivityId,
        user: NamedDependency[CurrentUser],
        data: JSONBody[s.ConfirmIn | None] = None,
    ) -> s.AttestationOut:
        body = data or s.ConfirmIn()
        await attestation.confirm(user, activity_id, attestation.position(body.lat, body.lon, body.accuracy))
        return attestation_out((await attestation.summaries([activity_id]))[activity_id])

    @post(
        "/activities/{activity_id:int}/attestation/decline",
        guards=[officer_only],
        status_code=HTTP_200_OK,
        operation_id="declineActivity",
        summary='The named officer says "not my activity" (a reason is required)',
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def decline(
        self, activity_id: ActivityId, user: NamedDependency[CurrentUser], data: JSONBody[s.DeclineIn]
    ) -> s.AttestationOut:
        await attestation.decline(user, activity_id, data.reason)
        return attestation_out((await attestation.summaries([activity_id]))[activity_id])
