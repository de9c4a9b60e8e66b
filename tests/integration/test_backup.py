"""`sinergi backup` / `sinergi restore` as an operator runs them, against real servers: a round trip brings
back the same leaderboard and the same photo files; a damaged, altered or foreign archive is refused
before anything is touched."""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import tarfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.procs import (
    DEMO_PASSWORD,
    Server,
    base_env,
    jpeg,
    sinergi,
    throwaway_database,
)

DEMO_SLUG = "lomba-sinergitas-2024"


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield base_env(tmp_path)
        return
    server = os.environ.get("SINERGI_TEST_POSTGRES")
    if not server:
        pytest.skip("SINERGI_TEST_POSTGRES is not set: the PostgreSQL round trip runs in .ci/run")
    with throwaway_database(server, "sinergi_backup") as url:
        yield base_env(tmp_path, url)


def files_under(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def token(client: httpx.Client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def board(client: httpx.Client) -> tuple[str, str]:
    """The public leaderboard fragment and the API's standings rows."""
    page = client.get("/papan/baris")
    assert page.status_code == 200, page.text
    rows = client.get(f"/api/v1/competitions/{DEMO_SLUG}/leaderboard")
    assert rows.status_code == 200, rows.text
    standings = rows.json()
    standings.pop("generated_at")  # the time of the answer, not of the data
    return page.text, json.dumps(standings, sort_keys=True)


def add_activity_with_photos(client: httpx.Client, headers: dict[str, str], photos: int) -> int:
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = {
        "type": "DDS",
        "occurred_at": now,
        "title": "Sambang warga untuk cadangan",
        "description": "Sosialisasi kamtibmas",
        "rw": "RW 03",
        "senkom_members": [{"name": "Ahmad Santoso"}],
        "officers": [{"name": "Budi Wibowo", "rank": "Bripka", "nrp": "85011234", "polres": "Polrestabes"}],
        "residents_reached": 40,
        "preemptive": True,
    }
    r = client.post(
        f"/api/v1/competitions/{DEMO_SLUG}/activities",
        json=body,
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    activity_id = int(r.json()["id"])
    for i in range(photos):
        up = client.post(
            f"/api/v1/activities/{activity_id}/photos",
            files={"file": (f"f{i}.jpg", jpeg(i + 7), "image/jpeg")},
            headers=headers,
        )
        assert up.status_code == 201, up.text
    return activity_id


def test_round_trip_restores_the_same_leaderboard_and_photos(env: dict[str, str], tmp_path: Path) -> None:
    assert sinergi(env, "seed-demo").returncode == 0
    var = Path(env["SINERGI_VAR_DIR"])
    server = Server(env, tmp_path / "server.log").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            participant = token(client, "peserta.surabaya")
            add_activity_with_photos(client, participant, photos=2)
            photos_before = files_under(var / "uploads")
            assert len([n for n in photos_before if "/thumb" not in n]) >= 2, photos_before
            # Online: the server keeps running while the backup is taken. The board is read before and
            # after it (work the server finishes after answering may still move it: then again).
            archive = tmp_path / "cadangan.tar.gz"
            for _attempt in range(5):
                before = board(client)
                made = sinergi(env, "backup", "--output", str(archive))
                assert made.returncode == 0, made.stderr
                if board(client) == before:
                    break
                time.sleep(1)
            else:
                raise AssertionError("the leaderboard never settled around a backup")
            # Life goes on: a bonus moves the standings, the photo files are lost.
            organiser = token(client, "panitia")
            r = client.post(
                f"/api/v1/competitions/{DEMO_SLUG}/adjustments",
                json={"team_code": "35.10", "points": 5000, "reason": "uji pemulihan"},
                headers=organiser,
            )
            assert r.status_code == 201, r.text
            assert board(client) != before
    finally:
        server.stop()
    for path in sorted((var / "uploads").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    asked = sinergi(env, "restore", str(archive))  # no terminal and no --yes: nothing happens
    assert asked.returncode == 1 and "--yes" in asked.stderr
    done = sinergi(env, "restore", str(archive), "--yes")
    assert done.returncode == 0, done.stderr

    server = Server(env, tmp_path / "server2.log").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            after = board(client)
            assert after == before, "\n".join(
                list(difflib.unified_diff(before[0].splitlines(), after[0].splitlines(), lineterm=""))[:40]
            )
    finally:
        server.stop()
    assert files_under(var / "uploads") == photos_before


def _damaged(archive: Path, tmp_path: Path) -> Path:
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    out = tmp_path / "rusak.tar.gz"
    out.write_bytes(bytes(data))
    return out


def _rewrite(archive: Path, out: Path, change: dict[str, bytes], manifest_edit=None) -> Path:
    """A copy of `archive` with some members' content replaced (the manifest kept, unless edited)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(out, "w:gz") as tar:
        for member, content in members:
            if member.name == "manifest.json" and manifest_edit is not None:
                content = json.dumps(manifest_edit(json.loads(content))).encode()
            content = change.get(member.name, content)
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return out


def test_a_damaged_altered_or_foreign_archive_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    assert sinergi(env, "seed-demo").returncode == 0
    var = Path(env["SINERGI_VAR_DIR"])
    (var / "uploads" / "9" / "9").mkdir(parents=True)
    (var / "uploads" / "9" / "9" / "foto.jpg").write_bytes(jpeg(3))
    archive = tmp_path / "baik.tar.gz"
    assert sinergi(env, "backup", "--output", str(archive)).returncode == 0
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    # A change after the backup shows whether a refused restore touched anything.
    import sqlite3

    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE team SET name = 'Tidak Disentuh' WHERE code = '35.78'")
    (var / "uploads" / "9" / "9" / "baru.jpg").write_bytes(jpeg(4))

    def untouched() -> None:
        with sqlite3.connect(database) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM team WHERE code = '35.78'")}
        assert names == {"Tidak Disentuh"}
        assert (var / "uploads" / "9" / "9" / "baru.jpg").exists()

    cases = {
        "damaged": (_damaged(archive, tmp_path), ("damaged", "cannot be read", "checksum")),
        "altered photo": (
            _rewrite(archive, tmp_path / "ubah.tar.gz", {"uploads/9/9/foto.jpg": jpeg(5)}),
            ("checksum mismatch for uploads/9/9/foto.jpg",),
        ),
        "altered database": (
            _rewrite(archive, tmp_path / "ubah-db.tar.gz", {"database.sqlite3": b"SQLite format 3\x00" * 8}),
            ("checksum mismatch for database.sqlite3",),
        ),
        "not a backup": (_not_a_backup(tmp_path), ("no manifest.json",)),
        "other kind": (_postgres_archive(archive, tmp_path), ("PostgreSQL database", "SQLite one")),
    }
    for what, (path, messages) in cases.items():
        result = sinergi(env, "restore", str(path), "--yes")
        assert result.returncode == 1, (what, result.stdout, result.stderr)
        assert "restore refused" in result.stderr, (what, result.stderr)
        assert any(m in result.stderr for m in messages), (what, result.stderr)
        untouched()

    # The good archive still restores, and brings the name and the photo folder back as they were.
    assert sinergi(env, "restore", str(archive), "--yes").returncode == 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT name FROM team WHERE code = '35.78'").fetchone()[0] != "Tidak Disentuh"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(p.name for p in (var / "uploads" / "9" / "9").iterdir()) == ["foto.jpg"]


def _not_a_backup(tmp_path: Path) -> Path:
    out = tmp_path / "lain.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        info = tarfile.TarInfo("catatan.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"halo\n"))
    return out


def _postgres_archive(archive: Path, tmp_path: Path) -> Path:
    """A well-formed archive (checksums right) that claims a PostgreSQL dump."""
    dump = b"PGDMP fake dump"

    def edit(manifest: dict) -> dict:
        manifest["database"] = "postgresql"
        manifest["members"].pop("database.sqlite3")
        manifest["members"]["database.pgdump"] = {
            "sha256": hashlib.sha256(dump).hexdigest(),
            "size": len(dump),
        }
        return manifest

    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    out = tmp_path / "pg.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for member, content in members:
            if member.name == "database.sqlite3":
                member.name, content = "database.pgdump", dump
            elif member.name == "manifest.json":
                content = json.dumps(edit(json.loads(content))).encode()
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return out
