"""Co-attestation: the officer named by an activity confirms that it happened (docs/officers.md).

Every rule lives here, whichever door asks (the officer's pages, the QR link, the API):
- When an activity names an officer (by NRP) who has an officer account, a pending attestation asks them
  at submission (`ask_named`, in the submission's transaction).
- Only the named officer answers: `confirm` (optionally with where the phone was) or `decline` (a reason is
  required). An officer not named by the activity is told it does not exist (NotFound).
- A confirmed activity cannot be changed by the team without withdrawing the confirmation: the edit service
  calls `renew_after_edit` under the activity's lock, which withdraws every current attestation and asks
  the officers named by the new version again.
- `activity.officer_confirmed` is true exactly when one of the activity's current attestations is
  confirmed; it is set under the activity's lock (app.db.lock_activity) in the same transaction, and a
  change on a verified activity raises `AttestationChanged` (the team's standings are recomputed).
Every answer and withdrawal is in the audit trail; earlier versions are kept (`is_current` false).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.accounts import officers
from app.accounts.auth import CurrentUser
from app.activities.events import AttestationChanged
from app.audit import services as audit
from app.competitions.services import competition_by_id
from app.db import lock_activity, write_transaction
from app.errors import Conflict, Invalid, NotFound
from app.events import emit
from app.i18n import _
from app.tables import Activity, Attestation

MAX_REASON = 500
# The states an activity's attestation shows as, for the judges' filter and the organisers' counts:
# "confirmed" (one of its named officers confirmed), "declined", "pending", "none" (no named officer has an
# account).
SUMMARY_STATES = ("confirmed", "pending", "declined", "none")


@dataclass(frozen=True, slots=True)
class Position:
    """Where the officer's phone was when they confirmed, if the browser shared it (decimal degrees, and the
    accuracy in metres)."""

    lat: str | None = None
    lon: str | None = None
    accuracy: str | None = None


def position(lat: Any, lon: Any, accuracy: Any) -> Position:
    """A position from a form or the API: kept only when both coordinates are numbers in range."""
    try:
        la, lo = float(str(lat)), float(str(lon))
    except (TypeError, ValueError):
        return Position()
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        return Position()
    try:
        acc = float(str(accuracy))
        acc_text: str | None = f"{acc:.1f}" if 0 <= acc < 1e7 else None
    except (TypeError, ValueError):
        acc_text = None
    return Position(f"{la:.6f}", f"{lo:.6f}", acc_text)


def _named(officers_field: Any) -> list[dict[str, str]]:
    if isinstance(officers_field, str):
        officers_field = json.loads(officers_field or "[]")
    return [o for o in officers_field or [] if isinstance(o, dict)]


async def ask_named(activity_id: int, officers_field: Any) -> int:
    """Inside the caller's write transaction, the activity locked: a pending attestation for each named
    officer (by NRP, once each) who has an active officer account. Returns how many were asked."""
    asked: set[int] = set()
    for named in _named(officers_field):
        account = await officers.account_for_nrp(str(named.get("nrp") or "").strip())
        if account is None or account["id"] in asked:
            continue
        asked.add(account["id"])
        await Attestation(
            activity=activity_id,
            officer=account["id"],
            nrp=account["nrp"],
            officer_name=str(named.get("name") or "")[:120],
            state="pending",
            is_current=True,
        ).save()
    return len(asked)


async def ask_officer(activity_id: int, account_id: int, nrp: str) -> bool:
    """Inside the caller's write transaction, the activity locked: asks one officer (an account made from
    an invite) to confirm, if the activity still names their NRP and they are not asked already."""
    row = await Activity.select(Activity.officers, Activity.status).where(Activity.id == activity_id).first()
    if row is None or row["status"] == "rejected":
        return False
    named = next((o for o in _named(row["officers"] if row else []) if str(o.get("nrp") or "") == nrp), None)
    if named is None or await Attestation.exists().where(
        (Attestation.activity == activity_id)
        & (Attestation.officer == account_id)
        & (Attestation.is_current.eq(True))
    ):
        return False
    await Attestation(
        activity=activity_id,
        officer=account_id,
        nrp=nrp,
        officer_name=str(named.get("name") or "")[:120],
        state="pending",
        is_current=True,
    ).save()
    return True


async def ask_existing(account_id: int, nrp: str) -> int:
    """A new officer account (inside its transaction): the live activities (waiting or verified) that
    already name its NRP ask the officer too, each locked first. Returns how many were asked."""
    if not officers.NRP_RE.match(nrp):
        return 0
    # The JSON column as text on both engines (PostgreSQL's json has no LIKE); the match is checked below.
    candidates = await Activity.raw(
        "SELECT id, officers FROM activity WHERE status IN ('submitted', 'verified') "
        "AND CAST(officers AS TEXT) LIKE {}",
        f"%{nrp}%",
    )
    ids = [r["id"] for r in candidates if any(str(o.get("nrp") or "") == nrp for o in _named(r["officers"]))]
    await lock_activity(*ids)
    asked = 0
    for activity_id in ids:
        asked += await ask_officer(activity_id, account_id, nrp)
    return asked


async def _sync_fact(activity_id: int) -> None:
    """`activity.officer_confirmed` from the current attestations (the activity locked by the caller); on a
    verified activity a change is a scoring input: `AttestationChanged`."""
    confirmed = await Attestation.exists().where(
        (Attestation.activity == activity_id)
        & (Attestation.is_current.eq(True))
        & (Attestation.state == "confirmed")
    )
    row = await (
        Activity.select(Activity.officer_confirmed, Activity.status, Activity.competition, Activity.team.code)
        .where(Activity.id == activity_id)
        .first()
    )
    if row is None or bool(row["officer_confirmed"]) == confirmed:
        return
    await Activity.update({Activity.officer_confirmed: confirmed}).where(Activity.id == activity_id)
    if row["status"] == "verified":
        competition = await competition_by_id(row["competition"])
        if competition is not None:
            await emit(AttestationChanged(competition, activity_id, row["team.code"]))


async def renew_after_edit(
    activity_id: int, officers_field: Any, *, actor: CurrentUser, why: str = "edit"
) -> bool:
    """The team changed the activity (inside the edit's transaction, under the activity's lock): every
    current attestation is withdrawn and the officers named by the new version are asked again. Returns
    whether a confirmation was withdrawn (audited)."""
    current = await Attestation.select(Attestation.id, Attestation.state, Attestation.nrp).where(
        (Attestation.activity == activity_id) & (Attestation.is_current.eq(True))
    )
    withdrawn = [a for a in current if a["state"] == "confirmed"]
    for item in current:
        state = "withdrawn" if item["state"] in ("pending", "confirmed") else item["state"]
        await Attestation.update({Attestation.is_current: False, Attestation.state: state}).where(
            Attestation.id == item["id"]
        )
    await ask_named(activity_id, officers_field)
    await _sync_fact(activity_id)
    if withdrawn:
        competition = await Activity.select(Activity.competition).where(Activity.id == activity_id).first()
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="attestation.withdraw",
            object_type="activity",
            object_id=activity_id,
            before={"state": "confirmed", "nrp": [a["nrp"] for a in withdrawn]},
            after={"state": "pending", "why": why},
            competition_id=competition["competition"] if competition else None,
        )
    return bool(withdrawn)


async def renew_after_photo(activity_id: int, *, actor: CurrentUser) -> bool:
    """The team added a photo (inside its transaction, under the activity's lock): new evidence changes
    the activity, so a confirmation is withdrawn and the named officers are asked again, as after an edit.
    Pending requests stay as they are (the officer sees the photo when they answer). Returns whether a
    confirmation was withdrawn."""
    if not await Attestation.exists().where(
        (Attestation.activity == activity_id)
        & (Attestation.is_current.eq(True))
        & (Attestation.state == "confirmed")
    ):
        return False
    row = await Activity.select(Activity.officers).where(Activity.id == activity_id).first()
    return await renew_after_edit(activity_id, row["officers"] if row else [], actor=actor, why="photo")


def _not_found() -> NotFound:
    return NotFound(_("Activity not found."))


async def _answer(
    user: CurrentUser,
    activity_id: int,
    state: str,
    *,
    reason: str = "",
    where: Position | None = None,
) -> None:
    if user.role != officers.ROLE:
        raise _not_found()
    row = await Activity.select(Activity.team, Activity.competition).where(Activity.id == activity_id).first()
    if row is None:
        raise _not_found()
    # LOCK_ORDER: the team's lock (as an edit takes it), then the activity's row, then the audit chain.
    async with write_transaction(lock=f"activity:{row['team']}"):
        await lock_activity(activity_id)
        mine = await (
            Attestation.select()
            .where(
                (Attestation.activity == activity_id)
                & (Attestation.officer == user.id)
                & (Attestation.is_current.eq(True))
            )
            .first()
        )
        if mine is None:
            raise _not_found()
        if mine["state"] != "pending":
            raise Conflict(
                _("You have already answered for this activity.")
                if mine["state"] in ("confirmed", "declined")
                else _("This request was withdrawn: the team changed the activity.")
            )
        values: dict[Any, Any] = {
            Attestation.state: state,
            Attestation.reason: reason,
            Attestation.decided_at: datetime.now(UTC),
        }
        if where is not None:
            values.update(
                {Attestation.lat: where.lat, Attestation.lon: where.lon, Attestation.accuracy: where.accuracy}
            )
        await Attestation.update(values).where(Attestation.id == mine["id"])
        await _sync_fact(activity_id)
        after: dict[str, Any] = {"state": state, "nrp": mine["nrp"]}
        if reason:
            after["reason"] = reason
        if where is not None and where.lat is not None:
            after["located"] = True
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action=f"attestation.{'confirm' if state == 'confirmed' else 'decline'}",
            object_type="activity",
            object_id=activity_id,
            before={"state": "pending"},
            after=after,
            competition_id=row["competition"],
        )


async def confirm(user: CurrentUser, activity_id: int, where: Position | None = None) -> None:
    """The named officer confirms the activity (pending only); NotFound for anyone else."""
    await _answer(user, activity_id, "confirmed", where=where)


async def decline(user: CurrentUser, activity_id: int, reason: str) -> None:
    """The named officer says "this is not my activity": a reason is required."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise Invalid(
            {"reason": _("Say why this is not your activity.")}, _("Say why this is not your activity.")
        )
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": _("At most %(n)s characters.", n=MAX_REASON)})
    await _answer(user, activity_id, "declined", reason=reason)


async def names_viewer(viewer: CurrentUser, activity_id: int) -> bool:
    """Whether an officer is named by the activity and asked (or answered) now: what lets them see it and its
    photos (app.activities.policy)."""
    return await Attestation.exists().where(
        (Attestation.activity == activity_id)
        & (Attestation.officer == viewer.id)
        & (Attestation.is_current.eq(True))
    )


async def activity_ids_of(viewer: CurrentUser) -> list[int]:
    rows = await Attestation.select(Attestation.activity).where(
        (Attestation.officer == viewer.id) & (Attestation.is_current.eq(True))
    )
    return sorted({r["activity"] for r in rows})


async def current_of(activity_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The current attestations of each activity, with the officer's name, NRP and rank."""
    if not activity_ids:
        return {}
    rows = await (
        Attestation.select(
            Attestation.activity,
            Attestation.officer,
            Attestation.nrp,
            Attestation.officer_name,
            Attestation.state,
            Attestation.reason,
            Attestation.created_at,
            Attestation.decided_at,
            Attestation.lat,
            Attestation.lon,
            Attestation.accuracy,
            Attestation.officer.full_name.as_alias("account_name"),
        )
        .where(Attestation.activity.is_in(activity_ids) & Attestation.is_current.eq(True))
        .order_by(Attestation.id)
    )
    profiles = await officers.profiles_of(sorted({r["officer"] for r in rows}))
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        profile = profiles.get(r["officer"], {})
        r["rank"] = profile.get("rank", "")
        r["polres"] = profile.get("polres", "")
        r["name"] = r["account_name"] or r["officer_name"]
        out.setdefault(r["activity"], []).append(r)
    return out


def summary(attestations: list[dict[str, Any]]) -> dict[str, Any]:
    """What the judges read of an activity's attestations: the state (SUMMARY_STATES) and the attestation
    that says it (the confirmation, else the refusal, else the pending request)."""
    for state in ("confirmed", "declined", "pending"):
        found = next((a for a in attestations if a["state"] == state), None)
        if found is not None:
            return {"state": state, "attestation": found}
    return {"state": "none", "attestation": None}


async def summaries(activity_ids: list[int]) -> dict[int, dict[str, Any]]:
    current = await current_of(activity_ids)
    return {i: summary(current.get(i, [])) for i in activity_ids}


async def ids_in_state(competition_id: int, state: str) -> list[int]:
    """The activities of the competition whose summary is `state` (the judges' filter)."""
    rows = await (
        Attestation.select(Attestation.activity, Attestation.state)
        .where(Attestation.activity.competition == competition_id)
        .where(Attestation.is_current.eq(True))
    )
    states: dict[int, set[str]] = {}
    for r in rows:
        states.setdefault(r["activity"], set()).add(r["state"])

    def of(found: set[str]) -> str:
        return next((s for s in ("confirmed", "declined", "pending") if s in found), "none")

    if state == "none":
        ids = {
            r["id"] for r in await Activity.select(Activity.id).where(Activity.competition == competition_id)
        }
        return sorted(ids - {i for i, found in states.items() if of(found) != "none"})
    return sorted(i for i, found in states.items() if of(found) == state)


async def counts(competition_id: int) -> dict[str, int]:
    """How many of the competition's activities are confirmed, pending, declined, or name no officer with
    an account (the organisers' jury page)."""
    result = {s: 0 for s in SUMMARY_STATES}
    rows = await (
        Attestation.select(Attestation.activity, Attestation.state)
        .where(Attestation.activity.competition == competition_id)
        .where(Attestation.is_current.eq(True))
    )
    states: dict[int, set[str]] = {}
    for r in rows:
        states.setdefault(r["activity"], set()).add(r["state"])
    for found in states.values():
        result[next((s for s in ("confirmed", "declined", "pending") if s in found), "none")] += 1
    total = await Activity.count().where(Activity.competition == competition_id)
    result["none"] = total - sum(result[s] for s in ("confirmed", "declined", "pending"))
    return result


async def pending_for(officer: CurrentUser) -> list[dict[str, Any]]:
    """The activities waiting for this officer's answer, newest first (ids and when asked)."""
    return await (
        Attestation.select(Attestation.activity, Attestation.created_at)
        .where(
            (Attestation.officer == officer.id)
            & (Attestation.state == "pending")
            & (Attestation.is_current.eq(True))
        )
        .order_by(Attestation.id, ascending=False)
        .limit(200)
    )


async def answered_by(officer: CurrentUser, limit: int = 20) -> list[dict[str, Any]]:
    """This officer's latest answers."""
    return await (
        Attestation.select(
            Attestation.activity,
            Attestation.state,
            Attestation.reason,
            Attestation.decided_at,
            Attestation.activity.title.as_alias("title"),
        )
        .where(
            (Attestation.officer == officer.id)
            & Attestation.state.is_in(["confirmed", "declined"])
            & (Attestation.is_current.eq(True))
        )
        .order_by(Attestation.decided_at, ascending=False)
        .limit(limit)
    )


async def mine(officer: CurrentUser, activity_id: int) -> dict[str, Any] | None:
    return await (
        Attestation.select()
        .where(
            (Attestation.activity == activity_id)
            & (Attestation.officer == officer.id)
            & (Attestation.is_current.eq(True))
        )
        .first()
    )
