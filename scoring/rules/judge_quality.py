"""Rule ``judge_quality``: an activity's points so far are scaled by the judges' rubric quality."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import numpy as np

from scoring.aggregate import MICRO, Rubric, method_name, rubric_for
from scoring.arrays import Ints, check_product, div_round_array
from scoring.columnar import NO_Q, Stage
from scoring.facts import Activity
from scoring.fixedpoint import MILLI, div_round, format_points, from_milli, to_milli
from scoring.rules.base import ActivityRule, TeamContext, decimal_param

DOC_ID = """\
**Yang dihargai.** Mutu kegiatan menurut dewan juri. Nilai rubrik setiap juri menjadi mutu q antara 0 dan 1:
setiap kriteria diskalakan dari `min`..`max`-nya ke 0..1, lalu dirata-rata dengan bobotnya
(*Nilai = Bobot × Skor*). Nilai q para juri digabung dengan `method`: `mean` (rata-rata), `median`, atau
`trimmed_mean` (membuang `trim` nilai tertinggi dan terendah bila ada lebih dari 2 × `trim` nilai; bila
tidak, rata-rata biasa). Poin kegiatan sejauh ini (dari aturan kegiatan di atasnya) dikalikan
`floor + (1 − floor) × q`. Kegiatan tanpa nilai juri: pengali 1. q dihitung sampai sepersejuta, poin
dibulatkan ke 0,001 (setengah ke genap).

**Mengapa.** Banyaknya kegiatan saja tidak cukup; juri dari berbagai instansi menilai apakah kegiatan itu
bermutu. `floor` menjaga agar kegiatan yang sah tetap bernilai walau mutunya rendah.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `method` | `"mean"` | `"mean"`, `"median"`, `"trimmed_mean"` | cara menggabung nilai para juri |
| `trim` | 1 | 0–10 | jumlah nilai tertinggi dan terendah yang dibuang (`trimmed_mean`) |
| `floor` | 0,5 | 0–1, maks. 3 desimal | pengali untuk mutu 0 |

**Contoh.** Rubrik: kemitraan (bobot 60, skor 0–100) dan dampak (bobot 40, skor 0–10). Juri A memberi
80 dan 5 → q = (60 × 0,8 + 40 × 0,5) / 100 = 0,68; juri B memberi 100 dan 10 → q = 1; juri C memberi
50 dan 5 → q = 0,5. Dengan `trimmed_mean`, `trim=1`: tersisa 0,68. Pengali = 0,5 + 0,5 × 0,68 = 0,84.
Kegiatan dengan 6 poin sebelumnya menjadi 5,04 poin: aturan ini memberi −0,96 poin.
"""

DOC_EN = """\
**What it rewards.** The quality of an activity as judged by the panel. Each judge's rubric scores
become a quality q between 0 and 1: every criterion is scaled from its `min`..`max` to 0..1, then
averaged with its weight (*Nilai = Bobot × Skor*). The judges' q are combined by `method`: `mean`,
`median`, or `trimmed_mean` (drops the `trim` highest and lowest when there are more than 2 × `trim`
values, else the plain mean). The activity's points so far (from the activity rules above this one) are
multiplied by `floor + (1 − floor) × q`. No rubric scores: factor 1. q is carried to millionths, points
are rounded to 0.001 (half to even).

**Why.** Counting activities is not enough; a multi-agency panel judges whether they were any good.
`floor` keeps a verified activity worth something even when its quality is low.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `method` | `"mean"` | `"mean"`, `"median"`, `"trimmed_mean"` | how the judges' scores combine |
| `trim` | 1 | 0–10 | highest and lowest values dropped (`trimmed_mean`) |
| `floor` | 0.5 | 0–1, at most 3 decimals | the factor for quality 0 |

**Worked example.** Rubric: partnership (weight 60, scores 0–100) and impact (weight 40, scores 0–10).
Judge A gives 80 and 5 → q = (60 × 0.8 + 40 × 0.5) / 100 = 0.68; judge B gives 100 and 10 → q = 1;
judge C gives 50 and 5 → q = 0.5. With `trimmed_mean`, `trim=1`: 0.68 remains. Factor =
0.5 + 0.5 × 0.68 = 0.84. An activity with 6 points so far ends with 5.04: this rule gives −0.96 points.
"""


class JudgeQualityParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    method: Literal["mean", "median", "trimmed_mean"] = "mean"
    trim: Annotated[int, msgspec.Meta(ge=0, le=10, description="Values dropped at each end")] = 1
    floor: decimal_param(0, 1, "The factor for quality 0") = Decimal("0.5")  # type: ignore[valid-type]


def rubric_of(ctx: TeamContext) -> Rubric:
    """The competition's prepared rubric (shared by every team and every evaluation)."""
    return rubric_for(tuple(ctx.competition.rubric))


def activity_qualities(ctx: TeamContext, method: str, trim: int) -> list[int | None]:
    """Each activity's combined q in millionths (None without usable rubric scores), cached per team."""
    key = f"quality:{method}:{trim}"
    cached: list[int | None] | None = ctx.cache.get(key)
    if cached is None:
        quality = rubric_of(ctx).quality
        cached = [
            quality(scores, method, trim)[0] if scores else None for scores in ctx.column("judge_scores")
        ]
        ctx.cache[key] = cached
    return cached


class JudgeQuality(ActivityRule):
    id: ClassVar[str] = "judge_quality"
    title: ClassVar[dict[str, str]] = {"id": "Mutu menurut juri", "en": "Judges' quality"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = JudgeQualityParams

    def points(self, params: Any, ctx: TeamContext, running: list[int]) -> list[int]:
        floor = to_milli(params.floor) * (MICRO // MILLI)
        qualities = activity_qualities(ctx, params.method, params.trim)
        result = [0] * len(running)
        for i, q in enumerate(qualities):
            if q is not None and running[i]:
                factor = floor + div_round((MICRO - floor) * q, MICRO)
                result[i] = div_round(running[i] * factor, MICRO) - running[i]
        return result

    def kernel(self, params: Any, stage: Stage, running: Ints | None) -> Ints:
        result = np.zeros(len(stage), dtype=np.int64)
        if running is None:
            return result
        floor = to_milli(params.floor) * (MICRO // MILLI)
        scored = np.flatnonzero(stage.flags("judge_scores")).astype(np.int64)
        scored = scored[running[scored] != 0]
        q = stage.qualities(scored, params.method, params.trim)
        known = q != NO_Q
        scored, q = scored[known], q[known]
        before = running[scored]
        check_product(before, MICRO)
        factor = floor + div_round_array((MICRO - floor) * q, MICRO)
        result[scored] = div_round_array(before * factor, MICRO) - before
        return result

    def explain(
        self, params: Any, ctx: TeamContext, activity: Activity, before: int, milli: int
    ) -> tuple[str, str]:
        q, judges = rubric_of(ctx).quality(activity.judge_scores, params.method, params.trim)
        q_value = Decimal(q or 0).scaleb(-6)
        floor = to_milli(params.floor) * (MICRO // MILLI)
        factor = Decimal(floor + div_round((MICRO - floor) * (q or 0), MICRO)).scaleb(-6)
        # The points this rule adds or takes (the line's own column), then why.
        sign, unit = "+" if milli > 0 else "", "point" if milli == 1000 else "points"
        return (
            f"{sign}{format_points(from_milli(milli))} poin (mutu q = {format_points(q_value)}, "
            f"{method_name(params.method, 'id')} {judges} juri: pengali "
            + f"{factor.normalize():f})".replace(".", ","),
            f"{sign}{format_points(from_milli(milli), 'en')} {unit} "
            f"(quality q = {format_points(q_value, 'en')}, {method_name(params.method, 'en')} of {judges} "
            f"judges: factor {factor.normalize():f})",
        )


RULE = JudgeQuality()
