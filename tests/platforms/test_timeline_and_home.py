import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from cases.timeline import PROVIDERS, case_timeline
from core.home import PANELS
from platforms.selectors import home_open_actions, meeting_timeline_entries
from tests.factories import CaseFactory, CaseMeetingFactory, FollowUpActionFactory

pytestmark = pytest.mark.django_db


def test_providers_are_registered() -> None:
    assert "platforms.selectors.meeting_timeline_entries" in PROVIDERS
    assert "platforms.selectors.home_open_actions" in PANELS


def test_case_timeline_lists_its_meetings_in_one_query(django_assert_num_queries):
    case = CaseFactory()
    meetings = [CaseMeetingFactory(held_on=dt.date(2023, 7, d)) for d in range(1, 8)]
    for meeting in meetings:
        meeting.cases.add(case)
    CaseMeetingFactory()  # not about this case
    with django_assert_num_queries(1):
        entries = meeting_timeline_entries(case)
        [entry.obj.decisions for entry in entries]
    assert [e.obj.pk for e in entries] == [m.pk for m in reversed(meetings)]
    assert {e.kind for e in entries} == {"meeting"}
    assert [e.obj.pk for e in case_timeline(case)] == [m.pk for m in reversed(meetings)]


def test_timeline_entry_shows_decisions_but_never_minutes():
    case = CaseFactory()
    meeting = CaseMeetingFactory(decisions="月1回の訪問を継続", minutes="（秘）母親の体調")
    meeting.cases.add(case)
    (entry,) = meeting_timeline_entries(case)
    html = render_to_string(entry.template, {"entry": entry})
    assert "月1回の訪問を継続" in html
    assert "母親" not in html
    assert meeting.get_absolute_url() in html


def _panel(user):
    request = RequestFactory().get("/")
    request.user = user
    return home_open_actions(request)


def test_home_panel_lists_my_open_actions_overdue_first(counselor, colleague):
    today = timezone.localdate()
    meeting = CaseMeetingFactory(held_on=today - dt.timedelta(days=30))
    later = FollowUpActionFactory(meeting=meeting, owner=counselor, due_on=today + dt.timedelta(20))
    soon = FollowUpActionFactory(meeting=meeting, owner=counselor, due_on=today + dt.timedelta(3))
    late = FollowUpActionFactory(meeting=meeting, owner=counselor, due_on=today - dt.timedelta(2))
    FollowUpActionFactory(meeting=meeting, owner=counselor, done_on=today)
    FollowUpActionFactory(meeting=meeting, owner=colleague)
    panel = _panel(counselor)
    assert [a.pk for a in panel["actions"]] == [late.pk, soon.pk, later.pk]
    assert [(a.overdue, a.due_soon) for a in panel["actions"]] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert panel["overdue_count"] == 1


def test_home_panel_is_hidden_without_open_actions_and_for_prefecture_staff(
    counselor, prefecture_staff
):
    assert _panel(counselor) is None
    FollowUpActionFactory(owner=prefecture_staff)
    assert _panel(prefecture_staff) is None


def test_home_panel_hides_actions_of_municipalities_no_longer_in_scope(counselor, muroto):
    FollowUpActionFactory(meeting=CaseMeetingFactory(municipality=muroto), owner=counselor)
    assert _panel(counselor) is None


def test_home_panel_query_count_is_constant(counselor, django_assert_num_queries):
    meeting = CaseMeetingFactory()
    FollowUpActionFactory.create_batch(15, meeting=meeting, owner=counselor)
    with django_assert_num_queries(2):  # the scope's municipality ids, then the actions
        panel = _panel(counselor)
        [a.meeting.municipality.name for a in panel["actions"]]


def test_home_page_shows_my_overdue_action_with_text_mark(login, counselor):
    today = timezone.localdate()
    action = FollowUpActionFactory(
        owner=counselor,
        meeting=CaseMeetingFactory(held_on=today - dt.timedelta(days=20)),
        due_on=today - dt.timedelta(days=1),
        description="家庭訪問の日程を調整",
    )
    body = login(counselor).get("/").content.decode()
    assert "家庭訪問の日程を調整" in body
    assert "期限切れ" in body
    assert f"/meetings/actions/{action.pk}/complete/" in body
