"""Accounts through the API, for organisers: list, create, disable/enable, import (with a dry run) and
export. Thin doors over the services of the console's pages (app.accounts.services; the import and export
of app.organiser.accounts), with their refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, MultipartBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app import i18n
from app.accounts import officers
from app.accounts import services as accounts
from app.accounts.auth import CurrentUser, organiser_only
from app.api import schemas as s
from app.api.common import (
    BEARER,
    Cursor,
    Invalid,
    Limit,
    decode_cursor,
    page_of,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.errors import Invalid as InvalidInput
from app.errors import NotFound
from app.inputs import MAX_ID
from app.organiser import accounts as bulk

AccountId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
NO_STORE = {"Cache-Control": "no-store"}


class PasswordIn(msgspec.Struct):
    """The new password an organiser chose (at least 8 characters)."""

    password: Annotated[str, msgspec.Meta(max_length=256)]


class UserPage(msgspec.Struct):
    items: list[s.UserOut]
    next_cursor: str | None


class ImportRowOut(msgspec.Struct):
    """One row of the file as read and checked; `problems` empty when it can be imported. `password`: the
    password generated for a row that had none, given once when the accounts are written."""

    line: int
    username: str
    full_name: str
    role: str
    team_code: str
    region_code: str | None
    problems: list[str]
    password: str | None = None


class ImportReport(msgspec.Struct):
    """`valid`: every row can be imported; `created`: accounts written (0 on a dry run or a refusal)."""

    dry_run: bool
    valid: bool
    created: int
    rows: list[ImportRowOut]


@dataclass
class ImportUpload:
    file: UploadFile


def _user_out(row: dict[str, Any]) -> s.UserOut:
    return s.UserOut(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        team_code=row["team.code"],
        region_code=row["region_code"],
        is_active=row["is_active"],
    )


def _row_out(row: bulk.ImportRow, password: str | None = None) -> ImportRowOut:
    return ImportRowOut(
        line=row.line,
        username=row.username,
        full_name=row.full_name,
        role=row.role,
        team_code=row.team,
        region_code=row.region_code,
        problems=list(row.errors),
        password=password or None,
    )


class UserController(Controller):
    path = "/users"
    tags = ["users"]
    guards = [organiser_only]

    @get(
        "/",
        operation_id="listUsers",
        summary="Accounts by id (filter by role, active, team code or a part of the username or name)",
        security=BEARER,
        responses=responses(401, 403),
    )
    async def list_users(
        self,
        role: Annotated[Literal["organiser", "judge", "participant"] | None, QueryParameter()] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
        team: Annotated[str | None, QueryParameter(max_length=16, description="Team code")] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=64, description="Part of the username or name")
        ] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> UserPage:
        size = limit or 50
        rows = await accounts.accounts_after(
            after_id=decode_cursor(cursor),
            limit=size,
            role=role,
            active=active,
            team_code=(team or "").strip() or None,
            search=(q or "").strip() or None,
        )
        rows, next_cursor = page_of(rows, size)
        return UserPage(items=[_user_out(r) for r in rows], next_cursor=next_cursor)

    @post(
        "/",
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
        try:
            # A taken username is the service's Conflict (409), as on the console's page.
            account_id = await accounts.create_account(
                username=data.username,
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
        row = await accounts.account_row(account_id)
        assert row is not None
        profile = await officers.profile_of(account_id)
        if profile is None:
            return _user_out(row)
        return msgspec.structs.replace(
            _user_out(row),
            nrp=profile["nrp"],
            rank=profile["rank"],
            polres=profile["polres"],
            village_code=profile["village_code"],
        )

    async def _set_active(self, account_id: int, active: bool, user: CurrentUser) -> s.UserOut:
        await accounts.set_active(account_id, active, actor_id=user.id, actor_name=user.username)
        row = await accounts.account_row(account_id)
        assert row is not None
        return _user_out(row)

    @post(
        "/{account_id:int}/disable",
        status_code=HTTP_200_OK,
        operation_id="disableUser",
        summary="Disable an account: its sessions and API tokens end at once, a judge's open work moves",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def disable(self, account_id: AccountId, user: NamedDependency[CurrentUser]) -> s.UserOut:
        return await self._set_active(account_id, False, user)

    @post(
        "/{account_id:int}/enable",
        status_code=HTTP_200_OK,
        operation_id="enableUser",
        summary="Enable an account again",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def enable(self, account_id: AccountId, user: NamedDependency[CurrentUser]) -> s.UserOut:
        return await self._set_active(account_id, True, user)

    @post(
        "/{account_id:int}/password",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="setUserPassword",
        summary="Set a new password for an account (as /panitia/akun/{id}/sandi): its sessions and API "
        "tokens end",
        security=BEARER,
        responses=responses(401, 403, 404),
    )
    async def set_password(
        self, account_id: AccountId, data: JSONBody[PasswordIn], user: NamedDependency[CurrentUser]
    ) -> None:
        errors = await bulk.reset_password(
            account_id, data.password, actor_id=user.id, actor_name=user.username
        )
        if "account" in errors:
            raise NotFound(errors["account"])
        if errors:
            raise InvalidInput(errors)

    @post(
        "/import",
        status_code=HTTP_200_OK,
        operation_id="importUsers",
        summary="Import accounts from a CSV or XLSX file (the console's columns), all or nothing; "
        "dry_run=true only checks and returns each row's problems",
        security=BEARER,
        request_max_body_size=bulk.MAX_BYTES + 64 * 1024,
        responses={
            201: ResponseSpec(
                data_container=ImportReport,
                description="Written: every account, with the passwords generated for rows without one.",
                generate_examples=False,
            ),
            **responses(401, 403, 409, 413),
        },
    )
    async def import_users(
        self,
        data: MultipartBody[ImportUpload],
        user: NamedDependency[CurrentUser],
        dry_run: Annotated[bool, QueryParameter(description="Only check the rows; write nothing.")] = False,
    ) -> Response[ImportReport]:
        upload = data.file
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid({"file": i18n._("Choose a CSV or XLSX file.")})
        try:
            records = bulk.read_table(upload.filename, await upload.read(bulk.MAX_BYTES + 1))
        except bulk.ImportFileError as exc:
            raise Invalid({"file": str(exc)}) from None
        if not records:
            raise Invalid({"file": i18n._("The file has no accounts.")})
        competition = await competitions.current_competition()
        rows = await bulk.validate_rows(competition.id if competition else None, records)
        valid = not any(r.errors for r in rows)
        if dry_run:
            report = ImportReport(dry_run=True, valid=valid, created=0, rows=[_row_out(r) for r in rows])
            return Response(report, status_code=HTTP_200_OK, headers=NO_STORE)
        if not valid:
            raise Invalid(
                [(f"line.{r.line}", problem) for r in rows for problem in r.errors]
                or [("file", i18n._("The file has no accounts."))]
            )
        # A username taken meanwhile: the service's Conflict (409), nothing written.
        created = await bulk.write_rows(rows, actor_id=user.id, actor_name=user.username)
        report = ImportReport(
            dry_run=False,
            valid=True,
            created=len(created),
            rows=[_row_out(row, password) for row, password in created],
        )
        return Response(report, status_code=HTTP_201_CREATED, headers=NO_STORE)

    @get(
        "/export.csv",
        operation_id="exportUsersCsv",
        summary="Every account as CSV (the import's columns, no password), as the console's export",
        media_type="text/csv; charset=utf-8",
        content_media_type="text/csv",
        security=BEARER,
        responses=responses(401, 403),
    )
    async def export_csv(self) -> Response[str]:
        return Response(
            await bulk.export_csv(),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/* itself
            headers={"Content-Disposition": 'attachment; filename="akun-sinergi.csv"'},
        )

    @get(
        "/export.xlsx",
        operation_id="exportUsersXlsx",
        summary="Every account as an XLSX workbook (the import's columns, no password)",
        media_type=bulk.XLSX,
        content_media_type=bulk.XLSX,
        security=BEARER,
        responses=responses(401, 403),
    )
    async def export_xlsx(self) -> Response[bytes]:
        return Response(
            await bulk.export_xlsx(),
            media_type=bulk.XLSX,
            headers={"Content-Disposition": 'attachment; filename="akun-sinergi.xlsx"'},
        )
