"""A competition's webhooks through the API: endpoints (create, read, change, delete), their deliveries
with their attempts, and "send again". Organisers only; the rules live in `app.webhooks.endpoints`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from app.accounts.auth import CurrentUser, organiser_only
from app.api.common import (
    BEARER,
    Cursor,
    Limit,
    decode_cursor,
    encode_cursor,
    iso,
    responses,
    visible_competition,
)
from app.inputs import MAX_ID
from app.webhooks import endpoints as hooks

WebhookId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
EventName = Annotated[str, Meta(max_length=40)]


class WebhookIn(msgspec.Struct):
    url: Annotated[str, Meta(max_length=2000)]
    events: Annotated[list[EventName], Meta(max_length=len(hooks.EVENT_TYPES))]
    description: Annotated[str, Meta(max_length=200)] = ""
    trusted: bool = False
    active: bool = True
    # Omitted: a random secret is made. Returned in full in this answer only.
    secret: Annotated[str, Meta(max_length=128)] | None = None


class WebhookChange(msgspec.Struct):
    url: Annotated[str, Meta(max_length=2000)] | None = None
    events: Annotated[list[EventName], Meta(max_length=len(hooks.EVENT_TYPES))] | None = None
    description: Annotated[str, Meta(max_length=200)] | None = None
    trusted: bool | None = None
    active: bool | None = None
    # True: a new random secret, returned in full in this answer only.
    new_secret: bool = False


class WebhookOut(msgspec.Struct):
    id: int
    url: str
    description: str
    events: list[str]
    trusted: bool
    active: bool
    secret_hint: str
    created_at: str | None
    pending: int
    failed: int
    secret: str | None = None


class WebhookPage(msgspec.Struct):
    items: list[WebhookOut]
    next_cursor: str | None


class AttemptOut(msgspec.Struct):
    attempted_at: str | None
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(msgspec.Struct):
    id: int
    delivery_id: str
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str
    created_at: str | None
    delivered_at: str | None
    body: dict[str, Any]
    recent_attempts: list[AttemptOut]


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryOut]
    next_cursor: str | None


def _out(e: hooks.Endpoint, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=e.id,
        url=e.url,
        description=e.description,
        events=e.events,
        trusted=e.trusted,
        active=e.active,
        secret_hint=e.secret_hint,
        created_at=iso(e.created_at),
        pending=e.pending,
        failed=e.failed,
        secret=secret,
    )


def _delivery(d: hooks.Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        delivery_id=d.uuid,
        event_id=d.event_id,
        event_type=d.event_type,
        state=d.state,
        attempts=d.attempts,
        next_attempt_at=iso(d.next_attempt_at),
        last_status=d.last_status,
        last_error=d.last_error,
        created_at=iso(d.created_at),
        delivered_at=iso(d.delivered_at),
        body=json.loads(d.body),
        recent_attempts=[
            AttemptOut(iso(a.attempted_at), a.status_code, a.error, a.duration_ms) for a in d.tried
        ],
    )


class WebhookController(Controller):
    """Organisers' webhook endpoints of one competition."""

    path = "/competitions/{slug:str}/webhooks"
    tags = ["webhooks"]
    guards = [organiser_only]
    security = BEARER

    @get(
        "/",
        operation_id="listWebhooks",
        summary="The competition's webhook endpoints (secrets shown as their first characters)",
        responses=responses(401, 403, 404),
    )
    async def list_webhooks(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> WebhookPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        found = await hooks.list_endpoints(competition, user, decode_cursor(cursor), size)
        next_cursor = encode_cursor(found[size - 1].id) if len(found) > size else None
        return WebhookPage(items=[_out(e) for e in found[:size]], next_cursor=next_cursor)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        operation_id="createWebhook",
        summary="Register a webhook endpoint; the answer holds its secret in full, the only time",
        responses=responses(401, 403, 404),
    )
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        data: JSONBody[WebhookIn],
    ) -> WebhookOut:
        competition = await visible_competition(slug, user)
        endpoint, secret = await hooks.create_endpoint(
            competition,
            user,
            url=data.url,
            events=data.events,
            description=data.description,
            trusted=data.trusted,
            active=data.active,
            secret=data.secret,
        )
        return _out(endpoint, secret)

    @get(
        "/{webhook_id:int}",
        operation_id="getWebhook",
        summary="One webhook endpoint",
        responses=responses(401, 403, 404),
    )
    async def get_webhook(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        webhook_id: WebhookId,
    ) -> WebhookOut:
        competition = await visible_competition(slug, user)
        return _out(await hooks.get_endpoint(competition, user, webhook_id))

    @patch(
        "/{webhook_id:int}",
        status_code=HTTP_200_OK,
        operation_id="updateWebhook",
        summary="Change a webhook endpoint (URL, events, trusted, active; a new secret on request)",
        responses=responses(401, 403, 404),
    )
    async def update_webhook(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        webhook_id: WebhookId,
        data: JSONBody[WebhookChange],
    ) -> WebhookOut:
        competition = await visible_competition(slug, user)
        endpoint, secret = await hooks.update_endpoint(
            competition,
            user,
            webhook_id,
            url=data.url,
            events=data.events,
            description=data.description,
            trusted=data.trusted,
            active=data.active,
            new_secret=data.new_secret,
        )
        return _out(endpoint, secret)

    @delete(
        "/{webhook_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteWebhook",
        summary="Delete a webhook endpoint with its deliveries",
        responses=responses(401, 403, 404),
    )
    async def delete_webhook(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        webhook_id: WebhookId,
    ) -> None:
        competition = await visible_competition(slug, user)
        await hooks.delete_endpoint(competition, user, webhook_id)

    @get(
        "/{webhook_id:int}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="An endpoint's deliveries, newest first, with their latest attempts",
        responses=responses(401, 403, 404),
    )
    async def deliveries(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        webhook_id: WebhookId,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> DeliveryPage:
        competition = await visible_competition(slug, user)
        size = limit or 50
        found = await hooks.list_deliveries(competition, user, webhook_id, decode_cursor(cursor), size)
        next_cursor = encode_cursor(found[size - 1].id) if len(found) > size else None
        return DeliveryPage(items=[_delivery(d) for d in found[:size]], next_cursor=next_cursor)

    @post(
        "/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="redeliverWebhook",
        summary="Send a delivery again now, with the same Sinergi-Delivery id",
        responses=responses(401, 403, 404),
    )
    async def redeliver(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        slug: FromPath[str],
        webhook_id: WebhookId,
        delivery_id: DeliveryId,
    ) -> None:
        competition = await visible_competition(slug, user)
        await hooks.send_again(competition, user, webhook_id, delivery_id)
