"""The trail is append-only on PostgreSQL; retention purges old rows and audits itself.

Each test asserts on both databases: on PostgreSQL the trigger's refusals, on SQLite (no
trigger, development only) what SQLite can show. No test is skipped.
"""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Action, audit_purge, audit_record


def event_at(when: dt.datetime, **fields) -> AuditEvent:
    # `at` is auto_now_add: set the clock, not the field.
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(action=Action.VIEW, object_type="cases.case", object_id="1", **fields)


def raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
def test_database_refuses_update_and_delete_of_audit_rows(counselor) -> None:
    event = audit_record(action=Action.VIEW, user=counselor, object_type="cases.case", object_id=7)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            raw("UPDATE audit_auditevent SET username = 'someone-else' WHERE id = %s", [event.pk])
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(object_id="8")
        event.refresh_from_db()
        assert (event.username, event.object_id) == ("counselor", "7")
    else:
        # SQLite has no such trigger (the migration installs it on PostgreSQL only).
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert [name for (name,) in cursor.fetchall() if "audit" in name] == []


@pytest.mark.django_db
def test_purge_deletes_rows_past_retention_and_records_itself() -> None:
    now = timezone.now()
    old = [event_at(now - dt.timedelta(days=400)) for _ in range(3)]
    kept = event_at(now - dt.timedelta(days=300))
    deleted = audit_purge(retention_days=365)
    assert deleted == 3
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    purge = AuditEvent.objects.get(action=Action.PURGE)
    assert purge.row_count == 3
    assert purge.filters["retention_days"] == 365
    if connection.vendor == "postgresql":
        # The permission lasted for the purge only: the guard is back on in this transaction.
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM audit_auditevent WHERE id = %s", [kept.pk])
        assert AuditEvent.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_purge_command_uses_the_retention_setting(settings, capsys) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    event_at(now - dt.timedelta(days=31))
    event_at(now - dt.timedelta(days=29))
    call_command("purge_audit")
    assert "purged 1 audit rows" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == 1
    assert AuditEvent.objects.get(action=Action.PURGE).row_count == 1


@pytest.mark.django_db
def test_purge_with_nothing_to_delete_is_still_recorded() -> None:
    assert audit_purge(retention_days=10) == 0
    assert AuditEvent.objects.get(action=Action.PURGE).row_count == 0


def test_purge_refuses_a_retention_under_one_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        audit_purge(retention_days=0)
