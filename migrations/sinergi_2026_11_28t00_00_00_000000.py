"""Leaderboard freeze (when it began, which standings version the public keeps seeing) and standing
snapshots: the public copy at the freeze and each week's starting ranks for the movement arrows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "leaderboard freeze and standing snapshots"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE competition ADD COLUMN frozen_at TIMESTAMPTZ NULL",
        "ALTER TABLE competition ADD COLUMN frozen_version INTEGER NOT NULL DEFAULT 0",
        'CREATE TABLE IF NOT EXISTS "standing_snapshot" ('
        f'"id" {id_column}, '
        '"competition" INTEGER REFERENCES "competition" ("id") '
        "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "
        '"team" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"label\" VARCHAR(16) NOT NULL DEFAULT '', "
        '"rank" INTEGER NOT NULL DEFAULT 0, '
        "\"score\" VARCHAR(32) NOT NULL DEFAULT '0', "
        '"counted" INTEGER NOT NULL DEFAULT 0, '
        "\"subtotals\" TEXT NOT NULL DEFAULT '{}', "
        "\"lines\" TEXT NOT NULL DEFAULT '[]', "
        '"ruleset_version" INTEGER NOT NULL DEFAULT 0, '
        '"data_version" INTEGER NOT NULL DEFAULT 0)',
        "CREATE INDEX IF NOT EXISTS standing_snapshot_label ON standing_snapshot (competition, label, rank)",
        "CREATE INDEX IF NOT EXISTS standing_period_view ON standing (competition, period, view, rank)",
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Competition

        id_column = "SERIAL PRIMARY KEY" if is_postgres() else "INTEGER PRIMARY KEY NOT NULL"
        for statement in statements(id_column):
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager
