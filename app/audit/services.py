"""The append-only audit trail, chained by keyed links under a signed head; every audited write calls
`record` inside its transaction. `verify` checks the chain, `seal_legacy_chain` keys a chain recorded by
versions before the key (once, by its migration), `adopt_head` follows a restore. The cryptography and the
walk are in `app.audit.chain`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from app.audit import chain
from app.audit.chain import GENESIS, ChainReport, Head, canonical, loaded
from app.db import after_commit, current_engine, current_settings, is_postgres, write_transaction
from app.tables import AuditEvent, AuditHead, Competition

log = logging.getLogger("sinergi.audit")
HEAD_ID = 1
VERIFY_BATCH = 2000
SEAL_ACTION = "audit.seal"


async def _lock_chain() -> None:
    if is_postgres():
        # One chain: concurrent writers must not both extend the same last link.
        await Competition.raw("SELECT pg_advisory_xact_lock(727001)")


async def _head_row() -> dict[str, Any] | None:
    return await AuditHead.select().where(AuditHead.id == HEAD_ID).first()


async def _store_head(head: Head, key: bytes, *, exists: bool) -> None:
    mac = head.mac(key)
    if exists:
        await AuditHead.update(
            {
                AuditHead.count: head.count,
                AuditHead.last_id: head.last_id,
                AuditHead.last_link: head.last_link,
                AuditHead.legacy_through: head.legacy_through,
                AuditHead.mac: mac,
            }
        ).where(AuditHead.id == HEAD_ID)
    else:
        await AuditHead.insert(
            AuditHead(
                id=HEAD_ID,
                count=head.count,
                last_id=head.last_id,
                last_link=head.last_link,
                legacy_through=head.legacy_through,
                mac=mac,
            )
        )
    settings = current_settings()

    async def save_copy() -> None:
        try:
            chain.write_copy(settings, head, key)
        except OSError:
            # The change is committed; only the copy lags (a lower bound, still checked as such).
            log.exception("could not write the copy of the audit chain's head")

    await after_commit(save_copy)


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
    await _lock_chain()
    await _append(
        AuditEvent(
            competition_id=competition_id,
            actor=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=canonical(before) if before is not None else None,
            after=canonical(after) if after is not None else None,
            at=datetime.now(UTC),
        )
    )


async def _append(row: AuditEvent, start: Head | None = None) -> None:
    """Links `row` to the last event, saves it and moves the signed head on. `start` is the head to
    extend when there is none yet (the seal of a chain recorded before the key); without it a head is
    only begun for an empty chain. Called with the chain lock held."""
    key = chain.chain_key(current_settings())
    last = (
        await AuditEvent.select(AuditEvent.id, AuditEvent.hash)
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )
    row.prev_hash = last["hash"] if last else GENESIS
    row.hash = chain.keyed_link(key, row.prev_hash, chain.fields_of(row.to_dict()))
    await row.save()
    head_row = await _head_row()
    head, valid = chain.head_from(head_row, key)
    # A head that is missing, forged or behind is the evidence of a truncation: it is never begun again
    # or signed again here (`audit verify` reports it); a count that disagrees keeps disagreeing.
    if head_row is None:
        if last is not None and start is None:
            log.error("the audit chain has events but no signed head: run `sinergi audit verify`")
            return
        head = start or Head(0, 0, "")
    elif head is None or not valid:
        log.error("the audit chain's head is not validly signed: run `sinergi audit verify`")
        return
    elif last is None or (head.last_id, head.last_link) != (last["id"], last["hash"]):
        log.error("the audit chain's head does not name its last event: run `sinergi audit verify`")
    await _store_head(
        Head(head.count + 1, int(row.id), row.hash, head.legacy_through), key, exists=head_row is not None
    )


async def seal_legacy_chain() -> int:
    """Keys a chain recorded before the key existed, once (its migration calls this): the events kept so
    far keep their plain links and are checked with them; a keyed `audit.seal` event links to the last of
    them, and the signed head names it as the end of the plain part, so none of them can be changed,
    recomputed or cut off afterwards without the key. Returns how many events were sealed (0: nothing to
    seal, or already sealed)."""
    async with write_transaction():
        await _lock_chain()
        last = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id, ascending=False).first()
        if last is None or await _head_row() is not None:
            return 0
        legacy = await AuditEvent.count()
        seal = AuditEvent(
            actor_name="system",
            action=SEAL_ACTION,
            object_type="audit",
            object_id="chain",
            after=canonical({"legacy_events": legacy}),
            at=datetime.now(UTC),
        )
        await _append(seal, start=Head(legacy, 0, "", legacy_through=int(last["id"])))
    return int(legacy)


async def verify() -> ChainReport:
    """Walks every event in id order against the head and its copy, in one snapshot of the database."""
    settings = current_settings()
    # The copy is read before the snapshot: whatever it says was committed before the snapshot began.
    copy_row = chain.read_copy(settings)
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        snapshot = engine.transaction(transaction_type=TransactionType.deferred)
    else:
        snapshot = engine.transaction()
    async with snapshot:
        if is_postgres():
            await Competition.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        check = chain.ChainCheck(chain.chain_key(settings), await _head_row(), copy_row)
        last_id = 0
        while True:
            rows = await (
                AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(VERIFY_BATCH)
            )
            if not rows or not check.feed(rows):
                break
            last_id = rows[-1]["id"]
    return check.report()


async def adopt_head() -> bool:
    """After a restore: the head's copy becomes the restored database's head (the copy of the replaced
    database would report the older chain as truncated). False when the database has no head."""
    settings = current_settings()
    key = chain.chain_key(settings)
    head, valid = chain.head_from(await _head_row(), key)
    if head is None or not valid:
        chain.forget_copy(settings)
        return False
    chain.write_copy(settings, head, key, force=True)
    return True


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


async def events(
    f: EventFilter, offset: int, limit: int, *, after: int | None = None, before: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Events matching the filter, newest first, and how many match in all. With a cursor — the last
    event of the page before (`after`: older ones follow) or the first of the page after (`before`) —
    the page is read by id from there (keyset on the primary key, however deep), not by offset."""
    where = _where(f)
    count = AuditEvent.count() if where is None else AuditEvent.count().where(where)
    if after is not None or before is not None:
        older = after is not None
        keyset = AuditEvent.id < after if older else AuditEvent.id > before
        query = (
            AuditEvent.select()
            .where(keyset if where is None else where & keyset)
            .order_by(AuditEvent.id, ascending=not older)
            .limit(limit)
        )
    else:
        query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).offset(offset).limit(limit)
        if where is not None:
            query = query.where(where)
    rows = await query
    if before is not None and after is None:
        rows.reverse()
    for row in rows:
        row["before"] = loaded(row["before"])
        row["after"] = loaded(row["after"])
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


def parse_moment(value: str | None, timezone: str, end: bool = False) -> datetime | None:
    """A filter's bound: a date (YYYY-MM-DD; as an upper bound, the end of that day) or a date and time,
    in the competition's time zone unless it carries an offset. None when it is not one (every door
    that filters the trail reads its bounds here)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if len(value.strip()) <= 10 and end:
        # The end of 9999-12-31 is beyond any datetime: the last moment there is stands for it.
        moment = moment + timedelta(days=1) if moment.date() < date.max else datetime.max
    moment = moment.replace(tzinfo=ZoneInfo(timezone)) if moment.tzinfo is None else moment
    try:
        moment.astimezone(UTC)  # what the database compares; beyond year 1..9999 in UTC it is no moment
    except (OverflowError, ValueError):
        return None
    return moment


async def events_page(f: EventFilter, before_id: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` + 1 events matching the filter, newest first, older than `before_id` (0: from the
    newest): the API's cursor pages over the same filter as the console's numbered pages."""
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).limit(limit + 1)
    where = _where(f)
    if before_id:
        where = AuditEvent.id < before_id if where is None else where & (AuditEvent.id < before_id)
    if where is not None:
        query = query.where(where)
    rows = await query
    for row in rows:
        row["before"] = loaded(row["before"])
        row["after"] = loaded(row["after"])
    return rows
