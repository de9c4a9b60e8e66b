"""A judge's rubric scores: checked when given, read back as stored, and a judge's q through the rubric."""

from __future__ import annotations

import json
from typing import Any

from app.competitions.services import rubric
from app.errors import Invalid
from app.i18n import _, format_number, parse_number
from scoring.aggregate import Rubric
from scoring.facts import JudgeScore


def stored_scores(raw: Any) -> dict[str, str]:
    """A review's scores as stored (JSON text, or a mapping from PostgreSQL): criterion code -> decimal
    text; anything unreadable reads as no scores."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    return {str(code): str(value) for code, value in raw.items()}


def judge_q(rubric: Rubric, judge_id: int, raw: Any) -> int | None:
    """One judge's q of one review (millionths) through the rubric, or None without a usable score; a
    score that is not a finite number is left out."""
    pairs = [
        (code, number)
        for code, value in stored_scores(raw).items()
        if (number := parse_number(value, localised=False)) is not None
    ]
    if not pairs:
        return None
    return rubric.judge_q(JudgeScore(judge=str(judge_id), scores=tuple(sorted(pairs))))


async def check_team_scores(
    competition_id: int, scores: dict[str, Any], *, localised: bool = False
) -> dict[str, str]:
    """A judge's team-level rubric scores as exact decimal text: every criterion of the team rubric scored,
    within its bounds; otherwise Invalid naming each field (`scores.<code>`; `scores` without a rubric)."""
    criteria = await rubric(competition_id, "team")
    if not criteria:
        raise Invalid({"scores": _("This competition has no team-level rubric yet.")})
    clean, errors = await check_scores(competition_id, scores, localised=localised, scope="team")
    for criterion in criteria:
        field = f"scores.{criterion['code']}"
        if criterion["code"] not in scores and field not in errors:
            errors[field] = _("Give a score for this criterion.")
    if errors:
        raise Invalid(errors)
    return clean


async def check_scores(
    competition_id: int, scores: dict[str, Any], *, localised: bool = False, scope: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """A judge's rubric scores as exact decimal text, and the errors (field `scores.<code>`) if any.
    `localised`: the scores were typed into a page ("72,5") and the bounds in an error are written the
    user's way ("0,5"); otherwise they come from the API (JSON numbers, "72.5") and errors keep the
    stored text."""
    criteria = {c["code"]: c for c in await rubric(competition_id, scope)}
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for code, value in scores.items():
        field = f"scores.{code}"
        criterion = criteria.get(code)
        if criterion is None:
            errors[field] = _("Unknown rubric criterion.")
            continue
        number = parse_number(value, localised=localised)
        if number is None:
            errors[field] = _("Must be a number.")
            continue
        low, high = (
            parse_number(criterion["min"], localised=False),
            parse_number(criterion["max"], localised=False),
        )
        if low is None or high is None or not low <= number <= high:
            errors[field] = _(
                "Must be between %(low)s and %(high)s.",
                low=format_number(criterion["min"], 3) if localised else criterion["min"],
                high=format_number(criterion["max"], 3) if localised else criterion["max"],
            )
            continue
        clean[code] = str(number)
    return clean, errors
