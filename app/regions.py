"""Administrative regions of Jawa Timur (province 35) and the Polres units of Polda Jawa Timur.

Data: ``app/data/*.csv``, derived from idn-area-data 4.0.1 (ODbL 1.0) by ``app/data/build_regions.py``;
see ``app/data/README.md``. Codes are Kemendagri dotted codes: regency ``35.78``, kecamatan
``35.78.01``, desa/kelurahan ``35.78.01.1001``. Everything is loaded lazily, once, and is read-only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import NamedTuple

__all__ = [
    "District",
    "Polres",
    "Regency",
    "Village",
    "district",
    "districts_of",
    "polres_list",
    "regencies",
    "regency",
    "regency_is_kota",
    "village",
    "village_count",
    "villages_by_district",
    "villages_of",
]


class Regency(NamedTuple):
    code: str
    name: str


class District(NamedTuple):
    code: str
    regency_code: str
    name: str


class Village(NamedTuple):
    code: str
    district_code: str
    regency_code: str
    name: str


class Polres(NamedTuple):
    name: str
    main_regency_code: str


class _Tables(NamedTuple):
    regencies: dict[str, Regency]
    districts: dict[str, District]
    villages: dict[str, Village]
    districts_by_regency: dict[str, list[District]]
    villages_by_district: dict[str, list[Village]]
    village_counts: dict[str, int]


def _rows(filename: str) -> Iterator[dict[str, str]]:
    text = (resources.files("app") / "data" / filename).read_text(encoding="utf-8")
    yield from csv.DictReader(io.StringIO(text, newline=""))


def _by_name(item: District | Village) -> tuple[str, str]:
    return (item.name.casefold(), item.code)


@cache
def _tables() -> _Tables:
    regs = {r["code"]: Regency(r["code"], r["name"]) for r in _rows("regencies.csv")}
    dists = {d["code"]: District(d["code"], d["regency_code"], d["name"]) for d in _rows("districts.csv")}
    vills: dict[str, Village] = {}
    for row in _rows("villages.csv"):
        parent = dists[row["district_code"]]
        vills[row["code"]] = Village(row["code"], parent.code, parent.regency_code, row["name"])

    by_regency: dict[str, list[District]] = {code: [] for code in regs}
    for d in dists.values():
        by_regency[d.regency_code].append(d)
    by_district: dict[str, list[Village]] = {code: [] for code in dists}
    counts: dict[str, int] = dict.fromkeys(regs, 0)
    for v in vills.values():
        by_district[v.district_code].append(v)
        counts[v.regency_code] += 1
    for ds in by_regency.values():
        ds.sort(key=_by_name)
    for vs in by_district.values():
        vs.sort(key=_by_name)
    return _Tables(regs, dists, vills, by_regency, by_district, counts)


@cache
def _polres() -> tuple[Polres, ...]:
    return tuple(Polres(p["name"].strip(), p["main_regency_code"].strip()) for p in _rows("polres.csv"))


def regencies() -> list[Regency]:
    """The 38 kabupaten/kota of Jawa Timur, ordered by code."""
    return sorted(_tables().regencies.values())


def regency(code: str) -> Regency | None:
    return _tables().regencies.get(code)


def districts_of(regency_code: str) -> list[District]:
    """Kecamatan of a regency, sorted by name; empty for an unknown code."""
    return list(_tables().districts_by_regency.get(regency_code, ()))


def district(code: str) -> District | None:
    return _tables().districts.get(code)


def villages_of(district_code: str) -> list[Village]:
    """Desa/kelurahan of a kecamatan, sorted by name; empty for an unknown code."""
    return list(_tables().villages_by_district.get(district_code, ()))


def villages_by_district(regency_code: str) -> list[tuple[District, list[Village]]]:
    """The desa/kelurahan of a regency grouped by kecamatan, both by name (a choice list's options); none for
    an unknown code."""
    return [(d, villages_of(d.code)) for d in districts_of(regency_code)]


def village(code: str) -> Village | None:
    return _tables().villages.get(code)


def village_count(regency_code: str) -> int:
    """Number of desa/kelurahan in a regency; 0 for an unknown code."""
    return _tables().village_counts.get(regency_code, 0)


def polres_list() -> list[Polres]:
    """The Polres-level units of Polda Jawa Timur, in file order, each with the regency it mainly covers."""
    return list(_polres())


def regency_is_kota(code: str) -> bool:
    """True for a kota (city, Kemendagri regency number 71-99); False for a kabupaten or an unknown code."""
    reg = regency(code)
    return reg is not None and reg.name.startswith("Kota ")
