"""Voided (取消) records count nowhere: K1–K4, 延べ件数/実人数, past years, exports unless asked.

Each test builds counted and voided records side by side and checks the counts against the
rule written out by hand (the oracle): only the live ones.
"""

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone

from cases.models import Consultation
from exports.registry import INCLUDE_VOIDED, KINDS
from kpi import aggregates
from kpi.models import Indicator
from referrals.models import Referral
from tests.factories import ConsultationFactory
from tests.kpi.helpers import case_in, employment, link, report, value

pytestmark = pytest.mark.django_db

K1 = Indicator.NEW_CONSULTATIONS
K3 = Indicator.IBASHO_LINKS
K4 = Indicator.EMPLOYED_AFTER_INTERMEDIATE


def void(obj) -> None:
    type(obj).objects.filter(pk=obj.pk).update(voided_at=timezone.now(), void_reason="誤登録")
    aggregates.rebuild()  # a bare update bypasses the services that keep the counters


def test_a_voided_case_leaves_k1_and_takes_its_links_and_jobs_with_it(kochi) -> None:
    live = case_in(intake=dt.date(2023, 5, 1))
    mistaken = case_in(intake=dt.date(2023, 5, 1))
    link(case=live)
    link(case=mistaken)
    employment(case=live)
    employment(case=mistaken)
    assert (value(K1), value(K3), value(K4)) == (2, 2, 2)
    void(mistaken)
    assert (value(K1), value(K3), value(K4)) == (1, 1, 1)


def test_a_voided_employment_outcome_leaves_k4(kochi) -> None:
    case = case_in(intake=dt.date(2022, 4, 1))
    outcome = employment(case=case)
    assert value(K4) == 1
    void(outcome)
    assert value(K4) == 0


def test_an_undone_connection_leaves_k3(kochi) -> None:
    referral = link()
    assert value(K3) == 1
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.PROPOSED, connected_on=None
    )
    aggregates.rebuild()
    assert value(K3) == 0


def test_voided_records_leave_past_years_too(kochi) -> None:
    mistaken = case_in(intake=dt.date(2022, 5, 1))
    case_in(intake=dt.date(2022, 6, 1))
    void(mistaken)
    assert value(K1, fy=2022) == 1
    # The comparison table's past years are counted by another query (_year_values).
    past = {row.fiscal_year: row for row in report(2023).comparison}
    assert past[2022].values[K1] == 1


def test_voided_consultations_leave_contacts_and_persons(kochi) -> None:
    case = case_in(intake=dt.date(2023, 5, 1))
    other = case_in(intake=dt.date(2023, 5, 1))
    kept = ConsultationFactory(case=case, date=dt.date(2023, 6, 1))
    mistaken = ConsultationFactory(case=case, date=dt.date(2023, 6, 1))
    on_voided_case = ConsultationFactory(case=other, date=dt.date(2023, 6, 2))
    before = report().secondary.consultations
    void(mistaken)
    void(other)
    after = report().secondary.consultations
    # Oracle: the live consultations in the year, and their distinct persons.
    live = Consultation.objects.filter(
        date__year=2023, voided_at__isnull=True, case__voided_at__isnull=True
    ).exclude(pk=on_voided_case.pk)
    assert after.contacts == before.contacts - 2 == live.count()
    assert after.persons == before.persons - 1 == live.values("case__person").distinct().count()
    assert kept.pk in live.values_list("pk", flat=True)


def test_exports_leave_voided_rows_out_unless_asked(kochi, admin_user) -> None:
    live = case_in(intake=dt.date(2023, 5, 1))
    mistaken = case_in(intake=dt.date(2023, 5, 1))
    void(mistaken)
    cases = KINDS["cases"]
    default = set(cases.queryset(admin_user, QueryDict("")).values_list("pk", flat=True))
    asked = set(
        cases.queryset(admin_user, QueryDict(f"{INCLUDE_VOIDED}=1")).values_list("pk", flat=True)
    )
    assert default == {live.pk}
    assert asked == {live.pk, mistaken.pk}
    consultations = KINDS["consultations"].queryset(admin_user, QueryDict(""))
    assert not consultations.filter(case=mistaken).exists()


def test_endings_are_counted_by_category_and_voided_cases_count_nowhere(kochi) -> None:
    from cases.models import Case, CaseStatusChange

    def ended(case, to_status, reason, day=dt.date(2023, 9, 1)):
        with aggregates.maintain(persons=[case.person_id], parts=[aggregates.STATUSES]):
            CaseStatusChange.objects.create(
                case=case, from_status="active", to_status=to_status, changed_on=day,
                end_reason=reason,
            )  # fmt: skip

    a, b, c, d = (case_in(intake=dt.date(2023, 5, 1)) for _ in range(4))
    ended(a, Case.Status.CLOSED, Case.EndReason.GOAL_REACHED)
    ended(b, Case.Status.CLOSED, Case.EndReason.GOAL_REACHED)
    ended(c, Case.Status.SUSPENDED, Case.EndReason.NO_CONTACT)
    ended(d, Case.Status.CLOSED, Case.EndReason.MOVED)
    ended(a, Case.Status.CLOSED, Case.EndReason.MOVED, day=dt.date(2022, 9, 1))  # last year
    void(d)
    endings = {e.reason: (e.closed, e.suspended) for e in report().secondary.endings}
    assert endings[Case.EndReason.GOAL_REACHED] == (2, 0)
    assert endings[Case.EndReason.NO_CONTACT] == (0, 1)
    assert endings[Case.EndReason.MOVED] == (0, 0)
    assert "" not in endings  # no uncategorised ones: no 未分類 row
