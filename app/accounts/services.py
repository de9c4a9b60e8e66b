"""Accounts: creating them, signing in and out, disabling them (which ends their sessions at once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import regions
from app.accounts import officers
from app.accounts.events import AccountDisabled, OfficerAccountCreated
from app.audit import services as audit
from app.db import is_postgres, write_transaction
from app.errors import Conflict, Invalid, NotFound, NotSignedIn, TooManyAttempts
from app.events import emit
from app.i18n import _
from app.ratelimit import Limiter
from app.security import hash_password, new_token, token_digest, verify_password
from app.tables import ROLES, Account, AuthSession, Team

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def validate_new_account(
    *, username: str, password: str, role: str, team_id: int | None, region_code: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = _(
            "Username: 3–64 characters, lowercase letters, digits, dot, dash or underscore."
        )
    if len(password) < MIN_PASSWORD:
        errors["password"] = _("The password must be at least %(n)s characters long.") % {"n": MIN_PASSWORD}
    if role not in ROLES:
        errors["role"] = _("Choose a role: organiser, judge, participant or officer.")
    if role == "participant" and team_id is None:
        errors["team"] = _("A participant must belong to a team.")
    if region_code and regions.regency(region_code) is None:
        errors["region"] = _("Unknown regency/city code.")
    return errors


async def create_account(
    *,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    team_id: int | None = None,
    region_code: str | None = None,
    actor_id: int | None = None,
    actor_name: str = "system",
    officer: officers.OfficerFields | None = None,
) -> int:
    """A new account; an officer's (role "officer", alias "petugas") needs `officer`: NRP, rank, Polres and
    desa of duty, saved with it in one transaction."""
    username = username.strip().lower()
    role = officers.role_of(role)
    errors = await validate_new_account(
        username=username, password=password, role=role, team_id=team_id, region_code=region_code
    )
    if role == officers.ROLE:
        officer = (officer or officers.OfficerFields()).cleaned()
        errors.update(await officers.validate(officer))
    if errors:
        raise AccountError(errors)
    if await Account.exists().where(Account.username == username):
        raise Conflict(
            _("That username is already taken."), fields={"username": _("That username is already taken.")}
        )
    password_hash = await hash_password(password)
    async with write_transaction(lock="accounts"):
        return await insert_account(
            username=username,
            password_hash=password_hash,
            role=role,
            full_name=full_name,
            team_id=team_id,
            region_code=region_code,
            actor_id=actor_id,
            actor_name=actor_name,
            officer=officer,
        )


async def insert_account(
    *,
    username: str,
    password_hash: str,
    role: str,
    full_name: str = "",
    team_id: int | None = None,
    region_code: str | None = None,
    actor_id: int | None = None,
    actor_name: str = "system",
    officer: officers.OfficerFields | None = None,
) -> int:
    """Inside the caller's write transaction, after validation: the account (and an officer's profile),
    audited. Conflict if the username was taken meanwhile, AccountError if the NRP was."""
    if await Account.exists().where(Account.username == username):
        raise Conflict(
            _("That username is already taken."), fields={"username": _("That username is already taken.")}
        )
    account = Account(
        username=username,
        password_hash=password_hash,
        full_name=full_name.strip(),
        role=role,
        team=team_id,
        region_code=region_code or None,
    )
    await account.save()
    after: dict[str, Any] = {"username": username, "role": role, "team": team_id, "region_code": region_code}
    if role == officers.ROLE and officer is not None:
        if await officers.has_account(officer.nrp):
            raise AccountError({"nrp": _("An officer account with this NRP already exists.")})
        await officers.save_profile(int(account.id), officer)
        after.update({"nrp": officer.nrp, "rank": officer.rank, "polres": officer.polres})
        await emit(OfficerAccountCreated(int(account.id), officer.nrp))
    await audit.record(
        actor_id=actor_id,
        actor_name=actor_name,
        action="account.create",
        object_type="account",
        object_id=account.id,
        after=after,
    )
    return int(account.id)


MAX_USERNAME = 64
MAX_PASSWORD = 256


def normalise_username(value: str) -> str:
    return value.strip().lower()[:MAX_USERNAME]


@dataclass(frozen=True, slots=True)
class SignedIn:
    account: dict[str, Any]
    token: str
    expires_at: datetime


async def sign_in(
    username: str, password: str, *, client: str, limiter: Limiter, kind: str, days: int
) -> SignedIn:
    """The one way in, for the sign-in page (`kind="web"`) and the API's token (`kind="api"`) alike.

    The attempt is counted before any password is checked, per client address and username, so that
    concurrent guesses can never be checked more often than the limit allows; an attempt beyond the
    limit is refused (`TooManyAttempts`), even with the right password, until the window has passed.
    A success clears the count. Unknown usernames are counted and answered like wrong passwords."""
    username = normalise_username(username)
    password = password[:MAX_PASSWORD]
    given = {"username": username, "password": password}
    missing = {field: _("This field is required.") for field, value in given.items() if not value}
    if missing:
        raise Invalid(missing, _("Fill in your username and password."))
    key = f"{client}:{username}"
    if not await limiter.attempt(key):
        raise TooManyAttempts(_("Too many failed attempts. Please wait a few minutes and try again."))
    row = await Account.select().where(Account.username == username).first()
    ok = await verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["is_active"]:
        raise NotSignedIn(_("Wrong username or password, or the account is disabled."))
    await limiter.reset(key)
    token, expires_at = await open_session(row["id"], kind, days)
    return SignedIn(row, token, expires_at)


async def open_session(account_id: int, kind: str, days: int) -> tuple[str, datetime]:
    token = new_token()
    expires_at = datetime.now(UTC) + timedelta(days=days)
    await AuthSession.insert(
        AuthSession(token_hash=token_digest(token), account=account_id, kind=kind, expires_at=expires_at)
    )
    return token, expires_at


async def close_session(token: str) -> None:
    await AuthSession.delete().where(AuthSession.token_hash == token_digest(token))


async def set_active(account_id: int, active: bool, *, actor_id: int, actor_name: str) -> None:
    """Enables or disables an account. Disabling ends every session of it at once, the web's and the API
    tokens alike, and hands a judge's open assignments over (AccountDisabled). Nobody disables themself."""
    if account_id == actor_id and not active:
        raise Conflict(_("You cannot disable your own account."))
    async with write_transaction(lock="accounts"):
        row = (
            await Account.select(Account.is_active, Account.username).where(Account.id == account_id).first()
        )
        if row is None:
            raise NotFound(_("Account not found."))
        await Account.update({Account.is_active: active}).where(Account.id == account_id)
        if not active:
            await AuthSession.delete().where(AuthSession.account == account_id)
            await emit(AccountDisabled(account_id, actor_id, actor_name))
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="account.enable" if active else "account.disable",
            object_type="account",
            object_id=account_id,
            before={"is_active": row["is_active"]},
            after={"is_active": active},
        )


async def list_accounts(offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    rows = await (
        Account.select(
            Account.id,
            Account.username,
            Account.full_name,
            Account.role,
            Account.region_code,
            Account.is_active,
            Account.team.code,
            Account.team.name,
        )
        .order_by(Account.role)
        .order_by(Account.username)
        .offset(offset)
        .limit(limit)
    )
    total = await Account.count()
    return rows, total


ACCOUNT_COLUMNS = (
    Account.id,
    Account.username,
    Account.full_name,
    Account.role,
    Account.region_code,
    Account.is_active,
    Account.team.code,
    Account.team.name,
)


async def accounts_after(
    *,
    after_id: int,
    limit: int,
    role: str | None = None,
    active: bool | None = None,
    team_code: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """Accounts by id after `after_id` (cursor pages), filtered; one more row than `limit` tells that another
    page follows. `search` matches the username or the full name, case-insensitively."""
    where = Account.id > after_id
    if role:
        where &= Account.role == role
    if active is not None:
        where &= Account.is_active == active
    if team_code:
        where &= Account.team.code == team_code
    if search:
        # "%" would match anything: dropped; "_" (any one character) only widens the match a little.
        pattern = "%" + search.lower().replace("\\", "").replace("%", "") + "%"
        # LIKE ignores the case of ASCII letters on SQLite; PostgreSQL needs ILIKE for that.
        if is_postgres():
            where &= Account.username.ilike(pattern) | Account.full_name.ilike(pattern)
        else:
            where &= Account.username.like(pattern) | Account.full_name.like(pattern)
    return await Account.select(*ACCOUNT_COLUMNS).where(where).order_by(Account.id).limit(limit + 1)


async def account_row(account_id: int) -> dict[str, Any] | None:
    """One account in the shape of the lists (`ACCOUNT_COLUMNS`)."""
    return await Account.select(*ACCOUNT_COLUMNS).where(Account.id == account_id).first()


async def account_by_id(account_id: int) -> dict[str, Any] | None:
    return await Account.select().where(Account.id == account_id).first()


async def team_id_for(competition_id: int, code: str) -> int | None:
    row = await Team.select(Team.id).where((Team.competition == competition_id) & (Team.code == code)).first()
    return row["id"] if row else None


async def set_locale(account_id: int, locale: str) -> None:
    await Account.update({Account.locale: locale}).where(Account.id == account_id)
