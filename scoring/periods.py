"""Scoring periods (season, ISO week, month) and the competition's local calendar."""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import repeat
from operator import attrgetter, sub
from zoneinfo import ZoneInfo

__all__ = ["FIRST_YEAR", "LAST_YEAR", "Calendar", "Period", "calendar_for", "parse_period"]

# The years a period may name: wider than any season Sinergi will run, narrow enough that every date
# step (a week's end, a month's end, a local midnight in UTC) stays inside Python's calendar.
FIRST_YEAR = 2000
LAST_YEAR = 2100

_WEEK = re.compile(r"week:([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"month:([0-9]{4})-([0-9]{2})")
_days = attrgetter("days")


class Period:
    """A scoring period: the whole season, one ISO week (Monday–Sunday) or one calendar month.

    Weeks and months are local dates in the competition's time zone. ``str(period)`` gives back the
    text that :func:`parse_period` reads.
    """

    __slots__ = ("kind", "number", "year")

    def __init__(self, kind: str, year: int = 0, number: int = 0) -> None:
        if kind == "season":
            year = number = 0
        elif kind == "week":
            date.fromisocalendar(year, number, 1)  # raises ValueError for a week the year lacks
        elif kind == "month":
            if not (1 <= year <= 9999 and 1 <= number <= 12):
                raise ValueError(f"invalid month {year}-{number}")
        else:
            raise ValueError(f"unknown period kind {kind!r}")
        self.kind = kind
        self.year = year
        self.number = number

    def __str__(self) -> str:
        if self.kind == "week":
            return f"week:{self.year:04d}-W{self.number:02d}"
        if self.kind == "month":
            return f"month:{self.year:04d}-{self.number:02d}"
        return "season"

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Period) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def local_dates(self) -> tuple[date, date] | None:
        """The first local date and the day after the last one, or None for the whole season."""
        if self.kind == "week":
            first = date.fromisocalendar(self.year, self.number, 1)
            return first, first + timedelta(days=7)
        if self.kind == "month":
            first = date(self.year, self.number, 1)
            if self.number == 12:
                return first, date(self.year + 1, 1, 1)
            return first, date(self.year, self.number + 1, 1)
        return None


def parse_period(text: str) -> Period:
    """``"season"``, ``"week:2024-W07"`` or ``"month:2024-02"`` of a year FIRST_YEAR..LAST_YEAR; raises
    ValueError otherwise. Every door reads a period through this function."""
    if text == "season":
        return Period("season")
    match = _WEEK.fullmatch(text) or _MONTH.fullmatch(text)
    if match is None:
        raise ValueError(f"invalid period {text!r}: expected season, week:YYYY-Www or month:YYYY-MM")
    year = int(match[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"invalid period {text!r}: the year must lie in {FIRST_YEAR}..{LAST_YEAR}")
    return Period("week" if text.startswith("week") else "month", year, int(match[2]))


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"week:{year:04d}-W{week:02d}"


def month_label(day: date) -> str:
    return f"month:{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=64)
def calendar_for(starts_on: date, ends_on: date, timezone: str) -> Calendar:
    """The calendar of a competition's dates and zone, memoised: it is immutable and the same few
    competitions are evaluated again and again."""
    return Calendar(starts_on, ends_on, timezone)


class Calendar:
    """The competition's days, numbered 0..n-1 in its time zone, with their week and month.

    An activity's day number is found once per evaluation, by subtracting the UTC instant of the first
    local midnight (a C-level datetime operation) when every local day lasts 24 hours, or by bisecting
    the list of local midnights when the zone changes its offset during the competition.
    """

    __slots__ = (
        "dates",
        "midnights",
        "month_labels",
        "month_of_day",
        "ndays",
        "origin",
        "uniform",
        "week_labels",
        "week_of_day",
    )

    def __init__(self, starts_on: date, ends_on: date, timezone: str) -> None:
        zone = ZoneInfo(timezone)
        first, last = starts_on, ends_on
        self.ndays = max((last - first).days + 1, 0)
        self.dates = [first + timedelta(days=i) for i in range(self.ndays)]
        self.midnights = [
            datetime.combine(first + timedelta(days=i), time(0), tzinfo=zone).astimezone(UTC)
            for i in range(self.ndays + 1)
        ]
        self.origin = self.midnights[0]
        self.uniform = all(
            b - a == timedelta(days=1) for a, b in zip(self.midnights, self.midnights[1:], strict=False)
        )
        self.week_labels: list[str] = []
        self.week_of_day: list[int] = []
        self.month_labels: list[str] = []
        self.month_of_day: list[int] = []
        for day in self.dates:
            for label, labels, index in (
                (week_label(day), self.week_labels, self.week_of_day),
                (month_label(day), self.month_labels, self.month_of_day),
            ):
                if not labels or labels[-1] != label:
                    labels.append(label)
                index.append(len(labels) - 1)

    def day_of(self, moment: datetime) -> int:
        """The local day number of an aware datetime (negative or >= ndays when outside)."""
        if self.uniform:
            return (moment - self.origin).days
        return bisect_right(self.midnights, moment) - 1

    def days_of(self, moments: list[datetime]) -> list[int]:
        """:meth:`day_of` for many datetimes, at C speed when every local day lasts 24 hours."""
        if self.uniform:
            return list(map(_days, map(sub, moments, repeat(self.origin, len(moments)))))
        return list(map(self.day_of, moments))

    def day_range(self, period: Period | None) -> tuple[int, int]:
        """The half-open range of day numbers that lie in ``period`` and in the competition."""
        bounds = None if period is None else period.local_dates()
        if bounds is None or self.ndays == 0:
            return 0, self.ndays
        first = self.dates[0]
        lo = max((bounds[0] - first).days, 0)
        hi = min((bounds[1] - first).days, self.ndays)
        return lo, max(lo, hi)

    def period_index(self, kind: str) -> tuple[list[int], list[str]]:
        """Per day, the index of its week or month, and the labels of those periods."""
        if kind == "week":
            return self.week_of_day, self.week_labels
        if kind == "month":
            return self.month_of_day, self.month_labels
        raise ValueError(f"unknown period kind {kind!r}")
