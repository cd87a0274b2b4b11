"""The dashboard's consultation counts (延べ件数・実人数) come from a short-lived cache; the four
indicators never do. Cached and counted figures are the same numbers."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Consultation
from core.fiscal import current_fiscal_year, fiscal_year_range
from kpi.scopes import scope_from_token
from kpi.selectors import consultation_figures, kpi_report
from tests.factories import ConsultationFactory
from tests.kpi.helpers import case_in

pytestmark = pytest.mark.django_db

URL = reverse("kpi:dashboard")


def records(today: dt.date) -> None:
    start = fiscal_year_range(current_fiscal_year(today))[0]
    new = case_in("392014", intake=start)
    old = case_in("392022", intake=start - dt.timedelta(days=400))
    ConsultationFactory(case=new, date=start, method=Consultation.Method.PHONE)
    ConsultationFactory(case=new, date=today, method=Consultation.Method.HOME_VISIT)
    ConsultationFactory(case=old, date=today, method=Consultation.Method.PHONE)


def figures_as_numbers(figures) -> tuple:  # type: ignore[no-untyped-def]
    return (
        figures.contacts,
        figures.persons,
        figures.new_contacts,
        figures.new_persons,
        figures.ongoing_contacts,
        figures.ongoing_persons,
        [(m.method, m.contacts, m.persons) for m in figures.by_method],
    )


def test_cached_figures_are_the_counted_figures(kochi, settings) -> None:
    settings.KPI_CONSULTATION_CACHE_SECONDS = 300
    today = timezone.localdate()
    records(today)
    scope = scope_from_token("pref")
    start = fiscal_year_range(current_fiscal_year(today))[0]
    counted = consultation_figures(scope, start, today)
    first = consultation_figures(scope, start, today, cached=True)  # counts and stores
    second = consultation_figures(scope, start, today, cached=True)  # read back
    assert figures_as_numbers(first) == figures_as_numbers(counted)
    assert figures_as_numbers(second) == figures_as_numbers(counted)
    assert counted.contacts == 3 and counted.persons == 2
    assert counted.counted_at is None and counted.counted_note == ""
    assert second.counted_at == first.counted_at is not None
    assert "時点の集計" in second.counted_note


def test_dashboard_indicators_are_live_while_consultation_counts_wait_for_the_cache(
    kochi, login, prefecture_staff, settings
) -> None:
    settings.KPI_CONSULTATION_CACHE_SECONDS = 300
    today = timezone.localdate()
    records(today)
    client = login(prefecture_staff)
    before = client.get(URL).context["report"]
    assert before.secondary.consultations.contacts == 3
    assert "時点の集計です（5分ごとに更新" in client.get(URL).content.decode()

    newer = case_in("392031", intake=today)  # K1 +1, and one more contact
    ConsultationFactory(case=newer, date=today)
    after = client.get(URL).context["report"]
    k1 = "new_consultations"
    assert after.indicator(k1).value == before.indicator(k1).value + 1  # live
    assert after.secondary.consultations.contacts == 3  # from the cache, with its time shown

    settings.KPI_CONSULTATION_CACHE_SECONDS = 0  # no cache: counted on every request
    fresh = client.get(URL)
    assert fresh.context["report"].secondary.consultations.contacts == 4
    assert "時点の集計" not in fresh.content.decode()


def test_the_command_path_always_counts(kochi, settings) -> None:
    settings.KPI_CONSULTATION_CACHE_SECONDS = 300
    today = timezone.localdate()
    records(today)
    scope = scope_from_token("pref")
    fy = current_fiscal_year(today)
    kpi_report(fy, scope, cached_consultations=True)  # fills the cache
    ConsultationFactory(case=case_in("392031", intake=today), date=today)
    assert kpi_report(fy, scope).secondary.consultations.contacts == 4
    assert kpi_report(fy, scope, cached_consultations=True).secondary.consultations.contacts == 3
