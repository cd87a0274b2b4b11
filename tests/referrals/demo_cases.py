"""Demo-like cases for the referral seed's tests (the cases app seeds the real ones).

211 cases from April to December 2021 across all municipalities, then about 20 a month up
to today; some older cases closed. Bulk-created: the seed needs many.
"""

import datetime as dt
import random

from django.utils import timezone

from accounts.models import User
from cases.models import Case, Person
from core.fiscal import fiscal_year
from core.models import Municipality

R3_CASES = 211


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    day = start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def make_demo_like_cases(*, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    today = timezone.localdate()
    municipalities = list(Municipality.objects.filter(prefecture_code="39").order_by("code"))
    kochi_city = next(m for m in municipalities if m.code == "392014")
    others = [m for m in municipalities if m is not kochi_city]
    kochi_counselor = User.objects.filter(username="soudan-kochi").first()

    intakes: list[dt.date] = []
    r3_months = _months(dt.date(2021, 4, 1), dt.date(2021, 12, 1))
    for index in range(R3_CASES):
        month = r3_months[index % len(r3_months)]
        intakes.append(month + dt.timedelta(days=rng.randint(0, 27)))
    for month in _months(dt.date(2022, 1, 1), today):
        for _ in range(20):
            day = month + dt.timedelta(days=rng.randint(0, 27))
            if day < today:
                intakes.append(day)
    intakes.sort()

    places = [kochi_city if i % 5 < 2 else others[i % len(others)] for i in range(len(intakes))]
    persons = Person.objects.bulk_create(
        Person(municipality=m, name=f"デモ 本人{i}", kana=f"でも ほんにん{i}", birth_year=1980)
        for i, m in enumerate(places)
    )
    cases = []
    for i, (intake, person) in enumerate(zip(intakes, persons, strict=True)):
        closed_on = None
        status = Case.Status.ACTIVE
        if (today - intake).days > 400 and rng.random() < 0.3:
            closed_on = min(today, intake + dt.timedelta(days=rng.randint(200, 500)))
            status = Case.Status.CLOSED
        counselor = kochi_counselor if person.municipality == kochi_city and i % 2 else None
        cases.append(
            Case(
                number=f"DEMO-{i:05d}",
                municipality=person.municipality,
                fiscal_year=fiscal_year(intake),
                sequence=i + 1,
                person=person,
                intake_date=intake,
                intake_route=Case.Route.FAMILY,
                visitor=Case.Visitor.FAMILY,
                status=status,
                status_changed_on=closed_on or intake,
                closed_on=closed_on,
                assigned_counselor=counselor,
            )
        )
    return Case.objects.bulk_create(cases)
