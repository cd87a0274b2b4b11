"""The demo data reproduces the seed's R3 programme situation, and the four targets stay."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from programme.models import PlaceSupport, PublicityAction, SupervisionRequest, SurveyEntry

# One app's demo step bulk-creates its records; `seed_demo` then rebuilds the dashboard's
# counters (kpi.demo.seed), which these tests do not run.
pytestmark = [pytest.mark.django_db, pytest.mark.aggregates_unchecked]


def test_demo_gives_the_r3_programme_figures_and_keeps_the_targets(kochi) -> None:
    call_command("seed_demo", "--force", stdout=StringIO())
    counts = [
        m.objects.count() for m in (SurveyEntry, SupervisionRequest, PublicityAction, PlaceSupport)
    ]
    call_command("seed_demo", "--force", stdout=StringIO())  # idempotent
    assert [
        m.objects.count() for m in (SurveyEntry, SupervisionRequest, PublicityAction, PlaceSupport)
    ] == counts

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
    p = data["programme"]
    assert p["survey_identified"] == 692
    assert p["supported_meeting_municipalities"] == 10
    assert (p["supported_ibasho"], p["supported_work_sites"]) == (6, 1)
    assert 0 < p["survey_to_case"] < p["survey_reached"] < p["survey_identified"]
    assert p["supervisions_given"] >= 10 and p["publicity_actions"] > 0
    assert p["new_cases_by_route"]["publicity"] > 0
    assert sum(p["new_cases_by_route"].values()) == 211
    assert p["training_events"] > 0 and p["training_attendance"] > 0
    # Every entry of the survey sits in a municipality, as the survey counted them.
    assert SurveyEntry.objects.values("municipality").distinct().count() == 34
