"""Rule ``reach_bonus``: extra points for every full step of residents reached, up to a maximum."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

import msgspec
import numpy as np

from scoring.arrays import Ints
from scoring.columnar import Stage
from scoring.facts import Activity
from scoring.fixedpoint import format_points, from_milli, to_milli
from scoring.rules.base import ActivityRule, TeamContext, decimal_param

DOC_ID = """\
**Yang dihargai.** Kegiatan yang menjangkau banyak warga: `per` poin untuk setiap `step` warga penuh yang
terjangkau, paling banyak `max` poin per kegiatan.

**Mengapa.** Penyuluhan kepada 200 warga lebih berdampak daripada kepada 5 warga, tetapi batas `max`
mencegah satu acara besar mengalahkan kerja rutin.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `step` | 25 | 1–100.000 | jumlah warga per langkah |
| `per` | 1 | 0–1.000, maks. 3 desimal | poin per langkah penuh |
| `max` | 4 | 0–10.000, maks. 3 desimal | bonus maksimal per kegiatan (poin) |

**Contoh.** Dengan bawaan: 24 warga → 0 poin; 60 warga → 2 langkah penuh → 2 poin; 300 warga →
12 langkah, dibatasi menjadi 4 poin ("+4 poin: 300 warga terjangkau (1 poin per 25 warga, maksimal
4 poin)").
"""

DOC_EN = """\
**What it rewards.** Activities that reach many residents: `per` points for each full `step` of
residents reached, at most `max` points per activity.

**Why.** Outreach to 200 residents does more than outreach to 5, but the `max` keeps one large event
from outweighing routine work.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `step` | 25 | 1–100,000 | residents per step |
| `per` | 1 | 0–1,000, at most 3 decimals | points per full step |
| `max` | 4 | 0–10,000, at most 3 decimals | largest bonus per activity (points) |

**Worked example.** With the defaults: 24 residents → 0 points; 60 residents → 2 full steps →
2 points; 300 residents → 12 steps, capped at 4 points ("+4 points: 300 residents reached (1 point per
25 residents, at most 4 points)").
"""


class ReachBonusParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    step: Annotated[int, msgspec.Meta(ge=1, le=100000, description="Residents per step")] = 25
    per: decimal_param(0, 1000, "Points per full step") = Decimal(1)  # type: ignore[valid-type]
    max: decimal_param(0, 10000, "Largest bonus per activity") = Decimal(4)  # type: ignore[valid-type]


class ReachBonus(ActivityRule):
    id: ClassVar[str] = "reach_bonus"
    title: ClassVar[dict[str, str]] = {"id": "Bonus jangkauan warga", "en": "Residents reached bonus"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = ReachBonusParams
    additive: ClassVar[bool] = True

    def points(self, params: Any, ctx: TeamContext, running: list[int]) -> list[int]:
        step: int = params.step
        per = to_milli(params.per)
        cap = to_milli(params.max)
        if not per or not cap:
            return [0] * len(ctx.activities)
        # From this many residents on the bonus is capped, which spares the division for large events.
        saturation = step * -(-cap // per)
        return [
            0 if r < step else cap if r >= saturation else min((r // step) * per, cap)
            for r in ctx.column("residents_reached")
        ]

    def kernel(self, params: Any, stage: Stage, running: Ints | None) -> Ints:
        step: int = params.step
        per = to_milli(params.per)
        cap = to_milli(params.max)
        residents = stage.ints("residents_reached")
        if not per or not cap:
            return np.zeros(len(residents), dtype=np.int64)
        # From this many residents on the bonus is capped; clipping there keeps the product small.
        saturation = step * -(-cap // per)
        steps = np.minimum(residents, saturation) // step
        result: Ints = np.where(residents < step, 0, np.minimum(steps * per, cap))
        return result

    def explain(
        self, params: Any, ctx: TeamContext, activity: Activity, before: int, milli: int
    ) -> tuple[str, str]:
        def en(value: Decimal) -> str:
            return f"{format_points(value, 'en')} point{'' if value == 1 else 's'}"

        got = from_milli(milli)
        residents = activity.residents_reached
        return (
            f"+{format_points(got)} poin: {residents} warga terjangkau ({format_points(params.per)} poin per "
            f"{params.step} warga, maksimal {format_points(params.max)} poin)",
            f"+{en(got)}: {residents} residents reached ({en(params.per)} per {params.step} residents, "
            f"at most {en(params.max)})",
        )


RULE = ReachBonus()
