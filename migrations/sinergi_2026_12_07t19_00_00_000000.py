"""The team pages' activities at a leaderboard freeze (`frozen_activity`): the public's frozen team page
lists these instead of today's verified activities. A competition frozen before this migration gets its
currently verified activities as its list (the nearest to the freeze still known)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "frozen team page activities"


def statements(id_column: str) -> tuple[str, ...]:
    return (
        'CREATE TABLE IF NOT EXISTS "frozen_activity" ('
        f'"id" {id_column}, '
        '"competition" INTEGER REFERENCES "competition" ("id") '
        "ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "
        '"team" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"activity" INTEGER NOT NULL DEFAULT 0, '
        "\"title\" VARCHAR(200) NOT NULL DEFAULT '', "
        '"occurred_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        "\"type_code\" VARCHAR(32) NOT NULL DEFAULT '')",
        "CREATE INDEX IF NOT EXISTS frozen_activity_team"
        ' ON "frozen_activity" ("competition", "team", "occurred_at")',
        'INSERT INTO "frozen_activity" (competition, team, activity, title, occurred_at, type_code) '
        "SELECT a.competition, a.team, a.id, a.title, a.occurred_at, t.code "
        "FROM activity a JOIN activity_type t ON t.id = a.activity_type "
        "JOIN competition c ON c.id = a.competition "
        "WHERE a.status = 'verified' AND c.frozen_at IS NOT NULL",
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
