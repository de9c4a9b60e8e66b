"""The append-only, hash-chained audit trail; every audited write calls `record` inside its transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from app.db import is_postgres
from app.tables import AuditEvent, Competition

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode()).hexdigest()


async def record(
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Any = None,
    after: Any = None,
    competition_id: int | None = None,
) -> None:
    if is_postgres():
        # One chain: concurrent writers must not both extend the same last link.
        await Competition.raw("SELECT pg_advisory_xact_lock(727001)")
    last = await AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id, ascending=False).first()
    prev_hash = last["hash"] if last else GENESIS
    at = datetime.now(UTC)
    fields = {
        "competition_id": competition_id,
        "actor": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before,
        "after": after,
        "at": at.isoformat(),
    }
    await AuditEvent.insert(
        AuditEvent(
            competition_id=competition_id,
            actor=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=_canonical(before) if before is not None else None,
            after=_canonical(after) if after is not None else None,
            at=at,
            prev_hash=prev_hash,
            hash=event_hash(prev_hash, fields),
        )
    )
