"""The jury: stages, assignments, conflicts of interest, review versions, team-level reviews and the
Berita Acara; plain SQL valid on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "jury"

ACCOUNT_FK = 'INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null'
COMPETITION_FK = 'INTEGER REFERENCES "competition" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null'


def statements(id_column: str, blob: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE competition ADD COLUMN blind_judging BOOLEAN NOT NULL DEFAULT false",
        "ALTER TABLE competition ADD COLUMN q_tolerance VARCHAR(32) NOT NULL DEFAULT '0.3'",
        "ALTER TABLE competition ADD COLUMN tolerance_action VARCHAR(16) NOT NULL DEFAULT 'extra_judge'",
        f"ALTER TABLE competition ADD COLUMN head_judge {ACCOUNT_FK}",
        "ALTER TABLE competition ADD COLUMN judge_normalisation BOOLEAN NOT NULL DEFAULT false",
        "ALTER TABLE competition ADD COLUMN place VARCHAR(200) NOT NULL DEFAULT 'Surabaya'",
        "ALTER TABLE activity ADD COLUMN jury_flag VARCHAR(16) NOT NULL DEFAULT ''",
        "ALTER TABLE review ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE review ADD COLUMN is_current BOOLEAN NOT NULL DEFAULT true",
        "ALTER TABLE review ADD COLUMN is_head BOOLEAN NOT NULL DEFAULT false",
        "ALTER TABLE review ADD COLUMN annulled_at TIMESTAMPTZ NULL",
        f"ALTER TABLE review ADD COLUMN annulled_by {ACCOUNT_FK}",
        "ALTER TABLE review ADD COLUMN annul_reason TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE rubric_criterion ADD COLUMN scope VARCHAR(16) NOT NULL DEFAULT 'activity'",
        "ALTER TABLE rubric_criterion ADD COLUMN description TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE rubric_criterion ADD COLUMN levels TEXT NOT NULL DEFAULT '[]'",
        'CREATE TABLE IF NOT EXISTS "stage" ('
        f'"id" {id_column}, '
        f'"competition" {COMPETITION_FK}, '
        '"position" INTEGER NOT NULL DEFAULT 0, '
        '"code" VARCHAR(32) NOT NULL, '
        '"name" VARCHAR(200) NOT NULL, '
        "\"name_en\" VARCHAR(200) NOT NULL DEFAULT '', "
        "\"kind\" VARCHAR(16) NOT NULL DEFAULT 'activity', "
        '"top_n" INTEGER NOT NULL DEFAULT 0, '
        "\"status\" VARCHAR(16) NOT NULL DEFAULT 'open', "
        '"closed_at" TIMESTAMPTZ NULL, '
        f'"closed_by" {ACCOUNT_FK})',
        'CREATE UNIQUE INDEX IF NOT EXISTS stage_competition_code ON "stage" ("competition", "code")',
        'CREATE TABLE IF NOT EXISTS "assignment" ('
        f'"id" {id_column}, '
        f'"competition" {COMPETITION_FK}, '
        '"stage" INTEGER REFERENCES "stage" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"activity" INTEGER REFERENCES "activity" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"team" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"judge" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        "\"status\" VARCHAR(16) NOT NULL DEFAULT 'open', "
        "\"origin\" VARCHAR(16) NOT NULL DEFAULT 'auto', "
        '"skipped" INTEGER NOT NULL DEFAULT 0, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        '"done_at" TIMESTAMPTZ NULL)',
        'CREATE INDEX IF NOT EXISTS assignment_judge_status ON "assignment" ("judge", "status")',
        'CREATE INDEX IF NOT EXISTS assignment_activity ON "assignment" ("activity")',
        'CREATE INDEX IF NOT EXISTS assignment_team ON "assignment" ("team")',
        'CREATE TABLE IF NOT EXISTS "conflict_of_interest" ('
        f'"id" {id_column}, '
        '"judge" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        '"team" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        "\"reason\" TEXT NOT NULL DEFAULT '', "
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS conflict_judge_team ON "conflict_of_interest" ("judge", "team")',
        'CREATE TABLE IF NOT EXISTS "team_review" ('
        f'"id" {id_column}, '
        '"stage" INTEGER REFERENCES "stage" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        '"team" INTEGER REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        '"judge" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        "\"scores\" TEXT NOT NULL DEFAULT '{}', "
        "\"note\" TEXT NOT NULL DEFAULT '', "
        '"version" INTEGER NOT NULL DEFAULT 1, '
        '"is_current" BOOLEAN NOT NULL DEFAULT true, '
        '"annulled_at" TIMESTAMPTZ NULL, '
        f'"annulled_by" {ACCOUNT_FK}, '
        "\"annul_reason\" TEXT NOT NULL DEFAULT '', "
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX IF NOT EXISTS team_review_stage_team ON "team_review" ("stage", "team")',
        'CREATE TABLE IF NOT EXISTS "berita_acara" ('
        f'"id" {id_column}, '
        f'"competition" {COMPETITION_FK}, '
        '"stage" INTEGER REFERENCES "stage" ("id") ON DELETE CASCADE ON UPDATE CASCADE NOT NULL, '
        f'"content" {blob} NOT NULL, '
        '"sha256" VARCHAR(64) NOT NULL, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        f'"created_by" {ACCOUNT_FK})',
        'CREATE UNIQUE INDEX IF NOT EXISTS berita_acara_stage ON "berita_acara" ("stage")',
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sinergi", description=DESCRIPTION)

    async def run():
        from app.db import is_postgres
        from app.tables import Competition

        postgres = is_postgres()
        id_column = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
        for statement in statements(id_column, "BYTEA" if postgres else "BLOB"):
            await Competition.raw(statement)

    manager.add_raw(run)
    return manager
