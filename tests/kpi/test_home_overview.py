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
