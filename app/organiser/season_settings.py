"""The season's settings as the console edits them: the values the forms show, their checks (dates, time
zone, review policy, the jury's settings, rubric levels, points) and `update_season`, which stores them
with one audit event and rescores."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app import i18n
from app.audit import services as audit
from app.competitions import services as competitions
from app.competitions.services import CompetitionInfo
from app.db import write_transaction
from app.i18n import parse_number
from app.judging import assignment as jury_service
from app.leaderboard.services import recompute
from app.tables import Account, Competition

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
MAX_REVIEWS = 9
TOLERANCE_ACTIONS = ("extra_judge", "head_judge")
RUBRIC_SCOPES = ("activity", "team")
MAX_LEVELS = 20
DESCRIPTION_MAX = 2000
MAX_POINTS = Decimal(100_000)
PAGE_SIZE = 50
RUBRIC_FIELDS = ("code", "name", "name_en", "weight", "min", "max")
# The rubric form's other inputs per criterion: scope, description and the score levels (one per line).
RUBRIC_EXTRA = ("scope", "description", "levels")
JURY_FIELDS = (
    "blind_judging",
    "q_tolerance",
    "tolerance_action",
    "head_judge",
    "judge_normalisation",
    "place",
)
CRITERION_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
MAX_CRITERIA = 30
BLANK_CRITERIA = 3
MAX_WEIGHT = Decimal(1000)
MAX_SCORE = Decimal(1_000_000)


def season_values(c: CompetitionInfo) -> dict[str, str]:
    return {
        "name": c.name,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "timezone": c.timezone,
        "is_private": "1" if c.is_private else "",
        "reviews_required": str(c.reviews_required),
    }


async def jury_settings(competition_id: int) -> dict[str, Any]:
    """The competition's jury settings as stored (head_judge: an account id or None)."""
    row = await (
        Competition.select(
            Competition.blind_judging,
            Competition.q_tolerance,
            Competition.tolerance_action,
            Competition.head_judge,
            Competition.judge_normalisation,
            Competition.place,
        )
        .where(Competition.id == competition_id)
        .first()
    )
    assert row is not None
    return dict(row)


def jury_values(settings: dict[str, Any]) -> dict[str, str]:
    """The jury settings as the form shows them (the tolerance in the locale's notation, e.g. "0,3")."""
    try:
        tolerance = i18n.format_number(Decimal(settings["q_tolerance"]), 6)
    except (InvalidOperation, TypeError):
        tolerance = str(settings["q_tolerance"])
    return {
        "blind_judging": "1" if settings["blind_judging"] else "",
        "q_tolerance": tolerance,
        "tolerance_action": settings["tolerance_action"],
        "head_judge": str(settings["head_judge"] or ""),
        "judge_normalisation": "1" if settings["judge_normalisation"] else "",
        "place": settings["place"] or "",
    }


async def active_judges() -> list[dict[str, Any]]:
    return await (
        Account.select(Account.id, Account.username, Account.full_name, Account.region_code)
        .where((Account.role == "judge") & Account.is_active.eq(True))
        .order_by(Account.full_name)
        .order_by(Account.username)
    )


def parse_share(raw: str) -> Decimal | None:
    """A share of the 0..1 scale as typed: "0,3" (Indonesian) or "0.3"; None when not a number."""
    return parse_number(raw)


def validate_jury(values: dict[str, str], judge_ids: set[int]) -> tuple[dict[str, Any], dict[str, str]]:
    """The jury settings of the season form, cleaned, and an Indonesian message per invalid field."""
    errors: dict[str, str] = {}
    tolerance = parse_share(values.get("q_tolerance", ""))
    if tolerance is None or not Decimal(0) <= tolerance <= Decimal(1):
        errors["q_tolerance"] = i18n._("Enter a share between 0 and 1, e.g. 0,3.")
    elif tolerance != tolerance.quantize(Decimal("0.000001")):
        errors["q_tolerance"] = i18n._("At most 6 decimals.")
    action = values.get("tolerance_action", "")
    if action not in TOLERANCE_ACTIONS:
        errors["tolerance_action"] = i18n._("Choose one more judge or the head judge.")
    head: int | None = None
    raw_head = values.get("head_judge", "").strip()
    if raw_head:
        try:
            head = int(raw_head)
        except ValueError:
            head = -1
        if head not in judge_ids:
            errors["head_judge"] = i18n._("Choose an active judge.")
    elif action == "head_judge":
        errors["head_judge"] = i18n._("Choose the head judge who decides when the scores spread too far.")
    place = values.get("place", "").strip()
    if not place:
        errors["place"] = i18n._("Where the Berita Acara is signed, e.g. Surabaya.")
    # Stored as plain decimal text ("0.3"); adding 0 turns "-0" into "0".
    stored_tolerance = ""
    if tolerance is not None and "q_tolerance" not in errors:
        stored_tolerance = f"{(tolerance + 0).normalize():f}"
    cleaned = {
        "blind_judging": values.get("blind_judging") == "1",
        "q_tolerance": stored_tolerance,
        "tolerance_action": action,
        "head_judge": head,
        "judge_normalisation": values.get("judge_normalisation") == "1",
        "place": place[:200],
    }
    return cleaned, errors


def validate_season(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = values.get("name", "").strip()
    if not name:
        errors["name"] = i18n._("This field is required.")
    dates: dict[str, date] = {}
    for key in ("starts_on", "ends_on"):
        try:
            dates[key] = date.fromisoformat(values.get(key, "").strip())
        except ValueError:
            errors[key] = i18n._("Enter a date such as 2024-02-14.")
    errors.update(competitions.season_date_errors(dates.get("starts_on"), dates.get("ends_on")))
    timezone = values.get("timezone", "")
    if timezone not in TIMEZONES:
        errors["timezone"] = i18n._("Choose WIB, WITA or WIT.")
    try:
        reviews = int(values.get("reviews_required", ""))
    except ValueError:
        reviews = 0
    if not 1 <= reviews <= MAX_REVIEWS:
        errors["reviews_required"] = i18n._("Between 1 and %(n)s reviews.") % {"n": MAX_REVIEWS}
    cleaned = {
        "name": name[:200],
        "starts_on": dates.get("starts_on"),
        "ends_on": dates.get("ends_on"),
        "timezone": timezone,
        "is_private": values.get("is_private") == "1",
        "reviews_required": reviews,
    }
    return cleaned, errors


async def update_season(
    competition: CompetitionInfo,
    cleaned: dict[str, Any],
    *,
    actor_id: int,
    actor_name: str,
    jury: dict[str, Any] | None = None,
) -> int:
    """Stores the season's settings (and, given `jury`, the jury's settings) with one audit event (before
    and after); the standings are recomputed because weeks, months and local days depend on the dates and
    the time zone, and per-judge normalisation changes the scores. When more reviews are now required,
    the submitted activities get their extra judges at once; returns how many judges were assigned."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        before = {k: v for k, v in season_values(competition).items() if k != "is_private"} | {
            "is_private": competition.is_private
        }
        jury_before = await jury_settings(competition.id)
        # Dates, time zone and per-judge normalisation change the scores: under the final-results lock.
        if (cleaned["starts_on"], cleaned["ends_on"], cleaned["timezone"]) != (
            competition.starts_on,
            competition.ends_on,
            competition.timezone,
        ) or (
            jury is not None and bool(jury["judge_normalisation"]) != bool(jury_before["judge_normalisation"])
        ):
            await competitions.ensure_results_open(competition.id)
        changes: dict[Any, Any] = {
            Competition.name: cleaned["name"],
            Competition.starts_on: cleaned["starts_on"],
            Competition.ends_on: cleaned["ends_on"],
            Competition.timezone: cleaned["timezone"],
            Competition.is_private: cleaned["is_private"],
            Competition.reviews_required: cleaned["reviews_required"],
        }
        if jury is not None:
            changes.update(
                {
                    Competition.blind_judging: jury["blind_judging"],
                    Competition.q_tolerance: jury["q_tolerance"],
                    Competition.tolerance_action: jury["tolerance_action"],
                    Competition.head_judge: jury["head_judge"],
                    Competition.judge_normalisation: jury["judge_normalisation"],
                    Competition.place: jury["place"],
                }
            )
        await Competition.update(changes).where(Competition.id == competition.id)
        after = {**cleaned, "starts_on": str(cleaned["starts_on"]), "ends_on": str(cleaned["ends_on"])}
        before["reviews_required"] = competition.reviews_required
        if jury is not None:
            before.update(jury_before)
            after.update(jury)
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="competition.update",
            object_type="competition",
            object_id=competition.id,
            before=before,
            after=after,
            competition_id=competition.id,
        )
        fresh = await competitions.competition_by_id(competition.id)
        assert fresh is not None
        await recompute(fresh)
    if cleaned["reviews_required"] > competition.reviews_required:
        return await jury_service.ensure_assignments(fresh)
    return 0


BLANK_EXTRA = {"scope": "activity", "description": "", "levels": ""}


def levels_text(stored: Any) -> str:
    """A criterion's stored levels as the editor shows them: one "score: Indonesian | English" a line."""
    try:
        levels = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return ""
    lines = []
    for level in levels if isinstance(levels, list) else []:
        if isinstance(level, dict) and "score" in level:
            line = f"{level['score']}: {level.get('id') or ''}"
            if level.get("en"):
                line += f" | {level['en']}"
            lines.append(line)
    return "\n".join(lines)


def parse_levels(
    text: str, low: Decimal | None, high: Decimal | None
) -> tuple[list[dict[str, str]], str | None]:
    """The score levels typed as lines "score: Indonesian description | English description".

    Returns the levels ({"score", "id", "en"}, sorted by score) and an Indonesian message for the first
    problem: a line without "score:", a score that is not a number, outside min..max, or repeated.
    """
    levels: list[tuple[Decimal, dict[str, str]]] = []
    seen: set[Decimal] = set()
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    if len(lines) > MAX_LEVELS:
        return [], i18n._("At most %(n)s levels.") % {"n": MAX_LEVELS}
    for number, line in enumerate(lines, start=1):
        score_text, sep, rest = line.partition(":")
        if not sep:
            score_text, sep, rest = line.partition("=")
        score = parse_points(score_text) if sep else None
        if score is None:
            return [], i18n._('Line %(line)s: write "score: description", e.g. "3: Cukup | Fair".') % {
                "line": number
            }
        if low is not None and high is not None and not low <= score <= high:
            return [], i18n._("Line %(line)s: the score must lie between the lowest and highest score.") % {
                "line": number
            }
        if score in seen:
            return [], i18n._("Line %(line)s: each score may have one description.") % {"line": number}
        seen.add(score)
        indonesian, _bar, english = rest.partition("|")
        if not indonesian.strip():
            return [], i18n._("Line %(line)s: the description is missing.") % {"line": number}
        levels.append(
            (
                score,
                {
                    "score": f"{(score + 0).normalize():f}",
                    "id": indonesian.strip()[:500],
                    "en": english.strip()[:500],
                },
            )
        )
    levels.sort(key=lambda item: item[0])
    return [level for _score, level in levels], None


def _count(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 1_000_000))
    except ValueError:
        return 0


def parse_points(raw: str) -> Decimal | None:
    """Points as typed ("2,5" or "2.5"), at most three decimals; None when not such a number."""
    number = parse_number(raw)
    try:
        # quantize raises for a number with more digits than Decimal's precision: no points are that large.
        if number is None or number != number.quantize(Decimal("0.001")):
            return None
    except InvalidOperation:
        return None
    return number
