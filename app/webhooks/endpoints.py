"""The organisers' webhook endpoints of a competition, their deliveries and attempts: one service for the
console (`app.organiser.webhooks`) and the API (`app.api.webhooks`).

The secret signs every delivery, so it is stored as it is (the server must be able to read it); it is shown
in full once, in the answer that creates the endpoint (or that gives it a new secret), and as its first
characters after that (`secret_hint`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from app import i18n
from app.audit import services as audit
from app.competitions.services import CompetitionInfo
from app.db import after_commit, write_transaction
from app.errors import Forbidden, Invalid, NotFound
from app.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "activity.submitted",
    "activity.verified",
    "activity.rejected",
    "standings.changed",
    "stage.closed",
    "results.published",
    "board.frozen",
    "board.unfrozen",
)
MAX_URL = 2000
MAX_DESCRIPTION = 200
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
MIN_SECRET = 16
MAX_SECRET = 128
STATES = ("pending", "delivered", "failed")


def _now() -> datetime:
    return datetime.now(UTC)


def ensure_organiser(actor: Any) -> None:
    """Only organisers see and change a competition's webhooks (they carry a private board's events)."""
    if actor is None or getattr(actor, "role", None) != "organiser":
        raise Forbidden(i18n._("Only organisers may manage webhooks."))


def check_url(url: str) -> str:
    """An absolute http:// or https:// address with a host; the receiver's own checks are its business."""
    url = (url or "").strip()
    if not url:
        raise Invalid({"url": i18n._("This field is required.")})
    if len(url) > MAX_URL:
        raise Invalid({"url": i18n._("Too long: at most %(n)s characters or items.", n=MAX_URL)})
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port beyond 65535 raises here
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise Invalid({"url": i18n._("The address must start with http:// or https:// and name a host.")})
    if parts.username or parts.password:
        raise Invalid({"url": i18n._("The address must not carry a user name or password.")})
    return url


def check_events(events: list[str] | tuple[str, ...]) -> list[str]:
    chosen = [e for e in EVENT_TYPES if e in set(events)]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise Invalid({"events": i18n._("Unknown event: %(name)s.", name=", ".join(unknown)[:200])})
    if not chosen:
        raise Invalid({"events": i18n._("Choose at least one event.")})
    return chosen


def check_secret(secret: str | None) -> str:
    """The organiser's own secret, or a new random one."""
    if secret is None or secret == "":
        return SECRET_PREFIX + secrets.token_urlsafe(32)
    if not MIN_SECRET <= len(secret) <= MAX_SECRET or any(c.isspace() or not c.isprintable() for c in secret):
        raise Invalid(
            {
                "secret": i18n._(
                    "The secret must be %(low)s to %(high)s characters, without spaces.",
                    low=MIN_SECRET,
                    high=MAX_SECRET,
                )
            }
        )
    return secret


def secret_hint(secret: str) -> str:
    """What pages and the API show of a stored secret: its first characters."""
    shown = len(SECRET_PREFIX) + 4 if secret.startswith(SECRET_PREFIX) else 4
    return secret[:shown] + "…"


def check_description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Invalid(
            {"description": i18n._("Too long: at most %(n)s characters or items.", n=MAX_DESCRIPTION)}
        )
    return text


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    url: str
    description: str
    events: list[str]
    trusted: bool
    active: bool
    secret_hint: str
    created_at: datetime
    pending: int = 0
    failed: int = 0


def _endpoint(row: dict[str, Any], counts: dict[tuple[int, str], int] | None = None) -> Endpoint:
    counts = counts or {}
    created = row["created_at"]
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Endpoint(
        id=row["id"],
        url=row["url"],
        description=row["description"],
        events=json.loads(row["events"] or "[]"),
        trusted=bool(row["trusted"]),
        active=bool(row["active"]),
        secret_hint=secret_hint(row["secret"]),
        created_at=created,
        pending=counts.get((row["id"], "pending"), 0),
        failed=counts.get((row["id"], "failed"), 0),
    )


async def _counts(endpoint_ids: list[int]) -> dict[tuple[int, str], int]:
    if not endpoint_ids:
        return {}
    rows = await WebhookDelivery.raw(
        "SELECT endpoint, state, COUNT(*) AS n FROM webhook_delivery WHERE endpoint IN ({}) "
        "AND state <> 'delivered' GROUP BY endpoint, state".replace(
            "{}", ", ".join(str(int(i)) for i in endpoint_ids)
        )
    )
    return {(r["endpoint"], r["state"]): r["n"] for r in rows}


async def list_endpoints(
    competition: CompetitionInfo, actor: Any, after_id: int = 0, limit: int = 200
) -> list[Endpoint]:
    """The competition's endpoints in id order, from after `after_id` (asks for one more than `limit`)."""
    ensure_organiser(actor)
    rows = (
        await WebhookEndpoint.select()
        .where((WebhookEndpoint.competition == competition.id) & (WebhookEndpoint.id > after_id))
        .order_by(WebhookEndpoint.id)
        .limit(limit + 1)
    )
    counts = await _counts([r["id"] for r in rows])
    return [_endpoint(r, counts) for r in rows]


async def _row(competition: CompetitionInfo, endpoint_id: int) -> dict[str, Any]:
    row = (
        await WebhookEndpoint.select()
        .where((WebhookEndpoint.competition == competition.id) & (WebhookEndpoint.id == endpoint_id))
        .first()
    )
    if row is None:
        raise NotFound(i18n._("Webhook not found."))
    return row


async def get_endpoint(competition: CompetitionInfo, actor: Any, endpoint_id: int) -> Endpoint:
    ensure_organiser(actor)
    row = await _row(competition, endpoint_id)
    return _endpoint(row, await _counts([row["id"]]))


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": row["url"],
        "events": json.loads(row["events"]) if isinstance(row["events"], str) else row["events"],
        "trusted": bool(row["trusted"]),
        "active": bool(row["active"]),
    }


async def create_endpoint(
    competition: CompetitionInfo,
    actor: Any,
    *,
    url: str,
    events: list[str],
    description: str = "",
    trusted: bool = False,
    active: bool = True,
    secret: str | None = None,
) -> tuple[Endpoint, str]:
    """Registers an endpoint; returns it with its secret in full (the only time it is shown)."""
    ensure_organiser(actor)
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, check, value in (
        ("url", check_url, url),
        ("events", check_events, events),
        ("description", check_description, description),
        ("secret", check_secret, secret),
    ):
        try:
            values[field] = check(value)  # type: ignore[operator]
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(problems)
    async with write_transaction(lock=f"competition:{competition.id}"):
        row = WebhookEndpoint(
            competition=competition.id,
            url=values["url"],
            description=values["description"],
            events=json.dumps(values["events"]),
            secret=values["secret"],
            trusted=bool(trusted),
            active=bool(active),
            created_at=_now(),
            created_by=actor.id,
        )
        await row.save()
        stored = await _row(competition, row.id)
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="webhook.create",
            object_type="webhook",
            object_id=row.id,
            after=_audited(stored),
            competition_id=competition.id,
        )
    return _endpoint(stored), values["secret"]


async def update_endpoint(
    competition: CompetitionInfo,
    actor: Any,
    endpoint_id: int,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    trusted: bool | None = None,
    active: bool | None = None,
    new_secret: bool = False,
) -> tuple[Endpoint, str | None]:
    """Changes what is given; `new_secret` makes a new secret, returned in full this once."""
    ensure_organiser(actor)
    changes: dict[Any, Any] = {}
    problems: dict[str, str] = {}
    for field, check, value, column in (
        ("url", check_url, url, WebhookEndpoint.url),
        ("events", check_events, events, WebhookEndpoint.events),
        ("description", check_description, description, WebhookEndpoint.description),
    ):
        if value is None:
            continue
        try:
            checked = check(value)  # type: ignore[operator]
        except Invalid as exc:
            problems.update(exc.fields)
            continue
        changes[column] = json.dumps(checked) if field == "events" else checked
    if problems:
        raise Invalid(problems)
    if trusted is not None:
        changes[WebhookEndpoint.trusted] = bool(trusted)
    if active is not None:
        changes[WebhookEndpoint.active] = bool(active)
    secret = check_secret(None) if new_secret else None
    if secret is not None:
        changes[WebhookEndpoint.secret] = secret
    async with write_transaction(lock=f"competition:{competition.id}"):
        before = await _row(competition, endpoint_id)
        if changes:
            await WebhookEndpoint.update(changes).where(WebhookEndpoint.id == endpoint_id)
        after = await _row(competition, endpoint_id)
        if changes:
            await audit.record(
                actor_id=actor.id,
                actor_name=actor.username,
                action="webhook.update",
                object_type="webhook",
                object_id=endpoint_id,
                before=_audited(before),
                after={**_audited(after), **({"secret": "new"} if secret else {})},
                competition_id=competition.id,
            )
        if active:
            await after_commit(_wake)
    return _endpoint(after, await _counts([endpoint_id])), secret


async def delete_endpoint(competition: CompetitionInfo, actor: Any, endpoint_id: int) -> None:
    """Removes the endpoint with its deliveries (sent or not) and their attempts."""
    ensure_organiser(actor)
    async with write_transaction(lock=f"competition:{competition.id}"):
        before = await _row(competition, endpoint_id)
        ids = [
            r["id"]
            for r in await WebhookDelivery.select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint == endpoint_id
            )
        ]
        if ids:
            await WebhookAttempt.delete().where(WebhookAttempt.delivery.is_in(ids))
            await WebhookDelivery.delete().where(WebhookDelivery.endpoint == endpoint_id)
        await WebhookEndpoint.delete().where(WebhookEndpoint.id == endpoint_id)
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="webhook.delete",
            object_type="webhook",
            object_id=endpoint_id,
            before=_audited(before),
            competition_id=competition.id,
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    attempted_at: datetime
    status_code: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    uuid: str
    event_id: str
    event_type: str
    body: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    tried: list[Attempt]


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def list_deliveries(
    competition: CompetitionInfo,
    actor: Any,
    endpoint_id: int,
    before_id: int = 0,
    limit: int = 20,
    attempts_each: int = 10,
) -> list[Delivery]:
    """The endpoint's deliveries, newest first, before `before_id` (0: from the newest), with their
    latest attempts; asks for one more than `limit` (the caller's next page)."""
    ensure_organiser(actor)
    await _row(competition, endpoint_id)
    where = WebhookDelivery.endpoint == endpoint_id
    if before_id:
        where = where & (WebhookDelivery.id < before_id)
    rows = (
        await WebhookDelivery.select()
        .where(where)
        .order_by(WebhookDelivery.id, ascending=False)
        .limit(limit + 1)
    )
    tried: dict[int, list[Attempt]] = {}
    if rows:
        for a in (
            await WebhookAttempt.select()
            .where(WebhookAttempt.delivery.is_in([r["id"] for r in rows]))
            .order_by(WebhookAttempt.id, ascending=False)
        ):
            found = tried.setdefault(a["delivery"], [])
            if len(found) < attempts_each:
                found.append(
                    Attempt(_aware(a["attempted_at"]), a["status_code"], a["error"], a["duration_ms"])  # type: ignore[arg-type]
                )
    return [
        Delivery(
            id=r["id"],
            uuid=r["uuid"],
            event_id=r["event_id"],
            event_type=r["event_type"],
            body=r["body"],
            state=r["state"],
            attempts=r["attempts"],
            next_attempt_at=_aware(r["next_attempt_at"]) if r["state"] == "pending" else None,
            last_status=r["last_status"],
            last_error=r["last_error"],
            created_at=_aware(r["created_at"]),  # type: ignore[arg-type]
            delivered_at=_aware(r["delivered_at"]),
            tried=tried.get(r["id"], []),
        )
        for r in rows
    ]


async def send_again(competition: CompetitionInfo, actor: Any, endpoint_id: int, delivery_id: int) -> None:
    """Queues a delivery again, at once, with the same idempotency id (the receiver may have it already:
    at least once). Its attempts start again from none; the earlier ones stay listed."""
    ensure_organiser(actor)
    async with write_transaction(lock=f"competition:{competition.id}"):
        await _row(competition, endpoint_id)
        row = (
            await WebhookDelivery.select(WebhookDelivery.id)
            .where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.endpoint == endpoint_id))
            .first()
        )
        if row is None:
            raise NotFound(i18n._("Delivery not found."))
        await WebhookDelivery.update(
            {
                WebhookDelivery.state: "pending",
                WebhookDelivery.attempts: 0,
                WebhookDelivery.next_attempt_at: _now(),
                WebhookDelivery.lease_token: None,
                WebhookDelivery.lease_until: None,
                WebhookDelivery.delivered_at: None,
            }
        ).where(WebhookDelivery.id == delivery_id)
        await after_commit(_wake)


# The sender registers how to wake it (app.webhooks.sender) so that a new delivery is sent at once rather
# than at the next poll; the outbox calls it after the commit.
_wakers: list[Any] = []


async def _wake() -> None:
    for wake in list(_wakers):
        wake()
