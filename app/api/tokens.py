"""API tokens: a username and password exchanged for a bearer token, and its revocation."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from app.accounts import services as accounts
from app.accounts.auth import CurrentUser, public, signed_in
from app.api import schemas as s
from app.api.common import (
    BEARER,
    iso,
    responses,
)
from app.ratelimit import Limiter
from app.settings import Settings


class TokenController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/token",
        guards=[public],
        status_code=HTTP_200_OK,
        operation_id="createToken",
        summary="Exchange a username and password for an API token",
        responses=responses(401, 429),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.TokenIn],
        settings: NamedDependency[Settings],
        login_limiter: NamedDependency[Limiter],
    ) -> s.TokenOut:
        session = await accounts.sign_in(
            data.username,
            data.password,
            client=request.client.host if request.client else "?",
            limiter=login_limiter,
            kind="api",
            days=settings.session_days,
        )
        return s.TokenOut(
            token=session.token, role=session.account["role"], expires_at=iso(session.expires_at) or ""
        )

    @delete(
        "/token",
        guards=[signed_in],
        status_code=HTTP_204_NO_CONTENT,
        operation_id="revokeToken",
        summary="Revoke the token this request carries",
        security=BEARER,
        responses=responses(401),
    )
    async def revoke_token(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> None:
        authorization = request.headers.get("authorization", "")
        await accounts.close_session(authorization[7:].strip())
