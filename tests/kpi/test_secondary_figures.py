"""Secondary figures: platforms, needs assessment, 重層的支援, survey, resources, meetings,
consultations (延べ件数・実人数, new vs ongoing)."""

import datetime as dt

import pytest

from cases.models import Consultation
from kpi.models import SurveyCount
from platforms.models import CaseMeeting, MunicipalStatus, Platform
from tests.factories import (
    CaseMeetingFactory,
    ConsultationFactory,
    PlaceSupportFactory,
    ResourceFactory,
    ResourceKindFactory,
)
from tests.kpi.helpers import case_in, muni, report

pytestmark = pytest.mark.django_db


def test_platforms_count_established_by_as_of(kochi) -> None:
    Platform.objects.create(
        municipality=muni("392014"), status="established", established_on=dt.date(2021, 4, 1)
    )
    Platform.objects.create(
        municipality=muni("392022"), status="established", established_on=dt.date(2023, 10, 1)
    )
    Platform.objects.create(municipality=muni("392031"), status="preparing")
    assert report(as_of=dt.date(2023, 9, 30)).secondary.platforms == 1
    assert report().secondary.platforms == 2
    rows = {r.code: r.platform_established for r in report().municipalities}
    assert (rows["392014"], rows["392031"]) == (True, False)


def test_needs_assessed_and_jusoteki_of_the_year(kochi) -> None:
    MunicipalStatus.objects.create(
        municipality=muni("392014"), fiscal_year=2023, needs_assessed_on=dt.date(2023, 10, 1)
    )
    MunicipalStatus.objects.create(
        municipality=muni("392022"), fiscal_year=2023, needs_assessed_on=None, jusoteki=True
    )
    MunicipalStatus.objects.create(
        municipality=muni("392031"), fiscal_year=2022, needs_assessed_on=dt.date(2022, 6, 1)
    )
    early = report(as_of=dt.date(2023, 9, 30)).secondary
    assert (early.needs_assessed, early.jusoteki) == (0, 1)
    assert report().secondary.needs_assessed == 1


def test_survey_uses_each_municipalitys_latest_survey(kochi) -> None:
    SurveyCount.objects.create(
        municipality=muni("392014"), survey_date=dt.date(2021, 10, 1), persons=300
    )
    SurveyCount.objects.create(
        municipality=muni("392014"), survey_date=dt.date(2023, 10, 1), persons=320
    )
    SurveyCount.objects.create(
        municipality=muni("392022"), survey_date=dt.date(2021, 10, 1), persons=20
    )
    s = report(as_of=dt.date(2023, 9, 30)).secondary
    assert (s.survey_persons, s.survey_municipalities, s.survey_latest) == (
        320,
        2,
        dt.date(2021, 10, 1),
    )
    s = report().secondary
    assert (s.survey_persons, s.survey_latest) == (340, dt.date(2023, 10, 1))
    assert report(scope="392022").secondary.survey_persons == 20


def test_resources_in_scope_include_prefecture_wide_ones(kochi) -> None:
    ibasho = ResourceKindFactory()
    work = ResourceKindFactory(
        code="work", name_ja="就労訓練", counts_as_ibasho=False, is_work_training=True
    )
    PlaceSupportFactory(resource=ResourceFactory(kind=ibasho, municipality=muni("392014")))
    ResourceFactory(kind=ibasho, municipality=muni("392022"))
    ResourceFactory(kind=ibasho, municipality=muni("392014"), active=False)
    ResourceFactory(kind=work, municipality=None)
    pref = report().secondary
    assert (pref.ibasho_active, pref.ibasho_prefecture_supported, pref.work_training_active) == (
        2,
        1,
        1,
    )
    kochi_city = report(scope="392014").secondary
    assert (kochi_city.ibasho_active, kochi_city.work_training_active) == (1, 1)


def test_supervised_meetings(kochi) -> None:
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 5, 1))
    CaseMeetingFactory(
        municipality=muni("392014"),
        held_on=dt.date(2023, 6, 1),
        supervision=CaseMeeting.Supervision.CENTER,
    )
    CaseMeetingFactory(
        municipality=muni("392022"),
        held_on=dt.date(2023, 6, 1),
        supervision=CaseMeeting.Supervision.HEALTH_OFFICE,
    )
    s = report().secondary
    assert (s.meetings, s.supervised_meetings, s.supervised_municipalities) == (3, 2, 2)


def test_consultations_total_contacts_distinct_persons_new_and_ongoing(kochi) -> None:
    new = case_in(intake=dt.date(2023, 5, 1))
    old = case_in(intake=dt.date(2022, 5, 1))
    for day in (1, 2, 3):
        ConsultationFactory(case=new, date=dt.date(2023, 6, day), method=Consultation.Method.PHONE)
    ConsultationFactory(case=new, date=dt.date(2023, 7, 1), method=Consultation.Method.HOME_VISIT)
    ConsultationFactory(case=old, date=dt.date(2023, 7, 1), method=Consultation.Method.PHONE)
    ConsultationFactory(case=old, date=dt.date(2023, 3, 1), method=Consultation.Method.PHONE)
    c = report().secondary.consultations
    assert (c.contacts, c.persons) == (5, 2)
    assert (c.new_contacts, c.new_persons, c.ongoing_contacts, c.ongoing_persons) == (4, 1, 1, 1)
    by_method = {m.method: (m.contacts, m.persons) for m in c.by_method}
    assert by_method["phone"] == (4, 2)
    assert by_method["home_visit"] == (1, 1)
    assert by_method["email"] == (0, 0)
