"""case_casework given the timeline picks the same current plan and latest assessment as its
own queries (the case page passes the timeline: two queries fewer)."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.timeline import case_timeline
from casework.models import SupportPlan
from casework.selectors import case_casework
from tests.factories import (
    AssessmentFactory,
    CaseFactory,
    CaseMeetingFactory,
    SupportPlanFactory,
)

pytestmark = pytest.mark.django_db


def test_nothing_yet() -> None:
    case = CaseFactory()
    derived = case_casework(case, case_timeline(case))
    assert derived == case_casework(case)
    assert derived["plan"] is None
    assert derived["latest_assessment"] is None


@pytest.mark.parametrize("current", [SupportPlan.Status.DECIDED, SupportPlan.Status.DRAFT, None])
def test_derived_from_the_timeline_as_queried(current) -> None:
    case = CaseFactory()
    day = case.intake_date
    AssessmentFactory(case=case, assessed_on=day)
    later = AssessmentFactory(case=case, assessed_on=day + dt.timedelta(days=5))
    AssessmentFactory(case=case, assessed_on=day + dt.timedelta(days=2))
    # The newest by date is voided; on the same date the higher id comes first.
    AssessmentFactory(
        case=case,
        assessed_on=day + dt.timedelta(days=9),
        voided_at=timezone.now(),
        void_reason="誤入力",
    )
    same_day = AssessmentFactory(case=case, assessed_on=later.assessed_on)
    SupportPlanFactory(case=case, number=1, status=SupportPlan.Status.REVISED)
    if current:
        decided = {"decided_meeting": CaseMeetingFactory(), "decided_on": day}
        SupportPlanFactory(
            case=case, number=2, status=current, **(decided if current == "decided" else {})
        )
    SupportPlanFactory(case=case, number=3 if current else 2, status=SupportPlan.Status.ENDED)

    derived = case_casework(case, case_timeline(case))
    assert derived == case_casework(case)
    assert derived["latest_assessment"] == same_day
    assert (derived["plan"] and derived["plan"].number) == (2 if current else None)
