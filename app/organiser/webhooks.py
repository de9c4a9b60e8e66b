"""The organisers' webhooks page (/panitia/webhook): register, change, disable and delete the endpoints
that other systems receive the competition's events on; each endpoint's recent deliveries with their
attempts, and "send again". Every rule is the service's (`app.webhooks.endpoints`), shared with the API."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only
from app.competitions.services import CompetitionInfo, current_competition
from app.errors import Invalid
from app.inputs import parse_id
from app.web import page
from app.webhooks import endpoints as hooks

EVENT_LABELS = {
    "activity.submitted": i18n.lazy("An activity is sent"),
    "activity.verified": i18n.lazy("An activity is verified"),
    "activity.rejected": i18n.lazy("An activity is rejected"),
    "standings.changed": i18n.lazy("The standings change"),
    "stage.closed": i18n.lazy("A stage is closed"),
    "results.published": i18n.lazy("The final results are published"),
    "board.frozen": i18n.lazy("The leaderboard is frozen"),
    "board.unfrozen": i18n.lazy("The leaderboard is unfrozen"),
}
STATE_LABELS = {
    "pending": i18n.lazy("Waiting"),
    "delivered": i18n.lazy("Delivered"),
    "failed": i18n.lazy("Failed"),
}
DELIVERIES_SHOWN = 20


async def _competition() -> CompetitionInfo:
    competition = await current_competition()
    if competition is None:
        raise NotFoundException(detail=i18n._("There is no competition yet."))
    return competition


def _id(value: Any) -> int:
    number = parse_id(str(value))
    if number is None:
        raise NotFoundException(detail=i18n._("Webhook not found."))
    return number


def _form_values(form: Any) -> dict[str, Any]:
    return {
        "url": str(form.get("url") or "").strip()[:2100],
        "description": str(form.get("description") or "").strip()[:300],
        "events": [str(e)[:40] for e in form.getall("events", [])][:20],
        "trusted": form.get("trusted") == "1",
        "active": form.get("active") == "1",
    }


class WebhookConsoleController(Controller):
    path = "/panitia/webhook"
    guards = [organiser_only]

    async def _list(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        created: tuple[hooks.Endpoint, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        competition = await _competition()
        return page(
            request,
            "organiser/webhooks.html",
            status_code=status_code,
            competition=competition,
            endpoints=(await hooks.list_endpoints(competition, user))[:200],
            event_types=hooks.EVENT_TYPES,
            event_labels=EVENT_LABELS,
            values=values or {"events": list(hooks.EVENT_TYPES), "active": True},
            errors=errors or {},
            created=created,
            deleted=request.query_params.get("dihapus") == "1",
        )

    @get("/")
    async def index(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        return await self._list(request, user)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        competition = await _competition()
        values = _form_values(await request.form())
        try:
            created = await hooks.create_endpoint(
                competition,
                user,
                url=values["url"],
                events=values["events"],
                description=values["description"],
                trusted=values["trusted"],
                active=True,
            )
        except Invalid as exc:
            return await self._list(request, user, values=values, errors=dict(exc.fields), status_code=422)
        # The secret in full, this once: the page says to copy it now.
        return await self._list(request, user, created=created, status_code=201)

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        webhook_id: FromPath[int],
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        secret: str | None = None,
        status_code: int = 200,
        before: int = 0,
    ) -> Template:
        competition = await _competition()
        endpoint = await hooks.get_endpoint(competition, user, webhook_id)
        deliveries = await hooks.list_deliveries(competition, user, webhook_id, before, DELIVERIES_SHOWN)
        older = deliveries[DELIVERIES_SHOWN - 1].id if len(deliveries) > DELIVERIES_SHOWN else None
        shown = []
        for d in deliveries[:DELIVERIES_SHOWN]:
            try:
                pretty = json.dumps(json.loads(d.body), ensure_ascii=False, indent=2)
            except ValueError:
                pretty = d.body
            shown.append({"d": d, "pretty": pretty})
        return page(
            request,
            "organiser/webhook.html",
            status_code=status_code,
            competition=competition,
            endpoint=endpoint,
            deliveries=shown,
            older=older,
            event_types=hooks.EVENT_TYPES,
            event_labels=EVENT_LABELS,
            state_labels=STATE_LABELS,
            values=values
            or {
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
                "trusted": endpoint.trusted,
                "active": endpoint.active,
            },
            errors=errors or {},
            secret=secret,
            saved=request.query_params.get("disimpan") == "1",
            resent=request.query_params.get("dikirim") == "1",
        )

    @get("/{webhook_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        webhook_id: FromPath[int],
        sebelum: FromQuery[str | None] = None,
    ) -> Template:
        before = parse_id(sebelum) if sebelum else 0
        return await self._detail(request, user, _id(webhook_id), before=before or 0)

    @post("/{webhook_id:int}")
    async def update(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], webhook_id: FromPath[int]
    ) -> Template | Redirect:
        competition = await _competition()
        webhook_id = _id(webhook_id)
        values = _form_values(await request.form())
        try:
            await hooks.update_endpoint(
                competition,
                user,
                webhook_id,
                url=values["url"],
                events=values["events"],
                description=values["description"],
                trusted=values["trusted"],
                active=values["active"],
            )
        except Invalid as exc:
            return await self._detail(
                request, user, webhook_id, values=values, errors=dict(exc.fields), status_code=422
            )
        return Redirect(f"/panitia/webhook/{webhook_id}?disimpan=1")

    @post("/{webhook_id:int}/rahasia")
    async def new_secret(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], webhook_id: FromPath[int]
    ) -> Template:
        competition = await _competition()
        webhook_id = _id(webhook_id)
        _, secret = await hooks.update_endpoint(competition, user, webhook_id, new_secret=True)
        return await self._detail(request, user, webhook_id, secret=secret)

    @post("/{webhook_id:int}/kirim/{delivery_id:int}")
    async def send_again(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[CurrentUser],
        webhook_id: FromPath[int],
        delivery_id: FromPath[int],
    ) -> Redirect:
        competition = await _competition()
        webhook_id = _id(webhook_id)
        await hooks.send_again(competition, user, webhook_id, _id(delivery_id))
        return Redirect(f"/panitia/webhook/{webhook_id}?dikirim=1")

    @get("/{webhook_id:int}/hapus")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], webhook_id: FromPath[int]
    ) -> Template:
        competition = await _competition()
        endpoint = await hooks.get_endpoint(competition, user, _id(webhook_id))
        return page(request, "organiser/webhook_delete.html", endpoint=endpoint, error=None)

    @post("/{webhook_id:int}/hapus")
    async def delete(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], webhook_id: FromPath[int]
    ) -> Template | Redirect:
        competition = await _competition()
        webhook_id = _id(webhook_id)
        form = await request.form()
        if form.get("confirm") != "1":
            endpoint = await hooks.get_endpoint(competition, user, webhook_id)
            return page(
                request,
                "organiser/webhook_delete.html",
                status_code=422,
                endpoint=endpoint,
                error=i18n._("Tick the box to confirm the deletion."),
            )
        await hooks.delete_endpoint(competition, user, webhook_id)
        return Redirect("/panitia/webhook?dihapus=1")
