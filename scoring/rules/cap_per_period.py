"""Rule ``cap_per_period``: at most ``max`` activities count per team per week or month."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import compress, filterfalse, repeat
from operator import add, mul
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import numpy as np

from scoring.arrays import stable_argsort
from scoring.columnar import Stage
from scoring.facts import Activity
from scoring.rules.base import EligibilityRule, TeamContext

DOC_ID = """\
**Yang dihargai.** Kerja yang teratur, bukan banjir laporan: dalam setiap periode (`period`: minggu ISO
atau bulan, menurut zona waktu lomba) paling banyak `max` kegiatan sebuah tim yang dihitung — per jenis
kegiatan bila `scope="type"`, atau semua jenis bersama bila `scope="all"`. Yang dihitung adalah yang
paling awal terjadi (`occurred_at`), lalu yang nomornya (id) paling kecil.

**Mengapa.** Tanpa batas, tim yang memecah satu kegiatan menjadi sepuluh laporan akan menang. Batas
mendorong kegiatan yang tersebar sepanjang lomba.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `period` | `"week"` | `"week"` atau `"month"` | periode batas |
| `max` | 5 | 1–10.000 | jumlah maksimal kegiatan yang dihitung per periode |
| `scope` | `"type"` | `"type"` atau `"all"` | batas per jenis kegiatan, atau untuk semua jenis |

**Contoh.** `{period: "week", max: 2, scope: "type"}`. Dalam minggu 2024-W07 tim mencatat tiga DDS
(#4 Senin, #9 Selasa, #7 Rabu) dan satu BINLUH (#8 Kamis). Dihitung: #4, #9 dan #8. Kegiatan #7 tidak
dihitung: "Melebihi batas 2 kegiatan DDS per minggu (week:2024-W07)".
"""

DOC_EN = """\
**What it rewards.** Steady work rather than a flood of reports: in each period (`period`: ISO week or
month, in the competition's time zone) at most `max` of a team's activities count — per activity type
when `scope="type"`, or all types together when `scope="all"`. The earliest (`occurred_at`) count first,
then the lowest id.

**Why.** Without a cap, a team that splits one activity into ten reports would win. A cap favours work
spread over the whole competition.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `period` | `"week"` | `"week"` or `"month"` | the period of the cap |
| `max` | 5 | 1–10,000 | most activities counted per period |
| `scope` | `"type"` | `"type"` or `"all"` | a cap per activity type, or one for all types |

**Worked example.** `{period: "week", max: 2, scope: "type"}`. In week 2024-W07 a team records three
DDS (#4 Monday, #9 Tuesday, #7 Wednesday) and one BINLUH (#8 Thursday). Counted: #4, #9 and #8.
Activity #7 does not count: "Over the cap of 2 DDS activities per week (week:2024-W07)".
"""


class CapPerPeriodParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    period: Literal["week", "month"] = "week"
    max: Annotated[int, msgspec.Meta(ge=1, le=10000, description="Most activities counted per period")] = 5
    scope: Literal["type", "all"] = "type"


class CapPerPeriod(EligibilityRule):
    id: ClassVar[str] = "cap_per_period"
    title: ClassVar[dict[str, str]] = {"id": "Batas kegiatan per periode", "en": "Cap per period"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = CapPerPeriodParams

    def select(self, params: Any, ctx: TeamContext) -> list[int] | None:
        limit: int = params.max
        count = len(ctx.activities)
        if count <= limit:
            return None
        # Group keys are small integers (period index, times the number of types, plus the type's
        # index), built with C-level maps: no tuple per activity.
        periods, _ = ctx.period_keys(params.period)
        keys = periods
        if params.scope == "type":
            types = ctx.column("type")
            index = {kind: i for i, kind in enumerate(set(types))}
            keys = list(map(add, map(mul, periods, repeat(len(index), count)), map(index.__getitem__, types)))
        over = {key for key, size in Counter(keys).items() if size > limit}
        if not over:
            return None
        groups: defaultdict[int, list[int]] = defaultdict(list)
        for i in compress(range(count), map(over.__contains__, keys)):
            groups[keys[i]].append(i)
        occurred_at = ctx.column("occurred_at")
        removed: set[int] = set()
        for members in groups.values():
            members.sort(key=occurred_at.__getitem__)
            if occurred_at[members[limit - 1]] == occurred_at[members[limit]]:
                # A tie on time straddles the cut: the lowest ids win, so order by (time, id).
                ids = ctx.column("id")
                members.sort(key=lambda i: (occurred_at[i], ids[i]))
            removed.update(members[limit:])
        return list(filterfalse(removed.__contains__, range(count)))

    def kernel(self, params: Any, stage: Stage) -> Stage | None:
        limit: int = params.max
        keys = stage.period_key(params.period, "type" if params.scope == "type" else None)
        if len(keys) <= limit:
            return None
        sizes = np.bincount(keys)
        over = sizes[keys] > limit
        if not over.any():
            return None
        # A stage is in (occurred_at, id) order within each team, so an activity's rank in its cell is
        # its place among that cell's activities in stage order: a stable sort by cell gives it.
        crowded = np.flatnonzero(over)
        cells = keys[crowded]
        order = stable_argsort(cells)
        ordered = cells[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        first = np.repeat(starts, np.diff(np.append(starts, len(ordered))))
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(len(order), dtype=np.int64) - first
        mask = np.ones(len(keys), dtype=np.bool_)
        mask[crowded[ranks >= limit]] = False
        return stage.keep(mask)

    def explain_removed(self, params: Any, ctx: TeamContext, activity: Activity) -> tuple[str, str]:
        of_day, labels = ctx.calendar.period_index(params.period)
        label = labels[of_day[ctx.calendar.day_of(activity.occurred_at)]]
        unit_id, unit_en = ("minggu", "week") if params.period == "week" else ("bulan", "month")
        what = f"{activity.type} " if params.scope == "type" else ""
        return (
            f"Melebihi batas {params.max} kegiatan {what}per {unit_id} ({label})",
            f"Over the cap of {params.max} {what}activities per {unit_en} ({label})",
        )


RULE = CapPerPeriod()
