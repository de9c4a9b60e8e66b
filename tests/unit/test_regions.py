from __future__ import annotations

import pytest

from app import regions
from app.regions import District, Polres, Regency, Village


def test_counts() -> None:
    regs = regions.regencies()
    assert len(regs) == 38
    assert len({r.code for r in regs}) == 38
    districts = [d for r in regs for d in regions.districts_of(r.code)]
    assert len(districts) == 666
    villages = [v for d in districts for v in regions.villages_of(d.code)]
    assert len(villages) == 8494
    assert sum(regions.village_count(r.code) for r in regs) == 8494


def test_regencies_sorted_by_code_and_split_kabupaten_kota() -> None:
    regs = regions.regencies()
    assert [r.code for r in regs] == sorted(r.code for r in regs)
    kota = [r for r in regs if regions.regency_is_kota(r.code)]
    assert len(kota) == 9
    assert all(r.code >= "35.71" for r in kota)
    assert sum(r.name.startswith("Kabupaten ") for r in regs) == 29


def test_lookups() -> None:
    assert regions.regency("35.78") == Regency("35.78", "Kota Surabaya")
    assert regions.regency("35.07") == Regency("35.07", "Kabupaten Malang")
    assert regions.regency_is_kota("35.78") is True
    assert regions.regency_is_kota("35.07") is False

    d = regions.district("35.01.01")
    assert d == District("35.01.01", "35.01", "Donorojo")
    assert d in regions.districts_of("35.01")

    v = regions.village("35.01.01.2001")
    assert v == Village("35.01.01.2001", "35.01.01", "35.01", "Widoro")
    assert v in regions.villages_of("35.01.01")


def test_every_village_is_in_its_districts_regency() -> None:
    for r in regions.regencies():
        total = 0
        for d in regions.districts_of(r.code):
            assert d.regency_code == r.code
            assert d.code.startswith(r.code + ".")
            assert regions.district(d.code) == d
            vs = regions.villages_of(d.code)
            assert vs, d
            total += len(vs)
            for v in vs:
                assert v.district_code == d.code
                assert v.regency_code == r.code
                assert v.code.startswith(d.code + ".")
                assert regions.village(v.code) == v
        assert regions.village_count(r.code) == total


def test_children_sorted_by_name() -> None:
    for r in regions.regencies():
        names = [d.name.casefold() for d in regions.districts_of(r.code)]
        assert names == sorted(names)
    for d in regions.districts_of("35.78"):
        names = [v.name.casefold() for v in regions.villages_of(d.code)]
        assert names == sorted(names)


@pytest.mark.parametrize("code", ["", "35", "36.01", "35.99", "35.78.99", "35.78.01.9999", "x"])
def test_unknown_codes(code: str) -> None:
    assert regions.regency(code) is None
    assert regions.district(code) is None
    assert regions.village(code) is None
    assert regions.districts_of(code) == []
    assert regions.villages_of(code) == []
    assert regions.village_count(code) == 0
    assert regions.regency_is_kota(code) is False


def test_returned_lists_are_copies() -> None:
    regions.districts_of("35.78").clear()
    assert regions.districts_of("35.78")


def test_polres() -> None:
    units = regions.polres_list()
    assert len(units) == 39
    assert all(isinstance(p, Polres) for p in units)
    assert len({p.name for p in units}) == 39
    for p in units:
        assert regions.regency(p.main_regency_code) is not None, p
    # Every regency is the main area of at least one Polres.
    assert {p.main_regency_code for p in units} == {r.code for r in regions.regencies()}
    assert Polres("Polres Batu", "35.79") in units
