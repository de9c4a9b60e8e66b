"""The starting activity catalogue of PRODUCT.md: Polri Binmas vocabulary, grouped by Senkom's clusters."""

from __future__ import annotations

from typing import NamedTuple


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
