"""Rule ``preemptive_multiplier``: preemptive activities have their points so far multiplied."""

from __future__ import annotations

from decimal import Decimal
from itertools import compress
from typing import Any, ClassVar

import msgspec
import numpy as np

from scoring.arrays import Ints, check_product, div_round_array
from scoring.columnar import Stage
from scoring.facts import Activity
from scoring.fixedpoint import MILLI, div_round, format_points, from_milli, to_milli
from scoring.rules.base import ActivityRule, TeamContext, decimal_param

DOC_ID = """\
**Yang dihargai.** Kegiatan *preemtif* — mencegah sebelum terjadi gangguan (misalnya penyuluhan pemilu
damai sebelum hari pencoblosan). Poin yang diberikan aturan-aturan kegiatan *di atas* aturan ini kepada
kegiatan itu dikalikan `factor`. Aturan di bawahnya tidak terpengaruh. Hasil dibulatkan ke 0,001 poin
(setengah ke genap).

**Mengapa.** Lomba ini diumumkan untuk memperkuat kerja preemtif Binmas; pencegahan layak dihargai lebih.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `factor` | 1,5 | 0–10, maks. 3 desimal | pengali untuk kegiatan preemtif |

**Contoh.** Urutan aturan: `points_per_activity` (DDS = 2), `reach_bonus` (60 warga → 2),
`preemptive_multiplier` (1,5). Kegiatan preemtif itu punya 4 poin sebelum pengali; pengali menambah
2 poin ("+2 poin (pengali preemtif 1,5)"), jumlahnya 6. Kegiatan yang tidak preemtif tetap 4.
"""

DOC_EN = """\
**What it rewards.** *Preemptive* activities — preventing trouble before it happens (say, outreach for a
peaceful election before polling day). The points that the activity rules *above* this one gave that
activity are multiplied by `factor`; rules below it are not affected. The result is rounded to
0.001 point (half to even).

**Why.** The competition was announced to strengthen Binmas' preemptive work; prevention deserves more.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `factor` | 1.5 | 0–10, at most 3 decimals | multiplier for preemptive activities |

**Worked example.** Rule order: `points_per_activity` (DDS = 2), `reach_bonus` (60 residents → 2),
`preemptive_multiplier` (1.5). The preemptive activity has 4 points before the multiplier; the
multiplier adds 2 points ("+2 points (preemptive multiplier 1.5)"), 6 in all. A non-preemptive one
stays at 4.
"""


class PreemptiveMultiplierParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    factor: decimal_param(0, 10, "Multiplier for preemptive activities") = Decimal("1.5")  # type: ignore[valid-type]


class PreemptiveMultiplier(ActivityRule):
    id: ClassVar[str] = "preemptive_multiplier"
    title: ClassVar[dict[str, str]] = {"id": "Pengali kegiatan preemtif", "en": "Preemptive multiplier"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = PreemptiveMultiplierParams

    def points(self, params: Any, ctx: TeamContext, running: list[int]) -> list[int]:
        factor = to_milli(params.factor)
        result = [0] * len(running)
        for i in compress(range(len(running)), ctx.column("preemptive")):
            before = running[i]
            if before:
                result[i] = div_round(before * factor, MILLI) - before
        return result

    def kernel(self, params: Any, stage: Stage, running: Ints | None) -> Ints:
        if running is None:
            return np.zeros(len(stage), dtype=np.int64)
        factor = to_milli(params.factor)
        check_product(running, factor)
        scaled = div_round_array(running * factor, MILLI) - running
        result: Ints = np.where(stage.flags("preemptive"), scaled, 0)
        return result

    def explain(
        self, params: Any, ctx: TeamContext, activity: Activity, before: int, milli: int
    ) -> tuple[str, str]:
        # The points this rule adds (the line's own column), then why: "+2 poin (pengali preemtif 1,5)".
        sign, unit = "+" if milli > 0 else "", "point" if milli == 1000 else "points"
        return (
            f"{sign}{format_points(from_milli(milli))} poin "
            f"(pengali preemtif {format_points(params.factor)})",
            f"{sign}{format_points(from_milli(milli), 'en')} {unit} "
            f"(preemptive multiplier {format_points(params.factor, 'en')})",
        )


RULE = PreemptiveMultiplier()
