"""Scopes: municipality figures add up to the jurisdiction and the prefecture (K1, K3, K4);
K2 is a distinct count of municipalities; K4 counts a person once in a wider scope."""

import datetime as dt

import pytest

from core.models import Jurisdiction
from kpi.models import Indicator
from kpi.scopes import ScopeNotFound, scope_from_token
from tests.factories import CaseMeetingFactory
from tests.kpi.helpers import case_in, employment, link, muni, report

K1 = Indicator.NEW_CONSULTATIONS
K2 = Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS
K3 = Indicator.IBASHO_LINKS
K4 = Indicator.EMPLOYED_AFTER_INTERMEDIATE

KOCHI, MUROTO, AKI, NANKOKU = "392014", "392022", "392031", "392049"

pytestmark = pytest.mark.django_db


def aki_jurisdiction() -> Jurisdiction:
    return Jurisdiction.objects.get(name_ja="安芸福祉保健所")


@pytest.fixture
def spread(kochi) -> None:
    """Records in four municipalities of three jurisdictions (高知市, 安芸 ×2, 中央東)."""
    for code, n in ((KOCHI, 3), (MUROTO, 2), (AKI, 1), (NANKOKU, 4)):
        for i in range(n):
            case = case_in(code, intake=dt.date(2023, 4 + i, 10))
            link(case=case, connected=dt.date(2023, 9, 1))
            employment(case, dt.date(2023, 10, 1))
    for code in (KOCHI, MUROTO, MUROTO):
        CaseMeetingFactory(municipality=muni(code), held_on=dt.date(2023, 8, 1))


@pytest.mark.parametrize("key", [K1, K3, K4])
def test_municipalities_add_up_to_jurisdiction_and_prefecture(spread, key) -> None:
    def v(token: str) -> int:
        return report(scope=token).indicator(key).value

    aki = str(aki_jurisdiction().pk)
    assert v(MUROTO) + v(AKI) == v(aki) == 3
    all_codes = [m.code for m in scope_from_token("pref").municipalities()]
    assert sum(v(code) for code in all_codes) == v("pref") == 10


@pytest.mark.parametrize("key", [K1, K3, K4])
def test_by_municipality_table_adds_up_to_the_scope_total(spread, key) -> None:
    column = {K1: "new_consultations", K3: "ibasho_links", K4: "employed"}[key]
    result = report()
    assert sum(getattr(row, column) for row in result.municipalities) == result.indicator(key).value


def test_k2_is_a_distinct_count_of_municipalities_per_scope(spread) -> None:
    aki = str(aki_jurisdiction().pk)
    pref, jur = report().indicator(K2), report(scope=aki).indicator(K2)
    assert (pref.value, pref.total) == (2, 34)
    assert (jur.value, jur.total, jur.target) == (1, 9, 9)
    muroto = report(scope=MUROTO).indicator(K2)
    assert (muroto.value, muroto.total, muroto.target) == (1, 1, 1)


def test_k4_person_with_jobs_in_two_municipalities_counts_once_in_the_prefecture(kochi) -> None:
    # The rule: K4 counts distinct persons per scope. Someone who moved from 高知市 to 室戸市
    # and found a job on each case counts once in each municipality, once in the prefecture.
    first = case_in(KOCHI, intake=dt.date(2022, 4, 1))
    second = case_in(MUROTO, intake=dt.date(2022, 5, 1), person=first.person)
    employment(first, dt.date(2023, 6, 1))
    employment(second, dt.date(2023, 12, 1))
    assert report(scope=KOCHI).indicator(K4).value == 1
    assert report(scope=MUROTO).indicator(K4).value == 1
    assert report().indicator(K4).value == 1
    assert [row.employed for row in report().municipalities if row.employed] == [1, 1]


def test_cases_count_in_the_municipality_of_the_case(kochi) -> None:
    # A 室戸市 resident whose case is handled in 高知市 counts for 高知市.
    case_in(KOCHI, person=case_in(MUROTO).person)
    assert report(scope=KOCHI).indicator(K1).value == 1
    assert report(scope=MUROTO).indicator(K1).value == 1


def test_municipalities_without_a_meeting_come_first(spread) -> None:
    rows = report().municipalities
    held = [row.meeting_held for row in rows]
    assert held == sorted(held)  # False (no meeting) first
    assert {row.code for row in rows if row.meeting_held} == {KOCHI, MUROTO}
    assert rows[-1].meetings in (1, 2)
    assert next(r for r in rows if r.code == MUROTO).meetings == 2


def test_scope_tokens(kochi) -> None:
    assert scope_from_token("pref").kind == "prefecture"
    assert scope_from_token(KOCHI).municipality.code == KOCHI
    jurisdiction = aki_jurisdiction()
    assert scope_from_token(str(jurisdiction.pk)).jurisdiction == jurisdiction
    for bad in ("392015", "999999999", "kochi"):
        with pytest.raises(ScopeNotFound):
            scope_from_token(bad)
