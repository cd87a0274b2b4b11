"""The prefecture's home page: this year's four indicators and the municipalities without a
case meeting yet, with links."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Municipality
from tests.factories import CaseMeetingFactory

pytestmark = pytest.mark.django_db


def test_prefecture_home_shows_the_four_indicators_and_who_has_no_meeting(
    login, prefecture_staff, kochi_city
) -> None:
    CaseMeetingFactory(municipality=kochi_city, held_on=timezone.localdate())
    response = login(prefecture_staff).get(reverse("home"))
    body = response.content.decode()
    panel = next(
        p for p in response.context["panels"] if p["template"] == "kpi/_home_overview.html"
    )
    assert len(panel["indicators"]) == 4
    codes = {row.code for row in panel["without_meeting"]}
    assert kochi_city.code not in codes
    muroto = Municipality.objects.get(code="392022")
    assert muroto.code in codes
    assert reverse("platforms:municipality_detail", args=[muroto.code]) in body
    assert "ケース会議をまだ開いていない市町村" in body
    assert reverse("kpi:dashboard") in body


def test_counselors_do_not_get_the_prefecture_panel(login, counselor) -> None:
    response = login(counselor).get(reverse("home"))
    assert all(p["template"] != "kpi/_home_overview.html" for p in response.context["panels"])


@pytest.mark.parametrize("n", [3, 30])
def test_the_panel_reads_the_counters_and_nothing_else(kochi, django_assert_num_queries, n) -> None:
    """The panel's figures are the dashboard's (same counters, same rules) without its
    secondary figures and programme: the scope's municipality ids, the counters by month and
    by municipality, the municipalities, targets, baselines, the first year (7), whatever
    the number of records."""
    from core.fiscal import current_fiscal_year
    from kpi.scopes import prefecture_scope
    from kpi.selectors import kpi_report, kpi_summary
    from tests.factories import CaseFactory

    today = timezone.localdate()
    for _ in range(n):
        CaseFactory(intake_date=today)
    CaseMeetingFactory(municipality=Municipality.objects.get(code="392014"), held_on=today)
    with django_assert_num_queries(7):
        summary = kpi_summary(current_fiscal_year(), prefecture_scope())
    report = kpi_report(current_fiscal_year(), prefecture_scope())
    assert summary.indicators == report.indicators
    assert summary.municipalities == report.municipalities
    assert summary.indicators[0].value == n
