"""The suite-wide recount check (tests/conftest.py, tests/recount.py) recounts after a write
to a counted table, reports a write path that changed counted rows without maintaining the
counters, and does not recount when nothing it reads was written."""

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.models import User
from audit.models import AuditEvent
from cases.models import Consultation
from kpi import aggregates
from tests import recount
from tests.factories import ConsultationFactory

COUNTED = {
    "cases_case", "cases_consultation", "core_municipality", "referrals_referral",
    "referrals_employmentoutcome", "platforms_casemeeting", "kpi_tally",
}  # fmt: skip


@pytest.fixture
def watch(db):
    """A watch of its own on this connection, past the session's first recount."""
    watch = recount.CountedWrites(recount.tables_read_by_differences())
    with connection.execute_wrapper(watch):
        assert watch.after_test() == []
        assert not watch.written
        yield watch


def test_the_counted_tables_are_the_ones_the_recount_reads(db):
    tables = recount.tables_read_by_differences()
    assert tables >= COUNTED
    assert not tables & {"accounts_user", "audit_auditevent", "cases_person"}


def test_the_session_watches_every_connection(db):
    """The test's own, and one another thread opens (the live server's, concurrency tests)."""
    assert any(isinstance(w, recount.CountedWrites) for w in connection.execute_wrappers)
    seen = []

    def other_thread():
        from django.db import connection as own  # its own on PostgreSQL; SQLite's in-memory
        # test database shares the test's

        own.ensure_connection()
        seen.append(any(isinstance(w, recount.CountedWrites) for w in own.execute_wrappers))
        if own is not connection:
            own.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [True]


# The bare update below leaves the counters wrong on purpose: the session's check must not
# fail this test for it (its own watch reports it), and recounts the next test.
@pytest.mark.aggregates_unchecked
def test_a_bare_update_of_a_counted_row_is_recounted_and_reported(watch):
    consultation = ConsultationFactory()  # through aggregates.maintain, like a service
    assert watch.written
    assert watch.after_test() == []
    Consultation.objects.filter(pk=consultation.pk).update(
        date=consultation.date - dt.timedelta(days=400)  # another fiscal year, counters kept
    )
    assert watch.written
    found = watch.after_test()
    assert found, "the recount must see the counters a bare update left behind"
    assert watch.written, "noted until a recount finds no difference"
    assert watch.after_test() == found


def test_a_write_in_sql_of_its_own_is_noted(watch):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kpi_tally WHERE n = 0")
    assert watch.written


def test_reads_and_writes_elsewhere_recount_nothing(watch, monkeypatch, counselor):
    def no_recount():
        raise AssertionError("recounted with nothing counted written")

    monkeypatch.setattr(aggregates, "differences", no_recount)
    User.objects.filter(pk=counselor.pk).update(first_name="花子")
    AuditEvent.objects.count()
    list(Consultation.objects.select_for_update().values_list("pk"))
    list(aggregates.Tally.objects.all())
    assert not watch.written
    assert watch.after_test() is None
    assert watch.recounts == 1  # the fixture's first one only


def test_an_unchecked_test_leaves_its_writes_for_the_next_recount(watch):
    ConsultationFactory()
    assert watch.after_test(unchecked=True) is None
    assert watch.written
    assert watch.after_test() == []
    assert not watch.written
