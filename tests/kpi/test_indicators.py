"""The four R5 indicators: fiscal-year boundary, counting unit, exclusions, as_of."""

import datetime as dt

import pytest
from django.utils import timezone

from core.fiscal import fiscal_year, fiscal_year_range
from core.models import Jurisdiction, Municipality
from kpi.models import Indicator
from tests.factories import CaseMeetingFactory
from tests.kpi.helpers import case_in, employment, link, muni, report, value

K1 = Indicator.NEW_CONSULTATIONS
K2 = Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS
K3 = Indicator.IBASHO_LINKS
K4 = Indicator.EMPLOYED_AFTER_INTERMEDIATE

MAR31 = dt.date(2024, 3, 31)  # last day of FY2023
APR1 = dt.date(2024, 4, 1)  # first day of FY2024

pytestmark = pytest.mark.django_db


# --- K1 new consultations ------------------------------------------------------------------


def test_k1_counts_intake_on_31_march_in_the_ending_year(kochi) -> None:
    case_in(intake=MAR31)
    case_in(intake=APR1)
    assert value(K1, 2023) == 1
    assert value(K1, 2024, as_of=dt.date(2024, 4, 30)) == 1


def test_k1_counts_intake_on_1_april_in_the_new_year(kochi) -> None:
    case_in(intake=dt.date(2023, 4, 1))
    case_in(intake=dt.date(2023, 3, 31))
    assert value(K1, 2023) == 1
    assert value(K1, 2022) == 1


def test_k1_counts_cases_not_persons_or_contacts(kochi) -> None:
    first = case_in(intake=dt.date(2023, 5, 1))
    # The same person comes back with a second case: two new consultations.
    case_in(intake=dt.date(2023, 9, 1), person=first.person)
    assert value(K1) == 2


def test_k1_counts_only_up_to_as_of(kochi) -> None:
    case_in(intake=dt.date(2023, 12, 31))
    case_in(intake=dt.date(2024, 1, 1))
    assert value(K1, as_of=dt.date(2023, 12, 31)) == 1
    assert value(K1) == 2


def test_k1_excludes_cases_of_another_prefecture(kochi) -> None:
    other = Municipality.objects.create(
        code="131016",
        prefecture_code="13",
        name_ja="千代田区",
        kind="区",
        jurisdiction=Jurisdiction.objects.create(prefecture_code="13", name_ja="千代田保健所"),
    )
    case_in(other.code)
    case_in("392014")
    assert value(K1) == 1
    assert report().indicator(K2).total == 34


# --- K2 municipalities with case meetings --------------------------------------------------


def test_k2_counts_a_meeting_on_31_march_but_not_on_1_april(kochi) -> None:
    CaseMeetingFactory(municipality=muni("392014"), held_on=MAR31)
    CaseMeetingFactory(municipality=muni("392022"), held_on=APR1)
    assert value(K2, 2023) == 1
    assert value(K2, 2024, as_of=dt.date(2024, 4, 1)) == 1


def test_k2_counts_municipalities_not_meetings(kochi) -> None:
    for day in (1, 2, 3):
        CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 5, day))
    CaseMeetingFactory(municipality=muni("392022"), held_on=dt.date(2023, 6, 1))
    result = report().indicator(K2)
    assert (result.value, result.total, result.target) == (2, 34, 34)


def test_k2_meeting_after_as_of_is_planned_not_held(kochi) -> None:
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2024, 1, 15))
    assert value(K2, as_of=dt.date(2023, 12, 31)) == 0
    assert value(K2, as_of=dt.date(2024, 1, 15)) == 1


def test_k2_meeting_dated_after_today_is_planned_not_held(kochi) -> None:
    today = timezone.localdate()
    fy = fiscal_year(today)
    CaseMeetingFactory(municipality=muni("392014"), held_on=today + dt.timedelta(days=1))
    assert value(K2, fy) == 0
    # Asking for the year's end still counts only what has happened by today.
    assert value(K2, fy, as_of=fiscal_year_range(fy)[1]) == 0


# --- K3 ibasho links -------------------------------------------------------------------------


def test_k3_counts_connection_on_31_march_but_not_1_april(kochi) -> None:
    link(connected=MAR31)
    link(connected=APR1)
    assert value(K3, 2023) == 1
    assert value(K3, 2024, as_of=APR1) == 1


def test_k3_counts_by_connection_date_not_proposal(kochi) -> None:
    case = case_in(intake=dt.date(2022, 4, 1))
    link(case=case, connected=dt.date(2023, 4, 10))  # proposed in FY2022
    assert value(K3, 2023) == 1
    assert value(K3, 2022) == 0


def test_k3_counts_referrals_not_persons(kochi) -> None:
    case = case_in(intake=dt.date(2022, 4, 1))
    link(case=case, connected=dt.date(2023, 5, 1))
    link(case=case, connected=dt.date(2023, 6, 1))
    assert value(K3) == 2


def test_k3_excludes_referrals_never_connected(kochi) -> None:
    link(connected=None)  # proposed only
    assert value(K3) == 0


def test_k3_excludes_resources_that_do_not_count_as_ibasho(kochi) -> None:
    link(connected=dt.date(2023, 5, 1), ibasho=False)
    link(connected=dt.date(2023, 5, 1))
    assert value(K3) == 1


def test_k3_ended_referral_still_counts_in_the_year_it_connected(kochi) -> None:
    referral = link(connected=dt.date(2023, 5, 1))
    referral.status = referral.Status.ENDED
    referral.ended_on = dt.date(2023, 8, 1)
    referral.save()
    assert value(K3) == 1


# --- K4 employed after intermediate employment -----------------------------------------------


def test_k4_counts_start_on_31_march_but_not_1_april(kochi) -> None:
    employment(started=MAR31)
    employment(started=APR1)
    assert value(K4, 2023) == 1
    assert value(K4, 2024, as_of=APR1) == 1


def test_k4_counts_distinct_persons_not_outcomes(kochi) -> None:
    case = case_in(intake=dt.date(2022, 4, 1))
    employment(case, dt.date(2023, 6, 1))
    employment(case, dt.date(2023, 11, 1))  # a second job, same person
    employment(started=dt.date(2023, 7, 1))
    result = report().indicator(K4)
    assert result.value == 2
    # The monthly series adds each person once, in the month of their first job.
    assert [p.added for p in result.monthly[:8]] == [0, 0, 1, 1, 0, 0, 0, 0]


def test_k4_excludes_employment_without_intermediate_step(kochi) -> None:
    employment(after_intermediate=False)
    assert value(K4) == 0


def test_k4_person_counted_in_the_year_of_each_job(kochi) -> None:
    case = case_in(intake=dt.date(2022, 4, 1))
    employment(case, dt.date(2023, 3, 1))
    employment(case, dt.date(2023, 6, 1))
    assert value(K4, 2022) == 1
    assert value(K4, 2023) == 1


# --- the monthly series ----------------------------------------------------------------------


def test_monthly_series_is_cumulative_and_stops_at_as_of(kochi) -> None:
    case_in(intake=dt.date(2023, 4, 1))
    case_in(intake=dt.date(2023, 4, 30))
    case_in(intake=dt.date(2023, 6, 15))
    series = report(as_of=dt.date(2023, 7, 10)).indicator(K1).monthly
    assert len(series) == 12
    assert series[0].month == dt.date(2023, 4, 1)
    assert series[-1].month == dt.date(2024, 3, 1)
    assert [p.cumulative for p in series[:5]] == [2, 2, 3, 3, None]
    assert all(p.cumulative is None for p in series[4:])


def test_k2_monthly_series_adds_a_municipality_once(kochi) -> None:
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 4, 5))
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 5, 5))
    CaseMeetingFactory(municipality=muni("392022"), held_on=dt.date(2023, 5, 6))
    series = report().indicator(K2).monthly
    assert [p.cumulative for p in series[:3]] == [1, 2, 2]
