"""Immutable inputs of the scoring engine: the competition, its teams, activities and adjustments.

The Structs are ``gc=False``: being frozen and holding only scalars and tuples they cannot form reference
cycles, and a million activities left out of the cycle collector make every collection cheaper. The one
exception is :class:`Facts`, which takes weak references instead (msgspec allows one or the other):
the engine keeps the facts' columns (``scoring.columnar``) for as long as the facts object lives.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec

__all__ = [
    "CLUSTERS",
    "STATUSES",
    "Activity",
    "Adjustment",
    "Competition",
    "Criterion",
    "Facts",
    "JudgeScore",
    "Team",
]

#: Senkom's three clusters (klaster), as stored on activities.
CLUSTERS: tuple[str, ...] = ("kamtibmas", "bencana", "bela_negara")
#: The review states of an activity; only ``verified`` ones can count.
STATUSES: tuple[str, ...] = ("submitted", "verified", "rejected")


class Team(msgspec.Struct, frozen=True, gc=False):
    """One competing team: the Senkom board of a regency/city and its officers."""

    code: str
    name: str
    desa_count: int


class Criterion(msgspec.Struct, frozen=True, gc=False):
    """One rubric criterion: its weight (bobot) and the range of scores a judge may give."""

    code: str
    weight: Decimal
    min: Decimal
    max: Decimal


class JudgeScore(msgspec.Struct, frozen=True, gc=False):
    """One judge's rubric scores for one activity, as (criterion code, score) pairs."""

    judge: str
    scores: tuple[tuple[str, Decimal], ...]


class Activity(msgspec.Struct, frozen=True, gc=False):
    """One joint activity as recorded by a team, with its review status and the judges' scores."""

    id: int
    team: str
    type: str
    cluster: str
    occurred_at: datetime
    desa_code: str | None
    senkom_count: int
    officer_count: int
    residents_reached: int
    preemptive: bool
    status: str
    judge_scores: tuple[JudgeScore, ...] = ()


class Adjustment(msgspec.Struct, frozen=True, gc=False):
    """An organisers' bonus (positive) or penalty (negative), with its reason."""

    id: int
    team: str
    points: Decimal
    reason: str


class Competition(msgspec.Struct, frozen=True, gc=False):
    """The season: its inclusive local dates, its time zone and its rubric."""

    starts_on: date
    ends_on: date
    timezone: str = "Asia/Jakarta"
    rubric: tuple[Criterion, ...] = ()


class Facts(msgspec.Struct, frozen=True, weakref=True):
    """Everything the engine needs to know; the web app builds it from its rows.

    Build a new Facts when the data changes rather than reusing one: its columns are cached by
    identity (the Struct is frozen, and so are the tuples it holds).
    """

    competition: Competition
    teams: tuple[Team, ...]
    activities: tuple[Activity, ...]
    adjustments: tuple[Adjustment, ...] = ()
