"""The officer's door (phone first, docs/officers.md): the activities waiting for their confirmation, the
confirm page the participant's QR code opens, and the one-time invite for an officer named without an
account; and the officer panel of the participant's activity page (QR code, links, invites). Every rule is
app.activities.attestation's and app.activities.invites'; what an officer may see is app.activities.policy's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import segno
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts import officers
from app.accounts.auth import SESSION_COOKIE, CurrentUser, officer_only, participant_only, public
from app.accounts.services import open_session
from app.activities import attestation, invites, photos, policy
from app.competitions.services import current_competition
from app.errors import Invalid
from app.settings import Settings
from app.web import page, status_of


def confirm_path(activity_id: int) -> str:
    return f"/petugas/kegiatan/{activity_id}"


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG markup (no script, no style attribute: CSP-friendly)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")


async def participant_panel(request: Request[Any, Any, Any], row: dict[str, Any]) -> dict[str, Any]:
    """What the participant's activity page shows of its officers: the QR code of the confirm page (an
    absolute address), each named officer with their answer, and who may be invited (no account yet)."""
    url = str(request.base_url).rstrip("/") + confirm_path(row["id"])
    current = (await attestation.current_of([row["id"]])).get(row["id"], [])
    by_nrp = {a["nrp"]: a for a in current}
    named = []
    for o in row.get("officers") or []:
        nrp = str(o.get("nrp") or "")
        found = by_nrp.get(nrp)
        named.append(
            {
                **o,
                "attestation": found,
                "invitable": bool(nrp)
                and found is None
                and row["status"] != "rejected"
                and not await officers.has_account(nrp),
            }
        )
    return {
        "url": url,
        "qr": qr_svg(url) if row["status"] != "rejected" and row.get("officers") else "",
        "officers": named,
        "summary": attestation.summary(current),
    }


async def _facts(activity_id: int) -> dict[str, Any]:
    return {"photos": await photos.photos_of(activity_id)}


class OfficerController(Controller):
    """The officer's own pages: what waits for them, and the confirm page of one activity."""

    path = "/petugas"
    guards = [officer_only]

    @get("/")
    async def waiting(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        items = []
        for asked in await attestation.pending_for(user):
            view = await policy.activity_view(user, asked["activity"])
            row = view.row
            items.append(
                {
                    "activity": row,
                    "asked_at": asked["created_at"],
                    "village": regions.village(row["village_code"] or ""),
                    "district": regions.district(row["district_code"] or ""),
                    **await _facts(row["id"]),
                }
            )
        return page(
            request,
            "activities/officer_list.html",
            items=items,
            answered=await attestation.answered_by(user),
            competition=await current_competition(),
            profile=await officers.profile_of(user.id),
        )

    async def _confirm_page(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        activity_id: int,
        *,
        errors: dict[str, str] | None = None,
        reason: str = "",
        status_code: int = 200,
    ) -> Template:
        view = await policy.activity_view(user, activity_id)
        row = view.row
        return page(
            request,
            "activities/officer_confirm.html",
            status_code=status_code,
            activity=row,
            mine=await attestation.mine(user, activity_id),
            village=regions.village(row["village_code"] or ""),
            district=regions.district(row["district_code"] or ""),
            competition=await current_competition(),
            errors=errors or {},
            reason=reason,
            done=request.query_params.get("selesai", ""),
            **await _facts(activity_id),
        )

    @get("/kegiatan/{activity_id:int}")
    async def confirm_page(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        return await self._confirm_page(request, user, activity_id)

    @post("/kegiatan/{activity_id:int}/konfirmasi")
    async def confirm(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Redirect:
        form = await request.form()
        where = attestation.position(form.get("lat"), form.get("lon"), form.get("accuracy"))
        await attestation.confirm(user, activity_id, where)
        return Redirect(f"{confirm_path(activity_id)}?selesai=konfirmasi")

    @post("/kegiatan/{activity_id:int}/tolak")
    async def decline(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        form = await request.form()
        reason = str(form.get("reason") or "")[:2000]
        try:
            await attestation.decline(user, activity_id, reason)
        except Invalid as exc:
            return await self._confirm_page(
                request, user, activity_id, errors=dict(exc.fields or {}), reason=reason, status_code=422
            )
        return Redirect(f"{confirm_path(activity_id)}?selesai=tolak")


class OfficerInviteController(Controller):
    """The participant asks for a one-time link for a named officer without an account; the officer opens
    it (signed in or not) and creates their account against the NRP."""

    path = "/"

    @post("/kegiatan/{activity_id:int}/undang-petugas", guards=[participant_only])
    async def invite(
        self, request: Request[Any, Any, Any], activity_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        form = await request.form()
        nrp = str(form.get("nrp") or "")[:18]
        token, expires_at = await invites.create_invite(user, activity_id, nrp)
        link = str(request.base_url).rstrip("/") + f"/undangan-petugas/{token}"
        message = i18n._(
            "Please confirm our joint activity in Sinergi. Create your officer account with this one-time "
            "link: %(link)s",
            link=link,
        )
        return page(
            request,
            "activities/officer_invite_link.html",
            activity_id=activity_id,
            link=link,
            whatsapp="https://wa.me/?text=" + quote(message, safe=""),
            expires_at=expires_at,
            days=invites.INVITE_DAYS,
            competition=await current_competition(),
        )

    @get("/undangan-petugas/{token:str}", guards=[public])
    async def invite_form(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        row = await invites.open_invite(token)
        values = {
            "username": row["nrp"],
            "full_name": row["officer_name"],
            "village_regency": await invites.regency_of(row),
        }
        return self._form(request, row, {}, values)

    def _form(
        self,
        request: Request[Any, Any, Any],
        row: dict[str, Any],
        errors: dict[str, str],
        values: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "activities/officer_invite.html",
            status_code=status_code,
            invite=row,
            errors=errors,
            values=values,
            ranks=officers.RANKS,
            polres=regions.polres_list(),
            regencies=regions.regencies(),
            village_groups=regions.villages_by_district,
        )

    @get("/wilayah/desa", guards=[public])
    async def villages(
        self, request: Request[Any, Any, Any], village_regency: FromQuery[str | None] = None
    ) -> Template:
        """The desa/kelurahan options of one regency, by kecamatan, for an officer's desa of duty (the invite
        form and the organisers' console swap them in with htmx); public, as the region lists are."""
        code = (village_regency or "")[:8]
        return page(
            request, "activities/_villages.html", villages=regions.villages_by_district(code), selected=""
        )

    @post("/undangan-petugas/{token:str}", guards=[public])
    async def accept(
        self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]
    ) -> Template | Redirect:
        row = await invites.open_invite(token)
        form = await request.form()
        values = {
            k: str(form.get(k) or "").strip()[:200]
            for k in ("username", "full_name", "rank", "polres", "village", "village_regency")
        }
        try:
            account_id, activity_id = await invites.accept_invite(
                token,
                username=values["username"],
                password=str(form.get("password") or "")[:256],
                full_name=values["full_name"],
                fields=officers.OfficerFields(
                    row["nrp"], values["rank"], values["polres"], values["village"]
                ),
            )
        except Invalid as exc:
            return self._form(request, row, dict(exc.fields or {}), values, status_of(exc))
        session, _expires = await open_session(account_id, "web", settings.session_days)
        response = Redirect(confirm_path(activity_id) if activity_id is not None else "/petugas")
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=settings.session_days * 86400,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
        return response
