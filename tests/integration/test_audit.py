"""The hash-chained audit trail: `sinergi audit verify` finds a row altered behind the application's back."""

from __future__ import annotations

import os
import subprocess
import sys

from app.audit import services as audit
from app.competitions.services import configure_competition
from app.db import write_transaction
from app.tables import AuditEvent


def sinergi_audit_verify() -> subprocess.CompletedProcess[str]:
    # The same database the tests use: tests/conftest.py put it in the environment.
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _some_events(season) -> list[int]:
    for private in (True, False, True):
        async with write_transaction():
            await configure_competition(
                season.competition.id,
                is_private=private,
                reviews_required=1,
                actor_id=season.accounts["panitia"],
                actor_name="panitia",
            )
    return [r["id"] for r in await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)]


async def test_verify_reports_ok_then_points_at_the_altered_row(app, season):
    ids = await _some_events(season)
    assert len(ids) >= 5
    report = await audit.verify()
    assert report.ok and report.count == len(ids)
    ok = sinergi_audit_verify()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip() == f"OK {len(ids)} events"

    # Someone with database access quietly turns a "made private" decision into "made public".
    target = ids[-3]
    await AuditEvent.raw(
        "UPDATE audit_event SET after = {} WHERE id = {}",
        '{"is_private":false,"reviews_required":1}',
        target,
    )
    broken = sinergi_audit_verify()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"audit event id {target}" in broken.stdout
    report = await audit.verify()
    assert report.broken_id == target


async def test_verify_points_at_the_link_after_a_deleted_row(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id = {}", ids[2])
    report = await audit.verify()
    assert report.broken_id == ids[3]
    result = sinergi_audit_verify()
    assert result.returncode == 1
    assert f"audit event id {ids[3]}" in result.stdout


async def test_changed_actor_or_time_breaks_the_chain(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("UPDATE audit_event SET actor_name = {} WHERE id = {}", "juri.sby", ids[1])
    assert (await audit.verify()).broken_id == ids[1]
