"""The programme figures of the KPI report: fiscal-year boundaries, scopes, attendance,
support periods, publicity route; kpi_report --json and the workbook sheet."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from cases.models import Case
from core.models import Jurisdiction
from kpi.workbook import kpi_workbook
from platforms.models import CaseMeeting
from programme.models import OutreachAttempt, PublicityAction, TrainingAttendance
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    PlaceSupportFactory,
    ResourceFactory,
    ResourceKindFactory,
    SupervisionRequestFactory,
    SurveyEntryFactory,
    TrainingEventFactory,
)
from tests.kpi.helpers import muni, report

pytestmark = pytest.mark.django_db

LAST_DAY = dt.date(2024, 3, 31)
NEXT_YEAR = dt.date(2024, 4, 1)


def programme(fy: int = 2023, scope: str = "pref", as_of: dt.date | None = None):
    figures = report(fy, scope, as_of).programme
    assert figures is not None
    return figures


def test_entries_count_in_the_year_they_were_reported(kochi) -> None:
    SurveyEntryFactory(reported_on=dt.date(2023, 4, 1))
    SurveyEntryFactory(reported_on=LAST_DAY)
    SurveyEntryFactory(reported_on=NEXT_YEAR)
    SurveyEntryFactory(reported_on=dt.date(2023, 3, 31))
    assert programme(2023).survey_identified == 2
    assert programme(2024).survey_identified == 1
    assert programme(2023, as_of=dt.date(2023, 4, 1)).survey_identified == 1


def test_reached_counts_entries_met_in_the_year_once(kochi) -> None:
    entry = SurveyEntryFactory(reported_on=dt.date(2023, 1, 10))
    for day, outcome in [
        (dt.date(2023, 3, 31), "met"),  # previous year
        (dt.date(2023, 5, 1), "family_only"),
        (dt.date(2023, 6, 1), "met"),  # the same entry again: one
    ]:
        OutreachAttempt.objects.create(entry=entry, date=day, method="visit", outcome=outcome)
    other = SurveyEntryFactory(reported_on=dt.date(2023, 5, 1))
    OutreachAttempt.objects.create(entry=other, date=LAST_DAY, method="visit", outcome="absent")
    OutreachAttempt.objects.create(entry=other, date=NEXT_YEAR, method="visit", outcome="met")
    assert programme(2022).survey_reached == 1
    assert programme(2023).survey_reached == 1
    assert programme(2024).survey_reached == 1


def test_survey_to_case_counts_by_the_case_intake_date(kochi) -> None:
    SurveyEntryFactory(reported_on=dt.date(2023, 5, 1), case=CaseFactory(intake_date=LAST_DAY))
    SurveyEntryFactory(reported_on=dt.date(2023, 5, 1), case=CaseFactory(intake_date=NEXT_YEAR))
    SurveyEntryFactory(reported_on=dt.date(2023, 5, 1))
    assert programme(2023).survey_to_case == 1
    assert programme(2024).survey_to_case == 1


def test_figures_per_scope(kochi) -> None:
    muroto = muni("392022")
    SurveyEntryFactory()
    SurveyEntryFactory(municipality=muroto)
    SurveyEntryFactory(municipality=muroto)
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    assert programme(scope="pref").survey_identified == 3
    assert programme(scope="392022").survey_identified == 2
    assert programme(scope=str(aki.pk)).survey_identified == 2
    assert programme(scope="392014").survey_identified == 1
    rows = {r.code: r.identified for r in programme().by_municipality}
    assert (rows["392014"], rows["392022"], rows["392031"]) == (1, 2, 0)


def test_supervision_counts_by_their_own_dates(kochi) -> None:
    SupervisionRequestFactory(requested_on=dt.date(2023, 3, 25))
    SupervisionRequestFactory(requested_on=LAST_DAY)
    given = SupervisionRequestFactory(
        requested_on=dt.date(2023, 3, 20),
        status="given",
        body="center",
        accepted_on=dt.date(2023, 3, 21),
        given_on=dt.date(2023, 4, 1),
    )
    assert given.status == "given"
    assert (programme(2023).supervision_requests, programme(2023).supervisions_given) == (1, 1)
    assert (programme(2022).supervision_requests, programme(2022).supervisions_given) == (2, 0)


def test_supported_meeting_municipalities_are_distinct_and_in_the_year(kochi) -> None:
    kochi_city, muroto = muni("392014"), muni("392022")
    for day in (dt.date(2023, 5, 1), dt.date(2023, 6, 1)):
        CaseMeetingFactory(municipality=kochi_city, held_on=day, supervision="center")
    CaseMeetingFactory(municipality=muroto, held_on=NEXT_YEAR, supervision="health_office")
    CaseMeetingFactory(municipality=muroto, held_on=dt.date(2023, 6, 1))  # not supported
    assert programme(2023).supported_meeting_municipalities == 1
    assert programme(2024).supported_meeting_municipalities == 1
    secondary = report(2023).secondary
    assert secondary.supervised_municipalities == 1  # the same count, both places


def test_attendance_by_jurisdiction_and_those_without_training(kochi) -> None:
    kochi_city, muroto = muni("392014"), muni("392022")
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    event = TrainingEventFactory(jurisdiction=aki, held_on=dt.date(2023, 7, 1))
    TrainingAttendance.objects.create(
        event=event, municipality=muroto, agency="市町村", attendees=4
    )
    TrainingAttendance.objects.create(event=event, municipality=muroto, agency="社協", attendees=3)
    wide = TrainingEventFactory(jurisdiction=None, held_on=dt.date(2023, 8, 1))
    TrainingAttendance.objects.create(event=wide, municipality=kochi_city, agency="市", attendees=5)
    TrainingEventFactory(jurisdiction=aki, held_on=NEXT_YEAR)
    figures = programme(2023)
    assert (figures.training_events, figures.training_attendance) == (2, 12)
    by_name = {j.name: (j.events, j.attendance) for j in figures.training_by_jurisdiction}
    assert by_name["安芸福祉保健所"] == (1, 7)
    assert by_name["県全域"] == (1, 5)
    assert "安芸福祉保健所" not in figures.jurisdictions_without_training
    assert "幡多福祉保健所" in figures.jurisdictions_without_training
    # A municipality's scope: its jurisdiction's events and the wide ones; its own attendance.
    own = programme(2023, scope="392022")
    assert (own.training_events, own.training_attendance) == (2, 7)


def test_supported_places_count_periods_overlapping_the_year(kochi) -> None:
    ibasho = ResourceKindFactory()
    work = ResourceKindFactory(
        code="work", name_ja="就労訓練", counts_as_ibasho=False, is_work_training=True
    )
    PlaceSupportFactory(resource=ResourceFactory(kind=ibasho), starts_on=dt.date(2020, 4, 1))
    PlaceSupportFactory(
        resource=ResourceFactory(kind=ibasho),
        starts_on=dt.date(2020, 4, 1),
        ends_on=dt.date(2023, 3, 31),  # ended the day before the year
    )
    PlaceSupportFactory(resource=ResourceFactory(kind=ibasho), starts_on=LAST_DAY)
    PlaceSupportFactory(resource=ResourceFactory(kind=ibasho), starts_on=NEXT_YEAR)
    twice = ResourceFactory(kind=ibasho)
    PlaceSupportFactory(resource=twice, starts_on=dt.date(2023, 4, 1), ends_on=dt.date(2023, 9, 30))
    PlaceSupportFactory(resource=twice, starts_on=dt.date(2023, 12, 1))
    PlaceSupportFactory(resource=ResourceFactory(kind=work), incentive=True)
    figures = programme(2023)
    assert (figures.supported_ibasho, figures.supported_work_sites) == (3, 1)
    assert figures.incentive_work_sites == 1
    assert programme(2022).supported_ibasho == 2
    assert report(2023).secondary.ibasho_prefecture_supported == 3


def test_new_cases_by_route_include_the_publicity_route(kochi) -> None:
    CaseFactory(intake_date=dt.date(2023, 6, 1), intake_route=Case.Route.PUBLICITY)
    CaseFactory(intake_date=dt.date(2023, 6, 2), intake_route=Case.Route.PUBLICITY)
    CaseFactory(intake_date=dt.date(2023, 6, 2), intake_route=Case.Route.FAMILY)
    CaseFactory(intake_date=NEXT_YEAR, intake_route=Case.Route.PUBLICITY)
    figures = programme(2023)
    assert figures.new_cases_by_route["publicity"] == 2
    assert figures.new_cases_by_route["family"] == 1
    assert (
        sum(figures.new_cases_by_route.values())
        == report(2023).indicator("new_consultations").value
    )


def test_publicity_counts_the_scope_and_prefecture_wide(kochi) -> None:
    PublicityAction.objects.create(
        prefecture_code="39", kind="leaflet", title="県", done_on=dt.date(2023, 6, 1), where="窓口"
    )
    PublicityAction.objects.create(
        prefecture_code="39",
        kind="article",
        title="室戸",
        done_on=dt.date(2023, 6, 1),
        where="広報誌",
        municipality=muni("392022"),
    )
    PublicityAction.objects.create(
        prefecture_code="39", kind="poster", title="翌年", done_on=NEXT_YEAR, where="駅"
    )
    assert programme(2023).publicity_actions == 2
    assert programme(2023, scope="392022").publicity_actions == 2
    assert programme(2023, scope="392014").publicity_actions == 1


def test_kpi_report_json_carries_the_programme_keys(kochi) -> None:
    SurveyEntryFactory()
    out = io.StringIO()
    call_command("kpi_report", "--fy", "2023", "--as-of", "2023-12-31", "--json", stdout=out)
    data = json.loads(out.getvalue())["programme"]
    assert list(data) == [
        "survey_identified",
        "survey_reached",
        "survey_to_case",
        "supervision_requests",
        "supervisions_given",
        "supported_meeting_municipalities",
        "training_events",
        "training_attendance",
        "publicity_actions",
        "new_cases_by_route",
        "supported_ibasho",
        "supported_work_sites",
    ]
    assert data["survey_identified"] == 1
    assert data["new_cases_by_route"]["publicity"] == 0


def _sheet(public: bool):
    buffer = io.BytesIO()
    kpi_workbook(report(2023), public=public, threshold=5).save(buffer)
    buffer.seek(0)
    ws = load_workbook(buffer)["県の取組"]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}


def test_workbook_sheet_and_its_public_mode(kochi) -> None:
    for _n in range(3):
        SurveyEntryFactory()
    CaseMeetingFactory(held_on=dt.date(2023, 5, 1), supervision=CaseMeeting.Supervision.CENTER)
    internal, public = _sheet(False), _sheet(True)
    assert internal["実態把握名簿に登録した人数"] == 3
    assert public["実態把握名簿に登録した人数"] == "<5"
    # Municipalities are no people: shown as they are.
    assert public["支援を受けてケース会議を実施した市町村"] == 1
    assert public["高知市"] in ("<5", "x")


def test_national_scope_counts_everything_without_a_table_of_offices(kochi) -> None:
    SurveyEntryFactory()
    SurveyEntryFactory(municipality=muni("392022"))
    TrainingEventFactory(held_on=dt.date(2023, 7, 1))
    figures = programme(2023, scope="all")
    assert (figures.survey_identified, figures.training_events) == (2, 1)
    assert figures.training_by_jurisdiction == [] and figures.by_municipality == []
