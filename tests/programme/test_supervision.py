"""Supervision as a workflow: requested → accepted (supervisor named) → given (advice), or
declined / withdrawn; the meeting shows it and K-figures count the supported meeting."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core.models import Jurisdiction
from kpi.scopes import prefecture_scope
from platforms.models import CaseMeeting
from programme import services
from programme.models import SupervisionRequest
from programme.selectors import programme_figures
from tests.factories import CaseFactory, CaseMeetingFactory

pytestmark = pytest.mark.django_db

FY2023 = (dt.date(2023, 4, 1), dt.date(2024, 3, 31))


def _request(user, meeting=None, case=None):
    return services.supervision_request(
        user=user,
        meeting=meeting,
        case=case,
        requested_on=dt.date(2023, 6, 20),
        question="本人への関わり方について助言がほしい",
    )


def _accept(user, item, **kw):
    return services.supervision_accept(
        user=user,
        item=item,
        accepted_on=dt.date(2023, 6, 22),
        body=kw.get("body", "center"),
        jurisdiction=kw.get("jurisdiction"),
        supervisor_name="山本",
    )


def test_request_accept_give_marks_the_meeting_and_counts(counselor, center, kochi_city):
    meeting = CaseMeetingFactory(held_on=dt.date(2023, 7, 1))
    item = _request(counselor, meeting=meeting)
    assert item.status == "requested"
    figures = programme_figures(prefecture_scope(), *FY2023)
    assert (figures.supervision_requests, figures.supervisions_given) == (1, 0)
    assert figures.supported_meeting_municipalities == 0

    item = _accept(center, item)
    assert (item.status, item.supervisor_name, item.body) == ("accepted", "山本", "center")
    item = services.supervision_give(
        user=center, item=item, given_on=dt.date(2023, 7, 1), advice="家族面談を続ける"
    )
    meeting.refresh_from_db()
    assert item.status == "given" and meeting.supervision == CaseMeeting.Supervision.CENTER
    assert meeting.minutes == "（秘）母親の体調が悪化している。"  # the advice is kept apart
    figures = programme_figures(prefecture_scope(), *FY2023)
    assert (figures.supervisions_given, figures.supported_meeting_municipalities) == (1, 1)
    assert figures.by_municipality[0].supervisions_given == 1
    assert AuditEvent.objects.filter(
        object_type="platforms.casemeeting", changed_fields=["supervision"]
    ).exists()


def test_giving_before_accepting_is_refused(counselor, center):
    item = _request(counselor, meeting=CaseMeetingFactory())
    with pytest.raises(ValidationError):
        services.supervision_give(user=center, item=item, given_on=dt.date(2023, 7, 1), advice="x")
    item.refresh_from_db()
    assert item.status == "requested" and item.given_on is None


def test_declined_request_cannot_be_accepted(counselor, center):
    item = _request(counselor, meeting=CaseMeetingFactory())
    services.supervision_close(user=center, item=item, to="declined", reason="日程が合わない")
    with pytest.raises(ValidationError):
        _accept(center, item)
    item.refresh_from_db()
    assert (item.status, item.closed_reason) == ("declined", "日程が合わない")


def test_municipality_withdraws_an_accepted_request(counselor, center):
    item = _accept(center, _request(counselor, meeting=CaseMeetingFactory()))
    services.supervision_close(user=counselor, item=item, to="withdrawn", reason="会議が延期")
    item.refresh_from_db()
    assert item.status == "withdrawn"


def test_a_municipal_counselor_cannot_accept(counselor):
    item = _request(counselor, meeting=CaseMeetingFactory())
    with pytest.raises(PermissionDenied):
        _accept(counselor, item)


def test_a_health_office_counselor_accepts_for_its_own_area_only(center, aki_counselor, muroto):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    in_area = _request(center, meeting=CaseMeetingFactory(municipality=muroto))
    item = _accept(aki_counselor, in_area, body="health_office", jurisdiction=aki)
    assert item.jurisdiction == aki
    outside = _request(center, meeting=CaseMeetingFactory())  # 高知市
    with pytest.raises(PermissionDenied):
        _accept(aki_counselor, outside)


def test_health_office_needs_its_office(counselor, center):
    item = _request(counselor, meeting=CaseMeetingFactory())
    with pytest.raises(ValidationError) as error:
        _accept(center, item, body="health_office")
    assert "jurisdiction" in error.value.message_dict


def test_supervision_of_a_case_without_a_meeting(counselor, center):
    case = CaseFactory()
    item = _accept(center, _request(counselor, case=case))
    services.supervision_give(user=center, item=item, given_on=dt.date(2023, 7, 1), advice="助言")
    figures = programme_figures(prefecture_scope(), *FY2023)
    assert (figures.supervisions_given, figures.supported_meeting_municipalities) == (1, 0)


def test_a_stale_form_is_refused(counselor, center):
    item = _request(counselor, meeting=CaseMeetingFactory())
    with pytest.raises(ValidationError):
        services.supervision_accept(
            user=center,
            item=item,
            accepted_on=dt.date(2023, 6, 22),
            body="center",
            supervisor_name="山本",
            version=item.version + 1,
        )


def test_meeting_page_shows_the_advice(login, counselor, center):
    meeting = CaseMeetingFactory()
    item = _accept(center, _request(counselor, meeting=meeting))
    services.supervision_give(
        user=center, item=item, given_on=dt.date(2023, 7, 1), advice="家族面談の頻度を上げる"
    )
    body = login(counselor).get(meeting.get_absolute_url()).content.decode()
    assert "家族面談の頻度を上げる" in body and "山本" in body


def test_request_through_the_meeting_page(login, counselor):
    meeting = CaseMeetingFactory()
    response = login(counselor).post(
        reverse("programme:supervision_create_meeting", args=[meeting.pk]),
        {"requested_on": "2023-06-20", "question": "助言がほしい"},
    )
    item = SupervisionRequest.objects.get()
    assert response.status_code == 302 and item.meeting == meeting
    assert item.requested_by == counselor


def test_empty_question_is_refused_next_to_the_field(login, counselor):
    meeting = CaseMeetingFactory()
    response = login(counselor).post(
        reverse("programme:supervision_create_meeting", args=[meeting.pk]),
        {"requested_on": "2023-06-20", "question": ""},
    )
    assert "相談したいことを入力してください。" in response.context["form"].errors["question"]
    assert not SupervisionRequest.objects.exists()


def test_outsider_404_and_prefecture_staff_403(login, counselor, outsider, prefecture_staff):
    item = _request(counselor, meeting=CaseMeetingFactory())
    response = login(outsider).get(item.get_absolute_url())
    assert response.status_code == 404 and item.question not in response.content.decode()
    assert login(prefecture_staff).get(item.get_absolute_url()).status_code == 403


def test_the_dashboard_counts_supervision_but_never_shows_the_advice(
    login, counselor, center, prefecture_staff
):
    meeting = CaseMeetingFactory(held_on=dt.date(2023, 7, 1))
    item = _accept(center, _request(counselor, meeting=meeting))
    services.supervision_give(
        user=center, item=item, given_on=dt.date(2023, 7, 1), advice="秘密の助言"
    )
    response = login(prefecture_staff).get(reverse("kpi:dashboard"), {"fy": 2023})
    body = response.content.decode()
    assert response.context["report"].programme.supervisions_given == 1
    assert "秘密の助言" not in body and "山本" not in body
