"""Rule ``coverage``: points in proportion to the share of the regency's desa/kelurahan reached."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from scoring.columnar import Stage
from scoring.fixedpoint import div_round, format_points, from_milli, to_milli
from scoring.rules.base import TeamContext, TeamPoints, TeamRule, decimal_param

DOC_ID = """\
**Yang dihargai.** Jangkauan wilayah: `points` × (jumlah desa/kelurahan berbeda yang dijangkau kegiatan
yang dihitung ÷ jumlah desa/kelurahan di kabupaten/kota itu), dibulatkan ke 0,001 poin. Kegiatan tanpa
kode desa tidak menambah jangkauan; rasio paling besar 1.

**Mengapa.** Kemitraan harus hadir di seluruh wilayah, bukan hanya di desa yang dekat dengan Polres.
Rasio membuat kabupaten besar dan kota kecil setara.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `points` | 100 | 0–100.000, maks. 3 desimal | poin untuk jangkauan penuh |

**Contoh.** Kabupaten dengan 120 desa/kelurahan; kegiatan yang dihitung menjangkau 30 desa berbeda →
100 × 30/120 = 25 poin ("30 dari 120 desa/kelurahan terjangkau: 25 poin").
"""

DOC_EN = """\
**What it rewards.** Reach across the regency: `points` × (distinct desa/kelurahan reached by counted
activities ÷ desa/kelurahan in the regency), rounded to 0.001 point. Activities without a desa code add
no reach; the ratio is at most 1.

**Why.** The partnership must be present across the whole regency, not only near the Polres. The ratio
puts large regencies and small cities on an equal footing.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `points` | 100 | 0–100,000, at most 3 decimals | points for full coverage |

**Worked example.** A regency of 120 desa/kelurahan; the counted activities reached 30 distinct desa →
100 × 30/120 = 25 points ("30 of 120 desa/kelurahan reached: 25 points").
"""


class CoverageParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    points: decimal_param(0, 100000, "Points for full coverage") = Decimal(100)  # type: ignore[valid-type]


def reached(ctx: TeamContext) -> tuple[int, int]:
    """(distinct desa reached, capped at the regency's count; the regency's count), kept in the cache."""
    result: tuple[int, int] | None = ctx.cache.get("reached")
    if result is None:
        desa = set(ctx.column("desa_code"))
        desa.discard(None)
        total = max(ctx.team.desa_count, 0)
        result = ctx.cache["reached"] = (min(len(desa), total), total)
    return result


class Coverage(TeamRule):
    id: ClassVar[str] = "coverage"
    title: ClassVar[dict[str, str]] = {"id": "Jangkauan desa/kelurahan", "en": "Desa coverage"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = CoverageParams
    additive: ClassVar[bool] = True

    def team_points(self, params: Any, ctx: TeamContext) -> list[TeamPoints]:
        count, total = reached(ctx)
        if not count:
            return []
        milli = div_round(to_milli(params.points) * count, total)
        points = from_milli(milli)
        return [
            TeamPoints(
                None,
                milli,
                f"{count} dari {total} desa/kelurahan terjangkau: {format_points(points)} poin",
                f"{count} of {total} desa/kelurahan reached: {format_points(points, 'en')} points",
            )
        ]

    def kernel(self, params: Any, stage: Stage) -> list[int]:
        milli = to_milli(params.points)
        return [div_round(milli * found, total) if found else 0 for found, total in stage.reached()]


RULE = Coverage()
