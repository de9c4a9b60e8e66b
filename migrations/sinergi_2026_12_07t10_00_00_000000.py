"""The audit chain's signed head, and the one-time seal of a chain recorded before the chain was keyed:
its events keep their plain SHA-256 links (still checked), and a keyed `audit.seal` event plus the signed
head cover them from now on (app.audit.services.seal_legacy_chain). Run with the server's SECRET_KEY /
SINERGI_AUDIT_KEY (`sinergi migrate` reads the same environment); plain SQL valid on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit head"

STATEMENT = (
    'CREATE TABLE IF NOT EXISTS "audit_head" ('
    '"id" INTEGER PRIMARY KEY NOT NULL, '
    '"count" INTEGER NOT NULL DEFAULT 0, '
    '"last_id" INTEGER NOT NULL DEFAULT 0, '
    "\"last_link\" VARCHAR(64) NOT NULL DEFAULT '', "
    '"legacy_through" INTEGER NOT NULL DEFAULT 0, '
    "\"mac\" VARCHAR(64) NOT NULL DEFAULT '')"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.audit.services import seal_legacy_chain
        from app.tables import Competition

        await Competition.raw(STATEMENT)
        await seal_legacy_chain()

    manager.add_raw(run)
    return manager
