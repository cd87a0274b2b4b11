"""The casework home panels: reviews due and overdue, cases waiting for an assessment; their
query counts are pinned (constant in the number of rows)."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cases.models import Case
from casework.selectors import home_assessment_waiting, home_reviews_due
from tests.cases.conftest import days_ago
from tests.factories import AssessmentFactory, CaseFactory, SupportPlanFactory

HOME = reverse("home")


def _request(user):
    request = RequestFactory().get(HOME)
    request.user = user
    return request


def _plan(counselor, review_in_days: int, **case):
    case = CaseFactory(assigned_counselor=counselor, intake_date=days_ago(300), **case)
    return SupportPlanFactory(
        case=case, drafted_on=days_ago(200), next_review_on=days_ago(-review_in_days)
    )


def _waiting(counselor, days: int, **kw):
    return CaseFactory(
        assigned_counselor=counselor, intake_date=days_ago(days + 5),
        status=Case.Status.ASSESSMENT, status_changed_on=days_ago(days), **kw,
    )  # fmt: skip


@pytest.mark.django_db
def test_reviews_due_lists_overdue_and_soon_of_my_open_cases(counselor, colleague) -> None:
    overdue = _plan(counselor, -10)
    soon = _plan(counselor, 5)
    _plan(counselor, 60)  # not yet
    _plan(colleague, -3)  # not mine
    _plan(counselor, -3, status=Case.Status.CLOSED)  # closed case
    panel = home_reviews_due(_request(counselor))
    assert panel is not None
    assert [p.pk for p in panel["plans"]] == [overdue.pk, soon.pk]
    assert [p.days_overdue for p in panel["plans"]] == [10, -5]


@pytest.mark.django_db
def test_cases_in_assessment_without_an_assessment(counselor) -> None:
    old = _waiting(counselor, 45)
    _waiting(counselor, 10)  # not long yet
    assessed = _waiting(counselor, 60)
    AssessmentFactory(case=assessed)
    voided = _waiting(counselor, 50)
    AssessmentFactory(case=voided, voided_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                      void_reason="取り違え")  # fmt: skip
    panel = home_assessment_waiting(_request(counselor))
    assert panel is not None
    assert [c.pk for c in panel["cases"]] == [voided.pk, old.pk]
    assert [c.days_waiting for c in panel["cases"]] == [50, 45]


@pytest.mark.django_db
def test_panels_hidden_for_prefecture_staff(prefecture_staff) -> None:
    assert home_reviews_due(_request(prefecture_staff)) is None
    assert home_assessment_waiting(_request(prefecture_staff)) is None


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 30])
def test_reviews_due_query_count(counselor, django_assert_num_queries, n) -> None:
    for _ in range(n):
        _plan(counselor, -1)
    # the scope's ids, then the rows with their total (a full page or not).
    with django_assert_num_queries(2):
        panel = home_reviews_due(_request(counselor))
        [p.case.person.name for p in panel["plans"]]


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 30])
def test_assessment_waiting_query_count(counselor, django_assert_num_queries, n) -> None:
    for _ in range(n):
        _waiting(counselor, 40)
    with django_assert_num_queries(2):
        panel = home_assessment_waiting(_request(counselor))
        [c.person.name for c in panel["cases"]]


@pytest.mark.django_db
def test_home_page_shows_the_panels(login, counselor) -> None:
    overdue = _plan(counselor, -10)
    body = login(counselor).get(HOME).content.decode()
    assert "見直し（モニタリング）の予定" in body
    assert overdue.case.number in body
    assert "10日超過" in body
