"""Views and periods as the board reads them: the requested view and period (`choose`, the same for every
door), the season's weeks and months, their labels, and the clock (UTC now; tests replace `clock`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app import i18n
from app.competitions.services import CompetitionInfo
from app.errors import Invalid
from app.tables import CLUSTERS
from scoring.engine import parse_view
from scoring.periods import FIRST_YEAR, LAST_YEAR, Period, parse_period


def clock() -> datetime:
    """Now, in UTC; tests replace it."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Choice:
    view: str
    period: Period

    @property
    def is_stored(self) -> bool:
        return self.view == "overall" and self.period.kind == "season"


def choose(view: str | None, period: str | None, type_codes: set[str]) -> Choice:
    """The requested view and period, read the same way by every door (pages, fragments, exports, the
    API); raises Invalid naming each one we do not know, a period outside FIRST_YEAR..LAST_YEAR included."""
    view = view or "overall"
    errors: dict[str, str] = {}
    try:
        parsed = parse_period(period or "season")
    except ValueError:
        errors["period"] = i18n._(
            "Use season, week:YYYY-Www or month:YYYY-MM, of a year from %(first)s to %(last)s.",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    try:
        kind = parse_view(view)
    except ValueError:
        kind = ("", "")
    if kind is not None:
        attribute, value = kind
        if not (
            (attribute == "cluster" and value in CLUSTERS) or (attribute == "type" and value in type_codes)
        ):
            errors["view"] = i18n._("Use overall, cluster:<cluster> or type:<activity type code>.")
    if errors:
        raise Invalid(errors)
    return Choice(view, parsed)


def local_today(info: CompetitionInfo) -> date:
    today = clock().astimezone(ZoneInfo(info.timezone)).date()
    return min(max(today, info.starts_on), info.ends_on)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_label(period: Period | str) -> str:
    """A period as people say it: "Pekan 25 Nov – 1 Des 2026", "Desember 2026", "Seluruh musim"."""
    from babel.dates import format_date

    if isinstance(period, str):
        period = parse_period(period)
    locale = i18n.get_locale()
    dates = period.local_dates()
    if dates is None:
        return i18n._("Whole season")
    first, last = dates[0], dates[1] - timedelta(days=1)
    if period.kind == "month":
        return format_date(first, "LLLL y", locale=locale).capitalize()
    if first.year != last.year:
        span = (
            f"{format_date(first, 'd MMM y', locale=locale)} – {format_date(last, 'd MMM y', locale=locale)}"
        )
    elif first.month != last.month:
        span = f"{format_date(first, 'd MMM', locale=locale)} – {format_date(last, 'd MMM y', locale=locale)}"
    else:
        span = f"{first.day}–{format_date(last, 'd MMM y', locale=locale)}"
    return i18n._("Week %(dates)s", dates=span)


def period_options(info: CompetitionInfo) -> dict[str, list[tuple[str, str]]]:
    """Weeks (Monday first) and months of the season up to today, newest first: (value, label)."""
    last = local_today(info)
    weeks: list[tuple[str, str]] = []
    day = week_start(info.starts_on)
    while day <= last:
        year, number, _ = day.isocalendar()
        period = Period("week", year, number)
        weeks.append((str(period), period_label(period)))
        day += timedelta(days=7)
    months: list[tuple[str, str]] = []
    month = date(info.starts_on.year, info.starts_on.month, 1)
    while month <= last:
        period = Period("month", month.year, month.month)
        months.append((str(period), period_label(period)))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return {"weeks": weeks[::-1], "months": months[::-1]}


def previous_period(period: Period) -> Period | None:
    if period.kind == "week":
        first = date.fromisocalendar(period.year, period.number, 1) - timedelta(days=7)
        year, number, _ = first.isocalendar()
        return Period("week", year, number)
    if period.kind == "month":
        if period.number == 1:
            return Period("month", period.year - 1, 12)
        return Period("month", period.year, period.number - 1)
    return None


def baseline_label(day: date) -> str:
    """The stored "rank when this week began" snapshot of the week containing `day` (period column)."""
    year, number, _ = day.isocalendar()
    return f"mv:{year:04d}-W{number:02d}"
