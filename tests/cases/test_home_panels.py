from django.urls import reverse
from django.utils import timezone

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


# The case panels choose their rows and totals from one read of my open cases
# (cases.selectors._home_cases): the same rows, order and totals as a query per panel had.


def test_follow_ups_ties_go_by_case_id_and_the_total_counts_every_row(
    login, counselor, kochi_city
) -> None:
    today = make_case(counselor, kochi_city, date=days_ago(7), next_action_date=days_ago(0))
    same_day = [
        make_case(counselor, kochi_city, date=days_ago(10), next_action_date=days_ago(2))
        for _ in range(11)
    ]
    follow_ups = panel(login(counselor).get(HOME), "cases/_home_follow_ups.html")
    assert [c.pk for c in follow_ups["cases"]] == [today.pk] + [c.pk for c in same_day[:9]]
    assert follow_ups["total"] == 12


def test_follow_up_comes_from_the_latest_valid_consultation(login, counselor, kochi_city) -> None:
    # Two records on the same day: the later one (higher id) is the latest.
    later_clears = make_case(counselor, kochi_city, date=days_ago(5), next_action_date=days_ago(1))
    ConsultationFactory(case=later_clears, date=days_ago(5), next_action_date=None)
    later_sets = make_case(counselor, kochi_city, date=days_ago(5))
    ConsultationFactory(
        case=later_sets, date=days_ago(5), next_action_date=days_ago(1), next_action="電話"
    )
    # A voided latest record counts for nothing: the one before it sets the follow-up.
    voided = make_case(
        counselor, kochi_city, date=days_ago(9), next_action_date=days_ago(3), next_action="訪問"
    )
    ConsultationFactory(
        case=voided,
        date=days_ago(1),
        next_action_date=None,
        voided_at=timezone.now(),
        void_reason="取り違え",
    )
    follow_ups = panel(login(counselor).get(HOME), "cases/_home_follow_ups.html")
    assert [c.pk for c in follow_ups["cases"]] == [later_sets.pk, voided.pk]
    assert [c.next_action_text for c in follow_ups["cases"]] == ["電話", "訪問"]
    assert [c.last_contact_on for c in follow_ups["cases"]] == [days_ago(5), days_ago(9)]


def test_no_contact_starts_after_90_full_days(login, counselor, kochi_city) -> None:
    make_case(counselor, kochi_city, date=days_ago(90))  # 90 days: not yet
    make_case(counselor, kochi_city, intake_ago=90)  # intake 90 days ago, nothing since
    contact = make_case(counselor, kochi_city, date=days_ago(91))
    intake = make_case(counselor, kochi_city, intake_ago=91)
    tied = make_case(counselor, kochi_city, intake_ago=150, date=days_ago(91))
    no_contact = panel(login(counselor).get(HOME), "cases/_home_no_contact.html")
    assert [c.pk for c in no_contact["cases"]] == [contact.pk, intake.pk, tied.pk]
    assert [c.days_silent for c in no_contact["cases"]] == [91, 91, 91]
    assert no_contact["total"] == 3


def test_no_contact_shows_the_ten_longest_silent_and_counts_all(
    login, counselor, kochi_city
) -> None:
    silent = [make_case(counselor, kochi_city, date=days_ago(100 + i)) for i in range(12)]
    no_contact = panel(login(counselor).get(HOME), "cases/_home_no_contact.html")
    assert [c.pk for c in no_contact["cases"]] == [c.pk for c in reversed(silent)][:10]
    assert no_contact["total"] == 12


def test_my_cases_same_intake_newest_id_first_and_total(login, counselor, kochi_city) -> None:
    older = make_case(counselor, kochi_city, intake_ago=300)
    same_day = [make_case(counselor, kochi_city, intake_ago=20) for _ in range(10)]
    mine = panel(login(counselor).get(HOME), "cases/_home_my_cases.html")
    assert [c.pk for c in mine["cases"]] == [c.pk for c in reversed(same_day)]
    assert older.pk not in {c.pk for c in mine["cases"]}
    assert mine["total"] == 11
    # The columns the template reads, as `with_activity` names them.
    assert [c.last_seen_on for c in mine["cases"]] == [days_ago(20)] * 10
    assert [c.next_action_on for c in mine["cases"]] == [None] * 10


def test_case_panels_leave_out_my_cases_outside_my_scope(
    login, counselor, kochi_city, muroto
) -> None:
    mine = make_case(counselor, kochi_city, date=days_ago(120), next_action_date=days_ago(100))
    # Still assigned to me, but in a municipality I no longer work for.
    away = CaseFactory(
        person=PersonFactory(municipality=muroto),
        intake_date=days_ago(200),
        assigned_counselor=counselor,
    )
    ConsultationFactory(case=away, date=days_ago(120), next_action_date=days_ago(100))
    response = login(counselor).get(HOME)
    for template in HOME_CASE_PANELS:
        shown = panel(response, template)
        assert [c.pk for c in shown["cases"]] == [mine.pk], template
        assert shown["total"] == 1, template
    assert away.number not in response.content.decode()


HOME_CASE_PANELS = (
    "cases/_home_follow_ups.html",
    "cases/_home_no_contact.html",
    "cases/_home_my_cases.html",
)
