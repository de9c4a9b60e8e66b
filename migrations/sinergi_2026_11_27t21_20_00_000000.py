"""Composite unique keys and covering indexes Piccolo cannot declare; plain SQL valid on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys and indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS team_competition_code ON team (competition, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS activity_type_competition_code ON activity_type (competition, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS activity_team_idempotency ON activity (team, idempotency_key)",
    "CREATE INDEX IF NOT EXISTS activity_competition_status ON activity (competition, status, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ruleset_version_competition_version"
    " ON ruleset_version (competition, version)",
    "CREATE INDEX IF NOT EXISTS standing_lookup ON standing (competition, period, view, rank)",
    "CREATE INDEX IF NOT EXISTS audit_event_competition ON audit_event (competition_id, id)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Competition

        for statement in STATEMENTS:
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager
