"""Photos kept for a refused form: gone within a day (swept by the running app, not by a cron), capped per
account (the oldest form's copies go first), and never in a backup."""

from __future__ import annotations

import asyncio
import os
import tarfile
import time
import uuid
from pathlib import Path

from app.activities import kept_photos
from app.activities import photos as photo_service
from tests.integration.procs import Server, base_env, sinergi
from tests.integration.test_capture import picture

HOUR = 3600


def keep(var_dir: Path, account: int, seeds: list[int], age_hours: float = 0) -> Path:
    """A refused form's photos as save_pending keeps them, written `age_hours` ago."""
    key = str(uuid.uuid4())
    cleaned = [photo_service.clean_image(picture(seed, size=(400, 300))) for seed in seeds]
    assert len(kept_photos.save_pending(var_dir, account, key, cleaned)) == len(seeds)
    folder = var_dir / "uploads" / kept_photos.PENDING / str(account) / key
    stamp = time.time() - age_hours * HOUR
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (stamp, stamp))
    return folder


def test_the_sweep_removes_every_accounts_forms_older_than_a_day(tmp_path):
    fresh = keep(tmp_path, 7, [1], age_hours=23)
    stale = keep(tmp_path, 7, [2], age_hours=25)
    other = keep(tmp_path, 8, [3], age_hours=30)
    assert kept_photos.sweep_pending(tmp_path) == 2
    assert fresh.exists() and not stale.exists() and not other.exists()
    assert not other.parent.exists()  # the account's empty folder goes too
    assert kept_photos.sweep_pending(tmp_path / "nowhere") == 0


def test_an_account_keeps_a_few_forms_and_the_oldest_go_first(tmp_path):
    forms = [keep(tmp_path, 7, [10 + i], age_hours=5 - i) for i in range(kept_photos.PENDING_MAX_FORMS)]
    newest = keep(tmp_path, 7, [20])
    assert not forms[0].exists(), "the oldest form made room"
    assert all(f.exists() for f in forms[1:]) and newest.exists()
    assert keep(tmp_path, 9, [21]).exists(), "another account's forms do not count"


def test_an_account_keeps_a_bounded_number_of_bytes(tmp_path, monkeypatch):
    first = keep(tmp_path, 7, [30, 31])
    size = sum(p.stat().st_size for p in first.iterdir())
    monkeypatch.setattr(kept_photos, "PENDING_MAX_BYTES", size + size // 2)
    older = keep(tmp_path, 7, [32], age_hours=1)
    os.utime(first, (time.time() - 2 * HOUR,) * 2)
    for path in first.iterdir():
        os.utime(path, (time.time() - 2 * HOUR,) * 2)
    newest = keep(tmp_path, 7, [33, 34])
    assert newest.exists() and older.exists() and not first.exists()


async def test_the_sweep_runs_at_start_and_then_on_its_schedule(tmp_path):
    stale = keep(tmp_path, 7, [40], age_hours=30)
    async with kept_photos.sweeping_pending(tmp_path, every=0.05):
        for _ in range(100):
            if not stale.exists():
                break
            await asyncio.sleep(0.02)
        assert not stale.exists()
        later = keep(tmp_path, 7, [41], age_hours=30)
        for _ in range(100):
            if not later.exists():
                break
            await asyncio.sleep(0.02)
        assert not later.exists()


def test_a_serving_app_sweeps_and_a_backup_leaves_kept_photos_out(tmp_path):
    env = base_env(tmp_path)
    assert sinergi(env, "migrate").returncode == 0
    var_dir = Path(env["SINERGI_VAR_DIR"])
    evidence = var_dir / "uploads" / "1" / "1" / ("a" * 64 + ".jpg")
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(picture(50))
    stale = keep(var_dir, 7, [51], age_hours=30)
    fresh = keep(var_dir, 7, [52])
    server = Server(env, tmp_path / "server.log").start()
    try:
        deadline = time.monotonic() + 20
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not stale.exists(), "the app's lifespan swept at start"
    finally:
        server.stop()
    assert fresh.exists()
    archive = tmp_path / "cadangan.tar.gz"
    made = sinergi(env, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "uploads/1/1/" + "a" * 64 + ".jpg" in names
    assert not [n for n in names if "/pending/" in n or n.endswith(".part")]
