"""One-time invites for an officer named by an activity who has no account yet (docs/officers.md).

The participant's team asks for a link for a named NRP (`create_invite`); the link carries a random token of
which only the SHA-256 is stored. Whoever opens it may, once and within INVITE_DAYS days, create the officer
account of that NRP (`accept_invite`: password, rank, Polres, desa of duty); the officer is then asked to
confirm the activity at once. A used, expired or unknown token is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.accounts import officers
from app.accounts import services as accounts
from app.accounts.auth import CurrentUser
from app.activities import attestation
from app.audit import services as audit
from app.db import lock_activity, write_transaction
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.security import hash_password, new_token, token_digest
from app.tables import Activity, Attestation, OfficerInvite

# How long an invite link may be used: a week, long enough for the officer to find a quiet moment and short
# enough that a forgotten link does not stay open for the season.
INVITE_DAYS = 7


def _named_nrps(officers_field: Any) -> dict[str, str]:
    if isinstance(officers_field, str):
        officers_field = json.loads(officers_field or "[]")
    return {
        str(o.get("nrp") or "").strip(): str(o.get("name") or "")
        for o in officers_field or []
        if isinstance(o, dict) and o.get("nrp")
    }


async def create_invite(user: CurrentUser, activity_id: int, nrp: str) -> tuple[str, datetime]:
    """A one-time link for the officer of `nrp` named by the team's own activity; returns the token (shown
    once, never stored) and when it expires."""
    row = await (
        Activity.select(Activity.id, Activity.team, Activity.competition, Activity.officers, Activity.status)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or row["team"] != user.team_id:
        raise NotFound(_("Activity not found."))
    if row["status"] == "rejected":
        raise Conflict(_("This activity was rejected: there is nothing left for an officer to confirm."))
    nrp = (nrp or "").strip()
    named = _named_nrps(row["officers"])
    if nrp not in named:
        raise Invalid({"nrp": _("This activity names no officer with that NRP.")})
    if await officers.has_account(nrp):
        raise Conflict(_("This officer already has an account: they can confirm after signing in."))
    token = new_token()
    expires_at = datetime.now(UTC) + timedelta(days=INVITE_DAYS)
    async with write_transaction(lock=f"activity:{row['team']}"):
        await OfficerInvite(
            activity=activity_id,
            nrp=nrp,
            officer_name=named[nrp][:120],
            token_hash=token_digest(token),
            created_by=user.id,
            expires_at=expires_at,
        ).save()
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action="attestation.invite",
            object_type="activity",
            object_id=activity_id,
            after={"nrp": nrp, "expires_at": expires_at.isoformat()},
            competition_id=row["competition"],
        )
    return token, expires_at


async def open_invite(token: str) -> dict[str, Any]:
    """The invite of a token that may still be used: NotFound for an unknown one, Conflict once used or
    expired."""
    if not token or len(token) > 128:
        raise NotFound(_("This invite link is not valid."))
    row = await OfficerInvite.select().where(OfficerInvite.token_hash == token_digest(token)).first()
    if row is None:
        raise NotFound(_("This invite link is not valid."))
    if row["used_at"] is not None:
        raise Conflict(_("This invite link has already been used. Sign in with the account it created."))
    if row["expires_at"] <= datetime.now(UTC):
        raise Conflict(_("This invite link has expired. Ask the team for a new one."))
    return row


async def regency_of(invite: dict[str, Any]) -> str:
    """The regency of the team whose activity the invite is for: where the officer most likely serves (the
    invite form offers its desa first)."""
    row = await Activity.select(Activity.team.code).where(Activity.id == invite["activity"]).first()
    return str(row["team.code"]) if row else ""


async def accept_invite(
    token: str, *, username: str, password: str, full_name: str, fields: officers.OfficerFields
) -> tuple[int, int | None]:
    """Creates the officer account of the invite's NRP and asks the officer to confirm the activity; the
    invite is used up in the same transaction. Returns (account id, the activity id if the officer was asked:
    not when it was rejected or no longer names the NRP meanwhile)."""
    invite = await open_invite(token)
    username = accounts.normalise_username(username)
    fields = officers.OfficerFields(invite["nrp"], fields.rank, fields.polres, fields.village_code).cleaned()
    errors = await accounts.validate_new_account(
        username=username, password=password, role=officers.ROLE, team_id=None, region_code=None
    )
    errors.update(await officers.validate(fields))
    if errors:
        raise Invalid(errors)
    password_hash = await hash_password(password)
    async with write_transaction(lock="accounts"):
        claimed = await (
            OfficerInvite.select(OfficerInvite.id)
            .where(
                (OfficerInvite.id == invite["id"])
                & OfficerInvite.used_at.is_null()
                & (OfficerInvite.expires_at > datetime.now(UTC))
            )
            .first()
        )
        if claimed is None:
            raise Conflict(_("This invite link has already been used. Sign in with the account it created."))
        try:
            account_id = await accounts.insert_account(
                username=username,
                password_hash=password_hash,
                role=officers.ROLE,
                full_name=full_name.strip()[:200] or invite["officer_name"],
                actor_name=username,
                officer=fields,
            )
        except accounts.AccountError as exc:
            raise Invalid(exc.errors) from None
        await OfficerInvite.update(
            {OfficerInvite.used_at: datetime.now(UTC), OfficerInvite.account: account_id}
        ).where(OfficerInvite.id == invite["id"])
        await lock_activity(invite["activity"])
        # Asked here, or already by the new account's own look for the activities naming its NRP.
        await attestation.ask_officer(invite["activity"], account_id, invite["nrp"])
        asked = await Attestation.exists().where(
            (Attestation.activity == invite["activity"])
            & (Attestation.officer == account_id)
            & (Attestation.is_current.eq(True))
        )
    return account_id, int(invite["activity"]) if asked else None
