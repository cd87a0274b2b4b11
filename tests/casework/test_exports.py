"""Plans and reviews in the record exports: scoped, personal columns only when asked for."""

import datetime as dt

import pytest
from django.http import QueryDict

from casework.models import Review
from exports.registry import KINDS
from tests.factories import CaseFactory, PersonFactory, PlanGoalFactory

pytestmark = pytest.mark.django_db


def test_plan_export_is_scoped_and_hides_goals_without_personal_data(counselor, muroto) -> None:
    mine = PlanGoalFactory(goal="母と買い物に行く")
    PlanGoalFactory(plan__case=CaseFactory(person=PersonFactory(municipality=muroto)))
    kind = KINDS["plans"]
    rows = list(kind.rows(counselor, QueryDict(), include_personal=False))
    assert len(rows) == 1 and rows[0][0] == mine.plan.case.number
    assert "母と買い物に行く" not in rows[0]
    personal = list(kind.rows(counselor, QueryDict(), include_personal=True))
    assert "母と買い物に行く" in personal[0]


def test_review_export(counselor) -> None:
    goal = PlanGoalFactory()
    plan = goal.plan
    Review.objects.create(
        plan=plan, case=plan.case, reviewed_on=plan.drafted_on + dt.timedelta(days=30),
        due_on=plan.next_review_on, on_time=True, notes="外出が増えた",
    )  # fmt: skip
    kind = KINDS["reviews"]
    rows = list(kind.rows(counselor, QueryDict(), include_personal=False))
    assert len(rows) == 1 and "外出が増えた" not in rows[0]
    assert [c.path for c in kind.columns_for(True)][-1] == "notes"
