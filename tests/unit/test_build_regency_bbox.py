"""app/data/build_regency_bbox.py on a made-up geografis package: the boxes it derives, and each check
that makes it refuse (and write nothing)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2] / "app" / "data"
_spec = importlib.util.spec_from_file_location("build_regency_bbox", DATA / "build_regency_bbox.py")
assert _spec and _spec.loader
bbox = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bbox)

# Made-up centres: regency i at (-7.0 - 0.01 i, 111.0 + 0.1 i); its villages spread around it.
REGENCIES = {r["code"]: r["name"] for r in csv.DictReader((DATA / "regencies.csv").open(encoding="utf-8"))}
VILLAGES = [r["code"] for r in csv.DictReader((DATA / "villages.csv").open(encoding="utf-8"))]
CENTRES = {code: (-7.0 - 0.01 * i, 111.0 + 0.1 * i) for i, code in enumerate(sorted(REGENCIES))}


def entries() -> list[dict[str, Any]]:
    out = []
    for n, code in enumerate(VILLAGES):
        lat, lon = CENTRES[code[:5]]
        out.append(
            {
                "code": code,
                "city": REGENCIES[code[:5]].upper(),  # names compare without case or punctuation
                "latitude": lat + (n % 7) * 0.001,
                "longitude": lon - (n % 5) * 0.002,
            }
        )
    # Another province's village is ignored.
    out.append(
        {"code": "11.01.01.2001", "city": "Kabupaten Aceh Selatan", "latitude": 2.9, "longitude": 97.5}
    )
    return out


def package(tmp_path: Path, data: list[dict[str, Any]], version: str = "1.3.2") -> Path:
    root = tmp_path / "package"
    (root / "data" / "json").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "geografis", "version": version}))
    (root / "README.md").write_text("# Geografis\n\n## Lisensi\nMIT, made up.\n\n### Sumber\nOSM\n")
    (root / "data" / "json" / "data.json").write_text(json.dumps(data))
    return root


def test_boxes_are_the_points_widened_by_the_margin(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert bbox.main([str(package(tmp_path, entries())), "--out", str(out)]) == 0
    written = json.loads((out / "jatim_regency_bbox.json").read_text(encoding="utf-8"))
    assert written["villages_with_a_point"] == 8494 and written["villages_without_a_point"] == []
    boxes = written["boxes"]
    assert len(boxes) == 38
    # Kota Surabaya: points span 0.006 x 0.008 degrees, widened by 0.03 on each side.
    lat, lon = CENTRES["35.78"]
    assert boxes["35.78"] == pytest.approx([lat - 0.03, lon - 0.008 - 0.03, lat + 0.006 + 0.03, lon + 0.03])
    # A kabupaten gets the wider margin.
    lat, lon = CENTRES["35.07"]
    assert boxes["35.07"] == pytest.approx([lat - 0.1, lon - 0.008 - 0.1, lat + 0.006 + 0.1, lon + 0.1])
    licence = (out / "LICENSE-geografis.md").read_text(encoding="utf-8")
    assert "MIT, made up." in licence and "Permission is hereby granted" in licence


def test_a_minimum_side_for_a_tiny_city(tmp_path: Path) -> None:
    data = entries()
    for e in data:
        if e["code"].startswith("35.76."):
            e["latitude"], e["longitude"] = CENTRES["35.76"]  # every point the same
    result = bbox.build(package(tmp_path, data), DATA)
    south, west, north, east = result["boxes"]["35.76"]
    assert north - south == pytest.approx(0.06, abs=2e-4) and east - west == pytest.approx(0.06, abs=2e-4)


def _refused(tmp_path: Path, data: list[dict[str, Any]], message: str, version: str = "1.3.2") -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(bbox.BuildError, match=message):
        bbox.build(package(tmp_path, data, version), DATA)
    assert bbox.main([str(tmp_path / "package"), "--out", str(out)]) == 1
    assert list(out.iterdir()) == []


def test_refuses_another_version(tmp_path: Path) -> None:
    _refused(tmp_path, entries(), "expected", version="1.3.1")


def test_refuses_a_code_of_another_regency(tmp_path: Path) -> None:
    data = entries()
    next(e for e in data if e["code"].startswith("35.78."))["city"] = "Kabupaten Sidoarjo"
    _refused(tmp_path, data, "is not 'Kota Surabaya'")


def test_refuses_a_point_outside_jawa_timur(tmp_path: Path) -> None:
    data = entries()
    data[10]["latitude"], data[10]["longitude"] = -6.2, 106.8
    _refused(tmp_path, data, "outside Jawa Timur")


def test_refuses_a_misplaced_village(tmp_path: Path) -> None:
    data = entries()
    data[10]["latitude"] -= 0.9
    _refused(tmp_path, data, "far from the other villages")


def test_refuses_a_regency_with_too_few_points(tmp_path: Path) -> None:
    data = [e for e in entries() if not e["code"].startswith("35.79.")]
    _refused(tmp_path, data, "Kota Batu: only 0 villages with a point")


def test_refuses_when_many_villages_have_no_point(tmp_path: Path) -> None:
    _refused(tmp_path, entries()[::2], "villages have a point")
