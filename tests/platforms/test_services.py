import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from platforms import services
from platforms.models import CaseMeeting, FollowUpAction, MunicipalStatus, Platform
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    CaseMeetingFactory,
    FollowUpActionFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db
HELD = dt.date(2024, 5, 10)


def _create(user, municipality, **kwargs):
    return services.meeting_create(
        user=user,
        municipality=municipality,
        held_on=kwargs.pop("held_on", HELD),
        kind=CaseMeeting.Kind.INDIVIDUAL,
        **kwargs,
    )


def _update(user, meeting, **changes):
    values = {
        "held_on": meeting.held_on,
        "kind": meeting.kind,
        "supervision": meeting.supervision,
        "cases": list(meeting.cases.all()),
        "agencies": list(meeting.agencies.all()),
        "decisions": meeting.decisions,
        "minutes": meeting.minutes,
        "version": meeting.version,
    }
    values.update(changes)
    return services.meeting_update(user=user, meeting=meeting, **values)


def test_meeting_cannot_discuss_a_case_of_another_municipality(center, kochi_city, muroto):
    muroto_case = CaseFactory(person=PersonFactory(municipality=muroto))
    with pytest.raises(ValidationError) as raised:
        _create(center, kochi_city, cases=[muroto_case])
    assert "cases" in raised.value.error_dict
    assert not CaseMeeting.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_meeting_update_cannot_add_a_case_of_another_municipality(center, muroto):
    meeting = CaseMeetingFactory()
    muroto_case = CaseFactory(person=PersonFactory(municipality=muroto))
    with pytest.raises(ValidationError):
        _update(center, meeting, cases=[muroto_case])
    meeting.refresh_from_db()
    assert meeting.version == 1
    assert not meeting.cases.exists()


def test_meeting_create_audits_field_names_and_never_the_minutes(counselor, kochi_city):
    case = CaseFactory()
    meeting = _create(
        counselor, kochi_city, cases=[case], decisions="訪問を続ける", minutes="母親の体調が悪い"
    )
    assert list(meeting.cases.all()) == [case]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert event.object_type == "platforms.casemeeting"
    assert event.object_id == str(meeting.pk)
    assert event.municipality_id == kochi_city.pk
    assert event.user == counselor
    assert event.changed_fields == sorted(
        ["municipality", "held_on", "kind", "supervision", "decisions", "minutes", "cases"]
    )
    assert "母親" not in str(event.__dict__)


def test_meeting_update_audits_only_the_changed_fields(counselor):
    meeting = CaseMeetingFactory()
    case = CaseFactory()
    _update(counselor, meeting, cases=[case], decisions="新しい決定事項")
    meeting.refresh_from_db()
    assert meeting.version == 2
    assert meeting.decisions == "新しい決定事項"
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.changed_fields == ["cases", "decisions"]


def test_meeting_update_refuses_a_stale_version_and_keeps_the_first_edit(counselor, colleague):
    meeting = CaseMeetingFactory()
    stale = CaseMeeting.objects.get(pk=meeting.pk)
    _update(counselor, meeting, decisions="先に保存した内容")
    with pytest.raises(ValidationError) as raised:
        _update(colleague, stale, decisions="後から保存しようとした内容")
    assert "ほかの人がこの記録を先に更新しました" in raised.value.messages[0]
    meeting.refresh_from_db()
    assert meeting.decisions == "先に保存した内容"
    assert meeting.version == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == 1


def test_outsider_cannot_create_or_update_meetings_of_another_municipality(outsider, kochi_city):
    with pytest.raises(PermissionDenied):
        _create(outsider, kochi_city)
    meeting = CaseMeetingFactory()
    with pytest.raises(PermissionDenied):
        _update(outsider, meeting, decisions="x")


def test_prefecture_staff_cannot_record_meetings(prefecture_staff, kochi_city):
    with pytest.raises(PermissionDenied):
        _create(prefecture_staff, kochi_city)


def test_meeting_in_the_future_is_refused(counselor, kochi_city):
    with pytest.raises(ValidationError) as raised:
        _create(counselor, kochi_city, held_on=timezone.localdate() + dt.timedelta(days=2))
    assert "held_on" in raised.value.error_dict


def test_agency_of_another_municipality_is_refused(counselor, kochi_city, muroto):
    with pytest.raises(ValidationError) as raised:
        _create(counselor, kochi_city, agencies=[AgencyFactory(municipality=muroto)])
    assert "agencies" in raised.value.error_dict
    meeting = _create(
        counselor, kochi_city, agencies=[AgencyFactory(), AgencyFactory(municipality=None)]
    )
    assert meeting.agencies.count() == 2


def test_follow_up_owner_must_have_scope_of_the_municipality(counselor, colleague, outsider):
    meeting = CaseMeetingFactory()
    with pytest.raises(ValidationError) as raised:
        services.follow_up_action_create(
            user=counselor, meeting=meeting, description="訪問", owner=outsider
        )
    assert "owner" in raised.value.error_dict
    action = services.follow_up_action_create(
        user=counselor, meeting=meeting, description="訪問", owner=colleague, due_on=HELD
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert event.object_type == "platforms.followupaction"
    assert event.object_id == str(action.pk)
    assert event.municipality_id == meeting.municipality_id
    assert event.changed_fields == ["description", "due_on", "owner"]


def test_follow_up_due_date_before_the_meeting_is_refused(counselor):
    meeting = CaseMeetingFactory()
    with pytest.raises(ValidationError):
        services.follow_up_action_create(
            user=counselor,
            meeting=meeting,
            description="訪問",
            due_on=meeting.held_on - dt.timedelta(days=1),
        )
    assert not FollowUpAction.objects.exists()


def test_follow_up_completes_once_and_is_audited(counselor):
    action = FollowUpActionFactory()
    services.follow_up_action_complete(user=counselor, action=action)
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.follow_up_action_complete(user=counselor, action=action)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.changed_fields == ["done_on"]
    assert event.municipality_id == action.meeting.municipality_id


def test_outsider_cannot_complete_a_follow_up(outsider):
    action = FollowUpActionFactory()
    with pytest.raises(PermissionDenied):
        services.follow_up_action_complete(user=outsider, action=action)
    action.refresh_from_db()
    assert action.done_on is None


def _platform(user, municipality, version, **kwargs):
    values = {
        "status": Platform.Status.ESTABLISHED,
        "established_on": dt.date(2022, 4, 1),
        "coordinator": None,
        "members": [],
        "notes": "",
    }
    values.update(kwargs)
    return services.platform_update(user=user, municipality=municipality, version=version, **values)


def test_center_creates_then_updates_a_platform_with_version_check(center, kochi_city):
    agency = AgencyFactory()
    platform = _platform(center, kochi_city, 0, members=[agency])
    assert platform.version == 1
    assert list(platform.members.all()) == [agency]
    platform = _platform(center, kochi_city, 1, notes="月1回開催", members=[agency])
    assert platform.version == 2
    with pytest.raises(ValidationError):
        _platform(center, kochi_city, 1, notes="古い画面からの保存")
    platform.refresh_from_db()
    assert platform.notes == "月1回開催"
    created, updated = AuditEvent.objects.filter(object_type="platforms.platform").order_by("id")
    assert created.action == AuditEvent.Action.CREATE
    assert created.changed_fields == ["established_on", "members", "status"]
    assert updated.action == AuditEvent.Action.UPDATE
    assert updated.changed_fields == ["notes"]


def test_platform_established_without_a_date_is_refused(admin_user, kochi_city):
    with pytest.raises(ValidationError) as raised:
        _platform(admin_user, kochi_city, 0, established_on=None)
    assert "established_on" in raised.value.error_dict
    assert not Platform.objects.exists()


@pytest.mark.parametrize("who", ["prefecture_staff", "counselor"])
def test_only_center_and_admins_edit_platforms_and_status(request, who, kochi_city):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        _platform(user, kochi_city, 0)
    with pytest.raises(PermissionDenied):
        services.municipal_status_update(
            user=user,
            municipality=kochi_city,
            fiscal_year=2023,
            version=0,
            needs_assessed_on=None,
            jusoteki=True,
        )
    assert not Platform.objects.exists()
    assert not MunicipalStatus.objects.exists()


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(2024, 3, 31), False),
        (dt.date(2024, 4, 1), True),
        (dt.date(2025, 3, 31), True),
        (dt.date(2025, 4, 1), False),
    ],
)
def test_needs_assessment_date_falls_in_its_fiscal_year(center, kochi_city, day, ok):
    def save():
        return services.municipal_status_update(
            user=center,
            municipality=kochi_city,
            fiscal_year=2024,
            version=0,
            needs_assessed_on=day,
            jusoteki=False,
        )

    if ok:
        assert save().needs_assessed_on == day
    else:
        with pytest.raises(ValidationError):
            save()
        assert not MunicipalStatus.objects.exists()


def test_municipal_status_update_checks_version_and_audits(center, kochi_city):
    status = services.municipal_status_update(
        user=center,
        municipality=kochi_city,
        fiscal_year=2023,
        version=0,
        needs_assessed_on=dt.date(2023, 6, 1),
        jusoteki=False,
    )
    services.municipal_status_update(
        user=center,
        municipality=kochi_city,
        fiscal_year=2023,
        version=status.version,
        needs_assessed_on=dt.date(2023, 6, 1),
        jusoteki=True,
    )
    with pytest.raises(ValidationError):
        services.municipal_status_update(
            user=center,
            municipality=kochi_city,
            fiscal_year=2023,
            version=status.version,
            needs_assessed_on=None,
            jusoteki=False,
        )
    status.refresh_from_db()
    assert (status.jusoteki, status.needs_assessed_on, status.version) == (
        True,
        dt.date(2023, 6, 1),
        2,
    )
    events = AuditEvent.objects.filter(object_type="platforms.municipalstatus").order_by("id")
    assert [e.changed_fields for e in events] == [
        ["fiscal_year", "needs_assessed_on"],
        ["jusoteki"],
    ]
    assert Case.objects.count() == 0
