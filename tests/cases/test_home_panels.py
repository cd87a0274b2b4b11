from django.urls import reverse

from cases import services
from tests.cases.conftest import days_ago
from tests.factories import CaseFactory, ConsultationFactory, PersonFactory

HOME = reverse("home")


def panel(response, template: str):
    matches = [p for p in response.context["panels"] if p["template"] == template]
    return matches[0] if matches else None


def make_case(counselor, kochi_city, *, intake_ago=200, **consultation):
    case = CaseFactory(
        person=PersonFactory(municipality=kochi_city),
        intake_date=days_ago(intake_ago),
        assigned_counselor=counselor,
    )
    if consultation:
        ConsultationFactory(case=case, **consultation)
    return case


def test_follow_ups_due_today_and_overdue_use_the_latest_consultation(
    login, counselor, colleague, kochi_city
) -> None:
    today = make_case(counselor, kochi_city, date=days_ago(7), next_action_date=days_ago(0))
    overdue = make_case(counselor, kochi_city, date=days_ago(20), next_action_date=days_ago(3))
    make_case(counselor, kochi_city, date=days_ago(2), next_action_date=days_ago(-5))  # future
    done = make_case(counselor, kochi_city, date=days_ago(20), next_action_date=days_ago(3))
    ConsultationFactory(case=done, date=days_ago(1), next_action_date=None)  # followed up
    make_case(colleague, kochi_city, date=days_ago(20), next_action_date=days_ago(3))  # not mine
    closed = make_case(counselor, kochi_city, date=days_ago(20), next_action_date=days_ago(3))
    services.case_close(
        user=counselor, case=closed, version=1, closed_on=days_ago(1), reason="終結"
    )
    response = login(counselor).get(HOME)
    follow_ups = panel(response, "cases/_home_follow_ups.html")
    assert [c.pk for c in follow_ups["cases"]] == [today.pk, overdue.pk]
    assert [c.days_overdue for c in follow_ups["cases"]] == [0, 3]
    body = response.content.decode()
    assert f'href="{today.get_absolute_url()}#record"' in body  # straight to the record form
    assert "3日超過" in body


def test_cases_without_contact_for_90_days_surface(login, counselor, kochi_city) -> None:
    silent = make_case(counselor, kochi_city, date=days_ago(120))
    never = make_case(counselor, kochi_city, intake_ago=100)  # no consultation at all
    make_case(counselor, kochi_city, date=days_ago(89))
    response = login(counselor).get(HOME)
    no_contact = panel(response, "cases/_home_no_contact.html")
    assert [c.pk for c in no_contact["cases"]] == [silent.pk, never.pk]
    assert [c.days_silent for c in no_contact["cases"]] == [120, 100]


def test_my_cases_and_recent_activity(login, counselor, colleague, case, kochi_city) -> None:
    ConsultationFactory(case=case, date=days_ago(2))  # its intake (30 days ago) is too old
    other = make_case(colleague, kochi_city, date=days_ago(0))
    response = login(counselor).get(HOME)
    mine = panel(response, "cases/_home_my_cases.html")
    assert [c.pk for c in mine["cases"]] == [case.pk]
    assert mine["total"] == 1
    recent = panel(response, "cases/_home_recent.html")
    assert {c.case_id for c in recent["consultations"]} == {case.pk, other.pk}


def test_home_with_case_panels_is_not_cached(login, counselor, case) -> None:
    response = login(counselor).get(HOME)
    assert "no-store" in response["Cache-Control"]
    assert case.number in response.content.decode()


def test_recent_activity_never_shows_other_municipalities(
    login, counselor, case, muroto_case
) -> None:
    recent = panel(login(counselor).get(HOME), "cases/_home_recent.html")
    assert muroto_case.pk not in {c.case_id for c in recent["consultations"]}


def test_prefecture_staff_and_admins_get_no_case_panels(
    login, prefecture_staff, admin_user, case
) -> None:
    for user in (prefecture_staff, admin_user):
        response = login(user).get(HOME)
        assert not any(p["template"].startswith("cases/") for p in response.context["panels"])
        assert case.number not in response.content.decode()


def test_home_query_count_does_not_grow_with_the_caseload(
    login, counselor, kochi_city, django_assert_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(counselor)
    client.get(HOME)  # the first request after login renews the session (a write)
    make_case(counselor, kochi_city, date=days_ago(20), next_action_date=days_ago(3))
    with CaptureQueriesContext(connection) as small:
        client.get(HOME)
    for i in range(25):
        make_case(counselor, kochi_city, date=days_ago(100 + i), next_action_date=days_ago(i))
    with django_assert_num_queries(len(small.captured_queries)):
        # Full pages (10 rows) and their totals cost no extra query: the case panels choose
        # their rows from one read of my open cases, the others count in their row query.
        client.get(HOME)


def test_recent_activity_covers_the_last_30_days_newest_first(login, counselor, kochi_city) -> None:
    inside = make_case(counselor, kochi_city, date=days_ago(29))  # today and 29 days before
    newest = make_case(counselor, kochi_city, date=days_ago(0))
    make_case(counselor, kochi_city, date=days_ago(30))  # outside the window
    response = login(counselor).get(HOME)
    recent = panel(response, "cases/_home_recent.html")
    assert [c.case_id for c in recent["consultations"]] == [newest.pk, inside.pk]
    assert "最近の記録（直近30日）" in response.content.decode()
