"""The JSON shapes of API v1: what clients send and what they get back (documented in the OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Text = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=5000)]
# Scores, points and weights: a JSON number or a string holding an exact decimal ("12.5").
Number = float | str


class TokenIn(msgspec.Struct):
    username: Annotated[str, Meta(max_length=64)]
    password: Annotated[str, Meta(max_length=256)]


class TokenOut(msgspec.Struct):
    token: str
    role: str
    expires_at: str


class CompetitionIn(msgspec.Struct):
    slug: Annotated[str, Meta(max_length=64)]
    name: Text
    starts_on: date
    ends_on: date
    timezone: Annotated[str, Meta(max_length=64)] = "Asia/Jakarta"
    teams: Literal["jatim", "none"] = "none"
    is_private: bool = False
    reviews_required: Annotated[int, Meta(ge=1, le=15)] = 1


class CompetitionOut(msgspec.Struct):
    slug: str
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    is_private: bool
    reviews_required: int
    ruleset_version: int
    standings_version: int
    created_at: str | None


class CompetitionPage(msgspec.Struct):
    items: list[CompetitionOut]
    next_cursor: str | None


class TeamIn(msgspec.Struct):
    code: Annotated[str, Meta(max_length=16)]
    name: Text = ""


class TeamOut(msgspec.Struct):
    code: str
    name: str


class TeamPage(msgspec.Struct):
    items: list[TeamOut]
    next_cursor: str | None


class ActivityTypeIn(msgspec.Struct):
    code: Annotated[str, Meta(max_length=32)]
    name: Text
    cluster: Annotated[str, Meta(max_length=16)]
    name_en: Text = ""


class ActivityTypeOut(msgspec.Struct):
    code: str
    name: str
    name_en: str
    cluster: str


class LevelIn(msgspec.Struct):
    """What one score means, shown to judges beside the rubric form."""

    score: Number
    id: Annotated[str, Meta(max_length=500)]
    en: Annotated[str, Meta(max_length=500)] = ""


class CriterionIn(msgspec.Struct):
    code: Annotated[str, Meta(max_length=32)]
    name: Text
    weight: Number
    max: Number
    min: Number = 0
    name_en: Text = ""
    scope: Literal["activity", "team"] = "activity"
    description: Annotated[str, Meta(max_length=2000)] = ""
    levels: Annotated[list[LevelIn], Meta(max_length=20)] = []


class RubricIn(msgspec.Struct):
    criteria: Annotated[list[CriterionIn], Meta(max_length=50)]


class LevelOut(msgspec.Struct):
    score: str
    id: str
    en: str


class CriterionOut(msgspec.Struct):
    code: str
    name: str
    name_en: str
    weight: str
    min: str
    max: str
    scope: str = "activity"
    description: str = ""
    levels: list[LevelOut] = []


class RubricOut(msgspec.Struct):
    criteria: list[CriterionOut]


class UserIn(msgspec.Struct):
    username: Annotated[str, Meta(max_length=64)]
    password: Annotated[str, Meta(max_length=256)]
    role: Annotated[str, Meta(max_length=16)]
    full_name: Text = ""
    team_code: Annotated[str, Meta(max_length=16)] | None = None
    region_code: Annotated[str, Meta(max_length=16)] | None = None
    competition: Annotated[str, Meta(max_length=64)] | None = None
    # An officer's (role "officer", alias "petugas"): NRP, rank (pangkat), Polres, desa of duty.
    nrp: Annotated[str, Meta(max_length=18)] | None = None
    rank: Annotated[str, Meta(max_length=40)] | None = None
    polres: Annotated[str, Meta(max_length=80)] | None = None
    village_code: Annotated[str, Meta(max_length=16)] | None = None


class UserOut(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: str
    team_code: str | None
    region_code: str | None
    is_active: bool
    nrp: str | None = None
    rank: str | None = None
    polres: str | None = None
    village_code: str | None = None


class PersonIn(msgspec.Struct):
    name: Annotated[str, Meta(max_length=120)]


class OfficerIn(msgspec.Struct):
    name: Annotated[str, Meta(max_length=120)]
    rank: Annotated[str, Meta(max_length=40)] = ""
    nrp: Annotated[str, Meta(max_length=18)] = ""
    polres: Annotated[str, Meta(max_length=80)] = ""


class ActivityIn(msgspec.Struct):
    type: Annotated[str, Meta(max_length=32)]
    occurred_at: datetime
    title: Text
    senkom_members: Annotated[list[PersonIn], Meta(max_length=50)]
    officers: Annotated[list[OfficerIn], Meta(max_length=50)]
    description: LongText = ""
    desa_code: Annotated[str, Meta(max_length=16)] | None = None
    rw: Annotated[str, Meta(max_length=32)] = ""
    residents_reached: int = 0
    preemptive: bool = False


class PersonOut(msgspec.Struct):
    name: str


class OfficerOut(msgspec.Struct):
    name: str
    rank: str = ""
    nrp: str = ""
    polres: str = ""


class ReviewOut(msgspec.Struct):
    id: int
    decision: str
    reason: str
    scores: dict[str, str]
    created_at: str | None


class PhotoOut(msgspec.Struct):
    id: int
    activity_id: int
    sha256: str
    content_type: str
    width: int
    height: int
    size: int
    created_at: str | None


class AttestationOut(msgspec.Struct):
    """The named officer's confirmation of an activity: state "confirmed", "pending", "declined" or "none"
    (no named officer has an account); who (null under blind judging) and when."""

    state: str
    officer_name: str | None = None
    officer_nrp: str | None = None
    officer_rank: str | None = None
    decided_at: str | None = None
    reason: str = ""


class ConfirmIn(msgspec.Struct):
    """Where the officer's phone was, if known (decimal degrees; accuracy in metres)."""

    lat: float | None = None
    lon: float | None = None
    accuracy: float | None = None


class DeclineIn(msgspec.Struct):
    reason: Annotated[str, Meta(max_length=500)]


class PendingAttestation(msgspec.Struct):
    activity_id: int
    title: str
    occurred_at: str | None
    team_code: str | None
    type: str
    asked_at: str | None


class PendingPage(msgspec.Struct):
    items: list[PendingAttestation]


class ActivityOut(msgspec.Struct):
    """An activity as the caller may see it. With blind judging on, a judge gets `blind: true` and no team,
    desa, kecamatan, RW or names of people (team_code, team_name, desa_code, kecamatan_code are null, the
    names empty; how many people stays); and a judge's `reviews` are their own only."""

    id: int
    status: str
    team_code: str | None
    team_name: str | None
    type: str
    cluster: str
    occurred_at: str | None
    submitted_at: str | None
    title: str
    description: str
    desa_code: str | None
    kecamatan_code: str | None
    rw: str
    senkom_members: list[PersonOut]
    officers: list[OfficerOut]
    residents_reached: int
    preemptive: bool
    reviews: list[ReviewOut] = []
    photos: list[PhotoOut] = []
    blind: bool = False
    attestation: AttestationOut | None = None


class ActivityPage(msgspec.Struct):
    items: list[ActivityOut]
    next_cursor: str | None


class ReviewIn(msgspec.Struct):
    decision: Annotated[str, Meta(max_length=16)]
    reason: Annotated[str, Meta(max_length=2000)] = ""
    scores: dict[str, Number] | None = None


class ReviewCreated(msgspec.Struct):
    id: int
    activity_id: int
    decision: str
    reason: str
    scores: dict[str, str]
    activity_status: str
    created_at: str | None


class LocalText(msgspec.Struct):
    id: str
    en: str


class RuleOut(msgspec.Struct):
    id: str
    kind: str
    title: LocalText
    doc: LocalText
    params_schema: dict[str, Any]


class RuleRefIn(msgspec.Struct):
    rule: Annotated[str, Meta(max_length=64)]
    params: dict[str, Any] = {}


class RulesetIn(msgspec.Struct):
    rules: Annotated[list[RuleRefIn], Meta(max_length=100)]
    tie_break: Annotated[list[str], Meta(max_length=10)] | None = None


class RuleRefOut(msgspec.Struct):
    rule: str
    params: dict[str, Any]


class RulesetOut(msgspec.Struct):
    version: int
    rules: list[RuleRefOut]
    tie_break: list[str]
    created_at: str | None


class PreviewRow(msgspec.Struct):
    team_code: str
    rank_now: int
    score_now: str
    rank_preview: int
    score_preview: str


class AdjustmentIn(msgspec.Struct):
    team_code: Annotated[str, Meta(max_length=16)]
    points: Number
    reason: Annotated[str, Meta(max_length=2000)]


class AdjustmentOut(msgspec.Struct):
    id: int
    team_code: str
    points: str
    reason: str
    created_at: str | None


class LeaderboardRow(msgspec.Struct):
    rank: int
    team_code: str
    team_name: str
    score: str
    counted_activities: int
    breakdown: dict[str, str]


class LeaderboardOut(msgspec.Struct):
    competition: str
    view: str
    period: str
    ruleset_version: int
    frozen: bool
    generated_at: str
    rows: list[LeaderboardRow]


class LineOut(msgspec.Struct):
    rule: str
    activity_id: int | None
    period: str | None
    points: str
    reason: str


class ExplanationOut(msgspec.Struct):
    competition: str
    team_code: str
    team_name: str
    period: str
    ruleset_version: int
    rank: int
    score: str
    lines: list[LineOut]
