"""Domain events become deliveries: one outbox row per subscribed endpoint, written in the transaction of
the change (the handlers are wired `in_transaction` in `app.subscribers`), so a committed change always has
its deliveries and a rolled-back one never does.

What a board may tell is the board policy's (`app.leaderboard.policy`): a private competition's events go
only to trusted endpoints (`tells_public`); while the board is frozen for the public (`board_frozen_for_
public`) no `standings.changed` is written at all, and `activity.verified`/`activity.rejected` (which would
tell the public's frozen board moved) go only to trusted endpoints.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from app.activities.events import ActivitySubmitted
from app.competitions.events import ResultsPublished
from app.competitions.services import CompetitionInfo, competition_by_id
from app.db import after_commit
from app.judging.events import ActivityDecided, StageClosed
from app.leaderboard import policy
from app.leaderboard.events import BoardFrozen, BoardUnfrozen, StandingsChanged
from app.tables import BeritaAcara, Stage, Team, WebhookDelivery, WebhookEndpoint
from app.webhooks.endpoints import _wake

TOP_MOVERS = 5


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with its offset (SQLite gives naive UTC back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def body_of(event_id: str, event_type: str, competition: CompetitionInfo, data: dict[str, Any]) -> str:
    """The JSON document sent, exactly as signed (compact, UTF-8)."""
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": iso_utc(datetime.now(UTC)),
            "competition": {"id": competition.id, "slug": competition.slug},
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


async def enqueue(
    competition: CompetitionInfo, event_type: str, data: dict[str, Any], *, trusted_only: bool = False
) -> int:
    """Writes one delivery of the event per active endpoint subscribed to it; returns how many."""
    trusted_only = trusted_only or not policy.tells_public(competition)
    endpoints = await WebhookEndpoint.select(
        WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.trusted
    ).where((WebhookEndpoint.competition == competition.id) & WebhookEndpoint.active.eq(True))
    targets = [
        e["id"]
        for e in endpoints
        if event_type in json.loads(e["events"] or "[]") and (e["trusted"] or not trusted_only)
    ]
    if not targets:
        return 0
    event_id = str(uuid.uuid4())
    body = body_of(event_id, event_type, competition, data)
    now = datetime.now(UTC)
    await WebhookDelivery.insert(
        *[
            WebhookDelivery(
                endpoint=endpoint_id,
                uuid=str(uuid.uuid4()),
                event_id=event_id,
                event_type=event_type,
                body=body,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint_id in targets
        ]
    )
    await after_commit(_wake)
    return len(targets)


async def on_activity_submitted(event: ActivitySubmitted) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is not None:
        data = {"activity_id": event.activity_id, "team_code": event.team_code, "status": "submitted"}
        await enqueue(competition, "activity.submitted", data)


async def on_activity_decided(event: ActivityDecided) -> None:
    frozen = await policy.board_frozen_for_public(event.competition.id)
    data = {
        "activity_id": event.activity_id,
        "team_code": event.team_code,
        "status": event.status,
        "previous_status": event.previous_status,
    }
    await enqueue(event.competition, f"activity.{event.status}", data, trusted_only=frozen)


def top_movers(event: StandingsChanged, names: dict[str, str]) -> list[dict[str, Any]]:
    """The teams that moved most (new teams last), at most TOP_MOVERS, biggest move first."""

    def size(m: Any) -> tuple[int, int]:
        if m.previous_rank is None:
            return (1, m.rank)
        return (0, -abs(m.previous_rank - m.rank))

    movers = sorted(event.movers, key=lambda m: (*size(m), m.rank))[:TOP_MOVERS]
    return [
        {
            "team_code": m.team_code,
            "team_name": names.get(m.team_code, m.team_code),
            "rank": m.rank,
            "previous_rank": m.previous_rank,
        }
        for m in movers
    ]


async def on_standings_changed(event: StandingsChanged) -> None:
    if await policy.board_frozen_for_public(event.competition.id):
        return  # the frozen board's public event: never told (organisers see the live board)
    names: dict[str, str] = {}
    if event.movers:
        rows = await Team.select(Team.code, Team.name).where(
            (Team.competition == event.competition.id)
            & Team.code.is_in([m.team_code for m in event.movers[: TOP_MOVERS * 40]])
        )
        names = {r["code"]: r["name"] for r in rows}
    data = {"version": event.version, "top_movers": top_movers(event, names)}
    await enqueue(event.competition, "standings.changed", data)


async def on_stage_closed(event: StageClosed) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is None:
        return
    stage = await Stage.select(Stage.id, Stage.code, Stage.name).where(Stage.id == event.stage_id).first()
    record = (
        await BeritaAcara.select(BeritaAcara.sha256)
        .where(BeritaAcara.stage == event.stage_id)
        .order_by(BeritaAcara.id, ascending=False)
        .first()
    )
    data = {
        "stage_id": event.stage_id,
        "stage_code": stage["code"] if stage else None,
        "stage_name": stage["name"] if stage else None,
        "berita_acara_sha256": record["sha256"] if record else None,
    }
    await enqueue(competition, "stage.closed", data)


async def on_results_published(event: ResultsPublished) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is not None:
        await enqueue(competition, "results.published", {"ruleset_version": event.ruleset_version})


async def on_board_frozen(event: BoardFrozen) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is not None:
        data = {"version": event.version, "frozen_at": iso_utc(event.frozen_at)}
        await enqueue(competition, "board.frozen", data)


async def on_board_unfrozen(event: BoardUnfrozen) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is not None:
        await enqueue(competition, "board.unfrozen", {"version": event.version})
