"""Photos of a refused form, kept for a while: without JavaScript the browser forgets the chosen files when
a form comes back with errors, so their checked copies wait here, per account and form key, until the
corrected form is sent."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import anyio

from app.activities.photos import CleanPhoto

log = logging.getLogger("sinergi")

# Photos of a form that came back with errors (no JavaScript: the browser forgets chosen files) wait here,
# per account and form key, until the corrected form is sent. They are a convenience, not evidence: kept
# for a day at most, a few forms per account, and never backed up (app/backup.py leaves PENDING out).
PENDING = "pending"
PENDING_HOURS = 24
PENDING_MAX_FORMS = 3
PENDING_MAX_BYTES = 30 * 1024 * 1024
# How often the running app sweeps every account's kept photos (sweeping_pending, in its lifespan).
SWEEP_SECONDS = 3600


def _pending_dir(var_dir: Path, account_id: int, form_key: str) -> Path | None:
    try:
        key = str(uuid.UUID(form_key))
    except ValueError:
        return None
    return var_dir / "uploads" / PENDING / str(int(account_id)) / key


def _forms_of(account_folder: Path) -> list[tuple[float, int, Path]]:
    """(last written, bytes, folder) of each form an account has photos kept for, newest first."""
    forms = []
    with contextlib.suppress(OSError):
        for folder in account_folder.iterdir():
            try:
                if not folder.is_dir():
                    continue
                size = sum(f.stat().st_size for f in folder.iterdir())
                forms.append((folder.stat().st_mtime, size, folder))
            except OSError:
                continue
    return sorted(forms, key=lambda form: form[0], reverse=True)


def _prune_account(account_folder: Path, keep: Path | None = None) -> int:
    """Removes an account's kept photos of forms older than PENDING_HOURS, then the oldest forms' beyond
    PENDING_MAX_FORMS forms or PENDING_MAX_BYTES (`keep`, the form being saved, always stays); returns
    how many forms went."""
    limit = time.time() - PENDING_HOURS * 3600
    forms = _forms_of(account_folder)
    if keep is not None:
        forms.sort(key=lambda form: form[2] != keep)
    removed = kept_forms = kept_bytes = 0
    for written, size, folder in forms:
        fits = kept_forms < PENDING_MAX_FORMS and kept_bytes + size <= PENDING_MAX_BYTES
        if folder == keep or (written >= limit and fits):
            kept_forms += 1
            kept_bytes += size
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    if not _safe_iter(account_folder):
        with contextlib.suppress(OSError):
            account_folder.rmdir()
    return removed


def _safe_iter(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def sweep_pending(var_dir: Path) -> int:
    """Every account's kept photos older than PENDING_HOURS (or beyond the caps) removed; returns how many
    forms' photos went."""
    root = var_dir / "uploads" / PENDING
    return sum(_prune_account(folder) for folder in _safe_iter(root) if folder.is_dir())


@asynccontextmanager
async def sweeping_pending(var_dir: Path, every: float = SWEEP_SECONDS) -> AsyncIterator[None]:
    """While the app runs (one of its lifespan managers): a sweep at start and one every `every`
    seconds, in a worker thread, so kept photos last a day at most even for accounts that never send
    another form."""

    async def sweep() -> None:
        while True:
            try:
                await anyio.to_thread.run_sync(sweep_pending, var_dir)
            except OSError:
                log.exception("sweeping kept photos of refused forms failed")
            await anyio.sleep(every)

    task = asyncio.create_task(sweep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def save_pending(var_dir: Path, account_id: int, form_key: str, photos: list[CleanPhoto]) -> list[str]:
    """Keeps checked photos of a refused form; returns their content hashes (sent back as hidden fields).
    The account's older forms make room first (see _prune_account)."""
    folder = _pending_dir(var_dir, account_id, form_key)
    if folder is None or not photos:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for photo in photos:
        meta = {
            "content_type": photo.content_type,
            "extension": photo.extension,
            "width": photo.width,
            "height": photo.height,
            "phash": photo.phash,
            "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
            "gps_lat": photo.gps_lat,
            "gps_lon": photo.gps_lon,
        }
        (folder / f"{photo.sha256}.img").write_bytes(photo.content)
        (folder / f"{photo.sha256}.thumb").write_bytes(photo.thumbnail)
        (folder / f"{photo.sha256}.json").write_text(json.dumps(meta))
        kept.append(photo.sha256)
    # The folder's time is the form's: the last time it was refused (rewriting a file does not move it).
    os.utime(folder)
    _prune_account(folder.parent, keep=folder)
    return kept


def load_pending(var_dir: Path, account_id: int, form_key: str, hashes: list[str]) -> list[CleanPhoto]:
    folder = _pending_dir(var_dir, account_id, form_key)
    if folder is None:
        return []
    found = []
    for sha in dict.fromkeys(hashes):
        if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
            continue
        try:
            meta = json.loads((folder / f"{sha}.json").read_text())
            content = (folder / f"{sha}.img").read_bytes()
            thumbnail = (folder / f"{sha}.thumb").read_bytes()
        except (OSError, ValueError):
            continue
        if hashlib.sha256(content).hexdigest() != sha:
            continue
        taken = meta.get("taken_at")
        found.append(
            CleanPhoto(
                content=content,
                sha256=sha,
                content_type=meta["content_type"],
                extension=meta["extension"],
                width=meta["width"],
                height=meta["height"],
                phash=meta.get("phash", ""),
                thumbnail=thumbnail,
                taken_at=datetime.fromisoformat(taken) if taken else None,
                gps_lat=meta.get("gps_lat"),
                gps_lon=meta.get("gps_lon"),
            )
        )
    return found


def drop_pending(var_dir: Path, account_id: int, form_key: str) -> None:
    folder = _pending_dir(var_dir, account_id, form_key)
    if folder is not None and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
