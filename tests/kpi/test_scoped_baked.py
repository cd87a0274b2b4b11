"""kpi.scopes.ScopedBaked: a baked query over a KPI scope gives the rows the scope's own
filter gives, for every kind of scope, compiled once per kind."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from core.baked import BakingError, totals
from core.models import Municipality
from kpi.scopes import national_scope, prefecture_scope, scope_from_token, scoped_baked

pytestmark = pytest.mark.django_db


def _scopes():
    """One of each kind: 全国, 高知県, 高知市's jurisdiction, 高知市."""
    kochi_city = Municipality.objects.get(code="392014")
    return [
        national_scope(),
        prefecture_scope("39"),
        scope_from_token(str(kochi_city.jurisdiction_id)),
        scope_from_token("392014"),
    ]


def test_every_kind_of_scope_gives_its_own_filters_rows(kochi, settings):
    settings.BAKED_QUERIES_CHECK = False  # the check would build the queryset each call
    built: list[str] = []

    def build(scope, code):
        built.append(scope.kind)
        return Municipality.objects.filter(scope.q(), code__gte=code).order_by("code")

    query = scoped_baked(build)
    for scope in _scopes():
        expected = list(scope.municipalities().filter(code__gte="39").order_by("code"))
        assert expected
        assert query(scope, "39") == expected
        baked_so_far = len(built)
        with CaptureQueriesContext(connection) as captured:
            assert query(scope, "39") == expected
        assert len(captured) == 1
        assert len(built) == baked_so_far  # not built again
    # Each kind built for itself: once with the scope's values (which does it read?), then
    # baked with markers.
    assert list(dict.fromkeys(built)) == ["national", "prefecture", "jurisdiction", "municipality"]


def test_prefecture_wide_rows_and_totals(kochi):
    from referrals.models import Resource
    from tests.factories import ResourceFactory

    kochi_city = Municipality.objects.get(code="392014")
    ResourceFactory(municipality=kochi_city, prefecture_code="39")
    ResourceFactory(municipality=None, prefecture_code="39")  # the prefecture's own
    ResourceFactory(municipality=None, prefecture_code="13")  # another prefecture's
    query = scoped_baked(
        lambda scope: totals(Resource.objects.filter(scope.q_or_prefecture_wide()), n=Count("*"))
    )
    assert [query.one(scope)["n"] for scope in _scopes()] == [3, 2, 2, 2]


def test_a_scope_value_that_does_not_reach_the_sql_is_refused(kochi):
    query = scoped_baked(lambda scope: Municipality.objects.filter(code=scope.prefecture_code[:2]))
    with pytest.raises(BakingError):
        query(prefecture_scope("39"))
    national = scoped_baked(
        lambda scope: Municipality.objects.filter(pk__in=scope.municipality_ids)
    )
    with pytest.raises(BakingError, match="national"):
        national(national_scope())


def test_the_jurisdiction_scopes_keep_the_models_order(kochi, prefecture_staff):
    """The first scope is the dashboard's default: the grouped query that counts each
    jurisdiction's municipalities must still give them in the model's order."""
    from core.models import Jurisdiction
    from kpi.scopes import scopes_for_user

    scopes = [s for s in scopes_for_user(prefecture_staff) if s.kind == "jurisdiction"]
    expected = list(Jurisdiction.objects.filter(prefecture_code="39"))
    assert len(expected) > 2
    assert [s.jurisdiction.pk for s in scopes] == [j.pk for j in expected]


def test_the_aggregates_asked_for_no_figure_read_nothing(kochi):
    import datetime as dt

    from kpi import aggregates

    start, end = dt.date(2024, 4, 1), dt.date(2024, 9, 30)
    assert aggregates.monthly("p39", [(start, end, [])]) == {}
    assert aggregates.by_area(["m1"], [aggregates.F.K2], start, end, first=aggregates.F.K2) == {}
