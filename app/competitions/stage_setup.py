"""Setting a competition's stages up: the stage form's checks, and saving a stage with its weight (a changed
weight publishes a new ruleset version)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app import i18n
from app.accounts.auth import CurrentUser
from app.audit import services as audit
from app.competitions.events import RulesetPublished
from app.competitions.services import (
    CompetitionInfo,
    ruleset_in_force,
    save_ruleset,
)
from app.competitions.stages import stages
from app.db import write_transaction
from app.errors import Conflict, NotFound
from app.events import emit
from app.i18n import parse_number
from app.tables import STAGE_KINDS, RulesetDraft, Stage
from scoring.ruleset import (
    STAGE_WEIGHT_MAX,
    STAGE_WEIGHT_PLACES,
    Ruleset,
    RulesetInvalid,
    parse_ruleset,
    ruleset_to_json,
)

STAGE_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


MAX_TOP_N = 1000


async def _draft_follows(competition_id: int, weights: dict[str, Decimal]) -> None:
    """A working draft of the ruleset editor takes the new stage weights too, so that publishing it later
    does not quietly bring back the old ones."""
    row = (
        await RulesetDraft.select(RulesetDraft.id, RulesetDraft.body)
        .where(RulesetDraft.competition == competition_id)
        .first()
    )
    if row is None:
        return
    try:
        draft = parse_ruleset(row["body"])
    except RulesetInvalid:
        return  # the editor starts again from the ruleset in force
    body = ruleset_to_json(Ruleset(draft.rules, draft.tie_break, weights)).decode()
    await RulesetDraft.update({RulesetDraft.body: body}).where(RulesetDraft.id == row["id"])


def stage_values(stage: dict[str, Any] | None, weights: dict[str, Decimal]) -> dict[str, str]:
    if stage is None:
        return {"code": "", "name": "", "name_en": "", "kind": "team", "top_n": "10", "weight": ""}
    weight = weights.get(stage["code"])
    return {
        "code": stage["code"],
        "name": stage["name"],
        "name_en": stage["name_en"] or "",
        "kind": stage["kind"],
        "top_n": str(stage["top_n"]),
        "weight": "" if weight is None else str(weight),
    }


def parse_weight(raw: str) -> Decimal | None:
    """A stage weight from the form ("0,7" or "0.7"); None when it is not a valid weight."""
    weight = parse_number(raw)
    if weight is None or not 0 < weight <= STAGE_WEIGHT_MAX:
        return None
    if weight != weight.quantize(Decimal(1).scaleb(-STAGE_WEIGHT_PLACES)):
        return None
    return weight.normalize() if weight == weight.to_integral() else weight


def validate_stage(
    values: dict[str, str], stage: dict[str, Any] | None, others: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Checks the stage form (a new stage when `stage` is None); returns the cleaned values and errors."""
    errors: dict[str, str] = {}
    locked = stage is not None and stage["status"] == "closed"
    code = values.get("code", "").strip().lower()
    if not STAGE_CODE.match(code):
        errors["code"] = i18n._("1–32 characters: lowercase letters, digits, - and _.")
    elif any(s["code"] == code for s in others):
        errors["code"] = i18n._("Another stage already uses this code.")
    elif locked and code != stage["code"]:
        errors["code"] = i18n._("A closed stage keeps its code.")
    name = values.get("name", "").strip()
    if not name:
        errors["name"] = i18n._("This field is required.")
    kind = values.get("kind", "")
    if kind not in STAGE_KINDS:
        errors["kind"] = i18n._("Choose a kind of stage.")
    elif locked and kind != stage["kind"]:
        errors["kind"] = i18n._("A closed stage keeps its kind.")
    try:
        top_n = int(values.get("top_n", "0").strip() or "0")
    except ValueError:
        top_n = -1
    if not 0 <= top_n <= MAX_TOP_N:
        errors["top_n"] = i18n._("Enter a whole number between 0 and %(n)s.", n=MAX_TOP_N)
    elif kind == "team" and top_n < 1:
        errors["top_n"] = i18n._("A team stage needs the number of teams that take part (at least 1).")
    raw_weight = values.get("weight", "").strip()
    weight = parse_weight(raw_weight) if raw_weight else None
    if raw_weight and weight is None:
        errors["weight"] = i18n._(
            "Enter a weight greater than 0 and at most %(max)s, with at most %(places)s decimals, or leave "
            "it empty.",
            max=STAGE_WEIGHT_MAX,
            places=STAGE_WEIGHT_PLACES,
        )
    elif weight is not None and kind == "final":
        errors["weight"] = i18n._("The final stage combines the others: it has no weight of its own.")
    cleaned = {
        "code": code,
        "name": name[:200],
        "name_en": values.get("name_en", "").strip()[:200],
        "kind": kind,
        "top_n": top_n if kind == "team" else max(top_n, 0),
        "weight": weight,
    }
    return cleaned, errors


async def save_stage(
    competition: CompetitionInfo, stage_id: int | None, cleaned: dict[str, Any], actor: CurrentUser
) -> int:
    """Creates (stage_id None) or changes a stage; a changed weight publishes a new ruleset version with
    the updated `stages` mapping (standings recomputed), all in one transaction with its audit events."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        all_stages = await stages(competition.id)
        stage = next((s for s in all_stages if s["id"] == stage_id), None) if stage_id else None
        if stage_id is not None and stage is None:
            raise NotFound(i18n._("Stage not found."))
        others = [s for s in all_stages if s["id"] != stage_id]
        if any(s["code"] == cleaned["code"] for s in others):
            raise Conflict(fields={"code": i18n._("Another stage already uses this code.")})
        fields = {k: cleaned[k] for k in ("code", "name", "name_en", "kind", "top_n")}
        if stage is None:
            row = Stage(
                competition=competition.id,
                position=max((s["position"] for s in all_stages), default=-1) + 1,
                status="waiting" if all_stages else "open",
                **fields,
            )
            await row.save()
            stage_id = int(row.id)
            before = None
        else:
            if stage["status"] == "closed" and (
                fields["code"] != stage["code"] or fields["kind"] != stage["kind"]
            ):
                raise Conflict(fields={"code": i18n._("A closed stage keeps its code and kind.")})
            before = {k: stage[k] for k in fields}
            await Stage.update({getattr(Stage, k): v for k, v in fields.items()}).where(Stage.id == stage_id)
        await audit.record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="stage.create" if stage is None else "stage.update",
            object_type="stage",
            object_id=stage_id,
            before=before,
            after=fields,
            competition_id=competition.id,
        )
        _, ruleset = await ruleset_in_force(competition.id)
        weights = dict(ruleset.stages)
        if stage is not None and stage["code"] != cleaned["code"] and stage["code"] in weights:
            weights.pop(stage["code"])
        if cleaned["weight"] is None:
            weights.pop(cleaned["code"], None)
        else:
            weights[cleaned["code"]] = cleaned["weight"]
        if weights != dict(ruleset.stages):
            try:
                version = await save_ruleset(
                    competition.id,
                    Ruleset(ruleset.rules, ruleset.tie_break, weights),
                    actor_id=actor.id,
                    actor_name=actor.username,
                    note=i18n._("Stage weights"),
                )
            except Conflict as exc:
                # The final-results lock of save_ruleset, named on the weight field of the form.
                raise Conflict(fields={"weight": exc.message}) from exc
            await _draft_follows(competition.id, weights)
            await emit(RulesetPublished(competition, version))
    return stage_id
