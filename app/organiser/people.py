"""The organiser's teams and accounts pages: the teams with their activity counts, the accounts list,
creating an account, enabling or disabling one."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app import i18n, regions
from app.accounts import officers, services
from app.accounts.auth import CurrentUser, organiser_only
from app.competitions.services import current_competition, teams
from app.errors import Conflict
from app.tables import ROLES, Activity
from app.web import Pager, page, page_number

PAGE_SIZE = 50


async def _places(rows: list[dict[str, Any]]) -> dict[int, str]:
    """What the accounts table says in its team/region column, by name (never a bare code): a participant's
    team, a judge's home regency, an officer's rank, NRP and desa of duty."""
    profiles = await officers.profiles_of([r["id"] for r in rows if r["role"] == officers.ROLE])
    places: dict[int, str] = {}
    for r in rows:
        profile = profiles.get(r["id"])
        if r.get("team.name"):
            places[r["id"]] = r["team.name"]
        elif profile is not None:
            village = regions.village(profile["village_code"] or "")
            parts = [profile["rank"], f"NRP {profile['nrp']}", village.name if village else ""]
            places[r["id"]] = " · ".join(p for p in parts if p)
        elif r.get("region_code"):
            regency = regions.regency(r["region_code"])
            places[r["id"]] = regency.name if regency else r["region_code"]
    return places


class OrganiserController(Controller):
    path = "/panitia"
    guards = [organiser_only]

    @get("/tim")
    async def team_list(self, request: Request[Any, Any, Any]) -> Template:
        competition = await current_competition()
        rows: list[dict[str, Any]] = []
        if competition is not None:
            counts: dict[int, dict[str, int]] = {}
            for r in await Activity.select(Activity.team, Activity.status).where(
                Activity.competition == competition.id
            ):
                by_status = counts.setdefault(r["team"], {})
                by_status[r["status"]] = by_status.get(r["status"], 0) + 1
            for team in await teams(competition.id):
                c = counts.get(team["id"], {})
                rows.append(
                    {
                        **team,
                        "kind": i18n._("City")
                        if regions.regency_is_kota(team["code"])
                        else i18n._("Regency"),
                        "villages": regions.village_count(team["code"]),
                        "submitted": c.get("submitted", 0),
                        "verified": c.get("verified", 0),
                        "rejected": c.get("rejected", 0),
                    }
                )
        return page(request, "accounts/teams.html", competition=competition, teams=rows)

    @get("/akun")
    async def account_list(
        self, request: Request[Any, Any, Any], halaman: FromQuery[str | None] = None
    ) -> Template:
        number = page_number(halaman)
        rows, total = await services.list_accounts((number - 1) * PAGE_SIZE, PAGE_SIZE)
        return await self._accounts_page(request, rows, Pager(number, PAGE_SIZE, total), {}, {})

    async def _accounts_page(
        self,
        request: Request[Any, Any, Any],
        rows: list[dict[str, Any]],
        pager: Pager,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        competition = await current_competition()
        team_rows = await teams(competition.id) if competition else []
        return page(
            request,
            "accounts/accounts.html",
            places=await _places(rows),
            status_code=status_code,
            accounts=rows,
            pager=pager,
            roles=ROLES,
            ranks=officers.RANKS,
            polres=regions.polres_list(),
            teams=team_rows,
            regencies=regions.regencies(),
            village_groups=regions.villages_by_district,
            values=values,
            errors=errors,
        )

    @post("/akun")
    async def account_create(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Template | Redirect:
        form = await request.form()
        values = {
            k: str(form.get(k) or "").strip()[:200]
            for k in (
                "username",
                "full_name",
                "role",
                "team",
                "region",
                "nrp",
                "rank",
                "polres",
                "village",
                "village_regency",
            )
        }
        password = str(form.get("password") or "")[:256]
        competition = await current_competition()
        team_id = None
        errors: dict[str, str] = {}
        status_code = 422
        if values["team"]:
            team_id = await services.team_id_for(competition.id, values["team"]) if competition else None
            if team_id is None:
                errors["team"] = i18n._("Unknown team.")
        if not errors:
            try:
                await services.create_account(
                    username=values["username"],
                    password=password,
                    role=values["role"],
                    full_name=values["full_name"],
                    team_id=team_id,
                    region_code=values["region"] or None,
                    actor_id=user.id,
                    actor_name=user.username,
                    officer=officers.OfficerFields(
                        values["nrp"], values["rank"], values["polres"], values["village"]
                    ),
                )
            except services.AccountError as exc:
                errors = exc.errors
            except Conflict as exc:
                errors, status_code = exc.fields, 409
        if errors:
            rows, total = await services.list_accounts(0, PAGE_SIZE)
            return await self._accounts_page(
                request, rows, Pager(1, PAGE_SIZE, total), values, errors, status_code
            )
        return Redirect("/panitia/akun?dibuat=1")

    @get("/akun/{account_id:int}/status")
    async def confirm_status(
        self, request: Request[Any, Any, Any], account_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Template:
        account = await services.account_by_id(account_id)
        if account is None:
            raise NotFoundException()
        # Disabling one's own account is refused (accounts.services.set_active): said before it is tried.
        own = account_id == user.id and account["is_active"]
        return page(request, "accounts/confirm_status.html", account=account, own=own)

    @post("/akun/{account_id:int}/status")
    async def set_status(
        self, request: Request[Any, Any, Any], account_id: FromPath[int], user: NamedDependency[CurrentUser]
    ) -> Redirect:
        form = await request.form()
        active = form.get("active") == "1"
        # Unknown account (404), one's own (409): the service's refusals, as through the API.
        await services.set_active(account_id, active, actor_id=user.id, actor_name=user.username)
        return Redirect("/panitia/akun")
