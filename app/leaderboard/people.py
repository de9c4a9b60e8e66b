"""A team's people on its page: the Senkom members and the officers (Bhabinkamtibmas / Polisi RW) who took
part in its verified activities, each with how many, and for an officer how many of those activities an
officer confirmed (the co-attestation counts for the team the officer served). Read from the frozen copies
for the public of a frozen board, and made once per standings version."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.leaderboard import caches, views
from app.tables import Activity, FrozenActivity

#: People listed per side, most active first; the page says how many more there are.
SHOWN = 30


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    rank: str  # an officer's rank ("Bripka"); "" for a Senkom member
    activities: int
    confirmed: int = 0  # officers: how many of those activities an officer confirmed


@dataclass(frozen=True, slots=True)
class People:
    senkom: tuple[Person, ...]
    officers: tuple[Person, ...]
    senkom_total: int  # how many distinct Senkom members (the list shows the first SHOWN)
    officers_total: int

    @property
    def senkom_more(self) -> int:
        return self.senkom_total - len(self.senkom)

    @property
    def officers_more(self) -> int:
        return self.officers_total - len(self.officers)


def _listed(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    return [item for item in value or [] if isinstance(item, dict)]


def _key(name: str) -> str:
    """The same person however the name was typed: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


def _officer_key(officer: dict[str, Any]) -> str:
    """An officer by NRP when it was given (names are spelled many ways), else by name."""
    nrp = re.sub(r"\D", "", str(officer.get("nrp") or ""))
    return f"nrp:{nrp}" if nrp else f"name:{_key(str(officer.get('name') or ''))}"


def tally(rows: Iterable[dict[str, Any]]) -> People:
    """The people of these activities (each a row with senkom_members, officers, officer_confirmed)."""
    senkom: dict[str, list[Any]] = {}  # key -> [name, activities]
    officers: dict[str, list[Any]] = {}  # key -> [name, rank, activities, confirmed]
    for row in rows:
        confirmed = bool(row.get("officer_confirmed"))
        seen: set[str] = set()  # a name written twice on one activity counts once
        for member in _listed(row.get("senkom_members")):
            name = " ".join(str(member.get("name") or "").split())
            if not name or (key := _key(name)) in seen:
                continue
            seen.add(key)
            senkom.setdefault(key, [name, 0])[1] += 1
        for officer in _listed(row.get("officers")):
            name = " ".join(str(officer.get("name") or "").split())
            key = _officer_key(officer)
            if not name or key in seen:
                continue
            seen.add(key)
            entry = officers.setdefault(key, [name, " ".join(str(officer.get("rank") or "").split()), 0, 0])
            entry[2] += 1
            entry[3] += confirmed
    members = sorted((Person(n, "", count) for n, count in senkom.values()), key=_order)
    police = sorted((Person(n, rank, count, done) for n, rank, count, done in officers.values()), key=_order)
    return People(tuple(members[:SHOWN]), tuple(police[:SHOWN]), len(members), len(police))


def _order(person: Person) -> tuple[int, str]:
    return (-person.activities, _key(person.name))


async def _rows(competition_id: int, team_id: int, frozen: bool) -> list[dict[str, Any]]:
    if frozen:
        F = FrozenActivity
        return await F.select(F.senkom_members, F.officers, F.officer_confirmed).where(
            (F.competition == competition_id) & (F.team == team_id)
        )
    A = Activity
    return await A.select(A.senkom_members, A.officers, A.officer_confirmed).where(
        (A.team == team_id) & (A.status == "verified")
    )


async def people(
    state: views.State, team: dict[str, Any], audience: str, data_version: int | None = None
) -> People:
    """The team's people as the audience may see them: for the public of a frozen board, those of the
    activities copied at the freeze. Counted once per version of the team's standing (`data_version`
    of the row the audience sees: every change to a team's verified activities recomputes and rewrites
    its row), else once per standings version."""
    frozen = state.frozen_for(audience)
    version = data_version or state.version_for(audience)
    key = (state.stamp, version, frozen, team["id"])
    store = caches.current()

    async def make() -> People:
        return tally(await _rows(state.id, team["id"], frozen))

    result: People = await store.single_flight(key, store.people, make)
    return result
