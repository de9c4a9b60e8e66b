"""The `sinergi` command: migrate, create-user, seed-demo, serve, demo."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from app import i18n
from app.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"sinergi: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


MIGRATION_LOCK_KEY = zlib.crc32(b"sinergi:migrate")


async def migrate(settings: Settings) -> None:
    """Brings the schema up to date; several processes started at once take turns (the first migrates,
    the others find nothing left to do): a PostgreSQL session-level advisory lock, or an exclusive lock
    on a file beside the SQLite database."""
    async with _migration_lock(settings):
        await _run_migrations(settings)


async def _run_migrations(settings: Settings) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app import db

    await db.start(settings)
    try:
        result = await run_forwards(app_name="all")
        if not result.success:
            raise SystemExit(f"sinergi: migration failed: {result.message}")
    finally:
        await db.stop()


@asynccontextmanager
async def _migration_lock(settings: Settings) -> AsyncIterator[None]:
    if settings.is_sqlite:
        import fcntl

        path = settings.sqlite_path.with_name(settings.sqlite_path.name + ".migrate-lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            # flock blocks in a thread so the event loop (and a Ctrl-C) stays responsive.
            await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    import asyncpg

    dsn = settings.database_url.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        # Held by this connection (its session) while Piccolo migrates over its own connections.
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()


async def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from app import db, subscribers
    from app.accounts.services import AccountError, create_account, team_id_for
    from app.competitions.services import current_competition
    from app.errors import Conflict

    subscribers.wire()  # whatever the accounts context emits gets its reactions, as in the application
    await db.start(settings)
    try:
        team_id = None
        if args.team:
            competition = await current_competition()
            team_id = await team_id_for(competition.id, args.team) if competition else None
            if team_id is None:
                print(f"sinergi: unknown team {args.team!r} in the current competition", file=sys.stderr)
                return 2
        try:
            account_id = await create_account(
                username=args.username,
                password=args.password,
                role=args.role,
                full_name=args.full_name or "",
                team_id=team_id,
                region_code=args.region,
            )
        except AccountError as exc:
            for field, message in exc.errors.items():
                print(f"sinergi: {field}: {message}", file=sys.stderr)
            return 2
        except Conflict as exc:
            print(f"sinergi: username: {exc.message}", file=sys.stderr)
            return 2
        print(f"created account {args.username} (id {account_id}, role {args.role})")
        return 0
    finally:
        await db.stop()


async def _seed_demo(settings: Settings) -> bool:
    from app import db
    from app.demo import seed_demo

    await db.start(settings)
    try:
        return await seed_demo(settings.var_dir)
    finally:
        await db.stop()


async def _audit_verify(settings: Settings) -> int:
    from app import db
    from app.audit.chain import describe
    from app.audit.services import verify
    from app.tables import AuditHead

    await db.start(settings)
    try:
        if not await AuditHead.table_exists():
            print(
                i18n._("sinergi: the database is not up to date: run `sinergi migrate` first"),
                file=sys.stderr,
            )
            return 2
        report = await verify()
    finally:
        await db.stop()
    print(describe(report))
    return 0 if report.ok else 1


def cli_locale(env: dict[str, str] | None = None) -> str:
    """The language of the command's messages: the first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that
    names Indonesian or English, else Indonesian (C, POSIX or nothing set), the site's default too."""
    env = dict(os.environ if env is None else env)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in env.get(name, "").split(":"):
            if tag[:2].lower() in i18n.LOCALES:
                return tag[:2].lower()
    return i18n.DEFAULT_LOCALE


def port_is_free(host: str, port: int) -> bool:
    """Whether the server could listen there (bound the way uvicorn binds, then let go at once)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    *,
    workers: int | None = None,
    graceful_timeout: float | None = None,
    forwarded_allow_ips: str | None = None,
    log_format: str | None = None,
) -> None:
    """Runs uvicorn: one process serving the app built here, or N worker processes that each build it
    from the environment (`app.main:create_app` as a factory). SIGTERM/SIGINT stop accepting, let open
    requests finish for up to `graceful_timeout` seconds (an SSE stream is cut then), and exit."""
    import uvicorn

    from app import observability
    from app.main import create_app

    workers = workers or settings.workers
    forwarded = forwarded_allow_ips or settings.forwarded_allow_ips
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "timeout_graceful_shutdown": graceful_timeout or settings.graceful_timeout,
        "proxy_headers": bool(forwarded),
        "forwarded_allow_ips": forwarded or "127.0.0.1",
        "log_config": observability.logging_config(log_format or settings.log_format or "json"),
        "access_log": False,  # app.observability logs each request, with its id
        "server_header": False,
    }
    memory = settings.channels_backend == "memory" or (
        settings.channels_backend == "auto" and not settings.redis_url
    )
    if workers > 1 and memory:
        print(
            "sinergi: warning: live leaderboard signals stay inside each worker (memory channels); pages on"
            " other workers catch up at their next poll. Set REDIS_URL or SINERGI_CHANNELS=postgres.",
            file=sys.stderr,
        )
    if workers > 1:
        uvicorn.run("app.main:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


def _backup(settings: Settings, output: str | None) -> int:
    from pathlib import Path

    from app.backup import BackupError, backup

    try:
        result = backup(settings, Path(output) if output else None)
    except BackupError as exc:
        print(i18n._("sinergi: backup failed: %(reason)s", reason=exc), file=sys.stderr)
        return 1
    m = result.manifest
    print(
        i18n._(
            "backup written to %(path)s (%(size)s bytes, %(kind)s database, %(photos)s upload files, "
            "%(seconds)s s)",
            path=result.path,
            size=i18n.format_number(result.size),
            kind=m.database,
            photos=m.photos,
            seconds=i18n.format_number(result.seconds, 1),
        )
    )
    return 0


def _restore(settings: Settings, archive: str, yes: bool, accept_unsigned: bool) -> int:
    from pathlib import Path

    from app.backup import KIND_NAMES, BackupError, Manifest, record_restore, restore

    def ask(m: Manifest) -> bool:
        print(
            i18n._(
                "%(archive)s: %(kind)s database and %(photos)s upload files, made %(made)s; signature, "
                "checksums and database checked.",
                archive=archive,
                kind=KIND_NAMES[m.database],
                photos=m.photos,
                made=m.created_at,
            )
        )
        print(
            i18n._(
                "This REPLACES the database %(database)s and the uploads in %(var)s.",
                database=settings.database_url,
                var=settings.var_dir,
            )
        )
        if not sys.stdin.isatty():
            print(
                i18n._("sinergi: not a terminal: pass --yes to restore without the question"), file=sys.stderr
            )
            return False
        answer = input(i18n._("Type 'yes' to restore: ")).strip().lower()
        return answer in {"yes", i18n._("yes")}

    try:
        result = restore(settings, Path(archive), None if yes else ask, accept_unsigned=accept_unsigned)
    except BackupError as exc:
        print(i18n._("sinergi: restore refused: %(reason)s", reason=exc), file=sys.stderr)
        return 1
    if result is None:
        print(i18n._("nothing restored"))
        return 1
    print(
        i18n._(
            "restored %(kind)s database and %(photos)s upload files from %(archive)s (made %(made)s) in "
            "%(seconds)s s; run `sinergi migrate` if this Sinergi is newer than the backup, then start the "
            "server",
            kind=result.manifest.database,
            photos=result.manifest.photos,
            archive=archive,
            made=result.manifest.created_at,
            seconds=i18n.format_number(result.seconds, 1),
        )
    )
    if not asyncio.run(record_restore(settings, Path(archive), result)):
        print(
            i18n._(
                "the restored database has no verified audit chain head yet: run `sinergi migrate`, then "
                "`sinergi audit verify`"
            )
        )
    return 0


def print_demo_banner(settings: Settings, host: str, port: int) -> None:
    from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    print()
    print("Sinergi demo — Lomba Sinergitas Senkom – Bhabinkamtibmas 2024")
    print(f"  Buka / open:  http://{host}:{port}/")
    print(f"  Database:     {settings.database_url}")
    print(f"  Akun demo / demo accounts (kata sandi / password: {DEMO_PASSWORD}):")
    for a in DEMO_ACCOUNTS:
        extra = f" tim {a.team}" if a.team else f" wilayah {a.region}" if a.region else ""
        extra = f" NRP {a.nrp}" if a.nrp else extra
        print(f"    {a.username:<22} {a.role:<12}{extra}")
    print()


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sinergi", description="Sinergi scoring platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="build or update the database schema")
    cu = sub.add_parser("create-user", help="create an account")
    cu.add_argument("--username", required=True)
    cu.add_argument("--password", required=True)
    cu.add_argument("--role", required=True, choices=("organiser", "judge", "participant"))
    cu.add_argument("--team", help="Kemendagri code of the participant's team, e.g. 35.78")
    cu.add_argument("--region", help="a judge's home regency code, e.g. 35.07")
    cu.add_argument("--full-name", dest="full_name")
    sub.add_parser("seed-demo", help="seed the demo season (once)")
    au = sub.add_parser("audit", help="the audit trail")
    au_sub = au.add_subparsers(dest="audit_command", required=True)
    au_sub.add_parser("verify", help="check the keyed chain and its signed head; exit 1 if broken or cut")
    sv = sub.add_parser("serve", help="serve the database the settings name, seeding nothing")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    sv.add_argument("--workers", type=_positive_int, help="worker processes (default SINERGI_WORKERS or 1)")
    sv.add_argument(
        "--graceful-timeout",
        dest="graceful_timeout",
        type=float,
        help="seconds open requests get to finish on SIGTERM (default SINERGI_GRACEFUL_TIMEOUT or 10)",
    )
    sv.add_argument(
        "--forwarded-allow-ips",
        dest="forwarded_allow_ips",
        help="proxies whose X-Forwarded-For/-Proto are trusted, comma-separated (default: none)",
    )
    sv.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from a proxy on this machine (= --forwarded-allow-ips 127.0.0.1)",
    )
    sv.add_argument("--log-format", dest="log_format", choices=("json", "text"), help="default json")
    dm = sub.add_parser("demo", help="migrate, seed the demo season once, and serve it")
    dm.add_argument("--host")
    dm.add_argument("--port", type=int)
    bk = sub.add_parser("backup", help="write the database and the uploads into one signed archive")
    bk.add_argument("--output", help="archive path (default: <var>/backups/sinergi-<kind>-<time>.tar.gz)")
    rs = sub.add_parser("restore", help="replace the database and the uploads with a backup archive")
    rs.add_argument("archive", help="a .tar.gz written by `sinergi backup`")
    rs.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rs.add_argument(
        "--accept-unsigned",
        dest="accept_unsigned",
        action="store_true",
        help="also restore an archive of an earlier version, made before archives were signed",
    )
    args = parser.parse_args(argv)
    i18n.set_locale(cli_locale())
    settings = _settings()

    if args.command == "migrate":
        asyncio.run(migrate(settings))
        print("database is up to date")
        return 0
    if args.command == "create-user":
        return asyncio.run(_create_user(settings, args))
    if args.command == "seed-demo":
        asyncio.run(migrate(settings))
        seeded = asyncio.run(_seed_demo(settings))
        print("demo season seeded" if seeded else "demo season already present; nothing seeded")
        return 0
    if args.command == "audit":
        return asyncio.run(_audit_verify(settings))
    if args.command == "backup":
        return _backup(settings, args.output)
    if args.command == "restore":
        return _restore(settings, args.archive, args.yes, args.accept_unsigned)
    if args.command == "serve":
        serve(
            settings,
            args.host,
            args.port,
            workers=args.workers,
            graceful_timeout=args.graceful_timeout,
            forwarded_allow_ips=args.forwarded_allow_ips or ("127.0.0.1" if args.proxy_headers else None),
            log_format=args.log_format,
        )
        return 0
    if args.command == "demo":
        host, port = args.host or settings.host, args.port or settings.port
        # Before anything is migrated or seeded: a busy port would otherwise print the address of
        # whatever else answers there, and then exit.
        if not port_is_free(host, port):
            print(
                i18n._(
                    "sinergi: port %(port)s is already in use on %(host)s: stop the program that uses it,"
                    " or choose another port with --port.",
                    port=port,
                    host=host,
                ),
                file=sys.stderr,
            )
            return 1
        asyncio.run(migrate(settings))
        seeded = asyncio.run(_seed_demo(settings))
        print("demo season seeded" if seeded else "demo season already present; nothing seeded")
        print_demo_banner(settings, host, port)
        serve(settings, host, port, log_format=settings.log_format or "text")
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
