"""The database keeps the municipality copies honest.

Referral.municipality and EmploymentOutcome.municipality are copies of their case's
municipality, and `in_scope()` filters on them: a wrong copy would show a referral to another
municipality's staff. Triggers (PostgreSQL and SQLite) refuse:
- a referral or employment outcome whose municipality is not its case's;
- a change of a case's municipality (a person who moves gets a new case in the new
  municipality; the old case, and the copies that point to it, stay where they were).

The benchmark's bulk generator writes with triggers off (session_replication_role = replica)
and checks the same rule itself (bench/generate.py).
"""

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db import migrations
from django.db.migrations.state import StateApps

COPIES = ["referrals_referral", "referrals_employmentoutcome"]

POSTGRESQL = """
CREATE OR REPLACE FUNCTION municipality_copy_matches_case() RETURNS trigger AS $$
BEGIN
    IF NEW.municipality_id IS DISTINCT FROM
            (SELECT municipality_id FROM cases_case WHERE id = NEW.case_id) THEN
        RAISE EXCEPTION '%: municipality_id must be the case''s municipality', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION case_municipality_is_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a case never changes municipality (open a new case instead)'
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_municipality_is_fixed
    BEFORE UPDATE OF municipality_id ON cases_case
    FOR EACH ROW WHEN (OLD.municipality_id IS DISTINCT FROM NEW.municipality_id)
    EXECUTE FUNCTION case_municipality_is_fixed();
""" + "".join(
    f"""
CREATE TRIGGER {table}_municipality_copy
    BEFORE INSERT OR UPDATE OF municipality_id, case_id ON {table}
    FOR EACH ROW EXECUTE FUNCTION municipality_copy_matches_case();
"""
    for table in COPIES
)

POSTGRESQL_DROP = "".join(
    f"DROP TRIGGER IF EXISTS {table}_municipality_copy ON {table};\n" for table in COPIES
) + """
DROP TRIGGER IF EXISTS case_municipality_is_fixed ON cases_case;
DROP FUNCTION IF EXISTS case_municipality_is_fixed();
DROP FUNCTION IF EXISTS municipality_copy_matches_case();
"""

SQLITE = [
    """
    CREATE TRIGGER case_municipality_is_fixed
    BEFORE UPDATE OF municipality_id ON cases_case
    WHEN OLD.municipality_id IS NOT NEW.municipality_id
    BEGIN
        SELECT RAISE(ABORT, 'a case never changes municipality (open a new case instead)');
    END
    """,
    *[
        f"""
        CREATE TRIGGER {table}_municipality_copy_{event.lower()}
        BEFORE {event} ON {table}
        WHEN NEW.municipality_id IS NOT
            (SELECT municipality_id FROM cases_case WHERE id = NEW.case_id)
        BEGIN
            SELECT RAISE(ABORT, '{table}: municipality_id must be the case''s municipality');
        END
        """
        for table in COPIES
        for event in ("INSERT", "UPDATE")
    ],
]

SQLITE_DROP = ["DROP TRIGGER IF EXISTS case_municipality_is_fixed"] + [
    f"DROP TRIGGER IF EXISTS {table}_municipality_copy_{event}"
    for table in COPIES
    for event in ("insert", "update")
]


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: sent as is (the "%" of RAISE's format is not a placeholder).
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_consult_latest_idx"),
        ("referrals", "0005_employmentoutcome_municipality"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
