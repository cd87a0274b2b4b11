"""Training events with attendance, publicity actions, and who may record them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core.models import Jurisdiction
from programme import services
from programme.models import PublicityAction, TrainingAttendance, TrainingEvent
from programme.services import PublicityInput, TrainingInput
from tests.factories import TrainingEventFactory
from tests.kpi.helpers import muni

pytestmark = pytest.mark.django_db


def test_centre_records_an_event_and_its_attendance(login, center):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    client = login(center)
    response = client.post(
        reverse("programme:training_create"),
        {
            "title": "安芸管内 研修会",
            "kind": "training",
            "held_on": "2023-07-01",
            "jurisdiction": aki.pk,
            "organiser": "安芸福祉保健所",
            "audience": "minsei",
        },
    )
    event = TrainingEvent.objects.get()
    assert response.status_code == 302 and event.prefecture_code == "39"
    url = reverse("programme:attendance_set", args=[event.pk])
    client.post(url, {"municipality": muni("392022").pk, "agency": "民生委員", "attendees": 6})
    client.post(url, {"municipality": muni("392031").pk, "agency": "民生委員", "attendees": 4})
    # The same municipality and agency again: the number is replaced, not added.
    client.post(url, {"municipality": muni("392022").pk, "agency": "民生委員", "attendees": 7})
    assert TrainingAttendance.objects.count() == 2
    page = client.get(event.get_absolute_url())
    assert page.context["total"] == 11
    assert (
        AuditEvent.objects.filter(
            object_type="programme.trainingattendance", action="update"
        ).count()
        == 1
    )


def test_attendance_must_be_at_least_one(login, center):
    event = TrainingEventFactory()
    response = login(center).post(
        reverse("programme:attendance_set", args=[event.pk]), {"agency": "社協", "attendees": 0}
    )
    assert response.status_code == 400
    assert "参加人数は1人以上で入力してください。" in response.context["form"].errors["attendees"]
    assert not TrainingAttendance.objects.exists()


def test_attendance_municipality_is_of_the_event_jurisdiction(login, center):
    event = TrainingEventFactory(jurisdiction=Jurisdiction.objects.get(name_ja="安芸福祉保健所"))
    response = login(center).post(
        reverse("programme:attendance_set", args=[event.pk]),
        {"municipality": muni("392014").pk, "agency": "市", "attendees": 2},
    )
    assert response.status_code == 400 and "municipality" in response.context["form"].errors


def test_health_office_counselor_records_in_its_own_jurisdiction_only(aki_counselor):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    kochi_office = muni("392014").jurisdiction
    data = dict(title="研修", kind="training", held_on=dt.date(2023, 7, 1), organiser="所")
    event = services.training_event_create(
        user=aki_counselor,
        prefecture_code="39",
        data=TrainingInput(audience="agencies", jurisdiction=aki, **data),
    )
    assert event.jurisdiction == aki
    with pytest.raises(PermissionDenied):
        services.training_event_create(
            user=aki_counselor,
            prefecture_code="39",
            data=TrainingInput(audience="agencies", jurisdiction=kochi_office, **data),
        )
    with pytest.raises(PermissionDenied):  # prefecture-wide: the centre's
        services.training_event_create(
            user=aki_counselor,
            prefecture_code="39",
            data=TrainingInput(audience="agencies", jurisdiction=None, **data),
        )


def test_municipal_counselor_and_prefecture_staff_see_but_cannot_record(
    login, counselor, prefecture_staff
):
    TrainingEventFactory()
    for user in (counselor, prefecture_staff):
        client = login(user)
        assert client.get(reverse("programme:training_list")).status_code == 200
        assert client.get(reverse("programme:training_create")).status_code == 403
        assert client.get(reverse("programme:publicity_create")).status_code == 403


def test_publicity_action_is_recorded(login, center):
    response = login(center).post(
        reverse("programme:publicity_create"),
        {
            "kind": "leaflet",
            "title": "相談窓口リーフレット",
            "done_on": "2023-06-15",
            "where": "市町村窓口",
            "quantity": 5000,
        },
    )
    action = PublicityAction.objects.get()
    assert response.status_code == 302
    assert (action.quantity, action.municipality, action.prefecture_code) == (5000, None, "39")


def test_publicity_needs_where(center):
    with pytest.raises(ValidationError) as error:
        services.publicity_action_create(
            user=center,
            prefecture_code="39",
            data=PublicityInput(
                kind="poster", title="ポスター", done_on=dt.date(2023, 6, 1), where=""
            ),
        )
    assert "where" in error.value.message_dict
    assert not PublicityAction.objects.exists()


def test_support_list_shows_periods(login, prefecture_staff):
    from tests.factories import PlaceSupportFactory

    period = PlaceSupportFactory(incentive=True, incentive_note="奨励金")
    body = login(prefecture_staff).get(reverse("programme:support_list")).content.decode()
    assert period.resource.name in body and "奨励金" in body


def test_training_list_is_newest_first_with_attendance(login, counselor):
    old = TrainingEventFactory(held_on=dt.date(2022, 5, 1))
    new = TrainingEventFactory(held_on=dt.date(2023, 5, 1))
    TrainingAttendance.objects.create(event=old, agency="市", attendees=3)
    events = login(counselor).get(reverse("programme:training_list")).context["events"]
    assert [(e.pk, e.attendees) for e in events] == [(new.pk, None), (old.pk, 3)]
