"""The starting activity catalogue of PRODUCT.md: Polri Binmas vocabulary, grouped by Senkom's clusters."""

from __future__ import annotations

import re
from typing import NamedTuple

from app import i18n
from app.tables import CLUSTERS


class CatalogueEntry(NamedTuple):
    code: str
    name: str
    name_en: str
    cluster: str


DEFAULT_CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "DDS", "Sambang / kunjungan dari rumah ke rumah (DDS)", "Door-to-door visits (DDS)", "kamtibmas"
    ),
    CatalogueEntry("DETEKSI_DINI", "Laporan deteksi dini", "Early-detection report", "kamtibmas"),
    CatalogueEntry(
        "PROBLEM_SOLVING",
        "Problem solving (mediasi perselisihan warga)",
        "Mediation of a local dispute",
        "kamtibmas",
    ),
    CatalogueEntry("BINLUH", "Pembinaan dan penyuluhan", "Guidance and outreach", "kamtibmas"),
    CatalogueEntry(
        "FKPM",
        "Forum Kemitraan Polisi dan Masyarakat (FKPM)",
        "Police–community partnership forum",
        "kamtibmas",
    ),
    CatalogueEntry(
        "SISKAMLING",
        "Siskamling (pos kamling dan jadwal ronda)",
        "Neighbourhood watch (pos kamling, ronda)",
        "kamtibmas",
    ),
    CatalogueEntry(
        "PENGAMANAN",
        "Pengamanan kegiatan masyarakat / TPS",
        "Securing a community event or polling station",
        "kamtibmas",
    ),
    CatalogueEntry(
        "BENCANA", "Kesiapsiagaan dan tanggap bencana", "Disaster preparedness and response", "bencana"
    ),
    CatalogueEntry(
        "BELA_NEGARA", "Pendidikan bela negara", "Civic and national-defence education", "bela_negara"
    ),
)


TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


def validate_activity_type(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """A new activity type as typed (code, name, name_en, cluster), cleaned, and a message per invalid
    field: the console's form and the API check it here alike (the code is taken in capitals)."""
    cleaned = {k: str(values.get(k) or "").strip()[:200] for k in ("code", "name", "name_en", "cluster")}
    cleaned["code"] = cleaned["code"].upper()
    cleaned["name_en"] = cleaned["name_en"] or cleaned["name"]
    errors: dict[str, str] = {}
    if not TYPE_CODE.match(cleaned["code"]):
        errors["code"] = i18n._("2–32 characters: capital letters, digits and underscores, e.g. RONDA_MALAM.")
    if not cleaned["name"]:
        errors["name"] = i18n._("This field is required.")
    if cleaned["cluster"] not in CLUSTERS:
        errors["cluster"] = i18n._("Choose a cluster: kamtibmas, bencana or bela_negara.")
    return cleaned, errors
