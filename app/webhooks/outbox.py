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
from collections.abc import Awaitable, Callable
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


async def listeners(competition_id: int, event_type: str) -> list[tuple[int, bool]]:
    """(endpoint id, trusted) of the active endpoints subscribed to `event_type`: one read, before anything
    else is read for an event nobody listens to."""
    endpoints = await WebhookEndpoint.select(
        WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.trusted
    ).where((WebhookEndpoint.competition == competition_id) & WebhookEndpoint.active.eq(True))
    return [(e["id"], bool(e["trusted"])) for e in endpoints if event_type in json.loads(e["events"] or "[]")]


async def enqueue(
    competition: CompetitionInfo | int,
    event_type: str,
    data: dict[str, Any] | Callable[[], Awaitable[dict[str, Any] | None]],
    *,
    trusted_only: bool | Callable[[], Awaitable[bool]] = False,
) -> int:
    """Writes one delivery of the event per active endpoint subscribed to it; returns how many. `data`
    and `trusted_only` may be read lazily (only when someone listens); `data` None withholds the event."""
    competition_id = competition if isinstance(competition, int) else competition.id
    targets = await listeners(competition_id, event_type)
    if not targets:
        return 0
    if isinstance(competition, int):
        found = await competition_by_id(competition)
        if found is None:
            return 0
        competition = found
    if not isinstance(trusted_only, bool):
        trusted_only = await trusted_only()
    trusted_only = trusted_only or not policy.tells_public(competition)
    chosen = [endpoint_id for endpoint_id, trusted in targets if trusted or not trusted_only]
    if not chosen:
        return 0
    payload = data if isinstance(data, dict) else await data()
    if payload is None:
        return 0
    event_id = str(uuid.uuid4())
    body = body_of(event_id, event_type, competition, payload)
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
            for endpoint_id in chosen
        ]
    )
    await after_commit(_wake)
    return len(chosen)


async def on_activity_submitted(event: ActivitySubmitted) -> None:
    data = {"activity_id": event.activity_id, "team_code": event.team_code, "status": "submitted"}
    await enqueue(event.competition_id, "activity.submitted", data)


async def on_activity_decided(event: ActivityDecided) -> None:
    data = {
        "activity_id": event.activity_id,
        "team_code": event.team_code,
        "status": event.status,
        "previous_status": event.previous_status,
    }
    # While the public's board is frozen a verdict would tell it moved: trusted endpoints only.
    await enqueue(
        event.competition,
        f"activity.{event.status}",
        data,
        trusted_only=lambda: policy.board_frozen_for_public(event.competition.id),
    )


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
    async def data() -> dict[str, Any] | None:
        if await policy.board_frozen_for_public(event.competition.id):
            return None  # the frozen board's public event: never told (organisers see the live board)
        movers = top_movers(event, {})
        rows = await Team.select(Team.code, Team.name).where(
            (Team.competition == event.competition.id)
            & Team.code.is_in([m["team_code"] for m in movers] or [""])
        )
        names = {r["code"]: r["name"] for r in rows}
        return {"version": event.version, "top_movers": top_movers(event, names)}

    await enqueue(event.competition, "standings.changed", data)


async def on_stage_closed(event: StageClosed) -> None:
    async def data() -> dict[str, Any]:
        stage = await Stage.select(Stage.id, Stage.code, Stage.name).where(Stage.id == event.stage_id).first()
        record = (
            await BeritaAcara.select(BeritaAcara.sha256)
            .where(BeritaAcara.stage == event.stage_id)
            .order_by(BeritaAcara.id, ascending=False)
            .first()
        )
        return {
            "stage_id": event.stage_id,
            "stage_code": stage["code"] if stage else None,
            "stage_name": stage["name"] if stage else None,
            "berita_acara_sha256": record["sha256"] if record else None,
        }

    await enqueue(event.competition_id, "stage.closed", data)


async def on_results_published(event: ResultsPublished) -> None:
    await enqueue(event.competition_id, "results.published", {"ruleset_version": event.ruleset_version})


async def on_board_frozen(event: BoardFrozen) -> None:
    data = {"version": event.version, "frozen_at": iso_utc(event.frozen_at)}
    await enqueue(event.competition_id, "board.frozen", data)


async def on_board_unfrozen(event: BoardUnfrozen) -> None:
    await enqueue(event.competition_id, "board.unfrozen", {"version": event.version})
