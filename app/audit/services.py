"""The append-only, hash-chained audit trail; every audited write calls `record` inside its transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.db import is_postgres
from app.tables import AuditEvent, Competition

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical_fields(
    *,
    competition_id: int | None,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Any,
    after: Any,
    at: datetime,
) -> dict[str, Any]:
    """The fields an event's hash covers: `record` and `verify` both build them here, so they cannot drift."""
    return {
        "competition_id": competition_id,
        "actor": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before,
        "after": after,
        "at": at.astimezone(UTC).isoformat(),
    }


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
    fields = canonical_fields(
        competition_id=competition_id,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=None if before is None else json.loads(_canonical(before)),
        after=None if after is None else json.loads(_canonical(after)),
        at=at,
    )
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


def _loaded(value: Any) -> Any:
    """A stored before/after value as the data it was (JSON text on SQLite and PostgreSQL alike)."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain: how many events, and the first broken link (None when intact)."""

    count: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


VERIFY_BATCH = 2000


async def verify() -> ChainReport:
    """Recomputes every event's hash in id order; the first row whose link or hash does not match is
    where the trail was altered (or a row before it deleted)."""
    expected_prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = await (
            AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(VERIFY_BATCH)
        )
        if not rows:
            return ChainReport(count)
        for row in rows:
            count += 1
            last_id = row["id"]
            if row["prev_hash"] != expected_prev:
                return ChainReport(count, row["id"], "prev_hash does not match the previous event's hash")
            fields = canonical_fields(
                competition_id=row["competition_id"],
                actor_id=row["actor"],
                actor_name=row["actor_name"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                before=_loaded(row["before"]),
                after=_loaded(row["after"]),
                at=row["at"],
            )
            if event_hash(row["prev_hash"], fields) != row["hash"]:
                return ChainReport(count, row["id"], "the stored fields do not match the event's hash")
            expected_prev = row["hash"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _where(f: EventFilter) -> Any:
    clauses: list[Any] = []
    if f.actor:
        clauses.append(AuditEvent.actor_name == f.actor)
    if f.action:
        clauses.append(AuditEvent.action.like(f"{f.action}%"))
    if f.object_type:
        clauses.append(AuditEvent.object_type == f.object_type)
    if f.object_id:
        clauses.append(AuditEvent.object_id == f.object_id)
    if f.since is not None:
        clauses.append(AuditEvent.at >= f.since)
    if f.until is not None:
        clauses.append(AuditEvent.at < f.until)
    where = None
    for clause in clauses:
        where = clause if where is None else where & clause
    return where


async def events(f: EventFilter, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Events matching the filter, newest first, and how many match in all."""
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).offset(offset).limit(limit)
    count = AuditEvent.count()
    where = _where(f)
    if where is not None:
        query = query.where(where)
        count = count.where(where)
    rows = await query
    for row in rows:
        row["before"] = _loaded(row["before"])
        row["after"] = _loaded(row["after"])
    return rows, await count


async def distinct_values(column: str) -> list[str]:
    """The actors, actions or object types that occur, for the filter's choices."""
    col = {
        "actor_name": AuditEvent.actor_name,
        "action": AuditEvent.action,
        "object_type": AuditEvent.object_type,
    }[column]
    rows = await AuditEvent.select(col).distinct().order_by(col)
    return [r[column] for r in rows if r[column]]
