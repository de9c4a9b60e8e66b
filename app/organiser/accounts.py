"""Accounts in bulk: import from CSV or XLSX (validated row by row, written all at once or not at all),
password reset by an organiser (the account's sessions end), and export."""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from app import i18n, regions, spreadsheet
from app.accounts import officers
from app.accounts.events import OfficerAccountCreated
from app.accounts.services import MIN_PASSWORD, USERNAME_RE
from app.audit import services as audit
from app.db import write_transaction
from app.errors import Conflict
from app.events import emit
from app.security import hash_password
from app.tables import Account, AuthSession, Team

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024

# Accepted column headings (Indonesian or English) and the field each one fills.
HEADINGS = {
    "username": "username",
    "nama_pengguna": "username",
    "nama": "full_name",
    "nama_lengkap": "full_name",
    "full_name": "full_name",
    "name": "full_name",
    "peran": "role",
    "role": "role",
    "tim": "team",
    "team": "team",
    "kabupaten": "team",
    "kabupaten_kota": "team",
    "regency": "team",
    "wilayah": "region",
    "region": "region",
    "kata_sandi": "password",
    "password": "password",
    # Officers (role petugas) only.
    "nrp": "nrp",
    "pangkat": "rank",
    "rank": "rank",
    "polres": "polres",
    "desa": "village",
    "desa_kelurahan": "village",
    "kode_desa": "village",
    "village": "village",
}
ROLE_WORDS = {
    "organiser": "organiser",
    "organizer": "organiser",
    "panitia": "organiser",
    "judge": "judge",
    "juri": "judge",
    "participant": "participant",
    "peserta": "participant",
    **officers.ROLE_ALIASES,
}
FIELDS = ("username", "full_name", "role", "team", "region", "password", "nrp", "rank", "polres", "village")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong format, no heading, too large)."""


@dataclass
class ImportRow:
    line: int
    username: str = ""
    full_name: str = ""
    role: str = ""
    team: str = ""
    region: str = ""
    password: str = ""
    nrp: str = ""
    rank: str = ""
    polres: str = ""
    village: str = ""
    team_id: int | None = None
    team_name: str = ""
    region_code: str | None = None
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """What the confirmation form carries (re-validated when it comes back)."""
        return {k: getattr(self, k) for k in ("line", *FIELDS)}


def _heading(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_").replace("/", "_").replace("-", "_")


def read_table(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV (comma or semicolon) or XLSX file as (line number, field → text)."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(i18n._("The file is larger than 2 MB."))
    name = filename.lower()
    raw: list[list[Any]]
    if name.endswith(".xlsx"):
        import zipfile

        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise ImportFileError(i18n._("The file is not a valid XLSX workbook.")) from None
        sheet = workbook.worksheets[0]
        raw = [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
        workbook.close()
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        raw = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise ImportFileError(i18n._("Upload a .csv or .xlsx file."))
    if not raw:
        raise ImportFileError(i18n._("The file is empty."))
    columns = [HEADINGS.get(_heading(h)) for h in raw[0]]
    if "username" not in columns:
        raise ImportFileError(
            i18n._("The first row must name the columns: username, nama, peran, tim, wilayah, kata_sandi.")
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(raw[1:], start=2):
        if not any(str(v or "").strip() for v in values):
            continue
        record: dict[str, str] = {}
        for column, value in zip(columns, values, strict=False):
            if column and column not in record:
                text_value = "" if value is None else str(value).strip()
                if isinstance(value, float) and value.is_integer():
                    text_value = str(int(value))
                record[column] = text_value[:200]
        rows.append((number, record))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(i18n._("At most %(n)s accounts per file.") % {"n": MAX_ROWS})
    return rows


async def validate_rows(
    competition_id: int | None, records: list[tuple[int, dict[str, str]]]
) -> list[ImportRow]:
    """Every row checked against the file and the database; each problem becomes a message on its row."""
    teams = await Team.select(Team.id, Team.code, Team.name).where(Team.competition == competition_id)
    by_code = {t["code"]: t for t in teams}
    by_name = {t["name"].strip().lower(): t for t in teams}
    regencies_by_name = {r.name.strip().lower(): r.code for r in regions.regencies()}
    usernames = [r.get("username", "").strip().lower() for _, r in records]
    taken = {
        row["username"]
        for row in await Account.select(Account.username).where(
            Account.username.is_in([u for u in usernames if u] or [""])
        )
    }
    seen: dict[str, int] = {}
    nrps: dict[str, int] = {}
    result: list[ImportRow] = []
    for line, record in records:
        row = ImportRow(line=line, **{k: record.get(k, "") for k in FIELDS})
        row.username = row.username.lower()
        if not row.username:
            row.errors.append(i18n._("The username is missing."))
        elif not USERNAME_RE.match(row.username):
            row.errors.append(
                i18n._("Username: 3–64 characters, lowercase letters, digits, dot, dash or underscore.")
            )
        elif row.username in taken:
            row.errors.append(i18n._("The username %(name)s is already taken.") % {"name": row.username})
        elif row.username in seen:
            row.errors.append(
                i18n._("The username %(name)s is already used on row %(line)s.")
                % {"name": row.username, "line": seen[row.username]}
            )
        if row.username and row.username not in seen:
            seen[row.username] = line
        role_word = row.role.strip().lower()
        if not role_word:
            row.errors.append(i18n._("The role is missing (panitia, juri, peserta or petugas)."))
        elif role_word not in ROLE_WORDS:
            row.errors.append(
                i18n._("Unknown role %(role)s: use panitia, juri, peserta or petugas.") % {"role": row.role}
            )
        else:
            row.role = ROLE_WORDS[role_word]
        if row.team:
            team = by_code.get(row.team) or by_name.get(row.team.lower())
            if team is None:
                row.errors.append(i18n._("Unknown regency or team: %(team)s.") % {"team": row.team})
            else:
                row.team_id, row.team_name, row.team = team["id"], team["name"], team["code"]
        elif row.role == "participant":
            row.errors.append(i18n._("A participant must belong to a team (column tim)."))
        if row.region:
            code = row.region if regions.regency(row.region) else regencies_by_name.get(row.region.lower())
            if code is None:
                row.errors.append(i18n._("Unknown regency: %(region)s.") % {"region": row.region})
            else:
                row.region_code = code
        if row.role == officers.ROLE:
            fields = officers.OfficerFields(row.nrp, row.rank, row.polres, row.village).cleaned()
            row.nrp, row.rank, row.polres, row.village = (
                fields.nrp,
                fields.rank,
                fields.polres,
                fields.village_code,
            )
            row.errors += list((await officers.validate(fields)).values())
            if fields.nrp and fields.nrp in nrps:
                row.errors.append(
                    i18n._("The NRP %(nrp)s is already used on row %(line)s.")
                    % {"nrp": fields.nrp, "line": nrps[fields.nrp]}
                )
            nrps.setdefault(fields.nrp, line)
        if row.password and len(row.password) < MIN_PASSWORD:
            row.errors.append(
                i18n._("The password must be at least %(n)s characters long.") % {"n": MIN_PASSWORD}
            )
        result.append(row)
    return result


def new_password() -> str:
    return secrets.token_urlsafe(9)


async def write_rows(rows: list[ImportRow], *, actor_id: int, actor_name: str) -> list[tuple[ImportRow, str]]:
    """Creates every account in one transaction (nothing, Conflict, if a username was taken meanwhile);
    returns the rows with the passwords generated for rows that had none (shown once to the organiser)."""
    prepared: list[tuple[ImportRow, str, str]] = []
    for row in rows:
        password = row.password or new_password()
        prepared.append((row, password, await hash_password(password)))
    async with write_transaction(lock="accounts"):
        names = [row.username for row, _, _ in prepared]
        if await Account.exists().where(Account.username.is_in(names or [""])):
            raise Conflict(
                i18n._("A username was taken meanwhile; nothing was written. Upload the file again.")
            )
        for row, _, password_hash in prepared:
            account = Account(
                username=row.username,
                password_hash=password_hash,
                full_name=row.full_name,
                role=row.role,
                team=row.team_id,
                region_code=row.region_code,
            )
            await account.save()
            after: dict[str, Any] = {
                "username": row.username,
                "role": row.role,
                "team": row.team_id,
                "region_code": row.region_code,
                "source": "import",
            }
            if row.role == officers.ROLE:
                if await officers.has_account(row.nrp):
                    raise ValueError("taken")
                await officers.save_profile(
                    int(account.id), officers.OfficerFields(row.nrp, row.rank, row.polres, row.village)
                )
                await emit(OfficerAccountCreated(int(account.id), row.nrp))
                after.update({"nrp": row.nrp, "rank": row.rank, "polres": row.polres})
            await audit.record(
                actor_id=actor_id,
                actor_name=actor_name,
                action="account.create",
                object_type="account",
                object_id=account.id,
                after=after,
            )
    return [(row, "" if row.password else password) for row, password, _ in prepared]


def rows_payload(rows: list[ImportRow]) -> str:
    return json.dumps([r.public() for r in rows], ensure_ascii=False)


def rows_from_payload(payload: str) -> list[tuple[int, dict[str, str]]] | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, list) or len(data) > MAX_ROWS:
        return None
    out: list[tuple[int, dict[str, str]]] = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("line"), int):
            return None
        out.append((item["line"], {k: str(item.get(k) or "")[:200] for k in FIELDS}))
    return out


async def reset_password(account_id: int, password: str, *, actor_id: int, actor_name: str) -> dict[str, str]:
    """Sets a new password chosen by an organiser and ends every session of the account."""
    if len(password) < MIN_PASSWORD:
        return {
            "password": i18n._("The password must be at least %(n)s characters long.") % {"n": MIN_PASSWORD}
        }
    password_hash = await hash_password(password)
    async with write_transaction(lock="accounts"):
        row = await Account.select(Account.username).where(Account.id == account_id).first()
        if row is None:
            return {"account": i18n._("Unknown account.")}
        await Account.update({Account.password_hash: password_hash}).where(Account.id == account_id)
        ended = await AuthSession.count().where(AuthSession.account == account_id)
        await AuthSession.delete().where(AuthSession.account == account_id)
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="account.password_reset",
            object_type="account",
            object_id=account_id,
            after={"username": row["username"], "sessions_ended": ended},
        )
    return {}


EXPORT_HEADINGS = ("username", "nama", "peran", "tim", "nama_tim", "wilayah", "aktif")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def export_rows() -> list[list[str]]:
    """Every account as the export lists it (the import's columns, no password), by role and username."""
    rows = await (
        Account.select(
            Account.username,
            Account.full_name,
            Account.role,
            Account.team.code,
            Account.team.name,
            Account.region_code,
            Account.is_active,
        )
        .order_by(Account.role)
        .order_by(Account.username)
    )
    return [
        [
            r["username"],
            r["full_name"],
            r["role"],
            r["team.code"] or "",
            r["team.name"] or "",
            r["region_code"] or "",
            "ya" if r["is_active"] else "tidak",
        ]
        for r in rows
    ]


async def export_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADINGS)
    for row in await export_rows():
        # No spreadsheet formulas from data (app.spreadsheet, shared by every export).
        writer.writerow(spreadsheet.csv_row(row))
    return out.getvalue()


async def export_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=i18n._("Accounts")[:31])
    sheet.append(list(EXPORT_HEADINGS))
    for row in await export_rows():
        sheet.append(spreadsheet.xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
