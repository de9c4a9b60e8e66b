"""`sinergi backup` / `sinergi restore` as an operator runs them, against real servers: a round trip brings
back the same leaderboard and the same photo files (and an audit chain that verifies); a damaged, altered,
unsigned or foreign archive, or one whose database is damaged, is refused with a message before any
question is asked and before anything is touched."""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import io
import json
import os
import pty
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.audit import chain
from app.backup import manifest_key, sign_manifest
from app.settings import Settings
from tests.integration.procs import (
    DEMO_PASSWORD,
    Server,
    base_env,
    jpeg,
    sinergi,
    throwaway_database,
)
from tests.integration.procs import seed_demo as seed_demo_small

DEMO_SLUG = "lomba-sinergitas-2024"
ENGLISH = {"LANGUAGE": "en"}


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {**base_env(tmp_path), **ENGLISH}
        return
    server = os.environ.get("SINERGI_TEST_POSTGRES")
    if not server:
        pytest.skip("SINERGI_TEST_POSTGRES is not set: the PostgreSQL round trip runs in .ci/run")
    with throwaway_database(server, "sinergi_backup") as url:
        yield {**base_env(tmp_path, url), **ENGLISH}


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
    # The restored chain verifies: the copy of its head followed the restore (the bonus recorded after
    # the backup is gone with the rest), and the restore itself is its last event.
    verified = sinergi(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _damaged(archive: Path, tmp_path: Path) -> Path:
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    out = tmp_path / "rusak.tar.gz"
    out.write_bytes(bytes(data))
    return out


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def _rewrite(
    archive: Path,
    out: Path,
    change: dict[str, bytes],
    manifest_edit=None,
    *,
    recompute: bool = False,
    key: bytes | None = None,
) -> Path:
    """A copy of `archive` with some members' content replaced. The manifest is kept as it was, unless
    edited; `recompute` writes the changed members' sizes and SHA-256 into it, and `key` signs it again
    (the installation's key: an archive that is genuinely bad inside; another key: an attacker's)."""
    members = _members(archive)
    with tarfile.open(out, "w:gz") as tar:
        for member, content in members:
            if member.name == "manifest.json":
                manifest = json.loads(content)
                if manifest_edit is not None:
                    manifest = manifest_edit(manifest)
                if recompute:
                    for name, data in change.items():
                        manifest["members"][name] = {
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "size": len(data),
                        }
                if key is not None:
                    manifest["signature"] = sign_manifest(key, manifest)
                content = json.dumps(manifest).encode()
            content = change.get(member.name, content)
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return out


def _database_of(archive: Path, folder: Path, name: str = "database.sqlite3") -> Path:
    """The archived SQLite file, extracted to be changed."""
    path = folder / f"{archive.stem}-{name}"
    path.write_bytes(dict((m.name, c) for m, c in _members(archive))[name])
    return path


def key_of(env: dict[str, str]) -> bytes:
    return manifest_key(Settings.from_env(env))


def in_a_terminal(
    env: dict[str, str], *args: str, answer: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`sinergi …` with a terminal as its standard input, so that it would ask; `answer` is typed in
    (None: nothing is, and a question would wait until the timeout fails the test)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    try:
        if answer is not None:
            os.write(master, f"{answer}\n".encode())
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"it waited for an answer: {out}{err}") from None
    finally:
        os.close(master)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_damaged_altered_or_foreign_archive_is_refused(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), **ENGLISH}
    assert sinergi(env, "seed-demo").returncode == 0
    var = Path(env["SINERGI_VAR_DIR"])
    (var / "uploads" / "9" / "9").mkdir(parents=True)
    (var / "uploads" / "9" / "9" / "foto.jpg").write_bytes(jpeg(3))
    archive = tmp_path / "baik.tar.gz"
    assert sinergi(env, "backup", "--output", str(archive)).returncode == 0
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    # A change after the backup shows whether a refused restore touched anything.
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
        "other kind": (
            _postgres_archive(archive, tmp_path, key_of(env)),
            ("PostgreSQL database", "SQLite one"),
        ),
        "altered database, manifest recomputed": (
            _rewrite(
                archive,
                tmp_path / "ubah-db-manifes.tar.gz",
                {"database.sqlite3": _renamed_team(archive, tmp_path)},
                recompute=True,
            ),
            ("signature does not match",),
        ),
        "altered database, manifest recomputed and signed with another key": (
            _rewrite(
                archive,
                tmp_path / "ubah-db-kunci.tar.gz",
                {"database.sqlite3": _renamed_team(archive, tmp_path)},
                recompute=True,
                key=manifest_key(Settings.from_env({**env, "SECRET_KEY": "kunci-penyerang-" + "k" * 32})),
            ),
            ("signature does not match",),
        ),
        "signature removed": (
            _rewrite(archive, tmp_path / "tanpa-tanda.tar.gz", {}, lambda m: {**m, "signature": ""}),
            ("signature does not match",),
        ),
        "unsigned, of an earlier version": (
            _rewrite(archive, tmp_path / "v1.tar.gz", {}, _as_version_1),
            ("no signature", "--accept-unsigned"),
        ),
    }
    for what, (path, messages) in cases.items():
        result = sinergi(env, "restore", str(path), "--yes")
        assert result.returncode == 1, (what, result.stdout, result.stderr)
        assert "restore refused" in result.stderr, (what, result.stderr)
        assert any(m in result.stderr for m in messages), (what, result.stderr)
        untouched()

    # An archive of an earlier version restores when the operator says so.
    unsigned = tmp_path / "v1.tar.gz"
    assert sinergi(env, "restore", str(unsigned), "--yes", "--accept-unsigned").returncode == 0
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


def _renamed_team(archive: Path, tmp_path: Path) -> bytes:
    """The archived database with a team renamed: what someone who wants other standings would do."""
    path = _database_of(archive, tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE team SET name = 'Diubah Diam-diam' WHERE code = '35.78'")
    conn.close()
    return path.read_bytes()


def _as_version_1(manifest: dict) -> dict:
    manifest = {k: v for k, v in manifest.items() if k != "signature"}
    manifest["version"] = 1
    return manifest


def _postgres_archive(archive: Path, tmp_path: Path, key: bytes) -> Path:
    """A well-formed archive (checksums right, signed with the installation's key) that claims a
    PostgreSQL dump."""
    dump = b"PGDMP fake dump"

    def edit(manifest: dict) -> dict:
        manifest["database"] = "postgresql"
        manifest["members"].pop("database.sqlite3")
        manifest["members"]["database.pgdump"] = {
            "sha256": hashlib.sha256(dump).hexdigest(),
            "size": len(dump),
        }
        manifest["signature"] = sign_manifest(key, manifest)
        return manifest

    out = tmp_path / "pg.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for member, content in _members(archive):
            if member.name == "database.sqlite3":
                member.name, content = "database.pgdump", dump
            elif member.name == "manifest.json":
                content = json.dumps(edit(json.loads(content))).encode()
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return out


def _damaged_database(env: dict[str, str], archive: Path, tmp_path: Path) -> bytes:
    """The archived database damaged inside (as a disk can do before a backup is taken)."""
    if env["DATABASE_URL"].startswith("sqlite"):
        path = _database_of(archive, tmp_path)
        data = bytearray(path.read_bytes())
        with sqlite3.connect(path) as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            # The root page of the activity table: its b-tree header overwritten.
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'activity'").fetchone()[0]
        conn.close()
        start = (root - 1) * page_size
        data[start : start + 64] = b"\xff" * 64
        return bytes(data)
    dump = _database_of(archive, tmp_path, "database.pgdump").read_bytes()
    return dump[:200] + b"\x00" * 64 + dump[264 : len(dump) // 2]


def test_a_damaged_database_is_refused_before_any_question(env: dict[str, str], tmp_path: Path) -> None:
    """A backup whose database is damaged (properly signed: it was damaged when the backup was taken) is
    refused with a message, exit 1 and no traceback, before the confirmation is asked on a terminal."""
    seed_demo_small(env)
    archive = tmp_path / "baik.tar.gz"
    made = sinergi(env, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    member = "database.sqlite3" if env["DATABASE_URL"].startswith("sqlite") else "database.pgdump"
    damaged = _rewrite(
        archive,
        tmp_path / "rusak-db.tar.gz",
        {member: _damaged_database(env, archive, tmp_path)},
        recompute=True,
        key=key_of(env),
    )
    refused = in_a_terminal(env, "restore", str(damaged))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "restore refused" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    expected = ("SQLite database", "damaged") if member == "database.sqlite3" else ("pg_restore",)
    assert all(text in refused.stderr for text in expected), refused.stderr
    assert "Type 'yes'" not in refused.stdout and "REPLACES" not in refused.stdout, refused.stdout
    # In Indonesian, too.
    indonesian = in_a_terminal({**env, "LANGUAGE": "id"}, "restore", str(damaged))
    assert indonesian.returncode == 1 and "pemulihan ditolak" in indonesian.stderr, indonesian.stderr
    # The good archive asks on the terminal, and restores when told "yes".
    asked = in_a_terminal(env, "restore", str(archive), answer="yes")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert (
        "Type 'yes' to restore" in asked.stdout
        and "signature, checksums and database checked" in asked.stdout
    )
    assert sinergi(env, "audit", "verify").returncode == 0


def test_an_archived_database_whose_audit_chain_was_altered_is_refused(tmp_path: Path) -> None:
    """A backup taken of a database someone had changed behind the application's back (the archive itself
    is genuine) does not restore silently: the archived chain is checked like the live one."""
    env = {**base_env(tmp_path), **ENGLISH}
    seed_demo_small(env)
    archive = tmp_path / "baik.tar.gz"
    assert sinergi(env, "backup", "--output", str(archive)).returncode == 0
    path = _database_of(archive, tmp_path)
    with sqlite3.connect(path) as conn:
        target = conn.execute("SELECT max(id) - 1 FROM audit_event").fetchone()[0]
        conn.execute("UPDATE audit_event SET actor_name = 'orang.lain' WHERE id = ?", (target,))
    conn.close()
    altered = _rewrite(
        archive,
        tmp_path / "rantai.tar.gz",
        {"database.sqlite3": path.read_bytes()},
        recompute=True,
        key=key_of(env),
    )
    refused = in_a_terminal(env, "restore", str(altered))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"audit chain does not verify: The chain is broken at event {target}" in refused.stderr, (
        refused.stderr
    )


AUDIT_HEAD_MIGRATION = "2026-12-07T10:00:00:000000"


def _as_before_the_keyed_chain(env: dict[str, str]) -> None:
    """Turns the database back into what a version before the keyed chain left: plain SHA-256 links, no
    head table, the head's migration not applied, no copy of the head."""

    async def run() -> None:
        if env["DATABASE_URL"].startswith("sqlite"):
            with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
                conn.row_factory = sqlite3.Row
                rows = [dict(r) for r in conn.execute("SELECT * FROM audit_event ORDER BY id")]
                previous = chain.GENESIS
                for row in rows:
                    link = chain.plain_link(previous, chain.fields_of(row))
                    conn.execute(
                        "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?",
                        (previous, link, row["id"]),
                    )
                    previous = link
                conn.execute("DROP TABLE audit_head")
                conn.execute("DELETE FROM migration WHERE name = ?", (AUDIT_HEAD_MIGRATION,))
            conn.close()
        else:
            import asyncpg

            conn = await asyncpg.connect(env["DATABASE_URL"])
            try:
                rows = [dict(r) for r in await conn.fetch("SELECT * FROM audit_event ORDER BY id")]
                previous = chain.GENESIS
                for row in rows:
                    link = chain.plain_link(previous, chain.fields_of(row))
                    await conn.execute(
                        "UPDATE audit_event SET prev_hash = $1, hash = $2 WHERE id = $3",
                        previous,
                        link,
                        row["id"],
                    )
                    previous = link
                await conn.execute("DROP TABLE audit_head")
                await conn.execute("DELETE FROM migration WHERE name = $1", AUDIT_HEAD_MIGRATION)
            finally:
                await conn.close()
        chain.forget_copy(Settings.from_env(env))

    asyncio.run(run())


def test_an_archive_from_before_the_keyed_chain_restores_and_is_sealed(
    env: dict[str, str], tmp_path: Path
) -> None:
    """An earlier version's database restored into this one (which has a head of its own): the replaced
    head does not linger (pg_restore --clean leaves tables the dump lacks), `sinergi migrate` seals the
    restored chain once, and it verifies, its plain links checked as such."""
    seed_demo_small(env)
    _as_before_the_keyed_chain(env)
    old = tmp_path / "lama.tar.gz"
    assert sinergi(env, "backup", "--output", str(old)).returncode == 0
    # This installation is upgraded and lives on: its chain is sealed and keyed, its head copied.
    assert sinergi(env, "migrate").returncode == 0
    sealed = sinergi(env, "audit", "verify")
    assert sealed.returncode == 0 and "from before the chain was keyed" in sealed.stdout, sealed.stdout
    legacy = int(sealed.stdout.split("The first ")[1].split()[0])

    restored = sinergi(env, "restore", str(old), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "run `sinergi migrate`, then `sinergi audit verify`" in restored.stdout, restored.stdout
    assert sinergi(env, "audit", "verify").returncode == 2  # not migrated yet: said so, no traceback
    assert sinergi(env, "migrate").returncode == 0
    verified = sinergi(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"The first {legacy} events are from before the chain was keyed" in verified.stdout, (
        verified.stdout
    )
