"""The movement arrows' baseline moment: when the standings that became this week's "rank at the start
of the week" were computed (the computed views compare with the activities verified before it), the
time of every recompute, and reviews found by their time."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "movement baseline"

STATEMENTS = (
    "ALTER TABLE competition ADD COLUMN movement_since TIMESTAMPTZ NULL",
    "ALTER TABLE competition ADD COLUMN standings_at TIMESTAMPTZ NULL",
    'CREATE INDEX IF NOT EXISTS review_created_at ON "review" ("created_at")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.tables import Competition

        for statement in STATEMENTS:
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager
