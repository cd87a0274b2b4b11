"""The home page as a whole: every panel full (more rows than a panel shows) in a fixed
number of queries, the panels' templates reading nothing their queries left out."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from core.home import PANELS
from tests.cases.conftest import days_ago
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    ConsultationFactory,
    FollowUpActionFactory,
    PersonFactory,
    ReferralFactory,
    ResourceFactory,
    ResourceKindFactory,
    SupportPlanFactory,
    SurveyEntryFactory,
)

HOME = reverse("home")
ROWS = 12  # more than any panel shows: every panel counts past its page


def fill_every_panel(counselor, kochi_city, rows: int = ROWS) -> None:
    ibasho = ResourceKindFactory(code="ibasho")
    for i in range(rows):
        case = CaseFactory(
            person=PersonFactory(municipality=kochi_city, name=f"本人{i}", kana=f"ほんにん{i}"),
            intake_date=days_ago(400),
            assigned_counselor=counselor,
        )
        # Due yesterday, silent for 100 days, and recent enough for "latest records".
        ConsultationFactory(case=case, date=days_ago(100 + i), next_action_date=days_ago(1))
        SupportPlanFactory(case=case, drafted_on=days_ago(200), next_review_on=days_ago(3))
        ReferralFactory(
            case=case,
            resource=ResourceFactory(kind=ibasho),
            proposed_on=days_ago(60),
            status="arranging",
            arranging_on=days_ago(45),
        )
        ReferralFactory(
            case=case,
            resource=ResourceFactory(kind=ibasho),
            proposed_on=days_ago(160),
            status="connected",
            connected_on=days_ago(150),
        )
        waiting = CaseFactory(
            person=PersonFactory(municipality=kochi_city),
            intake_date=days_ago(60),
            assigned_counselor=counselor,
            status=Case.Status.ASSESSMENT,
            status_changed_on=days_ago(50),
        )
        ConsultationFactory(case=waiting, date=days_ago(i))
        FollowUpActionFactory(meeting=CaseMeetingFactory(held_on=days_ago(30)), owner=counselor,
                              due_on=days_ago(2))  # fmt: skip
        SurveyEntryFactory(municipality=kochi_city, reported_on=days_ago(90),
                           next_outreach_on=days_ago(1))  # fmt: skip


def test_home_page_with_every_panel_full_in_a_fixed_number_of_queries(
    login, counselor, kochi_city, django_assert_num_queries
) -> None:
    fill_every_panel(counselor, kochi_city)
    client = login(counselor)
    client.get(HOME)  # the first request after login renews the session (a write)
    # The session and the user, the scope's municipality ids, the case panels' two, the
    # latest records, the actions, the referral panel's two lists and their persons, the
    # outreach register, the reviews, the assessments waiting, and the audit row.
    with django_assert_num_queries(14):
        response = client.get(HOME)
    shown = {p["template"]: p for p in response.context["panels"]}
    assert len(shown) == len(PANELS) - 1  # all but the prefecture's overview (staff only)
    for template, rows, total in [
        ("cases/_home_follow_ups.html", "cases", ROWS),
        ("cases/_home_no_contact.html", "cases", ROWS),
        ("cases/_home_my_cases.html", "cases", 2 * ROWS),
        ("casework/_home_reviews_due.html", "plans", ROWS),
        ("casework/_home_assessment_waiting.html", "cases", ROWS),
        ("programme/_home_outreach_due.html", "entries", ROWS),
    ]:
        assert (len(shown[template][rows]), shown[template]["total"]) == (10, total), template
    referrals = shown["referrals/home_follow_up.html"]
    assert (referrals["stuck_total"], referrals["quiet_total"]) == (ROWS, ROWS)
    body = response.content.decode()
    assert "本人0" in body and "ほんにん0" in body


def test_home_page_queries_do_not_grow_with_the_rows(login, counselor, kochi_city) -> None:
    fill_every_panel(counselor, kochi_city, rows=1)
    client = login(counselor)
    client.get(HOME)
    with CaptureQueriesContext(connection) as one:
        client.get(HOME)
    fill_every_panel(counselor, kochi_city, rows=ROWS)
    with CaptureQueriesContext(connection) as full:
        client.get(HOME)
    # One row a panel or a full page and a total: no row is read one by one.
    assert len(full.captured_queries) == len(one.captured_queries)
