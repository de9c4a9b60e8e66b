"""Derive ``jatim_regency_bbox.json`` (a bounding box per regency/city of Jawa Timur) from the npm package
``geografis`` 1.3.2, which gives a latitude/longitude for every desa/kelurahan of Indonesia.

Usage (standard library only)::

    cd "$(mktemp -d)" && npm pack geografis@1.3.2 && tar xzf geografis-1.3.2.tgz
    python app/data/build_regency_bbox.py "$PWD/package" [--out app/data]

Reads the package's ``data/json/data.json`` (one entry per desa/kelurahan: ``code``, ``city``,
``latitude``, ``longitude``, ...) and keeps the entries whose code is one of the 8,494 desa/kelurahan in
``villages.csv`` beside this script (the idn-area-data codes the app uses). A regency's box is the
smallest box around the points of its desa/kelurahan, widened on every side by a margin: a point is a
village's centre, and the regency reaches beyond its outermost villages' centres. The margin is
``MARGIN_KOTA`` for a city (kota), ``MARGIN_KABUPATEN`` for a regency (kabupaten), and no side is shorter
than ``MIN_SIDE``. Coordinates are rounded outwards to 4 decimals (about 11 m).

It checks, and on any failure exits with status 1 and writes nothing: the package name and version; that
the package's regency name of each kept village is the app's regency name (so the codes mean the same
places in both sources); that every point lies in Jawa Timur's envelope and near the other villages of
its kecamatan (a mis-placed village would stretch a box); that at least ``MIN_COVERAGE`` of the app's
villages and at least ``MIN_POINTS`` villages of every regency have a point; that all 38 regencies get a
box. Re-running it reproduces the committed file byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = ("geografis", "1.3.2")
MARGIN_KOTA = 0.03  # degrees, about 3.3 km
MARGIN_KABUPATEN = 0.10  # degrees, about 11 km
MIN_SIDE = 0.06  # degrees
MIN_COVERAGE = 0.995
MIN_POINTS = 15
# Jawa Timur with its islands (Bawean, Masalembu, Kangean, Sapeken), generously.
ENVELOPE = (-9.0, 110.7, -4.8, 116.5)
# A desa/kelurahan this far (degrees) from the median of its kecamatan's villages is taken as mis-placed.
# Sapeken, a kecamatan of scattered islands, has villages 0.46 degrees from its median.
MAX_FROM_KECAMATAN = 0.6
SCALE = 10_000  # 4 decimals


class BuildError(Exception):
    pass


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.casefold())


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _floor(x: float) -> float:
    return math.floor(x * SCALE) / SCALE


def _ceil(x: float) -> float:
    return math.ceil(x * SCALE) / SCALE


def build(package: Path, here: Path) -> dict[str, object]:
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    if (meta.get("name"), meta.get("version")) != PACKAGE:
        raise BuildError(f"expected {PACKAGE}, got {(meta.get('name'), meta.get('version'))}")
    entries = json.loads((package / "data" / "json" / "data.json").read_text(encoding="utf-8"))

    regencies = {r["code"]: r["name"] for r in _csv(here / "regencies.csv")}
    villages = {v["code"] for v in _csv(here / "villages.csv")}
    if len(regencies) != 38:
        raise BuildError(f"{len(regencies)} regencies in regencies.csv, expected 38")

    points: dict[str, tuple[float, float]] = {}
    for entry in entries:
        code = entry.get("code", "")
        if code not in villages:
            continue
        regency = code[:5]
        if _norm(entry.get("city", "")) != _norm(regencies[regency]):
            raise BuildError(
                f"{code}: the package's regency {entry.get('city')!r} is not {regencies[regency]!r}"
            )
        lat, lon = float(entry["latitude"]), float(entry["longitude"])
        if not (ENVELOPE[0] <= lat <= ENVELOPE[2] and ENVELOPE[1] <= lon <= ENVELOPE[3]):
            raise BuildError(f"{code}: {lat},{lon} is outside Jawa Timur")
        if code in points:
            raise BuildError(f"{code}: twice in the package")
        points[code] = (lat, lon)

    by_district: dict[str, list[str]] = defaultdict(list)
    for code in points:
        by_district[code[:8]].append(code)
    for district, codes in by_district.items():
        mid_lat = statistics.median(points[c][0] for c in codes)
        mid_lon = statistics.median(points[c][1] for c in codes)
        for c in codes:
            lat, lon = points[c]
            if max(abs(lat - mid_lat), abs(lon - mid_lon)) > MAX_FROM_KECAMATAN:
                raise BuildError(f"{c}: {lat},{lon} is far from the other villages of {district}")

    coverage = len(points) / len(villages)
    if coverage < MIN_COVERAGE:
        raise BuildError(f"only {len(points)} of {len(villages)} villages have a point")

    by_regency: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, point in points.items():
        by_regency[code[:5]].append(point)
    boxes: dict[str, list[float]] = {}
    for code, name in sorted(regencies.items()):
        pts = by_regency.get(code, [])
        if len(pts) < MIN_POINTS:
            raise BuildError(f"{code} {name}: only {len(pts)} villages with a point")
        margin = MARGIN_KOTA if name.startswith("Kota ") else MARGIN_KABUPATEN
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        south, north = min(lats) - margin, max(lats) + margin
        west, east = min(lons) - margin, max(lons) + margin
        if north - south < MIN_SIDE:
            mid = (north + south) / 2
            south, north = mid - MIN_SIDE / 2, mid + MIN_SIDE / 2
        if east - west < MIN_SIDE:
            mid = (east + west) / 2
            west, east = mid - MIN_SIDE / 2, mid + MIN_SIDE / 2
        boxes[code] = [_floor(south), _floor(west), _ceil(north), _ceil(east)]

    missing = sorted(villages - set(points))
    return {
        "about": (
            "Bounding box [min_lat, min_lon, max_lat, max_lon] (WGS 84 degrees) of each regency/city of "
            "Jawa Timur, keyed by Kemendagri code; made by build_regency_bbox.py, see README.md"
        ),
        "source": f"npm package {PACKAGE[0]} {PACKAGE[1]} (https://github.com/drizki/geografis), "
        "desa/kelurahan coordinates",
        "licence": "MIT, as declared by the package; see LICENSE-geografis.md",
        "margin_degrees": {"kota": MARGIN_KOTA, "kabupaten": MARGIN_KABUPATEN, "min_side": MIN_SIDE},
        "villages_with_a_point": len(points),
        "villages_without_a_point": missing,
        "boxes": boxes,
    }


MIT_TEXT = """MIT License

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def licence_text(package: Path) -> str:
    """The package declares ``"license": "MIT"`` in package.json and ships no licence file: its README's
    own licence and sources sections, verbatim, followed by the MIT licence text it links to."""
    readme = (package / "README.md").read_text(encoding="utf-8")
    start = readme.find("## Lisensi")
    if start < 0:
        raise BuildError("README.md has no '## Lisensi' section")
    sections = readme[start:].strip()
    return (
        "# Licence of the geografis 1.3.2 data used for jatim_regency_bbox.json\n\n"
        "The npm package `geografis` 1.3.2 (by drizki, https://github.com/drizki/geografis) declares\n"
        '`"license": "MIT"` in its package.json and ships no licence file. Its README\'s licence and\n'
        "sources sections follow verbatim, then the MIT licence text that README links to.\n\n"
        "---\n\n" + sections + "\n\n---\n\n" + MIT_TEXT
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("package", type=Path, help="unpacked geografis package (the 'package' dir)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    try:
        result = build(args.package, here)
        licence = licence_text(args.package)
    except (BuildError, OSError, KeyError, ValueError) as exc:
        print(f"build_regency_bbox: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, ensure_ascii=False, indent=1) + "\n"
    # One regency a line: the file stays readable and its diffs small.
    text = re.sub(
        r"\[\n\s+(-?[\d.]+),\n\s+(-?[\d.]+),\n\s+(-?[\d.]+),\n\s+(-?[\d.]+)\n\s+\]", r"[\1, \2, \3, \4]", text
    )
    (args.out / "jatim_regency_bbox.json").write_text(text, encoding="utf-8")
    (args.out / "LICENSE-geografis.md").write_text(licence, encoding="utf-8")
    boxes = result["boxes"]
    assert isinstance(boxes, dict)
    print(f"{len(boxes)} boxes from {result['villages_with_a_point']} villages -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
