"""Demo survey counts (実態把握調査): the R3 survey totals the plan's 692 persons; and the
closed years (年度確定) FY2021–FY2025 for Kochi, as the centre would have closed them.

Targets and baselines are not demo data: the migration seeds them for every installation.
"""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from core.fiscal import fiscal_year_range
from core.models import Municipality
from kpi import aggregates
from kpi.models import SurveyCount

R3_SURVEY = dt.date(2021, 10, 1)
R3_TOTAL = 692
R6_SURVEY = dt.date(2024, 10, 1)


def _shares(weights: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder: the parts add up)."""
    raw = [w * total / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def seed(*, stdout: Any) -> None:
    # The other apps' demo records are bulk-created: count them into the dashboard's
    # maintained aggregates (kpi.aggregates) before anything reads or closes a year.
    rows_written = aggregates.rebuild()
    stdout.write(f"kpi aggregates: {rows_written} counters")
    rng = random.Random(39_692)
    municipalities = list(Municipality.objects.filter(prefecture_code="39").order_by("code"))
    if not municipalities:
        return
    weights = [150 if m.code == "392014" else rng.randint(3, 14) for m in municipalities]
    rows = [
        SurveyCount(municipality=m, survey_date=R3_SURVEY, persons=n, note="デモ")
        for m, n in zip(municipalities, _shares(weights, R3_TOTAL), strict=True)
    ]
    # A later survey in a third of the municipalities: the dashboard shows each one's latest.
    rows += [
        SurveyCount(
            municipality=r.municipality,
            survey_date=R6_SURVEY,
            persons=max(1, r.persons + rng.randint(-3, 6)),
            note="デモ",
        )
        for r in rows[::3]
    ]
    SurveyCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["municipality", "survey_date"],
        update_fields=["persons", "note"],
    )
    stdout.write(f"kpi survey counts: {len(rows)}")
    close_demo_years(stdout=stdout)


DEMO_CLOSED_YEARS = range(2021, 2026)


def close_demo_years(*, stdout: Any) -> None:
    """Close FY2021–FY2025 for the prefecture with the figures the demo data gives (whole
    years: FY2021 as of its end, not the seed's April–December), by the demo centre user.
    Years not over yet, or already closed, are left alone (the step is idempotent)."""
    from accounts.models import User
    from kpi.closing import closings_for
    from kpi.scopes import prefecture_scope
    from kpi.services import year_close

    user = User.objects.filter(username="center").first()
    if user is None:
        return
    scope = prefecture_scope("39")
    today = timezone.localdate()
    closed = []
    for year in DEMO_CLOSED_YEARS:
        if fiscal_year_range(year)[1] >= today or closings_for(scope, [year]):
            continue
        year_close(fiscal_year=year, scope=scope, user=user)
        closed.append(year)
    stdout.write(f"kpi closed years: {closed}")
