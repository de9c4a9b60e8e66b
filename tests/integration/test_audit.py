"""The keyed audit chain: `sinergi audit verify` (and the service behind the page) finds a row altered
behind the application's back even when the attacker recomputes the chain, and finds events cut off its
end even when the head is deleted, rewritten without the key, or replaced by an older genuine head. A
chain recorded before the key keeps verifying once sealed. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

from app import db
from app.audit import chain
from app.audit import services as audit
from app.competitions.services import configure_competition
from app.db import write_transaction
from app.tables import AuditEvent, AuditHead


def sinergi_audit_verify(lang: str = "en", **extra: str) -> subprocess.CompletedProcess[str]:
    # The same database and var directory the tests use: tests/conftest.py put them in the environment.
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        env={**os.environ, "LANGUAGE": lang, **extra},
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


async def _rows() -> list[dict[str, Any]]:
    return await AuditEvent.select().order_by(AuditEvent.id)


async def _relink_plain(from_id: int, through: int = 2**31) -> None:
    """What an attacker without the key can do after changing a row: recompute the links from there on
    (through `through`) with the unkeyed hash of earlier versions, and store them."""
    previous = chain.GENESIS
    for row in await _rows():
        if from_id <= row["id"] <= through:
            link = chain.plain_link(previous, chain.fields_of(row))
            await AuditEvent.raw(
                "UPDATE audit_event SET prev_hash = {}, hash = {} WHERE id = {}", previous, link, row["id"]
            )
            previous = link
        else:
            previous = row["hash"]


async def _head() -> dict[str, Any]:
    row = await AuditHead.select().first()
    assert row is not None
    return row


async def test_the_untampered_chain_passes(app, season):
    ids = await _some_events(season)
    assert len(ids) >= 5
    report = await audit.verify()
    assert report.ok and report.count == len(ids) and report.legacy == 0, report
    head = await _head()
    assert (head["count"], head["last_id"]) == (len(ids), ids[-1])
    copy = chain.read_copy(db.current_settings())
    assert copy is not None and copy["count"] == len(ids) and copy["mac"] == head["mac"]
    english = sinergi_audit_verify("en")
    assert english.returncode == 0, english.stdout + english.stderr
    assert english.stdout.strip() == (
        f"The audit chain is intact: {len(ids)} events checked, and its signed head agrees."
    )
    indonesian = sinergi_audit_verify("id")
    assert indonesian.returncode == 0 and "utuh" in indonesian.stdout, indonesian.stdout


async def test_a_rewritten_event_is_caught_even_with_the_chain_recomputed(app, season):
    ids = await _some_events(season)
    # Someone with database access quietly turns a "made private" decision into "made public" ...
    target = ids[-3]
    await AuditEvent.raw(
        "UPDATE audit_event SET after = {} WHERE id = {}", '{"is_private":false,"reviews_required":1}', target
    )
    report = await audit.verify()
    assert (report.problem, report.broken_id) == (chain.ALTERED_EVENT, target), report
    # ... and recomputes the chain from there, as the plain hash chain of earlier versions allowed.
    await _relink_plain(target)
    report = await audit.verify()
    assert (report.problem, report.broken_id) == (chain.ALTERED_EVENT, target), report
    result = sinergi_audit_verify("en")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"broken at event {target}: its contents were changed" in result.stdout
    indonesian = sinergi_audit_verify("id")
    assert indonesian.returncode == 1 and f"catatan {target}" in indonesian.stdout, indonesian.stdout


async def test_a_deleted_row_breaks_the_link_after_it(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id = {}", ids[2])
    report = await audit.verify()
    assert (report.problem, report.broken_id) == (chain.BROKEN_LINK, ids[3]), report
    await AuditEvent.raw("UPDATE audit_event SET actor_name = {} WHERE id = {}", "juri.sby", ids[1])
    assert (await audit.verify()).broken_id == ids[1]


async def test_deleting_the_last_events_is_caught(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id >= {}", ids[-2])
    report = await audit.verify()
    assert report.problem == chain.TRUNCATED, report
    assert (report.count, report.expected, report.expected_last_id) == (len(ids) - 2, len(ids), ids[-1])
    result = sinergi_audit_verify("en")
    assert result.returncode == 1
    assert f"truncated: its signed head records {len(ids)} events, the last one {ids[-1]}" in result.stdout
    indonesian = sinergi_audit_verify("id")
    assert indonesian.returncode == 1 and "terpotong" in indonesian.stdout, indonesian.stdout
    # Later events do not hide it: the head's count keeps disagreeing.
    await _some_events(season)
    assert (await audit.verify()).problem == chain.TRUNCATED


async def test_deleting_the_last_events_and_adjusting_the_head_without_the_key_is_caught(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id >= {}", ids[-2])
    last = (await _rows())[-1]
    forged = chain.Head(len(ids) - 2, last["id"], last["hash"])
    # Without the key the head cannot be signed: an unkeyed digest, or a guessed key, both fail.
    for mac in (forged.mac(b""), forged.mac(b"test-secret-key-" + b"x" * 40)):
        await AuditHead.raw(
            "UPDATE audit_head SET count = {}, last_id = {}, last_link = {}, mac = {}",
            forged.count,
            forged.last_id,
            forged.last_link,
            mac,
        )
        report = await audit.verify()
        assert report.problem == chain.HEAD_FORGED, report
    result = sinergi_audit_verify("en")
    assert result.returncode == 1 and "its head was changed without the audit key" in result.stdout
    # The application never signs a forged head again when it records more.
    await _some_events(season)
    assert (await audit.verify()).problem == chain.HEAD_FORGED


async def test_deleting_the_last_events_and_the_head_together_is_caught(app, season):
    ids = await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id >= {}", ids[-2])
    await AuditHead.raw("DELETE FROM audit_head")
    report = await audit.verify()
    assert report.problem == chain.HEAD_MISSING, report
    result = sinergi_audit_verify("en")
    assert result.returncode == 1 and "truncated: its signed head is missing" in result.stdout
    await _some_events(season)
    assert (await audit.verify()).problem == chain.HEAD_MISSING


async def test_an_older_genuine_head_put_back_is_caught_by_the_copy(app, season):
    """An attacker who saved the signed head earlier cuts the chain back to it and puts that head back:
    the database agrees with itself, but the copy in the var directory has moved on."""
    ids = await _some_events(season)
    saved = await _head()
    await _some_events(season)
    await AuditEvent.raw("DELETE FROM audit_event WHERE id > {}", saved["last_id"])
    await AuditHead.raw(
        "UPDATE audit_head SET count = {}, last_id = {}, last_link = {}, mac = {}",
        saved["count"],
        saved["last_id"],
        saved["last_link"],
        saved["mac"],
    )
    report = await audit.verify()
    assert report.problem == chain.COPY_AHEAD and report.count == len(ids), report
    assert report.expected == len(ids) + 3, report
    result = sinergi_audit_verify("en")
    assert result.returncode == 1 and "the copy of its head in the var directory records" in result.stdout
    # Everything deleted, head included: the same.
    await AuditEvent.raw("DELETE FROM audit_event")
    await AuditHead.raw("DELETE FROM audit_head")
    report = await audit.verify()
    assert report.problem == chain.COPY_AHEAD and report.count == 0, report


async def test_a_copy_that_is_not_signed_is_reported(app, season):
    await _some_events(season)
    path = chain.copy_path(db.current_settings())
    copy = json.loads(path.read_text())
    copy["count"] += 5
    path.write_text(json.dumps(copy))
    assert (await audit.verify()).problem == chain.COPY_FORGED
    # Later commits leave it as it is: it is evidence, not a cache.
    await _some_events(season)
    assert (await audit.verify()).problem == chain.COPY_FORGED


async def test_a_chain_from_before_the_key_is_sealed_once_and_keeps_verifying(app, season):
    """Versions before the key wrote plain SHA-256 links and no head. The migration that adds the head
    seals such a chain once: its events are checked with their plain links, and a keyed seal event and
    the signed head cover them from then on."""
    ids = await _some_events(season)
    await AuditHead.raw("DELETE FROM audit_head")
    chain.forget_copy(db.current_settings())
    await _relink_plain(ids[0])  # the chain as an earlier version wrote it
    assert (await audit.verify()).problem == chain.HEAD_MISSING

    assert await audit.seal_legacy_chain() == len(ids)
    assert await audit.seal_legacy_chain() == 0  # once
    seal = (await _rows())[-1]
    assert seal["action"] == audit.SEAL_ACTION and json.loads(seal["after"]) == {"legacy_events": len(ids)}
    assert seal["prev_hash"] == (await _rows())[-2]["hash"]
    await _some_events(season)
    report = await audit.verify()
    assert report.ok and report.legacy == len(ids) and report.count == len(ids) + 4, report
    result = sinergi_audit_verify("en")
    assert result.returncode == 0 and f"The first {len(ids)} events are from before" in result.stdout

    # The plain part is now covered: changing one of its events and recomputing its plain links breaks
    # the keyed seal's link to it; recomputing the seal's link too needs the key.
    await AuditEvent.raw("UPDATE audit_event SET actor_name = {} WHERE id = {}", "orang.lain", ids[1])
    await _relink_plain(ids[1], through=ids[-1])
    report = await audit.verify()
    assert (report.problem, report.broken_id) == (chain.BROKEN_LINK, seal["id"]), report
    await _relink_plain(ids[1])
    report = await audit.verify()
    assert (report.problem, report.broken_id) == (chain.ALTERED_EVENT, seal["id"]), report


async def test_concurrent_writers_keep_one_chain_and_one_head(app, season):
    async def one(i: int) -> None:
        async with write_transaction():
            await audit.record(
                actor_id=None, actor_name="uji", action="test.concurrent", object_type="test", object_id=i
            )

    before = await AuditEvent.count()
    await asyncio.gather(*(one(i) for i in range(20)))
    report = await audit.verify()
    assert report.ok and report.count == before + 20, report


async def test_the_key_is_not_in_the_database(app, season):
    """Another SECRET_KEY cannot verify (or extend) the chain; SINERGI_AUDIT_KEY set to the old
    SECRET_KEY keeps it verifying after SECRET_KEY is changed."""
    ids = await _some_events(season)
    other = {"SECRET_KEY": "another-secret-key-" + "z" * 40}
    result = sinergi_audit_verify("en", **other)
    assert result.returncode == 1, result.stdout
    assert "its head was changed without the audit key" in result.stdout
    kept = sinergi_audit_verify("en", **other, SINERGI_AUDIT_KEY=os.environ["SECRET_KEY"])
    assert kept.returncode == 0 and f"{len(ids)} events checked" in kept.stdout, kept.stdout
