"""Officers in Sinergi: their profile (NRP, rank, Polres, desa of duty), their attestations of the
activities that name them, and the one-time invites for officers named without an account. (The activity's
`officer_confirmed` fact, which the attestations keep, is added by the 05:00 migration.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "officers and attestations"


def statements(id_column: str) -> tuple[str, ...]:
    fk = "ON DELETE CASCADE ON UPDATE CASCADE"
    return (
        'CREATE TABLE IF NOT EXISTS "officer_profile" ('
        f'"id" {id_column}, '
        f'"account" INTEGER UNIQUE REFERENCES "account" ("id") {fk} DEFAULT null, '
        '"nrp" VARCHAR(18) NOT NULL UNIQUE, '
        "\"rank\" VARCHAR(40) NOT NULL DEFAULT '', "
        "\"polres\" VARCHAR(80) NOT NULL DEFAULT '', "
        '"village_code" VARCHAR(16) DEFAULT null)',
        'CREATE TABLE IF NOT EXISTS "attestation" ('
        f'"id" {id_column}, '
        f'"activity" INTEGER REFERENCES "activity" ("id") {fk} DEFAULT null, '
        f'"officer" INTEGER REFERENCES "account" ("id") {fk} DEFAULT null, '
        '"nrp" VARCHAR(18) NOT NULL, '
        "\"officer_name\" VARCHAR(120) NOT NULL DEFAULT '', "
        "\"state\" VARCHAR(16) NOT NULL DEFAULT 'pending', "
        "\"reason\" TEXT NOT NULL DEFAULT '', "
        '"is_current" BOOLEAN NOT NULL DEFAULT true, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        '"decided_at" TIMESTAMPTZ DEFAULT null, '
        '"lat" VARCHAR(32) DEFAULT null, '
        '"lon" VARCHAR(32) DEFAULT null, '
        '"accuracy" VARCHAR(32) DEFAULT null)',
        'CREATE INDEX IF NOT EXISTS attestation_activity ON "attestation" ("activity", "is_current")',
        'CREATE INDEX IF NOT EXISTS attestation_officer ON "attestation" ("officer", "state", "is_current")',
        'CREATE TABLE IF NOT EXISTS "officer_invite" ('
        f'"id" {id_column}, '
        f'"activity" INTEGER REFERENCES "activity" ("id") {fk} DEFAULT null, '
        '"nrp" VARCHAR(18) NOT NULL, '
        "\"officer_name\" VARCHAR(120) NOT NULL DEFAULT '', "
        '"token_hash" VARCHAR(64) NOT NULL UNIQUE, '
        '"created_by" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        '"expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        '"used_at" TIMESTAMPTZ DEFAULT null, '
        '"account" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null)',
        'CREATE INDEX IF NOT EXISTS officer_invite_activity ON "officer_invite" ("activity")',
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Activity

        id_column = "SERIAL PRIMARY KEY" if is_postgres() else "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
        for statement in statements(id_column):
            await Activity.raw(statement)

    manager.add_raw(run)
    return manager
