"""The JSON shapes of the season's running through API v1: settings, freeze, stages and their Berita Acara,
final results and the audit trail (documented in the OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from app.api.schemas import AdjustmentOut, Number

Text = Annotated[str, Meta(max_length=200)]


class SettingsOut(msgspec.Struct):
    """The season's settings as the console's season page edits them."""

    slug: str
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    is_private: bool
    reviews_required: int
    blind_judging: bool
    q_tolerance: str
    tolerance_action: str
    head_judge: str | None
    judge_normalisation: bool
    place: str


class SettingsIn(msgspec.Struct):
    """A change of the season's settings: fields left out keep their value."""

    name: Text | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    timezone: Annotated[str, Meta(max_length=64)] | None = None
    is_private: bool | None = None
    reviews_required: Annotated[int, Meta(ge=-1000, le=1000)] | None = None
    blind_judging: bool | None = None
    q_tolerance: Number | None = None
    tolerance_action: Annotated[str, Meta(max_length=32)] | None = None
    # A judge's username; an empty string removes the head judge (null or absent keeps it).
    head_judge: Annotated[str, Meta(max_length=64)] | None = None
    judge_normalisation: bool | None = None
    place: Text | None = None


class SettingsSaved(msgspec.Struct):
    settings: SettingsOut
    judges_assigned: int


class FreezeOut(msgspec.Struct):
    frozen: bool
    frozen_at: str | None
    frozen_version: int
    standings_version: int
    changed: bool = False


class StageIn(msgspec.Struct):
    code: Annotated[str, Meta(max_length=32)]
    name: Text
    kind: Annotated[str, Meta(max_length=16)]
    name_en: Text = ""
    top_n: Annotated[int, Meta(ge=-1000, le=100_000)] = 0
    # Empty: no weight of its own (the final stage never has one).
    weight: Number | None = None


class BeritaAcaraOut(msgspec.Struct):
    id: int
    stage_id: int
    stage_code: str
    sha256: str
    created_at: str | None
    created_by: str | None
    url: str


class StageOut(msgspec.Struct):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    top_n: int
    position: int
    status: str
    weight: str | None
    closed_at: str | None
    berita_acara: BeritaAcaraOut | None


class StagePage(msgspec.Struct):
    items: list[StageOut]
    next_cursor: str | None


class QualifierOut(msgspec.Struct):
    rank: int
    team_code: str
    score: str


class ClosePlanOut(msgspec.Struct):
    """What closing the stage would do, as the console's confirmation page shows it."""

    next_stage: str | None
    unjudged_activities: int
    rubric_missing: bool
    earlier_open: list[str]
    qualifiers: list[QualifierOut]


class StageDetail(msgspec.Struct):
    stage: StageOut
    close_plan: ClosePlanOut | None


class StageClosedOut(msgspec.Struct):
    stage: StageOut
    berita_acara: BeritaAcaraOut


class BeritaAcaraPage(msgspec.Struct):
    items: list[BeritaAcaraOut]
    next_cursor: str | None


class FinalRow(msgspec.Struct):
    rank: int
    team_code: str
    team_name: str
    score: str
    counted_activities: int
    shared: bool


class FinalResultsOut(msgspec.Struct):
    competition: str
    published: bool
    published_at: str | None
    published_by: str | None
    ruleset_version: int | None
    note: str
    rows: list[FinalRow]
    # Organisers only (null for everyone else): activities still waiting for the judges.
    waiting_activities: int | None = None


class FinalResultsIn(msgspec.Struct):
    note: Text = ""
    # While activities wait for the judges: the count the organiser was warned of (the 409's `waiting`).
    waiting_acknowledged: Annotated[int, Meta(ge=0, le=1_000_000_000)] = 0


class WaitingConflict(msgspec.Struct):
    """409 of publishing while activities wait: acknowledge `waiting` to publish anyway."""

    status_code: int
    detail: str
    waiting: int


class AuditEventOut(msgspec.Struct):
    id: int
    at: str | None
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    competition_id: int | None
    before: Any
    after: Any
    hash: str
    prev_hash: str


class AuditPage(msgspec.Struct):
    items: list[AuditEventOut]
    next_cursor: str | None


class AuditCheckOut(msgspec.Struct):
    ok: bool
    checked: int
    problem: str
    broken_id: int | None
    expected: int
    expected_last_id: int
    legacy: int
    verdict: str


class AdjustmentPage(msgspec.Struct):
    items: list[AdjustmentOut]
    next_cursor: str | None
