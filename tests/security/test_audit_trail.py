"""Findings 4, 5 and 8: reads and refusals are audited; query strings reach the audit trail
only as known filter keys, with search text masked and lengths capped; an invalid export
filter refuses the export."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Household, HouseholdMember
from tests.exports.test_record_exports import private_root, start, two_cities  # noqa: F401
from tests.factories import CaseFactory, CaseMeetingFactory

pytestmark = pytest.mark.django_db


def events(user, **filters):
    return AuditEvent.objects.filter(user=user, **filters)


# --- Finding 4: reads and refusals --------------------------------------------------------


def test_the_meeting_edit_form_is_an_audited_read(login, counselor) -> None:
    meeting = CaseMeetingFactory(minutes="議事録（秘）")
    response = login(counselor).get(reverse("platforms:meeting_edit", args=[meeting.pk]))
    assert "議事録（秘）" in response.content.decode()
    [event] = events(counselor, action="view", object_type="platforms.casemeeting")
    assert event.object_id == str(meeting.pk)
    assert event.municipality_id == meeting.municipality_id


def test_the_household_member_edit_form_is_an_audited_read(login, counselor) -> None:
    case = CaseFactory()
    household = Household.objects.create(person=case.person)
    member = HouseholdMember.objects.create(
        household=household, relationship="mother", circumstances="母は要介護2"
    )
    url = reverse("cases:member_edit", args=[case.pk, member.pk])
    assert "母は要介護2" in login(counselor).get(url).content.decode()
    [event] = events(counselor, action="view", object_type="cases.householdmember")
    assert event.object_id == str(member.pk)
    assert event.municipality_id == case.municipality_id


def test_the_home_page_is_an_audited_read(login, counselor) -> None:
    assert login(counselor).get(reverse("home")).status_code == 200
    assert events(counselor, action="view", object_type="core.home").count() == 1


def test_the_admins_meeting_page_is_an_audited_read(login, admin_user) -> None:
    meeting = CaseMeetingFactory(decisions="家族会を紹介する")
    url = reverse("admin:platforms_casemeeting_change", args=[meeting.pk])
    assert "家族会を紹介する" in login(admin_user).get(url).content.decode()
    [event] = events(admin_user, action="view", object_type="platforms.casemeeting")
    assert event.object_id == str(meeting.pk)


def test_prefecture_staff_refused_the_meetings_leave_a_denied_row(login, prefecture_staff) -> None:
    response = login(prefecture_staff).get(reverse("platforms:meeting_list"))
    assert response.status_code == 403
    [event] = events(prefecture_staff, action="denied")
    assert event.object_type == "platforms:meeting_list"


def test_a_counselor_refused_the_exports_leaves_a_denied_row(login, counselor) -> None:
    response = login(counselor).get(reverse("exports:index"))
    assert response.status_code == 403
    [event] = events(counselor, action="denied")
    assert event.object_type == "exports:index"


# --- Finding 5: query strings ----------------------------------------------------------------


def test_the_export_from_the_case_list_masks_the_name_searched(
    login,
    admin_user,
    private_root,  # noqa: F811
    two_cities,  # noqa: F811
) -> None:
    response = start(login(admin_user), "cases", "q=高知 花子&unknown=" + "x" * 5000)
    assert response.status_code == 200
    [event] = events(admin_user, action="export")
    assert event.filters["q"] == "***"
    assert "高知" not in str(event.filters)
    assert "unknown" not in event.filters


def test_the_meeting_list_keeps_only_its_known_filters(login, counselor) -> None:
    query = {"kind": "individual", "note": "山田さんの件", "x" * 300: "y" * 5000}
    assert login(counselor).get(reverse("platforms:meeting_list"), query).status_code == 200
    [event] = events(counselor, action="list", object_type="platforms.casemeeting")
    assert event.filters == {"kind": "individual"}


def test_audit_filters_are_capped_whatever_the_caller_passes(counselor) -> None:
    from audit.services import Action, audit_record

    event = audit_record(
        action=Action.LIST,
        user=counselor,
        filters={"k" * 500: "v" * 5000, "list": list(range(999))},
    )
    event.refresh_from_db()
    long_key = next(k for k in event.filters if k.startswith("k"))
    assert len(long_key) <= 40 and len(event.filters[long_key]) <= 100
    assert len(event.filters["list"]) <= 50


# --- Finding 8: an invalid export filter ----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["municipality=999999", "intake_from=2023-13-45", "status=nonsense"],
)
def test_an_invalid_filter_refuses_the_export(
    login,
    admin_user,
    private_root,  # noqa: F811
    two_cities,  # noqa: F811
    query: str,
) -> None:
    response = start(
        login(admin_user),
        "consultations",
        query,
        include_personal="on",
        reason="県への事故報告のため",
    )
    assert response.status_code == 400
    assert "絞り込み条件に誤りがある" in response.content.decode()
    assert not response.get("Content-Disposition")
    assert not events(admin_user, action="export").exists()


def test_an_invalid_meeting_filter_refuses_the_export(
    login,
    admin_user,
    private_root,  # noqa: F811
) -> None:
    CaseMeetingFactory()
    response = start(login(admin_user), "meetings", "kind=nonsense")
    assert response.status_code == 400
    assert not events(admin_user, action="export").exists()
