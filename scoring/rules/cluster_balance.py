"""Rule ``cluster_balance``: a bonus once the counted activities cover all three Senkom clusters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import msgspec
import numpy as np

from scoring.arrays import distinct_per_team
from scoring.columnar import Stage
from scoring.facts import CLUSTERS
from scoring.fixedpoint import format_points, to_milli
from scoring.rules.base import TeamContext, TeamPoints, TeamRule, decimal_param

DOC_ID = """\
**Yang dihargai.** Keseimbangan tiga klaster Senkom: `points` poin, sekali, bila kegiatan yang dihitung
mencakup ketiga klaster — `kamtibmas`, `bencana` (kebencanaan) dan `bela_negara`.

**Mengapa.** Senkom bermitra dengan Polri, BNPB dan Kemhan; tim yang hanya bekerja di satu klaster
melewatkan dua pertiga tugasnya.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `points` | 20 | 0–100.000, maks. 3 desimal | poin bila ketiga klaster tercakup |

**Contoh.** Kegiatan yang dihitung: 5 kamtibmas, 1 bencana, 1 bela_negara → 20 poin ("Ketiga klaster
tercakup: 20 poin"). Tanpa kegiatan bela_negara → 0 poin.
"""

DOC_EN = """\
**What it rewards.** Balance across Senkom's three clusters: `points`, once, when the counted
activities cover all three — `kamtibmas`, `bencana` (disaster response) and `bela_negara`.

**Why.** Senkom partners with Polri, BNPB and Kemhan; a team working in one cluster only misses two
thirds of its mission.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `points` | 20 | 0–100,000, at most 3 decimals | points when all three clusters are covered |

**Worked example.** Counted activities: 5 kamtibmas, 1 bencana, 1 bela_negara → 20 points ("All three
clusters covered: 20 points"). Without a bela_negara activity → 0 points.
"""


class ClusterBalanceParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    points: decimal_param(0, 100000, "Points when all clusters are covered") = Decimal(20)  # type: ignore[valid-type]


class ClusterBalance(TeamRule):
    id: ClassVar[str] = "cluster_balance"
    title: ClassVar[dict[str, str]] = {"id": "Keseimbangan klaster", "en": "Cluster balance"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = ClusterBalanceParams
    additive: ClassVar[bool] = True

    def team_points(self, params: Any, ctx: TeamContext) -> list[TeamPoints]:
        clusters = {a.cluster for a in ctx.activities}
        if not clusters.issuperset(CLUSTERS):
            return []
        return [
            TeamPoints(
                None,
                to_milli(params.points),
                f"Ketiga klaster tercakup: {format_points(params.points)} poin",
                f"All three clusters covered: {format_points(params.points, 'en')} points",
            )
        ]

    def kernel(self, params: Any, stage: Stage) -> list[int]:
        # Each activity's cluster as its index in CLUSTERS; the last entry maps code -1 (no cluster),
        # and any other cluster, to -1, which is not counted.
        kinds = stage.kinds("cluster")
        mapping = np.array([CLUSTERS.index(k) if k in CLUSTERS else -1 for k in kinds] + [-1], dtype=np.int64)
        clusters = mapping[stage.codes("cluster")]
        covered = distinct_per_team(clusters, stage.team_of(), stage.team_count, len(CLUSTERS)).tolist()
        milli = to_milli(params.points)
        return [milli if many == len(CLUSTERS) else 0 for many in covered]


RULE = ClusterBalance()
