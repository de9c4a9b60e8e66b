"""Rule ``joint_only``: only joint activities (Senkom members together with officers) count."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from scoring.columnar import Stage
from scoring.facts import Activity
from scoring.rules.base import EligibilityRule, TeamContext

DOC_ID = """\
**Yang dihargai.** Hanya kegiatan *bersama*: sedikitnya `min_senkom` anggota Senkom dan sedikitnya
`min_officers` petugas (Bhabinkamtibmas / Polisi RW) hadir. Kegiatan lain tidak dihitung. Dengan
`require_confirmation`, kegiatan bersama baru dihitung setelah petugas yang disebut di dalamnya
mengonfirmasinya dari akun petugasnya (konfirmasi bersama).

**Mengapa.** Lomba ini menilai *sinergi*. Kegiatan yang dilakukan satu pihak saja, betapapun baiknya,
bukan kemitraan yang dilombakan. Konfirmasi petugas menjadikan kegiatan itu kesaksian kedua pihak, bukan
hanya kata tim Senkom.

**Parameter.**

| nama | bawaan | batas | arti |
|---|---|---|---|
| `min_senkom` | 1 | 0–1.000 | jumlah minimal anggota Senkom |
| `min_officers` | 1 | 0–1.000 | jumlah minimal petugas |
| `require_confirmation` | `false` | `true` / `false` | hanya kegiatan yang sudah dikonfirmasi petugas |

**Contoh.** Dengan bawaan: kegiatan #1 (3 anggota Senkom, 1 petugas) dihitung; kegiatan #2
(4 anggota Senkom, 0 petugas) tidak dihitung, dengan penjelasan "Bukan kegiatan bersama: 0 petugas
(minimal 1)". Dengan `require_confirmation: true`: kegiatan #3 (2 anggota Senkom, 1 petugas) yang belum
dikonfirmasi petugas tidak dihitung, dengan penjelasan "Belum dikonfirmasi petugas"; begitu petugas
mengonfirmasinya, kegiatan #3 dihitung. Tanpa parameter ini (bawaan), konfirmasi tidak mengubah apa pun,
sehingga aturan yang sudah diterbitkan tetap berarti sama.
"""

DOC_EN = """\
**What it rewards.** Only *joint* activities: at least `min_senkom` Senkom members and at least
`min_officers` officers (Bhabinkamtibmas / Polisi RW) took part. Other activities do not count. With
`require_confirmation`, a joint activity counts only once an officer named on it has confirmed it from
their officer account (co-attestation).

**Why.** The competition rewards *partnership*. An activity run by one side alone, however good, is not
what is being judged. The officer's confirmation makes the activity both partners' word, not only the
Senkom team's.

**Parameters.**

| name | default | bounds | meaning |
|---|---|---|---|
| `min_senkom` | 1 | 0–1,000 | minimum number of Senkom members |
| `min_officers` | 1 | 0–1,000 | minimum number of officers |
| `require_confirmation` | `false` | `true` / `false` | only activities an officer has confirmed |

**Worked example.** With the defaults: activity #1 (3 Senkom members, 1 officer) counts; activity #2
(4 Senkom members, 0 officers) does not, explained as "Not a joint activity: 0 officers (minimum 1)".
With `require_confirmation: true`: activity #3 (2 Senkom members, 1 officer) that no officer has
confirmed yet does not count, explained as "Not yet confirmed by the officer"; once the officer confirms
it, activity #3 counts. Without the parameter (the default) a confirmation changes nothing, so published
rulesets keep their meaning.
"""


#: The explanation of a joint activity left out because no officer has confirmed it yet (Indonesian,
#: English: the engine is pure, so its lines carry both languages, as every rule's do).
UNCONFIRMED = ("Belum dikonfirmasi petugas", "Not yet confirmed by the officer")


class JointOnlyParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    min_senkom: Annotated[int, msgspec.Meta(ge=0, le=1000, description="Minimum Senkom members")] = 1
    min_officers: Annotated[int, msgspec.Meta(ge=0, le=1000, description="Minimum officers")] = 1
    require_confirmation: Annotated[
        bool, msgspec.Meta(description="Only activities an officer has confirmed")
    ] = False


class JointOnly(EligibilityRule):
    id: ClassVar[str] = "joint_only"
    title: ClassVar[dict[str, str]] = {"id": "Hanya kegiatan bersama", "en": "Joint activities only"}
    doc: ClassVar[dict[str, str]] = {"id": DOC_ID, "en": DOC_EN}
    params_type: ClassVar[type[msgspec.Struct]] = JointOnlyParams
    additive: ClassVar[bool] = True

    def select(self, params: Any, ctx: TeamContext) -> list[int] | None:
        # One pass over the activities reads both counts while each activity is in cache.
        min_senkom: int = params.min_senkom
        min_officers: int = params.min_officers
        confirmed_only: bool = params.require_confirmation
        count = len(ctx.activities)
        kept = [
            i
            for i, a in enumerate(ctx.activities)
            if a.senkom_count >= min_senkom
            and a.officer_count >= min_officers
            and (a.officer_confirmed or not confirmed_only)
        ]
        return None if len(kept) == count else kept

    def kernel(self, params: Any, stage: Stage) -> Stage | None:
        mask = (stage.ints("senkom_count") >= params.min_senkom) & (
            stage.ints("officer_count") >= params.min_officers
        )
        if params.require_confirmation:
            mask &= stage.flags("officer_confirmed")
        return None if mask.all() else stage.keep(mask)

    def explain_removed(self, params: Any, ctx: TeamContext, activity: Activity) -> tuple[str, str]:
        id_parts, en_parts = [], []
        if activity.senkom_count < params.min_senkom:
            id_parts.append(f"{activity.senkom_count} anggota Senkom (minimal {params.min_senkom})")
            en_parts.append(f"{activity.senkom_count} Senkom members (minimum {params.min_senkom})")
        if activity.officer_count < params.min_officers:
            id_parts.append(f"{activity.officer_count} petugas (minimal {params.min_officers})")
            en_parts.append(f"{activity.officer_count} officers (minimum {params.min_officers})")
        if not id_parts:  # a joint activity, removed because no officer has confirmed it yet
            return UNCONFIRMED
        return (
            "Bukan kegiatan bersama: " + ", ".join(id_parts),
            "Not a joint activity: " + ", ".join(en_parts),
        )


RULE = JointOnly()
