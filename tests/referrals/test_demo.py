"""The demo seed on top of demo-like cases: the seed document's figures, exactly."""

import datetime as dt
import io

import pytest
from django.db.models import F

from accounts.models import User
from core.fiscal import fiscal_year_range
from demo import accounts as accounts_demo
from demo import referrals as demo
from referrals import selectors
from referrals.models import EmploymentOutcome, Referral, ReferralNote, Resource
from tests.referrals.demo_cases import make_demo_like_cases

# One app's demo step bulk-creates its records; `seed_demo` then rebuilds the dashboard's
# counters (kpi.demo.seed), which these tests do not run.
pytestmark = pytest.mark.aggregates_unchecked

R3 = (dt.date(2021, 4, 1), dt.date(2021, 12, 31))


def k3(start: dt.date, end: dt.date) -> int:
    """Target three as the KPI counts it: connections to 居場所等 kinds in the period."""
    return Referral.objects.counting_as_ibasho().connected_between(start, end).count()


def k4(start: dt.date, end: dt.date) -> int:
    return (
        EmploymentOutcome.objects.filter(after_intermediate=True, started_on__range=(start, end))
        .values("person")
        .distinct()
        .count()
    )


def signature() -> list[tuple]:
    return sorted(
        Referral.objects.values_list(
            "case_id", "resource_id", "status", "proposed_on", "arranging_on", "connected_on",
            "ended_on", "not_realised_on", "not_realised_reason",
        )
    )  # fmt: skip


@pytest.fixture
def seeded(kochi):
    accounts_demo.seed(stdout=io.StringIO())
    make_demo_like_cases()
    demo.seed(stdout=io.StringIO())


def test_demo_gives_the_r3_figures_exactly_and_rises_later(seeded) -> None:
    # April–December 2021: 119 links to 居場所等, 2 persons after intermediate employment.
    assert k3(*R3) == 119
    assert k4(*R3) == 2
    # Nobody else was employed after intermediate employment before 2022.
    assert k4(dt.date(2000, 1, 1), R3[1]) == 2

    links = [k3(*fiscal_year_range(fy)) for fy in (2022, 2023, 2024, 2025)]
    persons = [k4(*fiscal_year_range(fy)) for fy in (2023, 2024, 2025)]
    assert links == sorted(links)
    assert all(100 <= n <= 140 for n in links[1:])
    assert all(5 <= n <= 12 for n in persons)
    assert Referral.objects.filter(status="not_realised").count() > 50

    def sites(fy: int) -> int:
        return Resource.objects.filter(
            kind__code="work_training", opened_on__lte=fiscal_year_range(fy)[1]
        ).count()

    assert sites(2021) == 1
    assert sites(2025) == 3
    # The prefecture's support is written as periods by demo.programme (tests/programme).
    assert Resource.objects.filter(kind__counts_as_ibasho=True, active=True).count() >= 6


def test_demo_data_is_consistent_and_fills_the_follow_up_lists(seeded) -> None:
    assert not Referral.objects.filter(connected_on__lt=F("case__intake_date")).exists()
    assert not Referral.objects.filter(proposed_on__lt=F("case__intake_date")).exists()
    assert not EmploymentOutcome.objects.filter(started_on__lt=F("case__intake_date")).exists()
    assert not EmploymentOutcome.objects.exclude(person=F("case__person")).exists()
    # Every referral has one transition per step it went through, ending at its status.
    for referral in Referral.objects.prefetch_related("transitions"):
        steps = [t.to_status for t in referral.transitions.all()]
        dates = [referral.proposed_on, referral.arranging_on, referral.connected_on,
                 referral.ended_on, referral.not_realised_on]  # fmt: skip
        assert steps[0] == "proposed" and steps[-1] == referral.status
        assert len(steps) == sum(d is not None for d in dates)
    assert not ReferralNote.objects.filter(date__lt=F("referral__proposed_on")).exists()
    # The demo counselors' home pages have follow-up lists.
    for username in ("soudan-kochi", "soudan-aki"):
        user = User.objects.get(username=username)
        assert selectors.stuck_arranging(user).count() >= 3, username
        assert selectors.quiet_connected(user).count() >= 2, username


def test_demo_is_idempotent_and_deterministic(seeded) -> None:
    before = signature()
    resources = sorted(Resource.objects.values_list("pk", "name"))
    counts = (ReferralNote.objects.count(), EmploymentOutcome.objects.count())
    demo.seed(stdout=io.StringIO())
    assert signature() == before
    assert sorted(Resource.objects.values_list("pk", "name")) == resources
    assert (ReferralNote.objects.count(), EmploymentOutcome.objects.count()) == counts
    # From scratch on the same cases: the same referrals.
    EmploymentOutcome.objects.all().delete()
    Referral.objects.all().delete()
    demo.seed(stdout=io.StringIO())
    assert signature() == before


def test_demo_without_cases_only_seeds_resources(kochi) -> None:
    out = io.StringIO()
    demo.seed(stdout=out)
    assert Resource.objects.count() == len(demo.RESOURCES)
    assert not Referral.objects.exists()
    assert "skipped" in out.getvalue()
