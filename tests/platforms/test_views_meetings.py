import datetime as dt
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case
from core.models import Municipality
from platforms.models import CaseMeeting, FollowUpAction
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    CaseMeetingFactory,
    FollowUpActionFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db
LIST = reverse("platforms:meeting_list")
CREATE = reverse("platforms:meeting_create")
AKI_CITY = "392031"


def _meetings(n: int, municipality: Municipality | None = None) -> list[CaseMeeting]:
    """Meetings with cases, agencies and actions: enough for an N+1 to show."""
    meetings = []
    for i in range(n):
        kwargs = {"municipality": municipality} if municipality else {}
        meeting = CaseMeetingFactory(held_on=dt.date(2024, 4, 1) + dt.timedelta(days=i), **kwargs)
        person = PersonFactory(municipality=meeting.municipality)
        meeting.cases.set([CaseFactory(person=person), CaseFactory(person=person)])
        meeting.agencies.set([AgencyFactory(municipality=meeting.municipality)])
        FollowUpActionFactory(meeting=meeting)
        meetings.append(meeting)
    return meetings


def _post_data(municipality: Municipality, **extra):
    data = {
        "municipality": municipality.pk,
        "held_on": "2024-06-01",
        "kind": CaseMeeting.Kind.SUPPORT,
        "supervision": CaseMeeting.Supervision.CENTER,
        "decisions": "月1回訪問する",
        "minutes": "（秘）家族の状況",
    }
    data.update(extra)
    return data


# --- List ------------------------------------------------------------------------------------


def test_meeting_list_shows_only_meetings_in_scope(login, counselor, muroto):
    mine = CaseMeetingFactory(held_on=dt.date(2024, 5, 1))
    CaseMeetingFactory(municipality=muroto, held_on=dt.date(2024, 5, 2))
    response = login(counselor).get(LIST)
    assert response.status_code == 200
    assert [m.pk for m in response.context["meetings"]] == [mine.pk]
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )


def test_meeting_list_filters_by_kind_dates_supervision_and_municipality(login, center, muroto):
    a = CaseMeetingFactory(held_on=dt.date(2024, 3, 31))
    b = CaseMeetingFactory(
        held_on=dt.date(2024, 4, 1),
        kind=CaseMeeting.Kind.SUPPORT,
        supervision=CaseMeeting.Supervision.HEALTH_OFFICE,
    )
    c = CaseMeetingFactory(municipality=muroto, held_on=dt.date(2024, 4, 2))
    client = login(center)

    def pks(**params):
        return {m.pk for m in client.get(LIST, params).context["meetings"]}

    assert pks() == {a.pk, b.pk, c.pk}
    assert pks(kind=CaseMeeting.Kind.SUPPORT) == {b.pk}
    assert pks(held_from="2024-04-01") == {b.pk, c.pk}
    assert pks(held_to="2024-03-31") == {a.pk}
    assert pks(supervised="yes") == {b.pk}
    assert pks(supervised="no") == {a.pk, c.pk}
    assert pks(municipality=muroto.pk) == {c.pk}


def test_meeting_list_ignores_a_municipality_outside_the_users_scope(login, counselor, muroto):
    CaseMeetingFactory(municipality=muroto)
    response = login(counselor).get(LIST, {"municipality": muroto.pk})
    assert list(response.context["meetings"]) == []
    assert not response.context["filter"].form.is_valid()


def test_meeting_list_is_refused_to_prefecture_staff(login, prefecture_staff):
    CaseMeetingFactory()
    assert login(prefecture_staff).get(LIST).status_code == 403


def test_meeting_list_is_audited_as_one_list_row(login, center):
    _meetings(3)
    login(center).get(LIST, {"kind": "individual"})
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert event.row_count == 3
    assert event.filters == {"kind": "individual"}


@pytest.mark.parametrize("count", [5, 40])
def test_meeting_list_query_count_is_pinned(login, center, django_assert_num_queries, count):
    _meetings(count)
    client = login(center)
    # session, user, count, page, audit insert, municipality choices; session save (3)
    with django_assert_num_queries(10):  # incl. the scope's municipality ids
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["meetings"]) == min(count, 30)
    assert response.context["meetings"][0].case_count == 2
    assert response.context["meetings"][0].open_action_count == 1


# --- Create ----------------------------------------------------------------------------------


def test_meeting_create_asks_for_the_municipality_first(login, aki_counselor):
    response = login(aki_counselor).get(CREATE)
    assert response.status_code == 200
    assert "platforms/meeting_step.html" in [t.name for t in response.templates]
    choices = {m.code for m in response.context["step"].fields["municipality"].queryset}
    assert AKI_CITY in choices
    assert "392014" not in choices


def test_meeting_create_skips_the_step_for_a_single_municipality(login, counselor, kochi_city):
    response = login(counselor).get(CREATE)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?municipality={kochi_city.pk}")


def test_meeting_form_lists_open_cases_of_the_chosen_municipality_only(
    login, aki_counselor, muroto
):
    aki_city = Municipality.objects.get(code=AKI_CITY)
    open_case = CaseFactory(person=PersonFactory(municipality=muroto))
    CaseFactory(person=PersonFactory(municipality=muroto), status=Case.Status.CLOSED)
    CaseFactory(person=PersonFactory(municipality=aki_city))
    response = login(aki_counselor).get(CREATE, {"municipality": muroto.pk})
    assert response.status_code == 200
    cases = list(response.context["form"].fields["cases"].queryset)
    assert cases == [open_case]
    assert open_case.number in response.content.decode()


def test_meeting_create_refuses_a_case_of_another_municipality(login, aki_counselor, muroto):
    aki_case = CaseFactory(
        person=PersonFactory(municipality=Municipality.objects.get(code=AKI_CITY))
    )
    response = login(aki_counselor).post(CREATE, _post_data(muroto, cases=[aki_case.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["cases"]
    assert not CaseMeeting.objects.exists()


def test_meeting_create_refuses_a_municipality_outside_the_users_scope(login, counselor, muroto):
    response = login(counselor).post(CREATE, _post_data(muroto))
    assert response.status_code == 200
    assert response.context["step"].errors["municipality"]
    assert not CaseMeeting.objects.exists()


def test_meeting_create_saves_the_meeting_and_redirects(login, counselor, kochi_city):
    case = CaseFactory()
    agency = AgencyFactory()
    response = login(counselor).post(
        CREATE, _post_data(kochi_city, cases=[case.pk], agencies=[agency.pk])
    )
    meeting = CaseMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.municipality == kochi_city
    assert meeting.created_by == counselor
    assert list(meeting.cases.all()) == [case]
    assert list(meeting.agencies.all()) == [agency]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_id=str(meeting.pk)
    ).exists()


def test_meeting_create_with_a_missing_date_saves_nothing(login, counselor, kochi_city):
    response = login(counselor).post(CREATE, _post_data(kochi_city, held_on=""))
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"]
    assert not CaseMeeting.objects.exists()


# --- Detail ----------------------------------------------------------------------------------


def test_meeting_page_shows_minutes_to_a_counselor_in_scope_and_audits_the_view(login, colleague):
    meeting = CaseMeetingFactory(minutes="（秘）母親の体調が悪化", decisions="訪問を継続")
    response = login(colleague).get(meeting.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "母親の体調が悪化" in body
    assert "訪問を継続" in body
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("platforms.casemeeting", str(meeting.pk))


def test_outsider_gets_404_on_every_meeting_page(login, outsider):
    meeting = CaseMeetingFactory(minutes="（秘）母親の体調が悪化")
    action = FollowUpActionFactory(meeting=meeting)
    client = login(outsider)
    urls = [
        ("get", meeting.get_absolute_url()),
        ("get", reverse("platforms:meeting_edit", args=[meeting.pk])),
        ("post", reverse("platforms:meeting_edit", args=[meeting.pk])),
        ("post", reverse("platforms:action_create", args=[meeting.pk])),
        ("post", reverse("platforms:action_complete", args=[action.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"description": "x"})
        assert response.status_code == 404, url
        assert "母親" not in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() == len(urls)
    action.refresh_from_db()
    assert action.done_on is None
    assert FollowUpAction.objects.count() == 1


def test_prefecture_staff_never_read_minutes(login, prefecture_staff):
    meeting = CaseMeetingFactory(minutes="（秘）母親の体調が悪化")
    response = login(prefecture_staff).get(meeting.get_absolute_url())
    assert response.status_code == 403
    assert "母親" not in response.content.decode()


def test_meeting_page_query_count_is_pinned(login, counselor, django_assert_num_queries):
    meeting = _meetings(1)[0]
    person = PersonFactory()
    meeting.cases.add(*[CaseFactory(person=person) for _ in range(8)])
    meeting.agencies.add(*[AgencyFactory() for _ in range(5)])
    FollowUpActionFactory.create_batch(6, meeting=meeting, owner=counselor)
    client = login(counselor)
    # session, user, scope ids (read once: the minutes' check asks them too), meeting, cases,
    # agencies, actions, audit, owner choices; session save (3); casework (4): the bases, the
    # cases with their consents, decided plans; the supervision requests (1)
    with django_assert_num_queries(17):
        response = client.get(meeting.get_absolute_url())
    assert len(response.context["cases"]) == 10
    assert len(response.context["actions"]) == 7


# --- Edit ------------------------------------------------------------------------------------


def test_meeting_edit_with_a_stale_version_keeps_the_other_edit(login, counselor):
    meeting = CaseMeetingFactory(decisions="元の内容")
    CaseMeeting.objects.filter(pk=meeting.pk).update(version=2, decisions="同僚が保存した内容")
    url = reverse("platforms:meeting_edit", args=[meeting.pk])
    mine = {
        "held_on": "2023-07-01",
        "kind": CaseMeeting.Kind.INDIVIDUAL,
        "supervision": CaseMeeting.Supervision.NONE,
        "decisions": "古い画面から保存した長い決定",
        "version": 1,
    }
    views_before = AuditEvent.objects.filter(action="view", object_id=str(meeting.pk)).count()
    response = login(counselor).post(url, mine)
    body = response.content.decode()
    assert response.status_code == 200
    assert "ほかの人がこの記録を先に更新しました" in body
    box = re.search(r'<section class="conflict".*?</section>', body, re.S)
    assert box and "同僚が保存した内容" in box.group(0)  # theirs, side by side
    assert "古い画面から保存した長い決定" in body.replace(box.group(0), "")  # mine, in the form
    assert 'name="version" value="2"' in body
    meeting.refresh_from_db()
    assert (meeting.decisions, meeting.version) == ("同僚が保存した内容", 2)
    # The minutes as saved now were shown: a read, audited like the meeting page.
    assert AuditEvent.objects.filter(action="view", object_id=str(meeting.pk)).count() == (
        views_before + 1
    )

    again = login(counselor).post(url, {**mine, "version": 2})
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.decisions, meeting.version) == ("古い画面から保存した長い決定", 3)


def test_meeting_edit_saves_with_the_current_version(login, counselor):
    meeting = CaseMeetingFactory()
    url = reverse("platforms:meeting_edit", args=[meeting.pk])
    client = login(counselor)
    form = client.get(url).context["form"]
    assert form.initial["version"] == 1
    response = client.post(
        url,
        {
            "held_on": "2023-07-02",
            "kind": CaseMeeting.Kind.JUSOTEKI,
            "supervision": CaseMeeting.Supervision.PREFECTURE,
            "decisions": "新しい決定",
            "minutes": "",
            "version": 1,
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.kind, meeting.version) == (
        dt.date(2023, 7, 2),
        CaseMeeting.Kind.JUSOTEKI,
        2,
    )


# --- Follow-up actions -----------------------------------------------------------------------


def test_follow_up_action_is_added_from_the_meeting_page(login, counselor, colleague):
    meeting = CaseMeetingFactory()
    response = login(counselor).post(
        reverse("platforms:action_create", args=[meeting.pk]),
        {"description": "家庭訪問", "owner": colleague.pk, "due_on": "2023-07-15"},
    )
    assert response.status_code == 302
    action = FollowUpAction.objects.get()
    assert (action.owner, action.due_on) == (colleague, dt.date(2023, 7, 15))


def test_follow_up_action_with_an_owner_out_of_scope_is_refused(login, counselor, outsider):
    meeting = CaseMeetingFactory()
    response = login(counselor).post(
        reverse("platforms:action_create", args=[meeting.pk]),
        {"description": "家庭訪問", "owner": outsider.pk},
    )
    assert response.status_code == 400
    assert not FollowUpAction.objects.exists()


def test_follow_up_action_completes_by_post_only(login, counselor):
    action = FollowUpActionFactory(owner=counselor)
    url = reverse("platforms:action_complete", args=[action.pk])
    client = login(counselor)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    action.refresh_from_db()
    assert action.done_on is not None


def test_follow_up_action_complete_ignores_an_external_next(login, counselor):
    action = FollowUpActionFactory()
    response = login(counselor).post(
        reverse("platforms:action_complete", args=[action.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"].startswith(action.meeting.get_absolute_url())
