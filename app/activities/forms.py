"""The joint-activity form: parsing and checking what a participant typed, with Indonesian messages."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import regions
from app.i18n import _
from scoring.periods import FIRST_YEAR, LAST_YEAR

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_NAME = 120
MAX_PEOPLE = 50
MAX_RESIDENTS = 1_000_000
OFFICER_SLOTS = 3
NRP_RE = re.compile(r"^\d{8,18}$")
RW_RE = re.compile(r"^[0-9A-Za-z /.,-]{0,32}$")


@dataclass
class ActivityInput:
    type_code: str = ""
    occurred_at_local: str = ""
    village_code: str = ""
    rw: str = ""
    title: str = ""
    description: str = ""
    senkom_members: list[dict[str, str]] = field(default_factory=list)
    officers: list[dict[str, str]] = field(default_factory=list)
    residents_reached: str = "0"
    preemptive: bool = False
    idempotency_key: str = ""
    district_code: str = ""


@dataclass
class CleanActivity:
    type_code: str
    occurred_at: datetime
    district_code: str | None
    village_code: str | None
    rw: str
    title: str
    description: str
    senkom_members: list[dict[str, str]]
    officers: list[dict[str, str]]
    residents_reached: int
    preemptive: bool
    idempotency_key: str


def _clip(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def from_form(form: Any) -> tuple[ActivityInput, dict[str, str]]:
    """Reads the form into what will be shown again; over-long text is cut here and flagged as an error."""
    errors: dict[str, str] = {}

    def text(name: str, limit: int) -> str:
        raw = form.get(name) or ""
        if not isinstance(raw, str):
            raw = ""
        if len(raw.strip()) > limit:
            errors[name] = _("Too long: at most %(n)s characters.", n=limit)
        return _clip(raw, limit)

    senkom_raw = form.get("senkom_members") or ""
    senkom_raw = senkom_raw if isinstance(senkom_raw, str) else ""
    senkom = [{"name": _clip(line, MAX_NAME)} for line in senkom_raw.splitlines() if line.strip()]
    names = form.getall("officer_name", []) if hasattr(form, "getall") else []
    ranks = form.getall("officer_rank", []) if hasattr(form, "getall") else []
    nrps = form.getall("officer_nrp", []) if hasattr(form, "getall") else []
    polres = form.getall("officer_polres", []) if hasattr(form, "getall") else []
    officers = []
    for i in range(min(max(len(names), 0), MAX_PEOPLE)):
        officer = {
            "name": _clip(names[i] if i < len(names) else "", MAX_NAME),
            "rank": _clip(ranks[i] if i < len(ranks) else "", 40),
            "nrp": _clip(nrps[i] if i < len(nrps) else "", 18),
            "polres": _clip(polres[i] if i < len(polres) else "", 80),
        }
        if any(officer.values()):
            officers.append(officer)
    data = ActivityInput(
        type_code=text("activity_type", 32),
        occurred_at_local=text("occurred_at", 32),
        village_code=text("village_code", 16),
        rw=text("rw", 32),
        title=text("title", MAX_TITLE),
        description=text("description", MAX_DESCRIPTION),
        senkom_members=senkom[:MAX_PEOPLE],
        officers=officers,
        residents_reached=text("residents_reached", 12) or "0",
        preemptive=(form.get("preemptive") in ("1", "on", "true", "ya")),
        idempotency_key=text("idempotency_key", 64),
        district_code=text("district_code", 16),
    )
    if not data.district_code and data.village_code:
        found = regions.village(data.village_code)
        data.district_code = found.district_code if found else ""
    return data, errors


def parse_time(text: str, tz: ZoneInfo) -> datetime | None:
    """An activity time as typed (local to `tz` unless it names its offset); None when unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def within_years(moment: datetime) -> bool:
    """Year 1 or 9999 with an offset would leave Python's calendar when converted, and no season lies
    there: a time is only ever compared or stored when its year is FIRST_YEAR..LAST_YEAR."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def validate(
    data: ActivityInput,
    *,
    errors: dict[str, str],
    type_codes: set[str],
    team_code: str,
    starts_on: date,
    ends_on: date,
    timezone: str,
    now: datetime | None = None,
    require_village: bool = True,
) -> CleanActivity | None:
    """`require_village=False` (the JSON API, where `desa_code` is optional) accepts an activity without
    a desa/kelurahan."""
    now = now or datetime.now(UTC)
    tz = ZoneInfo(timezone)
    if not data.type_code:
        errors.setdefault("activity_type", _("Choose the activity type."))
    elif data.type_code not in type_codes:
        errors.setdefault("activity_type", _("Unknown activity type."))
    occurred_at: datetime | None = None
    if not data.occurred_at_local:
        errors.setdefault("occurred_at", _("Fill in when the activity took place."))
    else:
        occurred_at = parse_time(data.occurred_at_local, tz)
        if occurred_at is None:
            errors.setdefault("occurred_at", _("Write the time as date and hour, e.g. 2024-02-14 07:30."))
        elif not within_years(occurred_at) or not starts_on <= occurred_at.astimezone(tz).date() <= ends_on:
            occurred_at = None
            errors.setdefault(
                "occurred_at",
                _(
                    "The date must fall within the season (%(start)s – %(end)s).",
                    start=starts_on.strftime("%d-%m-%Y"),
                    end=ends_on.strftime("%d-%m-%Y"),
                ),
            )
        elif occurred_at > now + timedelta(minutes=10):
            errors.setdefault("occurred_at", _("The activity cannot take place in the future."))
    district_code: str | None = None
    village_code: str | None = None
    if data.village_code:
        village = regions.village(data.village_code)
        if village is None:
            errors.setdefault("village_code", _("Unknown desa/kelurahan code."))
        elif village.regency_code != team_code:
            errors.setdefault("village_code", _("That desa/kelurahan is not in your team's regency/city."))
        else:
            district_code, village_code = village.district_code, village.code
    elif require_village:
        errors.setdefault("village_code", _("Choose the desa/kelurahan where the activity took place."))
    if data.rw and not RW_RE.match(data.rw):
        errors.setdefault("rw", _("RW/RT: digits and letters only, e.g. RW 03 / RT 01."))
    if not data.title:
        errors.setdefault("title", _("Fill in the title of the activity."))
    if not data.senkom_members:
        errors.setdefault("senkom_members", _("Name at least one Senkom member who took part."))
    if not data.officers:
        errors.setdefault(
            "officers", _("Name at least one Bhabinkamtibmas / Polisi RW officer who took part.")
        )
    for officer in data.officers:
        if not officer["name"]:
            errors.setdefault("officers", _("Every officer needs a name."))
        elif officer["nrp"] and not NRP_RE.match(officer["nrp"]):
            errors.setdefault("officers", _("An NRP has 8 to 18 digits."))
    residents = 0
    try:
        residents = int(data.residents_reached)
        if not 0 <= residents <= MAX_RESIDENTS:
            raise ValueError
    except ValueError:
        errors.setdefault(
            "residents_reached", _("Residents reached: a whole number from 0 to %(n)s.", n=MAX_RESIDENTS)
        )
    try:
        key = str(uuid.UUID(data.idempotency_key))
    except ValueError:
        key = ""
        errors.setdefault("form", _("The form has expired. Please check the data and send it again."))
    if errors or occurred_at is None:
        return None
    return CleanActivity(
        type_code=data.type_code,
        occurred_at=occurred_at.astimezone(UTC),
        district_code=district_code,
        village_code=village_code,
        rw=data.rw,
        title=data.title,
        description=data.description,
        senkom_members=data.senkom_members,
        officers=data.officers,
        residents_reached=residents,
        preemptive=data.preemptive,
        idempotency_key=key,
    )


def new_key() -> str:
    return str(uuid.uuid4())


def _storable_time(text: str) -> bool:
    moment = parse_time(text, ZoneInfo("UTC"))
    return moment is not None and within_years(moment)


def to_draft(data: ActivityInput) -> str:
    """The typed fields as JSON for the server-side draft. A time that is no time of a year
    FIRST_YEAR..LAST_YEAR is refused to the participant and never kept: the draft comes back into the
    form of every later visit, and must not carry what the checks refuse."""
    fields = asdict(data)
    if not _storable_time(data.occurred_at_local):
        fields["occurred_at_local"] = ""
    return json.dumps(fields, ensure_ascii=False)


def from_draft(text: str) -> ActivityInput | None:
    """A stored draft back into the form; anything malformed is dropped rather than shown."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    data = ActivityInput()
    for name, value in raw.items():
        if name in ("senkom_members", "officers"):
            if isinstance(value, list) and all(isinstance(v, dict) for v in value):
                setattr(
                    data, name, [{k: str(x)[:MAX_NAME] for k, x in v.items()} for v in value][:MAX_PEOPLE]
                )
        elif name == "preemptive":
            data.preemptive = bool(value)
        elif hasattr(data, name) and isinstance(value, str):
            setattr(data, name, value[:MAX_DESCRIPTION])
    if not _storable_time(data.occurred_at_local):
        # A draft kept before the bound existed: its time is dropped, the rest of the form comes back.
        data.occurred_at_local = ""
    return data


def from_row(row: dict[str, Any], timezone: str, key: str = "") -> ActivityInput:
    """A stored activity back into the form (to edit it, or to correct a rejected one)."""
    occurred = row["occurred_at"]
    if occurred is not None and occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return ActivityInput(
        type_code=row["activity_type.code"],
        occurred_at_local=occurred.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")
        if occurred
        else "",
        village_code=row["village_code"] or "",
        district_code=row["district_code"] or "",
        rw=row["rw"] or "",
        title=row["title"],
        description=row["description"] or "",
        senkom_members=list(row["senkom_members"] or []),
        officers=list(row["officers"] or []),
        residents_reached=str(row["residents_reached"]),
        preemptive=bool(row["preemptive"]),
        idempotency_key=key,
    )
