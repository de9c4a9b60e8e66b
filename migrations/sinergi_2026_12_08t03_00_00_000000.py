"""Webhooks (app.webhooks): the organisers' endpoints, the outbox of deliveries written in the transaction
of each change, and every attempt to send one. SQLite ids count up (AUTOINCREMENT), never reused."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-08T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhooks"


def statements(id_column: str) -> tuple[str, ...]:
    return tuple(s.replace("ID_COLUMN", id_column) for s in STATEMENTS)


STATEMENTS = (
    'CREATE TABLE IF NOT EXISTS "webhook_endpoint" ('
    '"id" ID_COLUMN, '
    '"competition" INTEGER REFERENCES "competition" ("id") '
    "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "
    "\"url\" VARCHAR(2000) NOT NULL DEFAULT '', "
    "\"description\" VARCHAR(200) NOT NULL DEFAULT '', "
    "\"events\" TEXT NOT NULL DEFAULT '[]', "
    "\"secret\" VARCHAR(128) NOT NULL DEFAULT '', "
    '"trusted" BOOLEAN NOT NULL DEFAULT false, '
    '"active" BOOLEAN NOT NULL DEFAULT true, '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"created_by" INTEGER REFERENCES "account" ("id") '
    "ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null)",
    'CREATE INDEX IF NOT EXISTS webhook_endpoint_competition ON "webhook_endpoint" ("competition")',
    'CREATE TABLE IF NOT EXISTS "webhook_delivery" ('
    '"id" ID_COLUMN, '
    '"endpoint" INTEGER REFERENCES "webhook_endpoint" ("id") '
    "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "
    "\"uuid\" VARCHAR(36) NOT NULL UNIQUE DEFAULT '', "
    "\"event_id\" VARCHAR(36) NOT NULL DEFAULT '', "
    "\"event_type\" VARCHAR(40) NOT NULL DEFAULT '', "
    "\"body\" TEXT NOT NULL DEFAULT '{}', "
    "\"state\" VARCHAR(12) NOT NULL DEFAULT 'pending', "
    '"attempts" INTEGER NOT NULL DEFAULT 0, '
    '"next_attempt_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"lease_token" VARCHAR(36) DEFAULT null, '
    '"lease_until" TIMESTAMPTZ DEFAULT null, '
    '"last_status" INTEGER DEFAULT null, '
    "\"last_error\" TEXT NOT NULL DEFAULT '', "
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"delivered_at" TIMESTAMPTZ DEFAULT null)',
    'CREATE INDEX IF NOT EXISTS webhook_delivery_endpoint ON "webhook_delivery" ("endpoint", "id")',
    'CREATE INDEX IF NOT EXISTS webhook_delivery_due ON "webhook_delivery" ("state", "next_attempt_at")',
    'CREATE TABLE IF NOT EXISTS "webhook_attempt" ('
    '"id" ID_COLUMN, '
    '"delivery" INTEGER REFERENCES "webhook_delivery" ("id") '
    "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "
    '"attempted_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"status_code" INTEGER DEFAULT null, '
    "\"error\" TEXT NOT NULL DEFAULT '', "
    '"duration_ms" INTEGER NOT NULL DEFAULT 0)',
    'CREATE INDEX IF NOT EXISTS webhook_attempt_delivery ON "webhook_attempt" ("delivery")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Competition

        id_column = "SERIAL PRIMARY KEY" if is_postgres() else "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
        for statement in statements(id_column):
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager
