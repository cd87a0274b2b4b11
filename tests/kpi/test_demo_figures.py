"""The demo data reproduces the plan's R3 figures (April–December 2021).

It runs every demo step (demo/: cases, platforms, referrals, programme, casework, kpi).
"""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from kpi.models import SurveyCount
from kpi.scopes import prefecture_scope
from kpi.selectors import kpi_report

pytestmark = pytest.mark.django_db


def test_demo_data_gives_the_r3_figures(kochi) -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    out = StringIO()
    call_command("kpi_report", "--fy", "2021", "--as-of", "2021-12-31", "--json", stdout=out)
    data = json.loads(out.getvalue())
    values = {i["key"]: i["value"] for i in data["indicators"]}
    assert values == {
        "new_consultations": 211,
        "municipalities_with_case_meetings": 10,
        "ibasho_links": 119,
        "employed_after_intermediate": 2,
    }


def test_demo_survey_counts_total_the_r3_survey_and_are_idempotent(kochi) -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    rows = list(SurveyCount.objects.values_list("municipality_id", "survey_date", "persons"))
    call_command("seed_demo", "--force", stdout=StringIO())
    assert sorted(
        SurveyCount.objects.values_list("municipality_id", "survey_date", "persons")
    ) == sorted(rows)
    secondary = kpi_report(2021, prefecture_scope("39"), dt.date(2021, 12, 31)).secondary
    assert (secondary.survey_persons, secondary.survey_municipalities) == (692, 34)


def test_demo_closed_years_match_their_recount_out_of_the_box(kochi) -> None:
    """demo.kpi closes the past years last, after every other demo step: a closed year shows
    its reported figures with no recount difference until someone changes a record."""
    from kpi.models import YearClosing

    call_command("seed_demo", "--force", stdout=StringIO())
    closed = sorted(YearClosing.objects.values_list("fiscal_year", flat=True))
    assert closed[:5] == [2021, 2022, 2023, 2024, 2025]
    for fy in (2021, 2023, 2025):
        report = kpi_report(fiscal_year=fy, scope=prefecture_scope("39"))
        assert report.closing is not None
        assert not report.closing.differs, [d.label for d in report.closing.differences]
