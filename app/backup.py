"""`sinergi backup` and `sinergi restore`: the database and the uploaded photos in one signed archive.

An archive is a gzipped tar holding `manifest.json` (format version, database kind, creation time, the
size and SHA-256 of every other member, and an HMAC-SHA256 signature of all that under a key derived from
SINERGI_AUDIT_KEY or SECRET_KEY, never stored in the archive), the database (`database.sqlite3`, copied
through SQLite's online backup API while the server keeps running, or `database.pgdump`, PostgreSQL's
custom format from `pg_dump -Fc`) and `uploads/…` (the photos under the var dir).

Restore checks everything before it asks or changes anything: the signature (an archive altered and its
manifest recomputed, or made by another installation, is refused), every member's size and SHA-256, no
member missing, added or with an unsafe name, the database kind, and the database itself (SQLite: its
integrity check and its audit chain, opened read-only; PostgreSQL: `pg_restore --list` reads the dump).
Every refusal is a `BackupError` whose message says why, in the operator's language.
"""

from __future__ import annotations

import hashlib
import hmac
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

from app import db
from app.activities.kept_photos import PENDING
from app.audit import chain
from app.audit import services as audit
from app.i18n import _
from app.security import BACKUP_MANIFEST_KEY, derive_key, sign
from app.settings import Settings
from app.tables import AuditHead

FORMAT = "sinergi-backup"
FORMAT_VERSION = 2
UNSIGNED_VERSION = 1  # archives of versions before the signature
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
    # Whether the restored database has the keyed audit chain (else it predates it: `sinergi migrate`).
    keyed_chain: bool


def database_kind(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def manifest_key(settings: Settings) -> bytes:
    return derive_key(settings.signing_secret, BACKUP_MANIFEST_KEY)


def _signed_part(raw: dict[str, object]) -> bytes:
    """What the signature covers: the whole manifest but the signature, in one canonical form."""
    unsigned = {k: v for k, v in raw.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_manifest(key: bytes, raw: dict[str, object]) -> str:
    return sign(key, _signed_part(raw))


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
    raise BackupError(
        _("%(name)s was not found: install the PostgreSQL client tools or set SINERGI_PG_BIN", name=name)
    )


def _pg_url(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
    if result.returncode != 0:
        raise BackupError(
            _(
                "%(command)s failed (exit %(code)s): %(error)s",
                command=what,
                code=result.returncode,
                error=result.stderr.strip()[-2000:],
            )
        )


def _dump_database(settings: Settings, folder: Path) -> str:
    if settings.is_sqlite:
        source_path = settings.sqlite_path
        if not source_path.exists():
            raise BackupError(_("the SQLite database %(path)s does not exist", path=source_path))
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
        raw: dict[str, object] = {
            "format": FORMAT,
            "version": manifest.version,
            "database": manifest.database,
            "created_at": manifest.created_at,
            "members": manifest.members,
        }
        raw["signature"] = sign_manifest(manifest_key(settings), raw)
        body = json.dumps(raw, indent=1, sort_keys=True).encode()
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


def _read_manifest(tar: tarfile.TarFile, key: bytes, accept_unsigned: bool) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
        handle = tar.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        raw = json.loads(handle.read(4 * CHUNK))
    except KeyError:
        raise BackupError(_("not a Sinergi backup: the archive has no manifest.json")) from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(_("the archive's manifest.json is not valid JSON")) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(_("not a Sinergi backup: manifest.json does not describe one"))
    version = raw.get("version")
    if version == UNSIGNED_VERSION:
        if not accept_unsigned:
            raise BackupError(
                _(
                    "this archive was made by an earlier version of Sinergi and carries no signature, so "
                    "nothing shows it was not altered: restore it with --accept-unsigned only if you know "
                    "where it has been"
                )
            )
    elif version == FORMAT_VERSION:
        signature = raw.get("signature")
        if not isinstance(signature, str) or not hmac.compare_digest(signature, sign_manifest(key, raw)):
            raise BackupError(
                _(
                    "the archive's signature does not match: it was altered after it was made, or it was "
                    "made by another installation (another SINERGI_AUDIT_KEY or SECRET_KEY)"
                )
            )
    else:
        raise BackupError(
            _(
                "backup format version %(version)s is not supported (this Sinergi reads version %(ours)s)",
                version=repr(version),
                ours=FORMAT_VERSION,
            )
        )
    database = raw.get("database")
    members = raw.get("members")
    if database not in KIND_NAMES or not isinstance(members, dict):
        raise BackupError(_("the archive's manifest.json is incomplete (database kind or member list)"))
    for name, entry in members.items():
        if (
            not isinstance(name, str)
            or not _safe_name(name)
            or not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise BackupError(
                _("the archive's manifest.json lists an invalid member %(name)s", name=repr(name))
            )
    db_member = SQLITE_MEMBER if database == "sqlite" else PG_MEMBER
    if db_member not in members:
        raise BackupError(
            _("the archive's manifest.json does not list the database (%(name)s)", name=db_member)
        )
    return Manifest(
        version=version, database=database, created_at=str(raw.get("created_at")), members=members
    )


def verify(archive: Path, into: Path, key: bytes, *, accept_unsigned: bool = False) -> Manifest:
    """Reads the manifest and checks its signature, extracts every member into `into` and checks its size
    and SHA-256; raises BackupError on the first problem. Nothing outside `into` is written."""
    if not archive.is_file():
        raise BackupError(_("%(path)s is not a file", path=archive))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _read_manifest(tar, key, accept_unsigned)
            seen: set[str] = set()
            for member in tar:
                name = member.name
                if name == MANIFEST:
                    continue
                if name not in manifest.members or not member.isfile() or not _safe_name(name):
                    raise BackupError(
                        _("the archive holds %(name)s, which its manifest does not list", name=repr(name))
                    )
                if name in seen:
                    raise BackupError(_("the archive holds %(name)s twice", name=repr(name)))
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
                    raise BackupError(
                        _("checksum mismatch for %(name)s: the archive is damaged or was altered", name=name)
                    )
            missing = sorted(set(manifest.members) - seen)
            if missing:
                raise BackupError(_("the archive lacks %(name)s, which its manifest lists", name=missing[0]))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(
            _("the archive cannot be read (damaged or not a .tar.gz): %(error)s", error=exc)
        ) from None
    return manifest


def check_sqlite(path: Path, chain_key: bytes) -> bool:
    """The archived SQLite file, opened read-only: SQLite's own integrity check, then the audit chain it
    holds (against its own signed head; a file from before the keyed chain has none to check: False)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(_("the archived SQLite database cannot be opened: %(error)s", error=exc)) from None
    try:
        conn.row_factory = sqlite3.Row
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(
                _(
                    "the archived SQLite database fails its integrity check: %(problems)s",
                    problems="; ".join(problems[:5]),
                )
            )
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if AuditHead._meta.tablename not in tables:
            return False
        head = conn.execute("SELECT * FROM audit_head WHERE id = 1").fetchone()
        check = chain.ChainCheck(chain_key, dict(head) if head is not None else None)
        rows = conn.execute("SELECT * FROM audit_event ORDER BY id")
        while (batch := rows.fetchmany(2000)) and check.feed(dict(row) for row in batch):
            pass
        report = check.report()
        if not report.ok:
            raise BackupError(
                _(
                    "the archived database's audit chain does not verify: %(verdict)s",
                    verdict=chain.describe(report),
                )
            )
        return True
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("the archived SQLite database is damaged: %(error)s", error=exc)) from None
    finally:
        conn.close()


def check_pgdump(path: Path) -> bool:
    """pg_restore reads the dump's table of contents; a damaged or foreign file fails here. True when the
    dump holds the keyed audit chain's head."""
    result = subprocess.run(  # noqa: S603 - our own argv
        [pg_binary("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            _(
                "the archived PostgreSQL dump cannot be read by pg_restore: %(error)s",
                error=result.stderr.strip()[-2000:],
            )
        )
    return f" TABLE public {AuditHead._meta.tablename} " in result.stdout


def _restore_sqlite(settings: Settings, source_path: Path) -> None:
    source = sqlite3.connect(source_path)
    try:
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
    settings: Settings,
    archive: Path,
    confirm: Callable[[Manifest], bool] | None = None,
    *,
    accept_unsigned: bool = False,
) -> RestoreResult | None:
    """Checks the whole archive and the database in it, then asks `confirm` (None: no question), then
    replaces the database and the uploads. Returns None when the operator said no."""
    started = time.monotonic()
    scratch_parent = settings.var_dir if settings.var_dir.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".sinergi-restore-", dir=scratch_parent) as tmp:
        folder = Path(tmp)
        manifest = verify(archive, folder, manifest_key(settings), accept_unsigned=accept_unsigned)
        kind = database_kind(settings)
        if manifest.database != kind:
            raise BackupError(
                _(
                    "this archive holds a %(archived)s database, but DATABASE_URL names a %(ours)s one: "
                    "restore it into a %(archived)s database (or move the data with an export, not with "
                    "restore)",
                    archived=KIND_NAMES[manifest.database],
                    ours=KIND_NAMES[kind],
                )
            )
        if kind == "sqlite":
            keyed_chain = check_sqlite(folder / SQLITE_MEMBER, chain.chain_key(settings))
        else:
            keyed_chain = check_pgdump(folder / PG_MEMBER)
        if confirm is not None and not confirm(manifest):
            return None
        if kind == "sqlite":
            _restore_sqlite(settings, folder / SQLITE_MEMBER)
        else:
            _restore_postgres(settings, folder / PG_MEMBER)
        _restore_uploads(settings, folder)
    return RestoreResult(manifest, time.monotonic() - started, keyed_chain)


async def record_restore(settings: Settings, archive: Path, result: RestoreResult) -> bool:
    """After a restore: the copy of the audit chain's head follows the restored database (the replaced
    one's copy would call it truncated), and the restore is recorded in the chain. False when the restored
    database predates the keyed chain (`sinergi migrate` then seals it) or its head does not verify."""
    await db.start(settings)
    try:
        if not result.keyed_chain:
            # pg_restore --clean drops only what the dump holds: a head left by the replaced database would
            # stand for a chain that is gone, and keep the migration from sealing the restored one.
            await AuditHead.raw(f'DROP TABLE IF EXISTS "{AuditHead._meta.tablename}"')
            chain.forget_copy(settings)
            return False
        adopted = await audit.adopt_head()
        async with db.write_transaction():
            await audit.record(
                actor_id=None,
                actor_name="system",
                action="backup.restore",
                object_type="backup",
                object_id=archive.name[:64],
                after={
                    "created_at": result.manifest.created_at,
                    "database": result.manifest.database,
                    "photos": result.manifest.photos,
                },
            )
        return adopted
    finally:
        await db.stop()
