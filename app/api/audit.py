"""The audit trail through the API: its events filtered as the console filters them (actor, action, object,
time), newest first by cursor, and the check of its keyed chain. Doors over `app.audit.services`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from app import i18n
from app.accounts.auth import organiser_only
from app.api import season_schemas as s
from app.api.common import BEARER, Cursor, Limit, decode_cursor, iso, page_of, responses
from app.audit import labels
from app.audit import services as audit
from app.audit.chain import describe
from app.competitions.services import current_competition
from app.errors import Invalid


def _text(limit: int, description: str) -> Any:
    return Annotated[str | None, QueryParameter(max_length=limit, description=description)]


Actor = _text(64, "The actor's username, exactly.")
Action = _text(64, "An action or its start, e.g. `stage.` or `stage.close`.")
ObjectType = _text(32, "The object's type, e.g. `competition`, `stage`, `activity`.")
ObjectId = _text(64, "The object's id.")
Since = _text(32, "From this date (YYYY-MM-DD) or time (ISO 8601; without an offset: the season's zone).")
Until = _text(32, "Before this time, or up to the end of this date.")


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]
    guards = [organiser_only]

    @get(
        "/",
        operation_id="listAuditEvents",
        summary="The audit trail, newest first, filtered as the console filters it",
        security=BEARER,
        responses=responses(401, 403),
    )
    async def events(
        self,
        request: Request[Any, Any, Any],
        actor: Actor = None,
        action: Action = None,
        object_type: ObjectType = None,
        object_id: ObjectId = None,
        since: Since = None,
        until: Until = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.AuditPage:
        competition = await current_competition()
        timezone = competition.timezone if competition else "Asia/Jakarta"
        errors: dict[str, str] = {}
        start = audit.parse_moment(since, timezone)
        end = audit.parse_moment(until, timezone, end=True)
        if since and start is None:
            errors["since"] = i18n._("Enter a date such as 2024-02-14.")
        if until and end is None:
            errors["until"] = i18n._("Enter a date such as 2024-02-14.")
        before = decode_cursor(cursor)
        if errors:
            raise Invalid(fields=errors)
        f = audit.EventFilter(
            actor=actor or "",
            action=action or "",
            object_type=object_type or "",
            object_id=object_id or "",
            since=start,
            until=end,
        )
        size = limit or 50
        rows, next_cursor = page_of(await audit.events_page(f, before, size), size)
        return s.AuditPage(
            items=[
                s.AuditEventOut(
                    id=r["id"],
                    at=iso(r["at"]),
                    actor_name=r["actor_name"] or "",
                    action=r["action"],
                    action_label=labels.action_label(r["action"]),
                    object_type=r["object_type"],
                    object_id=r["object_id"] or "",
                    competition_id=r["competition_id"],
                    before=r["before"],
                    after=r["after"],
                    hash=r["hash"],
                    prev_hash=r["prev_hash"],
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )

    @get(
        "/verify",
        operation_id="verifyAuditChain",
        summary="Check the audit chain: every link, the signed head and its copy",
        security=BEARER,
        responses=responses(401, 403),
    )
    async def verify(self, request: Request[Any, Any, Any]) -> s.AuditCheckOut:
        report = await audit.verify()
        return s.AuditCheckOut(
            ok=report.ok,
            checked=report.count,
            problem=report.problem,
            broken_id=report.broken_id,
            expected=report.expected,
            expected_last_id=report.expected_last_id,
            legacy=report.legacy,
            verdict=describe(report),
        )
