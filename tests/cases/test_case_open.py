import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.query import QuerySet

from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseStatusChange, Consultation, Household, Person
from cases.rules import ConsultationInput, PersonInput
from core.models import Municipality
from tests.cases.conftest import days_ago, open_case
from tests.factories import CaseFactory


def test_case_number_is_municipality_era_year_and_sequence(counselor, kochi_city) -> None:
    case = open_case(counselor, kochi_city, intake_date=dt.date(2026, 4, 1))
    assert case.number == "高知市-R8-0001"
    assert (case.fiscal_year, case.sequence) == (2026, 1)


def test_case_numbers_count_per_municipality_and_fiscal_year(counselor, kochi_city) -> None:
    first = open_case(counselor, kochi_city, intake_date=dt.date(2025, 3, 31))
    second = open_case(counselor, kochi_city, intake_date=dt.date(2025, 4, 1))
    third = open_case(counselor, kochi_city, intake_date=dt.date(2025, 4, 2))
    assert first.number == "高知市-R6-0001"  # FY2024 ends on 31 March 2025
    assert second.number == "高知市-R7-0001"
    assert third.number == "高知市-R7-0002"


def test_case_number_continues_after_the_highest_sequence(counselor, kochi_city) -> None:
    CaseFactory(person__municipality=kochi_city, intake_date=dt.date(2025, 5, 1), sequence=41)
    case = open_case(counselor, kochi_city, intake_date=dt.date(2025, 6, 1))
    assert case.number == "高知市-R7-0042"


def test_case_open_creates_person_household_case_status_and_first_consultation(
    counselor, kochi_city, tags
) -> None:
    case = open_case(
        counselor,
        kochi_city,
        kana="ヤマダ　タロウ",
        issue_tags=[tags["8050"]],
        household_notes="80代の母と二人暮らし",
    )
    person = case.person
    assert person.kana == "ヤマダ タロウ"
    assert person.kana_key == "やまだたろう"
    assert Household.objects.get(person=person).notes == "80代の母と二人暮らし"
    assert case.status == Case.Status.INTAKE
    assert case.created_by == counselor
    assert list(case.issue_tags.all()) == [tags["8050"]]
    consultation = case.consultations.get()
    assert consultation.date == case.intake_date
    assert consultation.recorded_by == counselor
    change = CaseStatusChange.objects.get(case=case)
    assert (change.from_status, change.to_status) == ("", Case.Status.INTAKE)


def test_case_open_derives_age_band_from_birth_year(counselor, kochi_city) -> None:
    case = open_case(counselor, kochi_city, intake_date=dt.date(2025, 6, 1), birth_year=1970)
    assert case.age_band_at_intake == "50s"
    assert case.person.age_band == "50s"


def test_family_only_intake_needs_no_name(counselor, kochi_city) -> None:
    case = open_case(counselor, kochi_city, name="", kana="", birth_year=None)
    assert case.person.name == ""
    assert str(case.person) == "氏名未確認"


def test_case_open_reuses_an_existing_person(counselor, kochi_city) -> None:
    first = open_case(counselor, kochi_city)
    second = open_case(counselor, kochi_city, person=first.person, allow_duplicate=True)
    assert second.person == first.person
    assert Person.objects.count() == 1


def test_case_open_refuses_a_person_of_another_municipality(
    counselor, kochi_city, center, muroto
) -> None:
    person = open_case(center, muroto).person
    with pytest.raises(ValidationError) as error:
        open_case(center, kochi_city, person=person)
    assert "person" in error.value.error_dict


def test_case_open_refuses_a_municipality_outside_the_scope(counselor, muroto) -> None:
    with pytest.raises(PermissionDenied):
        open_case(counselor, muroto)
    assert not Case.objects.exists()


def test_case_open_refuses_a_future_intake_date_and_saves_nothing(counselor, kochi_city) -> None:
    with pytest.raises(ValidationError) as error:
        open_case(counselor, kochi_city, intake_date=days_ago(-1))
    assert error.value.error_dict["intake_date"][0].message == "未来の日付は入力できません。"
    assert not Case.objects.exists()
    assert not Person.objects.exists()


def test_case_open_is_idempotent_for_the_same_submission(counselor, kochi_city) -> None:
    token = uuid.uuid4()
    kwargs = dict(
        user=counselor,
        municipality=kochi_city,
        intake_date=days_ago(1),
        intake_route=Case.Route.SELF,
        visitor=Case.Visitor.PERSON,
        consultation=ConsultationInput(
            date=days_ago(1), method="visit", with_whom="person", duration_minutes=60
        ),
        submission_token=token,
        new_person=PersonInput(kana="すずき"),
    )
    first = services.case_open(**kwargs)
    again = services.case_open(**kwargs)
    assert again == first
    assert Case.objects.count() == 1


def test_case_open_audits_the_case_person_and_consultation(counselor, kochi_city) -> None:
    case = open_case(counselor, kochi_city)
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE)
    assert sorted(rows.values_list("object_type", flat=True)) == [
        "cases.case",
        "cases.consultation",
        "cases.person",
    ]
    case_row = rows.get(object_type="cases.case")
    assert case_row.object_id == str(case.pk)
    assert case_row.municipality_id == kochi_city.pk
    assert "intake_date" in case_row.changed_fields
    # No names or notes in audit rows.
    for row in AuditEvent.objects.all():
        assert "山田" not in str(row.changed_fields) + row.reason + str(row.filters)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_intakes_get_distinct_numbers(kochi, monkeypatch) -> None:
    """Two intakes in the same municipality at the same moment never share a number.

    On PostgreSQL: two threads, two connections, really at the same time. Each pauses after
    reading the maximum, so without the row lock both would read the same maximum and one
    would fail on the unique constraint. On SQLite (no row locks; writes are serialised) the
    same two intakes run one after the other, and the lock request itself is checked.
    """
    from tests.conftest import make_user

    kochi_city = Municipality.objects.get(code="392014")
    user = make_user("race", "counselor", municipalities=[kochi_city])
    locked: list[type] = []
    original_lock = QuerySet.select_for_update

    def spy_lock(self, *args, **kwargs):
        locked.append(self.model)
        return original_lock(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy_lock)
    original_next = services._next_sequence

    def slow_next_sequence(municipality, fy):
        sequence = original_next(municipality, fy)
        threading.Event().wait(0.5)  # hold the lock while the other intake arrives
        return sequence

    monkeypatch.setattr(services, "_next_sequence", slow_next_sequence)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def intake(barrier: threading.Barrier | None) -> None:
        try:
            if barrier:
                barrier.wait()
            numbers.append(
                open_case(user, kochi_city, intake_date=days_ago(1), allow_duplicate=True).number
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            if barrier:
                connection.close()

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=intake, args=(barrier,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        intake(None)
        intake(None)

    assert errors == []
    assert sorted(n.rsplit("-", 1)[1] for n in numbers) == ["0001", "0002"]
    assert locked.count(Municipality) == 2
    assert Consultation.objects.count() == 2


def test_the_same_intake_again_with_a_new_token_is_refused_as_a_duplicate(
    counselor, kochi_city
) -> None:
    from core.resubmission import DuplicateSubmission

    first = open_case(counselor, kochi_city)
    with pytest.raises(DuplicateSubmission) as duplicate:
        open_case(counselor, kochi_city, person=first.person)
    assert duplicate.value.existing == first
    with pytest.raises(DuplicateSubmission):
        open_case(counselor, kochi_city)  # the same new person typed again
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_intake_does_not_wait_for_an_import_running_in_the_municipality(
    counselor, kochi_city
) -> None:
    """A ledger import's long transaction holds FOR KEY SHARE on its municipality's row (the
    foreign-key checks of every person and case it inserts). The intake's numbering lock
    (FOR NO KEY UPDATE) does not conflict with it: intake goes on during the import."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock modes: PostgreSQL")
    import psycopg

    d = connection.settings_dict
    with psycopg.connect(
        host=d["HOST"] or "127.0.0.1", port=d["PORT"] or 5432, user=d["USER"] or "postgres",
        password=d["PASSWORD"] or None, dbname=d["NAME"],
    ) as importing:  # fmt: skip
        importing.execute(
            "SELECT 1 FROM core_municipality WHERE id = %s FOR KEY SHARE", [kochi_city.pk]
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        try:
            case = open_case(counselor, kochi_city)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            importing.rollback()
    assert case.sequence == 1
