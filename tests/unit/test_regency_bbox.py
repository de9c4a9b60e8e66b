"""The regency/city bounding boxes that flag a photo taken outside the team's regency (EXIF GPS):
every regency has a sane box, and known places fall inside their own regency's box and outside far ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import regions
from app.activities.photos import outside_regency, regency_boxes

DATA = Path(__file__).resolve().parents[2] / "app" / "data"

# (latitude, longitude), the regency/city it is in, regencies/cities far from it.
KNOWN = [
    ((-7.2575, 112.7521), "35.78", ["35.73", "35.07", "35.10", "35.79", "35.29", "35.01"]),  # Surabaya
    ((-7.98, 112.63), "35.73", ["35.78", "35.10", "35.15", "35.25", "35.71"]),  # Kota Malang
    ((-8.22, 114.37), "35.10", ["35.78", "35.73", "35.29", "35.09", "35.07"]),  # Banyuwangi
    ((-7.87, 112.52), "35.79", ["35.78", "35.73", "35.10"]),  # Kota Batu
    ((-7.82, 112.01), "35.71", ["35.78", "35.72", "35.73"]),  # Kota Kediri
    ((-8.10, 112.16), "35.72", ["35.71", "35.73", "35.78"]),  # Kota Blitar
    ((-7.75, 113.21), "35.74", ["35.75", "35.78", "35.73"]),  # Kota Probolinggo
    ((-7.645, 112.905), "35.75", ["35.74", "35.78", "35.76"]),  # Kota Pasuruan
    ((-7.47, 112.43), "35.76", ["35.78", "35.75", "35.73"]),  # Kota Mojokerto
    ((-7.63, 111.52), "35.77", ["35.71", "35.78", "35.73"]),  # Kota Madiun
    ((-8.20, 111.09), "35.01", ["35.78", "35.10", "35.29"]),  # Pacitan
    ((-7.01, 113.86), "35.29", ["35.78", "35.10", "35.01"]),  # Sumenep
    ((-6.87, 115.25), "35.29", ["35.26", "35.10", "35.12"]),  # Kangean island, Kabupaten Sumenep
    ((-5.84, 112.65), "35.25", ["35.78", "35.26", "35.24"]),  # Bawean island, Kabupaten Gresik
]
# Outside Jawa Timur altogether: Jakarta, Semarang, Yogyakarta, Denpasar.
ELSEWHERE = [(-6.2, 106.8), (-6.97, 110.42), (-7.80, 110.36), (-8.65, 115.22)]


def inside(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return box[0] <= lat <= box[2] and box[1] <= lon <= box[3]


def test_every_regency_and_city_has_a_box() -> None:
    boxes = regency_boxes()
    assert sorted(boxes) == sorted(r.code for r in regions.regencies())
    assert len(boxes) == 38
    for code, (south, west, north, east) in boxes.items():
        # Within Jawa Timur with its islands (Bawean, Masalembu, Kangean).
        assert -9.0 < south < north < -4.8, code
        assert 110.7 < west < east < 116.5, code


def test_city_boxes_are_sane() -> None:
    boxes = regency_boxes()
    for regency in regions.regencies():
        south, west, north, east = boxes[regency.code]
        if regions.regency_is_kota(regency.code):
            # A kota is a few km to a few tens of km across: not a point, not a kabupaten.
            assert 0.06 <= north - south <= 0.3, regency
            assert 0.06 <= east - west <= 0.35, regency
        else:
            assert north - south >= 0.3 and east - west >= 0.3, regency
    # A city surrounded by a regency lies within that regency's box.
    for kota, kabupaten in [
        ("35.71", "35.06"),
        ("35.72", "35.05"),
        ("35.73", "35.07"),
        ("35.74", "35.13"),
        ("35.75", "35.14"),
        ("35.76", "35.16"),
        ("35.77", "35.19"),
        ("35.79", "35.07"),
    ]:
        k, r = boxes[kota], boxes[kabupaten]
        assert r[0] <= k[0] and r[1] <= k[1] and k[2] <= r[2] and k[3] <= r[3], (kota, kabupaten)


@pytest.mark.parametrize(("point", "own", "far"), KNOWN)
def test_known_places(point: tuple[float, float], own: str, far: list[str]) -> None:
    boxes = regency_boxes()
    assert inside(boxes[own], *point), (own, point)
    assert not outside_regency(own, *point)
    for other in far:
        assert not inside(boxes[other], *point), (other, point)
        assert outside_regency(other, *point)


def test_places_outside_jawa_timur_are_in_no_box() -> None:
    for point in ELSEWHERE:
        assert not any(inside(box, *point) for box in regency_boxes().values()), point


def test_unknown_regency_or_position_is_never_flagged() -> None:
    assert not outside_regency("35.78", None, None)
    assert not outside_regency(None, "-8.22", "114.37")
    assert not outside_regency("99.99", "-8.22", "114.37")
    assert not outside_regency("35.78", "not a number", "114.37")
    assert not outside_regency("35.78", "nan", "114.37")
    # Positions are stored as text (Photo.gps_lat/gps_lon).
    assert outside_regency("35.78", "-8.220000", "114.370000")
    assert not outside_regency("35.78", "-7.257500", "112.752100")


def test_the_source_and_licence_are_written_next_to_the_data() -> None:
    data = json.loads((DATA / "jatim_regency_bbox.json").read_text(encoding="utf-8"))
    assert "geografis 1.3.2" in data["source"] and "LICENSE-geografis.md" in data["licence"]
    assert data["villages_with_a_point"] >= 8450
    assert (DATA / "LICENSE-geografis.md").read_text(encoding="utf-8").count("MIT") >= 2
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "jatim_regency_bbox.json" in readme and "build_regency_bbox.py" in readme
