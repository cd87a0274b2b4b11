"""Optimistic version updates: the second of two edits is refused, the first survives."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from cases.models import Case
from core.concurrency import StaleEdit, update_with_version, update_with_version_or_raise
from tests.factories import CaseFactory


@pytest.mark.django_db
def test_update_with_the_current_version_writes_and_bumps_it(kochi_city) -> None:
    case = CaseFactory()
    assert update_with_version(Case, pk=case.pk, version=1, status=Case.Status.ASSESSMENT)
    case.refresh_from_db()
    assert (case.status, case.version) == (Case.Status.ASSESSMENT, 2)


@pytest.mark.django_db
def test_second_edit_from_the_same_version_is_refused_and_the_first_survives(kochi_city) -> None:
    case = CaseFactory(status=Case.Status.ACTIVE)
    first = update_with_version(
        Case.objects.filter(pk=case.pk), version=1, status=Case.Status.ASSESSMENT
    )
    second = update_with_version(
        Case.objects.filter(pk=case.pk), version=1, status=Case.Status.INTAKE
    )
    assert (first, second) == (True, False)
    case.refresh_from_db()
    assert (case.status, case.version) == (Case.Status.ASSESSMENT, 2)


@pytest.mark.django_db
def test_or_raise_variant_raises_stale_edit_with_a_japanese_message(kochi_city) -> None:
    case = CaseFactory()
    update_with_version_or_raise(Case, pk=case.pk, version=1, status=Case.Status.ASSESSMENT)
    with pytest.raises(StaleEdit) as excinfo:
        update_with_version_or_raise(Case, pk=case.pk, version=1, status=Case.Status.ACTIVE)
    assert "ほかの人がこの記録を先に更新しました" in str(excinfo.value.message)


@pytest.mark.django_db
def test_a_queryset_matching_several_rows_is_a_programming_error(kochi_city) -> None:
    CaseFactory()
    CaseFactory()
    with pytest.raises(ValueError, match="exactly one row"), transaction.atomic():
        update_with_version(Case.objects.all(), version=1, status=Case.Status.ASSESSMENT)
    assert set(Case.objects.values_list("version", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_one_wins(kochi_city) -> None:
    """Two counselors save the same case at the same moment, each from version 1."""
    case = CaseFactory(status=Case.Status.ACTIVE)
    results: dict[str, bool] = {}

    if connection.vendor == "postgresql":
        first_holds_lock = threading.Event()

        def first() -> None:
            try:
                with transaction.atomic():
                    results["first"] = update_with_version(
                        Case, pk=case.pk, version=1, status=Case.Status.ASSESSMENT
                    )
                    first_holds_lock.set()
                    time.sleep(0.5)  # the second UPDATE waits on the row lock meanwhile
            finally:
                connections.close_all()

        def second() -> None:
            try:
                first_holds_lock.wait(5)
                with transaction.atomic():
                    results["second"] = update_with_version(
                        Case, pk=case.pk, version=1, status=Case.Status.INTAKE
                    )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    else:
        # SQLite serialises writers (one at a time): the same two statements in turn.
        results["first"] = update_with_version(
            Case, pk=case.pk, version=1, status=Case.Status.ASSESSMENT
        )
        results["second"] = update_with_version(
            Case, pk=case.pk, version=1, status=Case.Status.INTAKE
        )

    assert results == {"first": True, "second": False}
    case.refresh_from_db()
    assert (case.status, case.version) == (Case.Status.ASSESSMENT, 2)
