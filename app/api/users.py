"""Accounts through the API: an organiser creates them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
)
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from app import i18n
from app.accounts import officers
from app.accounts import services as accounts
from app.accounts.auth import CurrentUser, organiser_only
from app.api import schemas as s
from app.api.common import (
    BEARER,
    Invalid,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.tables import Account


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post(
        "/",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createUser",
        summary="Create an account (a participant needs a team; a judge's region_code is their home regency)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[s.UserIn], user: NamedDependency[CurrentUser]
    ) -> s.UserOut:
        team_id: int | None = None
        team_code = (data.team_code or "").strip() or None
        if team_code:
            if data.competition:
                competition = await visible_competition(data.competition, user)
            else:
                competition = await competitions.current_competition()
            found = await competitions.team_by_code(competition.id, team_code) if competition else None
            if found is None:
                raise Invalid({"team_code": i18n._("Unknown team.")})
            team_id = found["id"]
        username = data.username.strip().lower()
        if await Account.exists().where(Account.username == username):
            raise HTTPException(status_code=409, detail=i18n._("That username is already taken."))
        try:
            account_id = await accounts.create_account(
                username=username,
                password=data.password,
                role=data.role,
                full_name=data.full_name,
                team_id=team_id,
                region_code=(data.region_code or "").strip() or None,
                actor_id=user.id,
                actor_name=user.username,
                officer=officers.OfficerFields(
                    data.nrp or "", data.rank or "", data.polres or "", data.village_code or ""
                ),
            )
        except accounts.AccountError as exc:
            names = {"team": "team_code", "region": "region_code", "village": "village_code"}
            raise Invalid({names.get(k, k): v for k, v in exc.errors.items()}) from None
        row = await accounts.account_by_id(account_id)
        assert row is not None
        profile = await officers.profile_of(account_id) or {}
        return s.UserOut(
            id=account_id,
            username=row["username"],
            full_name=row["full_name"],
            role=row["role"],
            team_code=team_code if team_id else None,
            region_code=row["region_code"],
            is_active=row["is_active"],
            nrp=profile.get("nrp"),
            rank=profile.get("rank"),
            polres=profile.get("polres"),
            village_code=profile.get("village_code"),
        )
