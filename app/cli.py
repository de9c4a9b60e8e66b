"""The `sinergi` command: migrate, create-user, seed-demo, serve, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from app.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"sinergi: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def migrate(settings: Settings) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app import db

    await db.start(settings)
    try:
        result = await run_forwards(app_name="all")
        if not result.success:
            raise SystemExit(f"sinergi: migration failed: {result.message}")
    finally:
        await db.stop()


async def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from app import db
    from app.accounts.services import AccountError, create_account, team_id_for
    from app.competitions.services import current_competition

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
        print(f"created account {args.username} (id {account_id}, role {args.role})")
        return 0
    finally:
        await db.stop()


async def _seed_demo(settings: Settings) -> bool:
    from app import db
    from app.competitions.demo import seed_demo

    await db.start(settings)
    try:
        return await seed_demo()
    finally:
        await db.stop()


async def _audit_verify(settings: Settings) -> int:
    from app import db
    from app.audit.services import verify

    await db.start(settings)
    try:
        report = await verify()
    finally:
        await db.stop()
    if report.ok:
        print(f"OK {report.count} events")
        return 0
    print(f"BROKEN at audit event id {report.broken_id}: {report.reason}")
    return 1


def serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from app.main import create_app

    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        proxy_headers=False,
    )


def print_demo_banner(settings: Settings, host: str, port: int) -> None:
    from app.competitions.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    print()
    print("Sinergi demo — Lomba Sinergitas Senkom – Bhabinkamtibmas 2024")
    print(f"  Buka / open:  http://{host}:{port}/")
    print(f"  Database:     {settings.database_url}")
    print(f"  Akun demo / demo accounts (kata sandi / password: {DEMO_PASSWORD}):")
    for a in DEMO_ACCOUNTS:
        extra = f" tim {a.team}" if a.team else f" wilayah {a.region}" if a.region else ""
        print(f"    {a.username:<22} {a.role:<12}{extra}")
    print()


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
    au_sub.add_parser("verify", help="recompute the hash chain; exit 1 at the first broken link")
    sv = sub.add_parser("serve", help="serve the database the settings name, seeding nothing")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    dm = sub.add_parser("demo", help="migrate, seed the demo season once, and serve it")
    dm.add_argument("--host")
    dm.add_argument("--port", type=int)
    args = parser.parse_args(argv)
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
    if args.command == "serve":
        serve(settings, args.host, args.port)
        return 0
    if args.command == "demo":
        asyncio.run(migrate(settings))
        seeded = asyncio.run(_seed_demo(settings))
        print("demo season seeded" if seeded else "demo season already present; nothing seeded")
        host, port = args.host or settings.host, args.port or settings.port
        print_demo_banner(settings, host, port)
        serve(settings, host, port)
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
