"""Derive the Jawa Timur region CSVs in this directory from the npm package ``idn-area-data`` 4.0.1.

Usage (standard library only)::

    cd "$(mktemp -d)" && npm pack idn-area-data@4.0.1 && tar xzf idn-area-data-4.0.1.tgz
    python app/data/build_regions.py "$PWD/package" \
        [--check-regencies /work/shared/domain/jatim-regencies.csv] [--out app/data]

Reads ``data/regencies.csv``, ``data/districts.csv`` and ``data/villages.csv`` of the unpacked package,
keeps province 35 (Jawa Timur), normalises every code to Kemendagri dotted form (``35.78``,
``35.78.01``, ``35.78.01.1001``), checks the hierarchy and the exact counts (38 / 666 / 8,494) and writes
``regencies.csv`` (code,name), ``districts.csv`` (code,regency_code,name) and ``villages.csv``
(code,district_code,name), UTF-8, LF line endings, sorted by code. It also copies the data licence
(``data/LICENSE.md``, ODbL 1.0) to ``LICENSE-idn-area-data.md``. Any deviation exits with status 1.
Names are copied verbatim from the package.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
from pathlib import Path

PROVINCE = "35"
EXPECTED = {"regencies": 38, "districts": 666, "villages": 8494}
# Digits per level after the province: regency 2, district 2, village 4.
_SEGMENTS = {2: (2, 2), 3: (2, 2, 2), 4: (2, 2, 2, 4)}
_DOTTED = {
    n: re.compile(r"^" + r"\.".join(rf"\d{{{w}}}" for w in widths) + r"$") for n, widths in _SEGMENTS.items()
}


class BuildError(Exception):
    pass


def dotted(code: str, level: int) -> str:
    """Return ``code`` in dotted Kemendagri form for ``level`` (2 regency, 3 district, 4 village)."""
    code = code.strip()
    pattern = _DOTTED[level]
    if pattern.match(code):
        return code
    digits = code.replace(".", "")
    widths = _SEGMENTS[level]
    if not digits.isdigit() or len(digits) != sum(widths):
        raise BuildError(f"cannot normalise code {code!r} to level {level}")
    parts, pos = [], 0
    for w in widths:
        parts.append(digits[pos : pos + w])
        pos += w
    return ".".join(parts)


def read_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise BuildError(f"{path}: missing columns {sorted(missing)} (have {reader.fieldnames})")
        return list(reader)


def write_rows(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _name(raw: str, where: str) -> str:
    name = raw.strip()
    if not name:
        raise BuildError(f"empty name: {where}")
    return name


def build(package: Path, out: Path, check_regencies: Path | None = None) -> dict[str, int]:
    data = package / "data" if (package / "data").is_dir() else package

    regencies: dict[str, str] = {}
    for row in read_rows(data / "regencies.csv", ("code", "province_code", "name")):
        if row["province_code"].strip() != PROVINCE:
            continue
        code = dotted(row["code"], 2)
        if not code.startswith(PROVINCE + ".") or code in regencies:
            raise BuildError(f"bad or duplicate regency code {code}")
        regencies[code] = _name(row["name"], code)

    districts: dict[str, tuple[str, str]] = {}
    for row in read_rows(data / "districts.csv", ("code", "regency_code", "name")):
        regency_code = dotted(row["regency_code"], 2)
        if not regency_code.startswith(PROVINCE + "."):
            continue
        code = dotted(row["code"], 3)
        if regency_code not in regencies or not code.startswith(regency_code + ".") or code in districts:
            raise BuildError(f"district {code}: bad parent {regency_code} or duplicate")
        districts[code] = (regency_code, _name(row["name"], code))

    villages: dict[str, tuple[str, str]] = {}
    for row in read_rows(data / "villages.csv", ("code", "district_code", "name")):
        district_code = dotted(row["district_code"], 3)
        if not district_code.startswith(PROVINCE + "."):
            continue
        code = dotted(row["code"], 4)
        if district_code not in districts or not code.startswith(district_code + ".") or code in villages:
            raise BuildError(f"village {code}: bad parent {district_code} or duplicate")
        villages[code] = (district_code, _name(row["name"], code))

    counts = {"regencies": len(regencies), "districts": len(districts), "villages": len(villages)}
    if counts != EXPECTED:
        raise BuildError(f"counts {counts} != expected {EXPECTED}")
    empty = sorted(set(regencies) - {r for r, _ in districts.values()})
    empty += sorted(set(districts) - {d for d, _ in villages.values()})
    if empty:
        raise BuildError(f"units without children: {empty}")

    if check_regencies is not None:
        reference = {
            dotted(r["code"], 2): r["name"].strip() for r in read_rows(check_regencies, ("code", "name"))
        }
        if reference != regencies:
            diff = sorted(set(reference.items()) ^ set(regencies.items()))
            raise BuildError(f"regencies differ from {check_regencies}: {diff}")

    out.mkdir(parents=True, exist_ok=True)
    write_rows(out / "regencies.csv", ("code", "name"), sorted(regencies.items()))
    write_rows(
        out / "districts.csv",
        ("code", "regency_code", "name"),
        [(c, r, n) for c, (r, n) in sorted(districts.items())],
    )
    write_rows(
        out / "villages.csv",
        ("code", "district_code", "name"),
        [(c, d, n) for c, (d, n) in sorted(villages.items())],
    )
    shutil.copyfile(data / "LICENSE.md", out / "LICENSE-idn-area-data.md")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="unpacked idn-area-data package (the 'package' dir)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--check-regencies", type=Path, default=None, help="reference code,name CSV")
    args = parser.parse_args(argv)
    try:
        counts = build(args.package, args.out, args.check_regencies)
    except (BuildError, OSError, KeyError) as exc:
        print(f"build_regions: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"build_regions: OK {counts} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
