"""Recording joint activities: one activity per idempotency key, however often the form arrives."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.accounts.auth import CurrentUser
from app.activities import attestation
from app.activities.events import ActivitySubmitted
from app.activities.forms import CleanActivity
from app.audit import services as audit
from app.competitions.services import ruleset_in_force
from app.competitions.stages import stage_closed_for_activity
from app.db import lock_activity, write_transaction
from app.errors import Conflict, NotFound
from app.events import emit
from app.i18n import _
from app.tables import Activity, ActivityDraft, ActivityType, AuditEvent, Photo, Review

PAGE_SIZE = 25
# An activity that still counts or may still count; a rejected one is a closed matter.
LIVE_STATUSES = ("submitted", "verified")


def request_hash(clean: CleanActivity) -> str:
    body = {k: v for k, v in asdict(clean).items() if k != "idempotency_key"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The key was used before for a different activity."""

    def __init__(self, activity_id: int) -> None:
        super().__init__(activity_id)
        self.activity_id = activity_id


async def _existing(team_id: int, key: str) -> dict[str, Any] | None:
    return await (
        Activity.select(Activity.id, Activity.request_hash)
        .where((Activity.team == team_id) & (Activity.idempotency_key == key))
        .first()
    )


async def _assign_judges(competition_id: int, activity_id: int, team_code: str) -> None:
    """Every new activity gets its judges at once: judging assigns them in this transaction
    (`ActivitySubmitted`; app.judging.assignment: fewest open assignments first)."""
    await emit(ActivitySubmitted(competition_id, activity_id, team_code))


async def submit(competition_id: int, user: CurrentUser, clean: CleanActivity) -> tuple[int, bool]:
    """Returns (activity id, created). A repeat of the same key gives back the first activity."""
    assert user.team_id is not None
    digest = request_hash(clean)
    for _attempt in range(2):
        try:
            async with write_transaction(lock=f"activity:{user.team_id}"):
                existing = await _existing(user.team_id, clean.idempotency_key)
                if existing is not None:
                    if existing["request_hash"] != digest:
                        raise IdempotencyConflict(existing["id"])
                    return existing["id"], False
                # Back-and-send again reloads the form with a new key: the same content is the same activity.
                # Only a live one (waiting or verified) counts: a rejected activity sent again unchanged
                # (say with only a new photo) is a new submission, never the rejected original.
                twin = await (
                    Activity.select(Activity.id)
                    .where(
                        (Activity.team == user.team_id)
                        & (Activity.request_hash == digest)
                        & Activity.status.is_in(list(LIVE_STATUSES))
                    )
                    .first()
                )
                if twin is not None:
                    return twin["id"], False
                if await stage_closed_for_activity(competition_id):
                    raise SubmissionsClosed()
                type_row = await (
                    ActivityType.select(ActivityType.id)
                    .where(
                        (ActivityType.competition == competition_id) & (ActivityType.code == clean.type_code)
                    )
                    .first()
                )
                assert type_row is not None
                activity = Activity(
                    competition=competition_id,
                    team=user.team_id,
                    activity_type=type_row["id"],
                    occurred_at=clean.occurred_at,
                    district_code=clean.district_code,
                    village_code=clean.village_code,
                    rw=clean.rw,
                    title=clean.title,
                    description=clean.description,
                    senkom_members=json.dumps(clean.senkom_members),
                    officers=json.dumps(clean.officers),
                    senkom_count=len(clean.senkom_members),
                    officer_count=len(clean.officers),
                    residents_reached=clean.residents_reached,
                    preemptive=clean.preemptive,
                    status="submitted",
                    submitted_by=user.id,
                    idempotency_key=clean.idempotency_key,
                    request_hash=digest,
                )
                await activity.save()
                # The named officers who have an account are asked to confirm it (app.activities.attestation).
                await attestation.ask_named(int(activity.id), clean.officers)
                # Judges first, then the audit chain: the jury's lock comes before the audit's (LOCK_ORDER).
                await _assign_judges(competition_id, int(activity.id), user.team_code or "")
                await audit.record(
                    actor_id=user.id,
                    actor_name=user.username,
                    action="activity.submit",
                    object_type="activity",
                    object_id=activity.id,
                    after={"title": clean.title, "type": clean.type_code, "team": user.team_code},
                    competition_id=competition_id,
                )
                return int(activity.id), True
        except (IdempotencyConflict, SubmissionsClosed):
            raise
        except Exception:
            # A concurrent twin may have won the unique index between our check and insert: look again.
            existing = await _existing(user.team_id, clean.idempotency_key)
            if existing is None:
                raise
            if existing["request_hash"] != digest:
                raise IdempotencyConflict(existing["id"]) from None
            return existing["id"], False
    raise RuntimeError("unreachable")


ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.title,
    Activity.description,
    Activity.occurred_at,
    Activity.submitted_at,
    Activity.status,
    Activity.rw,
    Activity.village_code,
    Activity.district_code,
    Activity.residents_reached,
    Activity.preemptive,
    Activity.senkom_members,
    Activity.officers,
    Activity.team.id,
    Activity.team.code,
    Activity.team.name,
    Activity.activity_type.code,
    Activity.activity_type.name,
    Activity.activity_type.name_en,
    Activity.activity_type.cluster,
)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("senkom_members", "officers"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


async def activity(activity_id: int) -> dict[str, Any] | None:
    row = await Activity.select(*ACTIVITY_COLUMNS).where(Activity.id == activity_id).first()
    return _decode(row) if row else None


# A draft nobody touched for this long is not offered again.
DRAFT_DAYS = 14


async def save_draft(account_id: int, team_id: int, form_key: str, fields: str) -> bool:
    """Keeps what the participant has typed so far (one row per account and form key); False when the
    form was already sent (a late autosave must not bring a sent form back as a draft)."""
    if await _existing(team_id, form_key) is not None:
        return False
    async with write_transaction(lock=f"activity-draft:{account_id}"):
        now = datetime.now(UTC)
        mine = (ActivityDraft.account == account_id) & (ActivityDraft.form_key == form_key)
        if await ActivityDraft.exists().where(mine):
            await ActivityDraft.update({ActivityDraft.fields: fields, ActivityDraft.updated_at: now}).where(
                mine
            )
        else:
            await ActivityDraft(account=account_id, form_key=form_key, fields=fields, updated_at=now).save()
    return True


async def latest_draft(account_id: int, team_id: int) -> dict[str, Any] | None:
    """The most recent unsent draft of the account; drafts of forms already sent are dropped."""
    since = datetime.now(UTC) - timedelta(days=DRAFT_DAYS)
    for _attempt in range(3):
        draft = await (
            ActivityDraft.select(ActivityDraft.form_key, ActivityDraft.fields)
            .where((ActivityDraft.account == account_id) & (ActivityDraft.updated_at >= since))
            .order_by(ActivityDraft.updated_at, ascending=False)
            .first()
        )
        if draft is None or await _existing(team_id, draft["form_key"]) is None:
            return draft
        await drop_draft(account_id, draft["form_key"])
    return None


async def drop_draft(account_id: int, form_key: str) -> None:
    async with write_transaction(lock=f"activity-draft:{account_id}"):
        await ActivityDraft.delete().where(
            (ActivityDraft.account == account_id) & (ActivityDraft.form_key == form_key)
        )


RESUBMIT_PREFIX = "ulang-"


class SubmissionsClosed(Exception):
    """The activity-verification stage is closed: no new activity can be judged any more."""


class NotEditable(Conflict):
    """The activity is no longer in a state where the team may change it (the message says why)."""


def resubmit_key(activity_id: int) -> str:
    # One fixed key per rejected activity: the unique (team, key) index lets it be sent again exactly once.
    return f"{RESUBMIT_PREFIX}{activity_id}"


async def review_count(activity_id: int) -> int:
    return await Review.count().where(Review.activity == activity_id)


async def verification_closed(activity_id: int) -> bool:
    """Whether the activity's competition has closed its activity-verification stage."""
    row = await Activity.select(Activity.competition).where(Activity.id == activity_id).first()
    return row is not None and await stage_closed_for_activity(row["competition"])


async def may_change(row: dict[str, Any]) -> bool:
    """Edit or withdraw: while submitted, before any judge has looked at it and before verification closes."""
    return await why_unchangeable(row, withdraw=False) is None


async def why_unchangeable(row: dict[str, Any], *, withdraw: bool) -> str | None:
    """Why the team may no longer edit (or withdraw) the activity, or None while it may."""
    if row["status"] == "verified":
        return _(
            "The activity has already been verified by the judges: it can no longer be changed or withdrawn."
        )
    if row["status"] != "submitted":
        return _(
            "The activity has already been decided by the judges: it can no longer be changed or withdrawn."
        )
    if await verification_closed(row["id"]):
        return _("Activity verification is closed: this activity can no longer be changed or withdrawn.")
    if await review_count(row["id"]):
        if withdraw:
            return _("A judge has already looked at this activity: it can no longer be withdrawn.")
        return _("A judge has already looked at this activity: it can no longer be changed.")
    return None


async def _lock_own(user: CurrentUser, activity_id: int, *, withdraw: bool) -> dict[str, Any]:
    """The team's own activity, its row locked and read again under the lock (LOCK_ORDER: after the team's
    lock, before the audit's): a judge's verdict committed a moment ago is seen here, never overwritten.
    NotFound for another team's activity, NotEditable once judged or closed."""
    await lock_activity(activity_id)
    row = await Activity.select(*ACTIVITY_COLUMNS).where(Activity.id == activity_id).first()
    # Another team's activity is reported as missing, not forbidden, so ids reveal nothing.
    if row is None or row["team.id"] != user.team_id:
        raise NotFound(_("Activity not found."))
    reason = await why_unchangeable(row, withdraw=withdraw)
    if reason is not None:
        raise NotEditable(reason)
    return row


async def resubmission_of(team_id: int, activity_id: int) -> int | None:
    """The id of the corrected copy of a rejected activity, if it was sent again."""
    found = await _existing(team_id, resubmit_key(activity_id))
    return int(found["id"]) if found else None


def _fields(clean: CleanActivity) -> dict[Any, Any]:
    return {
        Activity.occurred_at: clean.occurred_at,
        Activity.district_code: clean.district_code,
        Activity.village_code: clean.village_code,
        Activity.rw: clean.rw,
        Activity.title: clean.title,
        Activity.description: clean.description,
        Activity.senkom_members: json.dumps(clean.senkom_members),
        Activity.officers: json.dumps(clean.officers),
        Activity.senkom_count: len(clean.senkom_members),
        Activity.officer_count: len(clean.officers),
        Activity.residents_reached: clean.residents_reached,
        Activity.preemptive: clean.preemptive,
    }


async def update_activity(
    competition_id: int, user: CurrentUser, activity_id: int, clean: CleanActivity
) -> None:
    """Changes a submitted activity nobody has reviewed yet; the change is in the audit log."""
    assert user.team_id is not None
    async with write_transaction(lock=f"activity:{user.team_id}"):
        row = await _lock_own(user, activity_id, withdraw=False)
        type_row = await (
            ActivityType.select(ActivityType.id)
            .where((ActivityType.competition == competition_id) & (ActivityType.code == clean.type_code))
            .first()
        )
        assert type_row is not None
        values = _fields(clean)
        values[Activity.activity_type] = type_row["id"]
        values[Activity.updated_at] = datetime.now(UTC)
        await Activity.update(values).where(Activity.id == activity_id)
        # Still under the activity's lock: an officer's confirmation of the old version is withdrawn and
        # the officers named now are asked again.
        await attestation.renew_after_edit(activity_id, clean.officers, actor=user)
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action="activity.edit",
            object_type="activity",
            object_id=activity_id,
            before={"title": row["title"]},
            after={"title": clean.title, "type": clean.type_code},
            competition_id=competition_id,
        )


async def withdraw(competition_id: int, user: CurrentUser, activity_id: int) -> list[str]:
    """Removes a submitted, unreviewed activity; returns the stored photo files to delete afterwards."""
    assert user.team_id is not None
    async with write_transaction(lock=f"activity:{user.team_id}"):
        row = await _lock_own(user, activity_id, withdraw=True)
        photos = await Photo.select(Photo.path, Photo.thumb_path).where(Photo.activity == activity_id)
        await Photo.delete().where(Photo.activity == activity_id)
        await Activity.delete().where(Activity.id == activity_id)
        await audit.record(
            actor_id=user.id,
            actor_name=user.username,
            action="activity.withdraw",
            object_type="activity",
            object_id=activity_id,
            before={"title": row["title"], "type": row["activity_type.code"], "photos": len(photos)},
            competition_id=competition_id,
        )
        files = [p for photo in photos for p in (photo["path"], photo["thumb_path"]) if p]
        # A corrected copy shares the stored files of the rejected original: those stay.
        still = await Photo.select(Photo.path, Photo.thumb_path).where(
            Photo.path.is_in([photo["path"] for photo in photos] or [""])
        )
        kept = {p for photo in still for p in (photo["path"], photo["thumb_path"])}
    return [p for p in files if p not in kept]


async def resubmit(
    competition_id: int, user: CurrentUser, rejected_id: int, clean: CleanActivity
) -> tuple[int, bool]:
    """Sends a corrected copy of a rejected activity once; its photos come along (same stored files)."""
    assert user.team_id is not None
    row = (
        await Activity.select(Activity.id, Activity.team, Activity.status)
        .where(Activity.id == rejected_id)
        .first()
    )
    if row is None or row["team"] != user.team_id or row["status"] != "rejected":
        raise NotEditable()
    if (
        (await Activity.select(Activity.idempotency_key).where(Activity.id == rejected_id).first() or {})
        .get("idempotency_key", "")
        .startswith(RESUBMIT_PREFIX)
    ):
        raise NotEditable()  # a corrected copy is not corrected again
    clean.idempotency_key = resubmit_key(rejected_id)
    try:
        new_id, created = await submit(competition_id, user, clean)
    except IdempotencyConflict as exc:
        return exc.activity_id, False
    if created:
        async with write_transaction(lock=f"activity-photo:{new_id}"):
            for photo in await Photo.select().where(Photo.activity == rejected_id).order_by(Photo.id):
                if not await Photo.exists().where(
                    (Photo.activity == new_id) & (Photo.sha256 == photo["sha256"])
                ):
                    copy = {k: v for k, v in photo.items() if k not in ("id", "activity", "created_at")}
                    await Photo(activity=new_id, **copy).save()
    return new_id, created


async def timeline(row: dict[str, Any]) -> list[dict[str, Any]]:
    """What happened to the activity, oldest first: sent, edited, each judge's decision (with the reason),
    and a corrected copy sent again."""
    events: list[dict[str, Any]] = []
    key = await Activity.select(Activity.idempotency_key).where(Activity.id == row["id"]).first()
    original = (key or {}).get("idempotency_key") or ""
    events.append(
        {
            "kind": "resubmitted" if original.startswith(RESUBMIT_PREFIX) else "submitted",
            "at": row["submitted_at"],
            "of": original[len(RESUBMIT_PREFIX) :] if original.startswith(RESUBMIT_PREFIX) else None,
        }
    )
    edits = await AuditEvent.select(AuditEvent.at).where(
        (AuditEvent.action == "activity.edit")
        & (AuditEvent.object_type == "activity")
        & (AuditEvent.object_id == str(row["id"]))
    )
    events += [{"kind": "edited", "at": e["at"]} for e in edits]
    reviews = (
        await Review.select(Review.decision, Review.reason, Review.created_at)
        .where(Review.activity == row["id"])
        .order_by(Review.id)
    )
    for review in reviews:
        events.append(
            {
                "kind": "review",
                "decision": review["decision"],
                "reason": review["reason"],
                "at": review["created_at"],
            }
        )
    if row["status"] == "submitted" and reviews:
        events.append({"kind": "in_review", "at": reviews[-1]["created_at"]})
    elif row["status"] in ("verified", "rejected"):
        last = reviews[-1]["created_at"] if reviews else row.get("updated_at") or row["submitted_at"]
        reason = next((r["reason"] for r in reversed(reviews) if r["decision"] == "rejected"), "")
        events.append(
            {"kind": row["status"], "at": last, "reason": reason if row["status"] == "rejected" else ""}
        )
    events.sort(key=lambda e: (e["at"] is None, e["at"] or datetime.min.replace(tzinfo=UTC)))
    return events


LIST_STATUSES = ("submitted", "verified", "rejected")


async def team_activities_by_status(
    team_id: int, page: int, status: str | None
) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """One page of the team's activities (optionally of one status) and the count of each status."""
    where = Activity.team == team_id
    if status in LIST_STATUSES:
        where = where & (Activity.status == status)
    rows = await (
        Activity.select(*ACTIVITY_COLUMNS)
        .where(where)
        # Newest first by when it happened (what the team remembers), then by when it was sent.
        .order_by(Activity.occurred_at, ascending=False)
        .order_by(Activity.id, ascending=False)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    counts = {s: 0 for s in LIST_STATUSES}
    for row in await Activity.select(Activity.status, Activity.id).where(Activity.team == team_id):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    total = sum(counts.values()) if status not in LIST_STATUSES else counts[status]
    return [_decode(r) for r in rows], total, counts


async def period_caps(competition_id: int, timezone: str, team_id: int) -> list[dict[str, Any]]:
    """For each cap rule of the ruleset in force: the current week or month (in the season's time zone) and
    how many of the team's activities of that period are verified or still waiting, against the cap."""
    _version, ruleset = await ruleset_in_force(competition_id)
    tz = ZoneInfo(timezone)
    today = datetime.now(UTC).astimezone(tz).date()
    result = []
    for ref in ruleset.rules:
        if ref.rule != "cap_per_period":
            continue
        period = ref.params.get("period", "week")
        if period == "month":
            first = today.replace(day=1)
            after = (first + timedelta(days=32)).replace(day=1)
        else:
            first = today - timedelta(days=today.weekday())
            after = first + timedelta(days=7)
        start = datetime(first.year, first.month, first.day, tzinfo=tz)
        end = datetime(after.year, after.month, after.day, tzinfo=tz)
        rows = await Activity.select(
            Activity.status, Activity.activity_type.code, Activity.activity_type.name
        ).where((Activity.team == team_id) & (Activity.occurred_at >= start) & (Activity.occurred_at < end))
        groups: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = row["activity_type.code"] if ref.params.get("scope", "type") == "type" else ""
            group = groups.setdefault(
                key, {"type": row["activity_type.name"] if key else "", "verified": 0, "submitted": 0}
            )
            if row["status"] in ("verified", "submitted"):
                group[row["status"]] += 1
        cap = int(ref.params.get("max", 5))
        for group in groups.values():
            group["counted"] = min(group["verified"], cap)
            group["over"] = group["verified"] > cap
        result.append(
            {
                "period": period,
                "scope": ref.params.get("scope", "type"),
                "max": cap,
                "start": first,
                "end": after - timedelta(days=1),
                "groups": sorted(groups.values(), key=lambda g: g["type"]),
            }
        )
    return result


async def is_resubmission(activity_id: int) -> bool:
    row = await Activity.select(Activity.idempotency_key).where(Activity.id == activity_id).first()
    return bool(row and (row["idempotency_key"] or "").startswith(RESUBMIT_PREFIX))
