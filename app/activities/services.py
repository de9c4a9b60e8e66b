"""Recording joint activities: one activity per idempotency key, however often the form arrives."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities.forms import CleanActivity
from app.audit import services as audit
from app.db import write_transaction
from app.tables import Activity, ActivityDraft, ActivityType

PAGE_SIZE = 25


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
                twin = await (
                    Activity.select(Activity.id)
                    .where((Activity.team == user.team_id) & (Activity.request_hash == digest))
                    .first()
                )
                if twin is not None:
                    return twin["id"], False
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
        except IdempotencyConflict:
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


async def team_activities(team_id: int, page: int) -> tuple[list[dict[str, Any]], int]:
    query = Activity.select(*ACTIVITY_COLUMNS).where(Activity.team == team_id)
    rows = await query.order_by(Activity.id, ascending=False).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    total = await Activity.count().where(Activity.team == team_id)
    return [_decode(r) for r in rows], total


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
