import datetime as dt
import io

import pytest
from django.db.models import Count

from cases.models import Case
from demo import accounts as accounts_demo
from demo import platforms as demo
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform
from tests.factories import CaseFactory, PersonFactory

# One app's demo step bulk-creates its records; `seed_demo` then rebuilds the dashboard's
# counters (kpi.demo.seed), which these tests do not run.
pytestmark = [pytest.mark.django_db, pytest.mark.aggregates_unchecked]
TODAY = dt.date(2026, 11, 28)


def _snapshot() -> dict[str, object]:
    return {
        "agencies": sorted(Agency.objects.values_list("name", "kind", "municipality_id")),
        "platforms": sorted(
            Platform.objects.values_list("municipality_id", "status", "established_on")
        ),
        "platform_members": Platform.members.through.objects.count(),
        "statuses": sorted(
            MunicipalStatus.objects.values_list(
                "municipality_id", "fiscal_year", "needs_assessed_on", "jusoteki"
            )
        ),
        "meetings": sorted(
            CaseMeeting.objects.values_list("municipality_id", "held_on", "kind", "supervision")
        ),
        "meeting_cases": CaseMeeting.cases.through.objects.count(),
        "actions": FollowUpAction.objects.count(),
    }


def _seed() -> None:
    accounts_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO(), today=TODAY)


def _meeting_municipalities(start: dt.date, end: dt.date, **filters: object) -> int:
    return (
        CaseMeeting.objects.filter(held_on__range=(start, end), **filters)
        .values("municipality")
        .distinct()
        .count()
    )


def test_demo_seed_matches_the_fy2021_figures_and_grows_later(kochi):
    _seed()
    r3_october, r3_december = dt.date(2021, 10, 31), dt.date(2021, 12, 31)
    established = Platform.objects.filter(status=Platform.Status.ESTABLISHED)
    assert established.filter(established_on__lte=r3_october).count() == 14
    assert established.count() > 25
    assessed = MunicipalStatus.objects.filter(needs_assessed_on__isnull=False)
    assert assessed.filter(fiscal_year=2021, needs_assessed_on__lte=r3_october).count() == 9
    assert assessed.filter(fiscal_year=2025).count() > 25
    april = dt.date(2021, 4, 1)
    assert _meeting_municipalities(april, r3_december) == 10
    assert _meeting_municipalities(april, dt.date(2022, 3, 31)) == 10
    assert (
        _meeting_municipalities(april, r3_december, supervision__in=["center", "health_office"])
        == 10
    )
    assert 25 <= _meeting_municipalities(dt.date(2025, 4, 1), dt.date(2026, 3, 31)) <= 32
    assert not CaseMeeting.objects.filter(held_on__gt=TODAY).exists()
    assert CaseMeeting.objects.filter(held_on__gte=dt.date(2026, 4, 1)).exists()
    # Demo counselors have open actions, some overdue, on their home pages.
    for username in ("soudan-kochi", "soudan-aki"):
        mine = FollowUpAction.objects.filter(owner__username=username, done_on__isnull=True)
        assert mine.filter(due_on__lt=TODAY).exists(), username
        assert mine.filter(due_on__gte=TODAY).exists(), username


def test_demo_seed_is_idempotent(kochi):
    _seed()
    first = _snapshot()
    _seed()
    assert _snapshot() == first


def test_demo_seed_attaches_only_cases_of_the_meetings_municipality(kochi, kochi_city, muroto):
    for municipality in (kochi_city, muroto):
        for _ in range(3):
            CaseFactory(
                person=PersonFactory(municipality=municipality), intake_date=dt.date(2021, 4, 1)
            )
    _seed()
    links = CaseMeeting.cases.through.objects.select_related("casemeeting", "case")
    assert links.exists()
    assert all(link.case.municipality_id == link.casemeeting.municipality_id for link in links)
    assert all(link.case.intake_date <= link.casemeeting.held_on for link in links)
    counts = _snapshot()
    _seed()
    assert _snapshot() == counts
    assert Case.objects.annotate(n=Count("meetings")).filter(n__gt=0).exists()
