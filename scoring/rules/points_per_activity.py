"""Rule ``points_per_activity``: each counted activity earns the points of its type."""

from __future__ import annotations

from decimal import Decimal
from itertools import repeat
from typing import Annotated, Any, ClassVar

import msgspec
import numpy as np

from scoring.arrays import Ints
from scoring.columnar import Stage
from scoring.facts import Activity
from scoring.fixedpoint import format_points, from_milli, to_milli
from scoring.rules.base import ActivityRule, TeamContext, decimal_param

DOC_ID = """\
**Yang dihargai.** Setiap kegiatan yang dihitung mendapat poin menurut jenisnya: `points[jenis]`, atau
`default` bila jenisnya tidak ada di daftar.

**Mengapa.** Jenis kegiatan berbeda bobotnya: menyelesaikan perselisihan warga (PROBLEM_SOLVING) lebih
berat daripada sambang (DDS). Panitia menetapkan bobot itu tanpa mengubah kode.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `points` | `{}` | kode jenis (huruf besar) → 0–1.000, maks. 3 desimal | poin per jenis kegiatan |
| `default` | 0 | 0–1.000, maks. 3 desimal | poin untuk jenis yang tidak terdaftar |

**Contoh.** `{points: {"DDS": 2, "PROBLEM_SOLVING": 5}, default: 1}`: satu DDS, satu PROBLEM_SOLVING dan
satu FKPM memberi 2 + 5 + 1 = 8 poin; penjelasannya "Jenis DDS: 2 poin", "Jenis PROBLEM_SOLVING: 5 poin",
"Jenis FKPM (poin bawaan): 1 poin".
"""

DOC_EN = """\
**What it rewards.** Every counted activity earns the points of its type: `points[type]`, or `default`
when its type is not listed.

**Why.** Activity types weigh differently: settling a residents' dispute (PROBLEM_SOLVING) is heavier
than a door-to-door visit (DDS). Organisers set those weights without touching code.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `points` | `{}` | type code (upper case) → 0–1,000, at most 3 decimals | points per activity type |
| `default` | 0 | 0–1,000, at most 3 decimals | points for a type not listed |

**Worked example.** `{points: {"DDS": 2, "PROBLEM_SOLVING": 5}, default: 1}`: one DDS, one PROBLEM_SOLVING
and one FKPM earn 2 + 5 + 1 = 8 points, explained as "Type DDS: 2 points", "Type PROBLEM_SOLVING:
5 points", "Type FKPM (default points): 1 point".
"""

TypeCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")]


class PointsPerActivityParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    points: dict[TypeCode, decimal_param(0, 1000)] = {}  # type: ignore[valid-type]
    default: decimal_param(0, 1000, "Points for a type not listed") = Decimal(0)  # type: ignore[valid-type]


def _unit(milli: int, locale: str) -> str:
    if locale == "id":
        return f"{format_points(from_milli(milli))} poin"
    return f"{format_points(from_milli(milli), 'en')} point{'' if milli == 1000 else 's'}"


class PointsPerActivity(ActivityRule):
    id: ClassVar[str] = "points_per_activity"
    title: ClassVar[dict[str, str]] = {"id": "Poin per jenis kegiatan", "en": "Points per activity type"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = PointsPerActivityParams
    additive: ClassVar[bool] = True

    def points(self, params: Any, ctx: TeamContext, running: list[int]) -> list[int]:
        table = {code: to_milli(value) for code, value in params.points.items()}
        default = to_milli(params.default)
        types = ctx.column("type")
        return list(map(table.get, types, repeat(default, len(types))))

    def kernel(self, params: Any, stage: Stage, running: Ints | None) -> Ints:
        table = {code: to_milli(value) for code, value in params.points.items()}
        default = to_milli(params.default)
        kinds = stage.kinds("type")
        values = np.array([table.get(kind, default) for kind in kinds] + [default], dtype=np.int64)
        result: Ints = values[stage.codes("type")]  # (code -1, no type at all, reads the last entry)
        return result

    def explain(
        self, params: Any, ctx: TeamContext, activity: Activity, before: int, milli: int
    ) -> tuple[str, str]:
        if activity.type in params.points:
            return (
                f"Jenis {activity.type}: {_unit(milli, 'id')}",
                f"Type {activity.type}: {_unit(milli, 'en')}",
            )
        return (
            f"Jenis {activity.type} (poin bawaan): {_unit(milli, 'id')}",
            f"Type {activity.type} (default points): {_unit(milli, 'en')}",
        )


RULE = PointsPerActivity()
