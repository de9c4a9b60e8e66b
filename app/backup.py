"""`sinergi backup` and `sinergi restore`: the database and the uploaded photos in one checked archive.

An archive is a gzipped tar holding `manifest.json` (format version, database kind, creation time, the
size and SHA-256 of every other member), the database (`database.sqlite3`, copied through SQLite's online
backup API while the server keeps running, or `database.pgdump`, PostgreSQL's custom format from
`pg_dump -Fc`) and `uploads/…` (the photos under the var dir). Restore reads and checks the whole archive
before it changes anything: a member missing, added, altered or with an unsafe name, or a dump of the
other database kind, is refused with a message saying which.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from app.activities.photos import PENDING
from app.settings import Settings

FORMAT = "sinergi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
UPLOADS = "uploads"
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Manifest:
    version: int
    database: str
    created_at: str
    members: dict[str, dict[str, int | str]]

    @property
    def photos(self) -> int:
        return sum(1 for name in self.members if name.startswith(UPLOADS + "/"))


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    seconds: float


def database_kind(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pg_binary(name: str) -> str:
    """`pg_dump`/`pg_restore`: SINERGI_PG_BIN, else the PATH, else the newest /usr/lib/postgresql/N/bin."""
    folder = os.environ.get("SINERGI_PG_BIN")
    if folder and (Path(folder) / name).exists():
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name),
        reverse=True,
    )
    if versions:
        return str(versions[0])
    raise BackupError(f"{name} was not found: install the PostgreSQL client tools or set SINERGI_PG_BIN")


def _pg_url(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def _dump_database(settings: Settings, folder: Path) -> str:
    if settings.is_sqlite:
        source_path = settings.sqlite_path
        if not source_path.exists():
            raise BackupError(f"the SQLite database {source_path} does not exist")
        target = folder / SQLITE_MEMBER
        # The online backup API copies a consistent snapshot while other connections keep writing.
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest, pages=4096)
            # One self-contained file: no WAL beside it in the archive.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
            source.close()
        return SQLITE_MEMBER
    target = folder / PG_MEMBER
    _run(
        [pg_binary("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(target), _pg_url(settings)],
        "pg_dump",
    )
    return PG_MEMBER


def _default_output(settings: Settings) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.var_dir / "backups" / f"sinergi-{database_kind(settings)}-{stamp}.tar.gz"


def backup(settings: Settings, output: Path | None = None) -> BackupResult:
    """Writes the archive (to a temporary name, renamed when complete) and returns what it holds."""
    started = time.monotonic()
    output = (output or _default_output(settings)).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sinergi-backup-", dir=output.parent) as tmp:
        folder = Path(tmp)
        files: dict[str, Path] = {}
        db_member = _dump_database(settings, folder)
        files[db_member] = folder / db_member
        uploads = settings.var_dir / UPLOADS
        if uploads.is_dir():
            for path in sorted(uploads.rglob("*")):
                relative = path.relative_to(uploads).parts
                # Photos kept for a refused form (a day at most) and a copy still being written are no
                # evidence: they stay out.
                if relative[0] == PENDING or path.name.endswith(".part"):
                    continue
                if path.is_file() and not path.is_symlink():
                    files[PurePosixPath(UPLOADS, *relative).as_posix()] = path
        members: dict[str, dict[str, int | str]] = {}
        for name, path in files.items():
            members[name] = {"sha256": _sha256(path), "size": path.stat().st_size}
        manifest = Manifest(
            version=FORMAT_VERSION,
            database=database_kind(settings),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            members=members,
        )
        body = json.dumps(
            {
                "format": FORMAT,
                "version": manifest.version,
                "database": manifest.database,
                "created_at": manifest.created_at,
                "members": manifest.members,
            },
            indent=1,
            sort_keys=True,
        ).encode()
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(time.time())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in files.items():
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
        partial.chmod(0o600)
        os.replace(partial, output)
    return BackupResult(output, manifest, output.stat().st_size, time.monotonic() - started)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
        handle = tar.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        raw = json.loads(handle.read(4 * CHUNK))
    except KeyError:
        raise BackupError("not a Sinergi backup: the archive has no manifest.json") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError("the archive's manifest.json is not valid JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError("not a Sinergi backup: manifest.json does not describe one")
    if raw.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {raw.get('version')!r} is not supported (this Sinergi reads version "
            f"{FORMAT_VERSION})"
        )
    database = raw.get("database")
    members = raw.get("members")
    if database not in KIND_NAMES or not isinstance(members, dict):
        raise BackupError("the archive's manifest.json is incomplete (database kind or member list)")
    for name, entry in members.items():
        if (
            not isinstance(name, str)
            or not _safe_name(name)
            or not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise BackupError(f"the archive's manifest.json lists an invalid member {name!r}")
    db_member = SQLITE_MEMBER if database == "sqlite" else PG_MEMBER
    if db_member not in members:
        raise BackupError(f"the archive's manifest.json does not list the database ({db_member})")
    return Manifest(
        version=FORMAT_VERSION, database=database, created_at=str(raw.get("created_at")), members=members
    )


def verify(archive: Path, into: Path) -> Manifest:
    """Reads the manifest, extracts every member into `into` and checks its size and SHA-256; raises
    BackupError on the first problem. Nothing outside `into` is written."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _read_manifest(tar)
            seen: set[str] = set()
            for member in tar:
                name = member.name
                if name == MANIFEST:
                    continue
                if name not in manifest.members or not member.isfile() or not _safe_name(name):
                    raise BackupError(f"the archive holds {name!r}, which its manifest does not list")
                if name in seen:
                    raise BackupError(f"the archive holds {name!r} twice")
                seen.add(name)
                expected = manifest.members[name]
                handle = tar.extractfile(member)
                assert handle is not None
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
                    raise BackupError(f"checksum mismatch for {name}: the archive is damaged or was altered")
            missing = sorted(set(manifest.members) - seen)
            if missing:
                raise BackupError(f"the archive lacks {missing[0]}, which its manifest lists")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"the archive cannot be read (damaged or not a .tar.gz): {exc}") from None
    return manifest


def _restore_sqlite(settings: Settings, source_path: Path) -> None:
    source = sqlite3.connect(source_path)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the archived SQLite database fails its integrity check: {check}")
        target_path = settings.sqlite_path
        target_path.parent.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(target_path, timeout=30)
        try:
            # Page by page into the live file, under SQLite's own locking: open connections see the
            # restored data on their next transaction.
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=WAL")
        finally:
            dest.close()
    finally:
        source.close()


def _restore_postgres(settings: Settings, dump: Path) -> None:
    _run(
        [
            pg_binary("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            _pg_url(settings),
            str(dump),
        ],
        "pg_restore",
    )


def _restore_uploads(settings: Settings, extracted: Path) -> None:
    current = settings.var_dir / UPLOADS
    incoming = extracted / UPLOADS
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".uploads-restore-", dir=settings.var_dir))
    if incoming.is_dir():
        shutil.copytree(incoming, staged / UPLOADS)
    else:
        (staged / UPLOADS).mkdir()
    old = settings.var_dir / f".uploads-before-restore-{os.getpid()}"
    if current.exists():
        os.replace(current, old)
    os.replace(staged / UPLOADS, current)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staged, ignore_errors=True)


def restore(
    settings: Settings, archive: Path, confirm: Callable[[Manifest], bool] | None = None
) -> RestoreResult | None:
    """Checks the whole archive, asks `confirm` (None: no question), then replaces the database and the
    uploads. Returns None when the operator said no."""
    started = time.monotonic()
    scratch_parent = settings.var_dir if settings.var_dir.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".sinergi-restore-", dir=scratch_parent) as tmp:
        folder = Path(tmp)
        manifest = verify(archive, folder)
        kind = database_kind(settings)
        if manifest.database != kind:
            raise BackupError(
                f"this archive holds a {KIND_NAMES[manifest.database]} database, but DATABASE_URL names a "
                f"{KIND_NAMES[kind]} one: restore it into a {KIND_NAMES[manifest.database]} database "
                "(or move the data with an export, not with restore)"
            )
        if confirm is not None and not confirm(manifest):
            return None
        if kind == "sqlite":
            _restore_sqlite(settings, folder / SQLITE_MEMBER)
        else:
            _restore_postgres(settings, folder / PG_MEMBER)
        _restore_uploads(settings, folder)
    return RestoreResult(manifest, time.monotonic() - started)
