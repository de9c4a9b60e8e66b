"""A participant's edit or withdrawal racing a judge's verification, many times, through the real doors
(participant pages; the judge's page and the API, in turn) against the real database — SQLite, or
PostgreSQL when SINERGI_TEST_POSTGRES is set.

Every write that touches an activity takes the activity's lock first (app.db.lock_activity, in
app.db.LOCK_ORDER) and reads it again under the lock. So whichever request comes first wins, and the other
sees it: a verified activity is never edited after its verdict nor withdrawn with its reviews, and neither
side gets a 500 or a deadlock."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable
from typing import Any

from app.tables import Activity, AuditEvent, Review
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import Season, activity_form

__all__ = ["api_factory"]

ROUNDS = 30
DESA = "35.07.01.2001"  # peserta.mlg's team (35.07) is judged by juri.sby (35.78), its only eligible judge
OK = {200, 201, 302, 303}


async def _after(delay: float, request: Awaitable[Any]) -> Any:
    await asyncio.sleep(delay)
    return await request


async def _activity(participant: Any, n: int) -> int:
    response = await participant.post(
        "/api/v1/competitions/uji/activities",
        activity_body(desa_code=DESA, title=f"Sambang ronde {n}"),
        headers={"Idempotency-Key": f"race-{n}-{uuid.uuid4()}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _verify(n: int, activity_id: int, judge_page: Any, judge_api: Any) -> Any:
    """The judge's verification, through the page in even rounds and the API in odd ones."""
    if n % 2 == 0:
        return await judge_page.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    return await judge_api.post(f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"})


async def _events(activity_id: int) -> list[tuple[int, str]]:
    rows = await AuditEvent.select(AuditEvent.id, AuditEvent.action).where(
        (AuditEvent.object_type == "activity") & (AuditEvent.object_id == str(activity_id))
    )
    events = sorted((r["id"], r["action"]) for r in rows)
    # SQLite gives a withdrawn activity's id to the next one: only this activity's own events count.
    start = max(i for i, (_id, action) in enumerate(events) if action == "activity.submit")
    return events[start:]


async def _race(n: int, first: Awaitable[Any], second: Awaitable[Any], rng: random.Random) -> tuple[Any, Any]:
    # Either may start first, a few milliseconds apart: both orders and real overlaps happen.
    a, b = rng.uniform(0, 0.008), rng.uniform(0, 0.008)
    return tuple(await asyncio.gather(_after(a, first), _after(b, second)))  # type: ignore[return-value]


async def test_edit_against_verification(season: Season, browser_factory: Any, api_factory: Any) -> None:
    participant_api = await api_factory("peserta.mlg")
    participant = await browser_factory("peserta.mlg")
    judge_page = await browser_factory("juri.sby")
    judge_api = await api_factory("juri.sby")
    rng = random.Random(14)
    outcomes: dict[str, int] = {"edited first": 0, "edit refused": 0}
    for n in range(ROUNDS):
        activity_id = await _activity(participant_api, n)
        edit = participant.post(
            f"/kegiatan/{activity_id}/ubah",
            data=activity_form(str(uuid.uuid4()), village_code=DESA, title=f"Diubah ronde {n}"),
        )
        edited, verified = await _race(n, edit, _verify(n, activity_id, judge_page, judge_api), rng)
        assert edited.status_code < 500 and verified.status_code < 500, (edited.text, verified.text)
        assert verified.status_code in OK, verified.text
        assert edited.status_code in OK | {409}, edited.text
        row = await Activity.select(Activity.status, Activity.title).where(Activity.id == activity_id).first()
        assert row is not None and row["status"] == "verified"
        events = await _events(activity_id)
        verdict = min(i for i, action in events if action == "review.verified")
        edits = [i for i, action in events if action == "activity.edit"]
        # Content is never changed after the verdict: any edit committed before it, and was judged.
        assert all(i < verdict for i in edits), events
        if edited.status_code == 409:
            assert "diverifikasi" in edited.text or "sudah memeriksa" in edited.text, edited.text
            assert not edits and row["title"] == f"Sambang ronde {n}"
            outcomes["edit refused"] += 1
        else:
            assert len(edits) == 1 and row["title"] == f"Diubah ronde {n}"
            outcomes["edited first"] += 1
    print(outcomes)


async def test_withdrawal_against_verification(
    season: Season, browser_factory: Any, api_factory: Any
) -> None:
    participant_api = await api_factory("peserta.mlg")
    participant = await browser_factory("peserta.mlg")
    judge_page = await browser_factory("juri.sby")
    judge_api = await api_factory("juri.sby")
    rng = random.Random(15)
    outcomes: dict[str, int] = {"withdrawn": 0, "verified": 0}
    for n in range(ROUNDS):
        activity_id = await _activity(participant_api, n)
        withdraw = participant.post(f"/kegiatan/{activity_id}/tarik")
        withdrawn, verified = await _race(n, withdraw, _verify(n, activity_id, judge_page, judge_api), rng)
        assert withdrawn.status_code < 500 and verified.status_code < 500, (withdrawn.text, verified.text)
        row = await Activity.select(Activity.status).where(Activity.id == activity_id).first()
        reviews = await Review.count().where(Review.activity == activity_id)
        actions = [action for _i, action in await _events(activity_id)]
        # Exactly one of them wins, and the loser is told so (404: gone; 409: judged).
        if withdrawn.status_code in OK:
            assert verified.status_code == 404, verified.text
            assert row is None and reviews == 0 and "review.verified" not in actions
            outcomes["withdrawn"] += 1
        else:
            assert withdrawn.status_code == 409, withdrawn.text
            assert verified.status_code in OK, verified.text
            assert row is not None and row["status"] == "verified" and reviews == 1
            assert "activity.withdraw" not in actions
            outcomes["verified"] += 1
    print(outcomes)
