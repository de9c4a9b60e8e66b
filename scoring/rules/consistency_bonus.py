"""Rule ``consistency_bonus``: points for every week (or month) with enough counted activities."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import numpy as np

from scoring.columnar import Stage
from scoring.fixedpoint import format_points, to_milli
from scoring.rules.base import TeamContext, TeamPoints, TeamRule, decimal_param

DOC_ID = """\
**Yang dihargai.** Konsistensi: `points` poin untuk setiap periode (`period`: minggu ISO atau bulan,
menurut zona waktu lomba) yang memiliki sedikitnya `min_activities` kegiatan yang dihitung.

**Mengapa.** Kamtibmas dijaga dengan kehadiran rutin, bukan dengan kegiatan menumpuk menjelang penilaian.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `period` | `"week"` | `"week"` atau `"month"` | periode yang dinilai |
| `min_activities` | 3 | 1–10.000 | kegiatan minimal per periode |
| `points` | 10 | 0–10.000, maks. 3 desimal | poin per periode yang memenuhi |

**Contoh.** Dengan bawaan: 4 kegiatan dihitung di minggu 2024-W07, 2 di 2024-W08, 3 di 2024-W09 →
10 poin untuk W07 dan 10 untuk W09 ("3 kegiatan pada week:2024-W09 (minimal 3): 10 poin"), jumlah 20.
"""

DOC_EN = """\
**What it rewards.** Consistency: `points` for each period (`period`: ISO week or month, in the
competition's time zone) with at least `min_activities` counted activities.

**Why.** Community security is kept by being there regularly, not by a pile of activities just before
judging.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `period` | `"week"` | `"week"` or `"month"` | the period judged |
| `min_activities` | 3 | 1–10,000 | fewest activities per period |
| `points` | 10 | 0–10,000, at most 3 decimals | points per period that qualifies |

**Worked example.** With the defaults: 4 counted activities in week 2024-W07, 2 in 2024-W08, 3 in
2024-W09 → 10 points for W07 and 10 for W09 ("3 activities in week:2024-W09 (minimum 3): 10 points"),
20 in all.
"""


class ConsistencyBonusParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    period: Literal["week", "month"] = "week"
    min_activities: Annotated[int, msgspec.Meta(ge=1, le=10000, description="Fewest activities")] = 3
    points: decimal_param(0, 10000, "Points per period that qualifies") = Decimal(10)  # type: ignore[valid-type]


class ConsistencyBonus(TeamRule):
    id: ClassVar[str] = "consistency_bonus"
    title: ClassVar[dict[str, str]] = {"id": "Bonus konsistensi", "en": "Consistency bonus"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = ConsistencyBonusParams
    additive: ClassVar[bool] = True

    def team_points(self, params: Any, ctx: TeamContext) -> list[TeamPoints]:
        of_day, labels = ctx.calendar.period_index(params.period)
        counts = Counter(map(of_day.__getitem__, ctx.days))
        milli = to_milli(params.points)
        pts_id, pts_en = format_points(params.points), format_points(params.points, "en")
        minimum = params.min_activities
        unit = "kegiatan"
        return [
            TeamPoints(
                labels[index],
                milli,
                f"{count} {unit} pada {labels[index]} (minimal {minimum}): {pts_id} poin",
                f"{count} activities in {labels[index]} (minimum {minimum}): {pts_en} points",
            )
            for index, count in sorted(counts.items())
            if count >= minimum
        ]

    def kernel(self, params: Any, stage: Stage) -> list[int]:
        periods = len(stage.calendar.period_index(params.period)[1])
        teams = stage.team_count
        sizes = np.bincount(stage.period_key(params.period, None), minlength=teams * periods)
        qualifying: list[int] = (sizes >= params.min_activities).reshape(teams, periods).sum(axis=1).tolist()
        milli = to_milli(params.points)
        return [many * milli for many in qualifying]


RULE = ConsistencyBonus()
