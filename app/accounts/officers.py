"""Officer accounts (role "officer", "Petugas"): the Bhabinkamtibmas / Polisi RW officers who confirm the
activities that name them. What makes an account an officer is its profile: NRP (unique, the key an
activity's named officer is matched by), rank, Polres and the desa/kelurahan of duty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app import regions
from app.i18n import _
from app.tables import OfficerProfile

ROLE = "officer"
# The words for the role that the import, the API and the console accept.
ROLE_ALIASES = {"officer": ROLE, "petugas": ROLE}
NRP_RE = re.compile(r"^\d{8,18}$")
# Polri's ranks, lowest first (the ones a Bhabinkamtibmas or Polisi RW officer may hold, and their chiefs).
RANKS = (
    "Bharada",
    "Bharatu",
    "Bharaka",
    "Bripda",
    "Briptu",
    "Brigpol",
    "Bripka",
    "Aipda",
    "Aiptu",
    "Ipda",
    "Iptu",
    "AKP",
    "Kompol",
    "AKBP",
    "Kombes Pol",
)


def role_of(word: str) -> str:
    """The internal role for a word of the API, the import or the console ("petugas" -> "officer")."""
    value = word.strip().lower()
    return ROLE_ALIASES.get(value, value)


@dataclass(slots=True)
class OfficerFields:
    nrp: str = ""
    rank: str = ""
    polres: str = ""
    village_code: str = ""

    def cleaned(self) -> OfficerFields:
        rank = next((r for r in RANKS if r.lower() == self.rank.strip().lower()), self.rank.strip())
        polres = self.polres.strip()
        polres = next((p.name for p in regions.polres_list() if p.name.lower() == polres.lower()), polres)
        return OfficerFields(
            nrp=re.sub(r"\s+", "", self.nrp), rank=rank, polres=polres, village_code=self.village_code.strip()
        )


async def validate(fields: OfficerFields, *, account_id: int | None = None) -> dict[str, str]:
    """Errors per field (nrp, rank, polres, village) of an officer's profile; none when it may be saved."""
    errors: dict[str, str] = {}
    if not NRP_RE.match(fields.nrp):
        errors["nrp"] = _("An NRP has 8 to 18 digits.")
    else:
        taken = OfficerProfile.nrp == fields.nrp
        if account_id is not None:
            taken &= OfficerProfile.account != account_id
        if await OfficerProfile.exists().where(taken):
            errors["nrp"] = _("An officer account with this NRP already exists.")
    if fields.rank not in RANKS:
        errors["rank"] = _("Choose the officer's rank from the list.")
    if fields.polres not in {p.name for p in regions.polres_list()}:
        errors["polres"] = _("Choose the officer's Polres from the list.")
    if regions.village(fields.village_code) is None:
        errors["village"] = _("Choose the desa/kelurahan of duty.")
    return errors


async def save_profile(account_id: int, fields: OfficerFields) -> None:
    """Inside the caller's write transaction, after `validate`."""
    await OfficerProfile(
        account=account_id,
        nrp=fields.nrp,
        rank=fields.rank,
        polres=fields.polres,
        village_code=fields.village_code,
    ).save()


async def profile_of(account_id: int) -> dict[str, Any] | None:
    return await OfficerProfile.select().where(OfficerProfile.account == account_id).first()


async def account_for_nrp(nrp: str) -> dict[str, Any] | None:
    """The active officer account whose profile carries this NRP, with its name and rank."""
    if not NRP_RE.match(nrp or ""):
        return None
    row = await (
        OfficerProfile.select(
            OfficerProfile.account.id.as_alias("id"),
            OfficerProfile.account.full_name.as_alias("full_name"),
            OfficerProfile.account.username.as_alias("username"),
            OfficerProfile.account.is_active.as_alias("is_active"),
            OfficerProfile.nrp,
            OfficerProfile.rank,
            OfficerProfile.polres,
        )
        .where(OfficerProfile.nrp == nrp)
        .first()
    )
    if row is None or not row["is_active"]:
        return None
    return row


async def profiles_of(account_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not account_ids:
        return {}
    rows = await OfficerProfile.select().where(OfficerProfile.account.is_in(account_ids))
    return {r["account"]: r for r in rows}


async def has_account(nrp: str) -> bool:
    return await OfficerProfile.exists().where(OfficerProfile.nrp == nrp)
