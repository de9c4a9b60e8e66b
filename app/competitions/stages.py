"""A competition's stages: which exist and in what order, whether each is open, and setting them up.

A season runs through ordered stages (``app.tables.Stage``): activity verification, then team-level stages,
then the final decision. Which stages exist and whether activity verification is closed is part of the
competition's set-up: every context below judging asks here (e.g. whether an activity may still be sent)."""

from __future__ import annotations

from typing import Any

from app.i18n import get_locale
from app.tables import Stage

DEFAULT_STAGES = (
    # code, name, name_en, kind, top_n, status
    ("verifikasi", "Verifikasi kegiatan", "Activity verification", "activity", 0, "open"),
    ("lapangan", "Penilaian lapangan", "Field assessment", "team", 10, "waiting"),
    ("penetapan", "Penetapan", "Final decision", "final", 0, "waiting"),
)


async def stages(competition_id: int) -> list[dict[str, Any]]:
    return await (
        Stage.select().where(Stage.competition == competition_id).order_by(Stage.position).order_by(Stage.id)
    )


async def stage_by_id(competition_id: int, stage_id: int) -> dict[str, Any] | None:
    return await Stage.select().where((Stage.competition == competition_id) & (Stage.id == stage_id)).first()


async def activity_stage(competition_id: int) -> dict[str, Any] | None:
    return await (
        Stage.select()
        .where((Stage.competition == competition_id) & (Stage.kind == "activity"))
        .order_by(Stage.position)
        .order_by(Stage.id)
        .first()
    )


async def ensure_default_stages(competition_id: int) -> None:
    """Gives a competition the three usual stages unless it has stages already (idempotent)."""
    if await Stage.exists().where(Stage.competition == competition_id):
        return
    await Stage.insert(
        *[
            Stage(
                competition=competition_id,
                position=i,
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                top_n=top_n,
                status=status,
            )
            for i, (code, name, name_en, kind, top_n, status) in enumerate(DEFAULT_STAGES)
        ]
    )


def stage_label(stage: dict[str, Any]) -> str:
    return (stage.get("name_en") or stage["name"]) if get_locale() == "en" else stage["name"]


async def stage_closed_for_activity(competition_id: int) -> bool:
    stage = await activity_stage(competition_id)
    return stage is not None and stage["status"] == "closed"
