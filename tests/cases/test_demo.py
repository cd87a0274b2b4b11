"""The demo step. Seeding takes a few seconds, so each test checks several things."""

import datetime as dt
import io
import random

import pytest
from django.db.models import Count
from django.utils import timezone

from cases.models import Case, Consultation, Person
from core.fiscal import current_fiscal_year
from demo import accounts as accounts_demo
from demo import cases as demo

# One app's demo step bulk-creates its records; `seed_demo` then rebuilds the dashboard's
# counters (kpi.demo.seed), which these tests do not run.
pytestmark = pytest.mark.aggregates_unchecked


@pytest.fixture
def seeded(kochi, tags):
    accounts_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())


def test_demo_seed_gives_211_intakes_in_april_to_december_2021_and_is_idempotent(
    seeded,
) -> None:
    k1 = Case.objects.filter(intake_date__range=(dt.date(2021, 4, 1), dt.date(2021, 12, 31)))
    assert k1.count() == 211
    helper = demo.demo_cases(intake_from=dt.date(2021, 4, 1), intake_to=dt.date(2021, 12, 31))
    assert helper.count() == 211
    fy2022 = demo.demo_cases(fiscal_year=2022)
    assert fy2022.count() == Case.objects.filter(fiscal_year=2022).count() > 0
    dates = list(fy2022.values_list("intake_date", flat=True))
    assert dates == sorted(dates)

    counts = (Case.objects.count(), Consultation.objects.count(), Person.objects.count())
    out = io.StringIO()
    demo.seed(stdout=out)
    assert (Case.objects.count(), Consultation.objects.count(), Person.objects.count()) == counts
    assert "skipped" in out.getvalue()


def test_demo_caseload_is_believable_and_fills_the_counselors_home_pages(seeded) -> None:
    per_year = dict(Case.objects.values_list("fiscal_year").annotate(n=Count("id")))
    assert min(per_year) == 2021
    for fy in range(2022, current_fiscal_year()):
        assert 230 <= per_year[fy] <= 300, fy
    assert Case.objects.values("municipality").distinct().count() == 34
    assert set(Case.objects.values_list("status", flat=True)) >= {"active", "closed", "suspended"}
    assert Consultation.objects.filter(with_whom="family").count() > 1000
    methods = set(Consultation.objects.values_list("method", flat=True))
    assert methods == set(Consultation.Method.values)
    assert Person.objects.filter(name="").exists()  # family-only: the person not met yet
    assert Case.objects.filter(
        issue_tags__code="8050",
        age_band_at_intake="50s",
        person__household__members__needs_care=True,
        person__household__members__age_band="80+",
    ).exists()

    today = timezone.localdate()
    assert not Consultation.objects.filter(date__gt=today).exists()
    for username in ("soudan-kochi", "soudan-aki"):
        mine = Case.objects.open().filter(assigned_counselor__username=username)
        assert mine.count() >= 20
        assert mine.follow_up_due(today).filter(next_action_on=today).exists()
        assert mine.follow_up_due(today).filter(next_action_on__lt=today).exists()
        assert mine.no_contact_since(today - dt.timedelta(days=90)).exists()
    kochi_cases = Case.objects.filter(municipality__code="392014")
    assert not kochi_cases.exclude(assigned_counselor__username="soudan-kochi").exists()


def test_demo_intake_dates_are_deterministic() -> None:
    today = dt.date(2026, 11, 28)
    first = demo.intake_dates(random.Random(demo.SEED), today)
    assert first == demo.intake_dates(random.Random(demo.SEED), today)
    assert sum(1 for d in first if d <= dt.date(2021, 12, 31)) == 211
    assert max(first) <= today
